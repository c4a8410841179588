export { createServer, MooringServer, type CloseOptions, type ReadyInfo, type ServerEvents } from './server.js'
export {
  DEFAULT_HEARTBEAT,
  DEFAULT_HISTORY,
  DEFAULT_ROOMS,
  DEFAULT_SERVER_OPTIONS,
  type AuthRequest,
  type AuthResult,
  type Authenticate,
  type AuthorizeJoin,
  type HeartbeatOptions,
  type HistoryOptions,
  type RoomOptions,
  type ServerOptions,
} from './options.js'
export type { Handler, HandlerContext } from './handlers.js'
export type { ConnectionInfo } from './connection.js'
export type { SessionInfo } from './session.js'
export { MooringServerError } from './errors.js'
export { DedupeWindow } from './dedupe.js'
export { HistoryRing, type HistoryEntry } from './history.js'
