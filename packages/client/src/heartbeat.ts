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

export interface Heartbeat {
  /** Any frame arrived: the link is alive. */
  alive(): void
  /** A pong arrived for ping `n`. */
  pong(n: number): void
  /** Ask the peer for a sign of life now; dead if none within `probeTimeoutMs`. */
  probe(): void
  stop(): void
}

/**
 * Liveness of one socket, started when it is ready. Any inbound frame counts as life; the
 * deadline is `intervalMs + timeoutMs` after the last one. `sendPings`: raw mode drives the
 * pings, in protocol mode the server does. A new socket gets a new Heartbeat, so a late
 * event from an old socket can never touch the current one.
 */
export function startHeartbeat(clock: Clock, options: HeartbeatOptions, hooks: HeartbeatHooks, sendPings: boolean): Heartbeat {
  const budget = options.intervalMs + options.timeoutMs
  const deadline = new Timer(clock)
  const prober = new Timer(clock)
  const pinger = new Timer(clock)
  // Ping send times by n, for RTT; bounded against a peer that never pongs.
  const sent = new Map<number, number>()
  let lastRx = clock.now()
  let n = 0
  let stopped = !options.enabled

  const ping = () => {
    if (sent.size >= 8) sent.clear()
    sent.set(++n, clock.now())
    hooks.ping(n)
  }
  const arm = (dueAt: number): void =>
    deadline.start(Math.max(0, dueAt - clock.now()), () => {
      const now = clock.now()
      if (now - lastRx < budget) arm(lastRx + budget)
      else if (now - dueAt > LATE_TIMER_MS) {
        // We were asleep or throttled: give the link a fair chance before calling it dead.
        arm(now + budget)
        heartbeat.probe()
      } else hooks.dead()
    })
  const schedulePing = (): void =>
    pinger.start(options.intervalMs, () => {
      ping()
      schedulePing()
    })

  const heartbeat: Heartbeat = {
    alive() {
      lastRx = clock.now()
      prober.stop()
    },
    pong(n) {
      const sentAt = sent.get(n)
      if (sentAt !== undefined) {
        sent.delete(n)
        hooks.rtt(clock.now() - sentAt)
      }
      heartbeat.alive()
    },
    probe() {
      if (stopped || prober.active) return
      ping()
      prober.start(options.probeTimeoutMs, () => stopped || hooks.dead())
    },
    stop() {
      stopped = true
      deadline.stop()
      prober.stop()
      pinger.stop()
      sent.clear()
    },
  }
  if (!stopped) {
    arm(lastRx + budget)
    if (sendPings) schedulePing()
  }
  return heartbeat
}
