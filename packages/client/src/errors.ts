import type { ErrorCode } from '@mooring/protocol'

/** Codes the client adds to the protocol's shared error codes. */
export type ClientErrorCode = ErrorCode | 'AUTH_FAILED' | 'CONNECT_FAILED' | 'GIVEUP' | 'NOT_CONNECTED'

/**
 * The one error class of the client. `code` is stable and meant for `switch`; `message`
 * is for people. `op` names what was being done (`connect`, `send`, `request`, `join`…).
 */
export class MooringError extends Error {
  override readonly name = 'MooringError'
  readonly code: ClientErrorCode
  readonly op: string | undefined
  readonly details: unknown

  constructor(code: ClientErrorCode, message: string, init: { op?: string; cause?: unknown; details?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause })
    this.code = code
    this.op = init.op
    this.details = init.details
  }

  /** Wrap anything thrown into a `MooringError`, keeping an existing one as is. */
  static from(error: unknown, code: ClientErrorCode, op?: string): MooringError {
    if (error instanceof MooringError) return error
    const message = error instanceof Error ? error.message : String(error)
    return new MooringError(code, message, { op, cause: error })
  }
}

export function needsProtocol(op: string): MooringError {
  return new MooringError('PROTOCOL', 'needs protocol mode', { op })
}

const NOOP = () => {}

/**
 * Fire-and-forget is a normal way to call `send()`: a message dropped later (overflow,
 * expiry, close) is reported by the `drop` event, and must not also crash Node with an
 * unhandled rejection. Whoever awaits the promise still sees the rejection.
 */
export function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(NOOP)
  return promise
}
