import type { Clock, TimerHandle } from './clock.js'

export interface HeartbeatOptions {
  /**
   * How often a ping is expected (protocol mode: the server announces its own in
   * `welcome`, which wins) or sent (raw mode), in ms. @default 25000
   */
  intervalMs: number
  /** Grace after a missed interval before the link counts as dead, in ms. @default 10000 */
  timeoutMs: number
  /** How long a probe (after a late timer or a resume signal) waits for any frame, in ms. @default 3000 */
  probeTimeoutMs: number
  /** Turn liveness checks off entirely. @default true */
  enabled: boolean
}

export const heartbeatDefaults: Readonly<HeartbeatOptions> = Object.freeze({
  intervalMs: 25_000,
  timeoutMs: 10_000,
  probeTimeoutMs: 3_000,
  enabled: true,
})

/**
 * A timer that fires this much later than asked was frozen (laptop sleep) or throttled
 * (hidden tab): silence since then says nothing about the link, so we probe instead of
 * declaring it dead.
 */
const LATE_TIMER_MS = 1_000

export interface HeartbeatHooks {
  /** Send a ping carrying `n`. */
  ping(n: number): void
  /** The link is dead: abandon the socket. */
  dead(): void
  /** A round-trip time was measured, in ms. */
  rtt(ms: number): void
}

/**
 * Liveness of one socket, started when it is ready. Any inbound frame counts as life; the
 * deadline is `intervalMs + timeoutMs` after the last one. `sendPings`: raw mode drives the
 * pings, in protocol mode the server does. A new socket gets a new Heartbeat, so a late
 * event from an old socket can never touch the current one.
 *
 * A class over raw timer handles rather than closures and Timer objects: one is held per
 * idle connection, and a thousand idle connections should cost little memory.
 */
export class Heartbeat {
  readonly #clock: Clock
  readonly #hooks: HeartbeatHooks
  readonly #intervalMs: number
  readonly #budgetMs: number
  readonly #probeMs: number
  #deadline: TimerHandle | undefined
  #prober: TimerHandle | undefined
  #pinger: TimerHandle | undefined
  #lastRx: number
  /** The latest ping's number and send time, for RTT (a pong to an older ping only counts as life). */
  #n = 0
  #pingAt = 0
  #stopped: boolean

  constructor(clock: Clock, options: HeartbeatOptions, hooks: HeartbeatHooks, sendPings: boolean) {
    this.#clock = clock
    this.#hooks = hooks
    this.#intervalMs = options.intervalMs
    this.#budgetMs = options.intervalMs + options.timeoutMs
    this.#probeMs = options.probeTimeoutMs
    this.#lastRx = clock.now()
    this.#stopped = !options.enabled
    if (this.#stopped) return
    this.#arm(this.#lastRx + this.#budgetMs)
    if (sendPings) this.#schedulePing()
  }

  /** Any frame arrived: the link is alive. */
  alive(): void {
    this.#lastRx = this.#clock.now()
    this.#prober = this.#clear(this.#prober)
  }

  /** A pong arrived for ping `n`. */
  pong(n: number): void {
    if (n === this.#n && this.#pingAt) this.#hooks.rtt(this.#clock.now() - this.#pingAt)
    this.#pingAt = 0
    this.alive()
  }

  /** Ask the peer for a sign of life now; dead if none within `probeTimeoutMs`. */
  probe(): void {
    if (this.#stopped || this.#prober !== undefined) return
    this.#ping()
    this.#prober = this.#clock.setTimeout(() => {
      this.#prober = undefined
      if (!this.#stopped) this.#hooks.dead()
    }, this.#probeMs)
  }

  stop(): void {
    this.#stopped = true
    this.#deadline = this.#clear(this.#deadline)
    this.#prober = this.#clear(this.#prober)
    this.#pinger = this.#clear(this.#pinger)
  }

  #ping(): void {
    this.#pingAt = this.#clock.now()
    this.#hooks.ping(++this.#n)
  }

  #schedulePing(): void {
    this.#pinger = this.#clock.setTimeout(() => {
      this.#ping()
      this.#schedulePing()
    }, this.#intervalMs)
  }

  /** Check at `dueAt`; the deadline moves lazily, so an inbound frame costs no timer work. */
  #arm(dueAt: number): void {
    this.#deadline = this.#clock.setTimeout(() => {
      const now = this.#clock.now()
      if (now - this.#lastRx < this.#budgetMs) this.#arm(this.#lastRx + this.#budgetMs)
      else if (now - dueAt > LATE_TIMER_MS) {
        // We were asleep or throttled: give the link a fair chance before calling it dead.
        this.#arm(now + this.#budgetMs)
        this.probe()
      } else this.#hooks.dead()
    }, Math.max(0, dueAt - this.#clock.now()))
  }

  #clear(handle: TimerHandle | undefined): undefined {
    if (handle !== undefined) this.#clock.clearTimeout(handle)
    return undefined
  }
}
