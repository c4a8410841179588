export interface HeartbeatClock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: HeartbeatClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    // A heartbeat must never keep the process alive on its own.
    t.unref?.()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

export interface HeartbeatHooks {
  /** Send `ping {n}` to the peer. */
  ping(n: number): void
  /** Nothing arrived for `intervalMs + timeoutMs`: the peer is gone. */
  dead(): void
}

/**
 * Liveness of one socket. Inbound traffic only stamps `lastActivityAt` (no timer churn on
 * the hot path); the deadline timer re-arms itself from that stamp when it fires early.
 */
export class Heartbeat {
  private n = 0
  private pingTimer: unknown
  private deadlineTimer: unknown
  private running = false
  lastActivityAt: number

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly hooks: HeartbeatHooks,
    private readonly clock: HeartbeatClock = systemClock,
  ) {
    this.lastActivityAt = clock.now()
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.lastActivityAt = this.clock.now()
    this.schedulePing()
    this.scheduleDeadline(this.intervalMs + this.timeoutMs)
  }

  /** Call for every inbound frame (including WebSocket-level pongs). */
  touch(): void {
    this.lastActivityAt = this.clock.now()
  }

  stop(): void {
    this.running = false
    this.clock.clearTimeout(this.pingTimer)
    this.clock.clearTimeout(this.deadlineTimer)
  }

  private schedulePing(): void {
    this.pingTimer = this.clock.setTimeout(() => {
      if (!this.running) return
      this.hooks.ping(++this.n)
      this.schedulePing()
    }, this.intervalMs)
  }

  private scheduleDeadline(ms: number): void {
    this.deadlineTimer = this.clock.setTimeout(() => {
      if (!this.running) return
      const silentFor = this.clock.now() - this.lastActivityAt
      const limit = this.intervalMs + this.timeoutMs
      if (silentFor >= limit) {
        this.stop()
        this.hooks.dead()
      } else {
        this.scheduleDeadline(limit - silentFor)
      }
    }, ms)
  }
}
