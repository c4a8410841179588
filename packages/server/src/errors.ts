import { ErrorCode } from '@mooring/protocol'

/**
 * An error with a stable `code` from `ErrorCode`. Throw it from a handler (or from
 * `authenticate` with `FORBIDDEN`) to choose what the client sees.
 */
export class MooringServerError extends Error {
  override name = 'MooringServerError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

const CODES = new Set<string>(Object.values(ErrorCode))

/** The wire code for anything a handler threw: its own `code` when that is a known one. */
export function errorCodeOf(err: unknown, fallback: ErrorCode = ErrorCode.HANDLER_ERROR): ErrorCode {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && CODES.has(code) ? (code as ErrorCode) : fallback
}

export function errorMessageOf(err: unknown): string {
  if (err instanceof Error) return err.message
  return typeof err === 'string' ? err : 'handler failed'
}
