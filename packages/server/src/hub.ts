import type { Connection } from './connection.js'
import type { HandlerRegistry } from './handlers.js'
import type { Logger } from './logger.js'
import type { MetricsSink } from './metrics.js'
import type { MiddlewareStack } from './middleware.js'
import type { ResolvedOptions } from './options.js'
import type { RoomRegistry } from './rooms.js'
import type { SessionStore } from './session.js'

/** The server internals a connection works with. */
export interface Hub {
  readonly options: ResolvedOptions
  readonly sessions: SessionStore
  readonly handlers: HandlerRegistry
  readonly rooms: RoomRegistry
  readonly metrics: MetricsSink
  readonly logger: Required<Logger>
  readonly middleware: MiddlewareStack
  authenticated(conn: Connection): void
  closed(conn: Connection, code: number, reason: string): void
}
