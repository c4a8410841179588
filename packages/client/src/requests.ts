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
