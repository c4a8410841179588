import type { Status } from './connection.js'

/** What a dashboard wants to know about one client. A plain snapshot object. */
export interface ClientStats {
  state: Status
  /** Consecutive failed attempts (0 while healthy). */
  attempts: number
  /** Sockets opened successfully over the client's life. */
  connects: number
  /** Successful opens after the first. */
  reconnects: number
  lastCloseCode: number | undefined
  lastCloseReason: string | undefined
  /** Latest round-trip time, in ms. */
  rttMs: number | undefined
  /** Mean of the RTT samples so far, in ms. */
  rttAvgMs: number | undefined
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Inbound payloads rejected by the contract. */
  invalidIn: number
  /** Messages waiting in the outbox. */
  queued: number
  /** Messages dropped (volatile while offline, overflow, expiry). */
  dropped: number
  /** Total ms spent open, including the current connection. */
  connectedMs: number
}

export class StatsRecorder {
  connects = 0
  lastCloseCode: number | undefined
  lastCloseReason: string | undefined
  rttMs: number | undefined
  #rttSum = 0
  #rttCount = 0
  messagesIn = 0
  messagesOut = 0
  bytesIn = 0
  bytesOut = 0
  invalidIn = 0
  dropped = 0
  #connectedMs = 0
  #openSince: number | undefined

  rtt(ms: number): void {
    this.rttMs = ms
    this.#rttSum += ms
    this.#rttCount++
  }

  opened(now: number): void {
    this.connects++
    this.#openSince = now
  }

  closed(now: number, code: number | undefined, reason: string | undefined): void {
    if (this.#openSince !== undefined) this.#connectedMs += now - this.#openSince
    this.#openSince = undefined
    this.lastCloseCode = code
    this.lastCloseReason = reason
  }

  snapshot(now: number, state: Status, attempts: number, queued: number): ClientStats {
    return {
      state,
      attempts,
      connects: this.connects,
      reconnects: Math.max(0, this.connects - 1),
      lastCloseCode: this.lastCloseCode,
      lastCloseReason: this.lastCloseReason,
      rttMs: this.rttMs,
      rttAvgMs: this.#rttCount ? this.#rttSum / this.#rttCount : undefined,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      invalidIn: this.invalidIn,
      queued,
      dropped: this.dropped,
      connectedMs: this.#connectedMs + (this.#openSince === undefined ? 0 : now - this.#openSince),
    }
  }
}
