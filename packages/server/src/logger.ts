/**
 * The logging surface Mooring writes to: pino's call shape, `level(fields, message)`.
 * pino and most structured loggers fit as they are; `console` does too (it prints both arguments).
 */
export interface Logger {
  debug?(fields: Record<string, unknown>, message?: string): void
  info(fields: Record<string, unknown>, message?: string): void
  warn(fields: Record<string, unknown>, message?: string): void
  error(fields: Record<string, unknown>, message?: string): void
}

/** The default: says nothing. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}

/** A logger that never throws into the server: a broken sink must not take a socket down with it. */
export function safeLogger(logger: Logger | undefined): Required<Logger> {
  if (!logger) return silentLogger as Required<Logger>
  const wrap =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, message?: string): void => {
      try {
        const fn = logger[level] ?? (level === 'debug' ? undefined : logger.info)
        fn?.call(logger, fields, message)
      } catch {
        // A logger failure is not the client's problem.
      }
    }
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') }
}
