import { MooringError } from './errors.js'
import { Timer, type Clock } from './clock.js'

export interface RequestOptions {
  /** Give up after this long, in ms. @default 10000 */
  timeoutMs?: number
  /** Abort the request; the promise rejects with `ABORTED`. */
  signal?: AbortSignal
  /**
   * Resend with the same id after a reconnect instead of rejecting with
   * `CONNECTION_CLOSED`. Only for handlers that are safe to run twice. @default false
   */
  retryable?: boolean
}

interface Pending {
  frame: unknown
  resolve(value: unknown): void
  reject(error: MooringError): void
  timer: Timer
  retryable: boolean
  /** True once written to a socket; unsent ones wait for the next `ready`. */
  sent: boolean
  cleanup(): void
}

/**
 * Requests in flight, keyed by id. Every outcome (reply, error, timeout, abort, close)
 * goes through `#settle`, which clears the timer and the abort listener, so the map and
 * its timers are empty after any outcome.
 */
export class PendingRequests {
  readonly #pending = new Map<number, Pending>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  get size(): number {
    return this.#pending.size
  }

  /** Track request `id` whose wire frame is `frame` (kept for resending). */
  add(id: number, frame: unknown, options: RequestOptions & { timeoutMs: number }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const { signal } = options
      if (signal?.aborted) return reject(new MooringError('ABORTED', 'request aborted', { op: 'request', cause: signal.reason }))
      const onAbort = () =>
        this.#settle(id, new MooringError('ABORTED', 'request aborted', { op: 'request', cause: signal?.reason }))
      const timer = new Timer(this.#clock)
      const entry: Pending = {
        frame,
        resolve,
        reject,
        timer,
        retryable: options.retryable ?? false,
        sent: false,
        cleanup: () => {
          timer.stop()
          signal?.removeEventListener('abort', onAbort)
        },
      }
      this.#pending.set(id, entry)
      signal?.addEventListener('abort', onAbort, { once: true })
      timer.start(options.timeoutMs, () =>
        this.#settle(id, new MooringError('TIMEOUT', `no reply within ${options.timeoutMs} ms`, { op: 'request' })),
      )
    })
  }

  markSent(id: number): void {
    const entry = this.#pending.get(id)
    if (entry) entry.sent = true
  }

  /** Frames that should be (re)sent now, in id order: the unsent ones, including retryable ones after a loss. */
  toSend(): Array<{ id: number; frame: unknown }> {
    return [...this.#pending].filter(([, p]) => !p.sent).map(([id, p]) => ({ id, frame: p.frame }))
  }

  resolve(id: number, value: unknown): boolean {
    return this.#settle(id, undefined, value)
  }

  reject(id: number, error: MooringError): boolean {
    return this.#settle(id, error)
  }

  /** The socket went away: fail what was sent and cannot be resent. */
  connectionLost(): void {
    for (const [id, entry] of this.#pending) {
      if (!entry.sent) continue
      if (entry.retryable) entry.sent = false
      else this.#settle(id, new MooringError('CONNECTION_CLOSED', 'connection lost before the reply', { op: 'request' }))
    }
  }

  /** The client is closing: fail everything. */
  rejectAll(error: MooringError): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, error)
  }

  #settle(id: number, error: MooringError | undefined, value?: unknown): boolean {
    const entry = this.#pending.get(id)
    if (!entry) return false
    this.#pending.delete(id)
    entry.cleanup()
    if (error) entry.reject(error)
    else entry.resolve(value)
    return true
  }
}
