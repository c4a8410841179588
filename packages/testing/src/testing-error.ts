/** Stable codes for every failure the test kit reports, so tests can assert on them. */
export type TestingErrorCode =
  | 'WAIT_TIMEOUT'
  | 'SERVER_START_TIMEOUT'
  | 'SERVER_EXITED'
  | 'SERVER_EXIT_TIMEOUT'
  | 'SERVER_STOP_TIMEOUT'
  | 'PROXY_CLOSED'

/** An error from `@mooring/testing`, with a stable `code` and the original failure as `cause`. */
export class TestingError extends Error {
  override readonly name = 'TestingError'
  readonly code: TestingErrorCode

  constructor(code: TestingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
