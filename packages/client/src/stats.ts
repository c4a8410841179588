import type { Status } from './connection.js'

/** Plain counters; `snapshot()` copies them, so a dashboard can keep the object it got. */
export interface Counters {
  /** Sockets opened successfully over the client's life. */
  connects: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Inbound payloads or frames rejected (contract or protocol). */
  invalidIn: number
  /** Messages dropped (volatile while offline, overflow, expiry). */
  dropped: number
  lastCloseCode: number | undefined
  lastCloseReason: string | undefined
  /** Latest round-trip time, in ms. */
  rttMs: number | undefined
}

/** What a dashboard wants to know about one client. */
export interface ClientStats extends Counters {
  state: Status
  /** Consecutive failed attempts (0 while healthy). */
  attempts: number
  /** Successful opens after the first. */
  reconnects: number
  /** Mean of the RTT samples so far, in ms. */
  rttAvgMs: number | undefined
  /** Messages waiting in the outbox. */
  queued: number
  /** Total ms spent open, including the current connection. */
  connectedMs: number
}

export class StatsRecorder {
  readonly c: Counters = {
    connects: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    invalidIn: 0,
    dropped: 0,
    lastCloseCode: undefined,
    lastCloseReason: undefined,
    rttMs: undefined,
  }
  #rttSum = 0
  #rttCount = 0
  #connectedMs = 0
  #openSince: number | undefined

  rtt(ms: number): void {
    this.c.rttMs = ms
    this.#rttSum += ms
    this.#rttCount++
  }

  opened(now: number): void {
    this.c.connects++
    this.#openSince = now
  }

  closed(now: number, code: number | undefined, reason: string | undefined): void {
    if (this.#openSince !== undefined) this.#connectedMs += now - this.#openSince
    this.#openSince = undefined
    this.c.lastCloseCode = code
    this.c.lastCloseReason = reason
  }

  /** Count one frame each way; `wire` is what went over the socket. */
  io(direction: 'In' | 'Out', bytes: number): void {
    this.c[`messages${direction}`]++
    this.c[`bytes${direction}`] += bytes
  }

  snapshot(now: number, state: Status, attempts: number, queued: number): ClientStats {
    return {
      ...this.c,
      state,
      attempts,
      reconnects: Math.max(0, this.c.connects - 1),
      rttAvgMs: this.#rttCount ? this.#rttSum / this.#rttCount : undefined,
      queued,
      connectedMs: this.#connectedMs + (this.#openSince === undefined ? 0 : now - this.#openSince),
    }
  }
}
