import { Timer, type Clock } from './clock.js'

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

export const heartbeatDefaults: HeartbeatOptions = {
  intervalMs: 25_000,
  timeoutMs: 10_000,
  probeTimeoutMs: 3_000,
  enabled: true,
}

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
 * Liveness of one socket. Any inbound frame counts as life; the deadline is
 * `intervalMs + timeoutMs` after the last one. A new socket gets a new Heartbeat, so a
 * late event from an old socket can never touch the current one.
 */
export class Heartbeat {
  readonly #clock: Clock
  readonly #options: HeartbeatOptions
  readonly #hooks: HeartbeatHooks
  /** Raw mode: we drive the pings. Protocol mode: the server does. */
  readonly #sendPings: boolean
  readonly #deadline: Timer
  readonly #probe: Timer
  readonly #pinger: Timer
  #lastRx = 0
  #dueAt = 0
  #n = 0
  #sent = new Map<number, number>()
  #stopped = false

  constructor(clock: Clock, options: HeartbeatOptions, hooks: HeartbeatHooks, sendPings: boolean) {
    this.#clock = clock
    this.#options = options
    this.#hooks = hooks
    this.#sendPings = sendPings
    this.#deadline = new Timer(clock)
    this.#probe = new Timer(clock)
    this.#pinger = new Timer(clock)
  }

  get #budget(): number {
    return this.#options.intervalMs + this.#options.timeoutMs
  }

  start(): void {
    if (!this.#options.enabled) return
    this.#lastRx = this.#clock.now()
    this.#arm(this.#lastRx + this.#budget)
    if (this.#sendPings) this.#schedulePing()
  }

  /** Any frame arrived: the link is alive. */
  alive(): void {
    this.#lastRx = this.#clock.now()
    this.#probe.stop()
  }

  /** A pong arrived for ping `n`. */
  pong(n: number): void {
    const sentAt = this.#sent.get(n)
    if (sentAt !== undefined) {
      this.#sent.delete(n)
      this.#hooks.rtt(this.#clock.now() - sentAt)
    }
    this.alive()
  }

  /** Ask the peer for a sign of life now; dead if none within `probeTimeoutMs`. */
  probe(): void {
    if (this.#stopped || !this.#options.enabled || this.#probe.active) return
    this.#ping()
    this.#probe.start(this.#options.probeTimeoutMs, () => {
      if (!this.#stopped) this.#hooks.dead()
    })
  }

  stop(): void {
    this.#stopped = true
    this.#deadline.stop()
    this.#probe.stop()
    this.#pinger.stop()
    this.#sent.clear()
  }

  #ping(): void {
    const n = ++this.#n
    // Only the latest few matter for RTT; bound the map against a peer that never pongs.
    if (this.#sent.size >= 8) this.#sent.clear()
    this.#sent.set(n, this.#clock.now())
    this.#hooks.ping(n)
  }

  #schedulePing(): void {
    this.#pinger.start(this.#options.intervalMs, () => {
      this.#ping()
      this.#schedulePing()
    })
  }

  #arm(dueAt: number): void {
    this.#dueAt = dueAt
    this.#deadline.start(Math.max(0, dueAt - this.#clock.now()), () => this.#check())
  }

  #check(): void {
    if (this.#stopped) return
    const now = this.#clock.now()
    const late = now - this.#dueAt > LATE_TIMER_MS
    if (now - this.#lastRx < this.#budget) {
      this.#arm(this.#lastRx + this.#budget)
    } else if (late) {
      // We were asleep or throttled: give the link a fair chance before calling it dead.
      this.#arm(now + this.#budget)
      this.probe()
    } else {
      this.#hooks.dead()
    }
  }
}
