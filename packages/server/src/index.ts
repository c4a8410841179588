export { createServer, MooringServer, type CloseOptions, type PublishOptions, type ReadyInfo, type ServerEvents } from './server.js'
export {
  DEFAULT_COMPRESSION,
  DEFAULT_HEARTBEAT,
  DEFAULT_HISTORY,
  DEFAULT_METRICS,
  DEFAULT_RATE_LIMIT,
  DEFAULT_ROOMS,
  DEFAULT_SERVER_OPTIONS,
  DEFAULT_SLOW_CONSUMER,
  type AuthRequest,
  type AuthResult,
  type Authenticate,
  type AuthorizeJoin,
  type CompressionOptions,
  type HeartbeatOptions,
  type HistoryOptions,
  type MetricsOptions,
  type RateLimitOptions,
  type RoomOptions,
  type ServerOptions,
  type SlowConsumerOptions,
} from './options.js'
export type { ContractHandler, Handler, HandlerContext, HandlerData, HandlerName, HandlerReply } from './handlers.js'
export type { AppFrame, Middleware, MiddlewareContext } from './middleware.js'
export { rateLimit, roomLimit } from './limits.js'
export { TokenBucket } from './token-bucket.js'
export type { Logger } from './logger.js'
export { originMatcher } from './origins.js'
export type { ConnectionInfo } from './connection.js'
export type { SessionInfo } from './session.js'
export { MooringServerError } from './errors.js'
export { DedupeWindow } from './dedupe.js'
export { HistoryRing, type HistoryEntry } from './history.js'
