export { createClient, MooringClient } from './client.js'
export type { ClientEvents, StateChange } from './client.js'
export type { DropEvent, SendOptions } from './delivery.js'
export { Room } from './room.js'
export type { GapEvent, MessageMeta, RoomEvents, RoomStatus } from './room.js'
export { MooringError } from './errors.js'
export type { ClientErrorCode } from './errors.js'
export { backoffDelay, backoffDefaults } from './backoff.js'
export type { BackoffOptions, JitterStrategy } from './backoff.js'
export { initialState, signalAction, transition } from './connection.js'
export type { ConnectionEvent, ConnectionState, Reason, Status } from './connection.js'
export { closeVerdict, planRetry } from './close-policy.js'
export type { CloseInfo, CloseVerdict, RetryPlan } from './close-policy.js'
export { heartbeatDefaults } from './heartbeat.js'
export type { HeartbeatOptions } from './heartbeat.js'
export { outboxDefaults } from './outbox.js'
export type { DropReason, OutboxMessage, OutboxOptions, OverflowPolicy } from './outbox.js'
export { reconnectDefaults } from './options.js'
export type { ClientOptions, RawModeOptions, ReconnectOptions, Token } from './options.js'
export type { RequestOptions } from './requests.js'
export { systemClock } from './clock.js'
export type { Clock, TimerHandle } from './clock.js'
export { browserEnvironment, quietEnvironment } from './environment.js'
export type { Environment, LifecycleSignal } from './environment.js'
export type { ClientStats } from './stats.js'
export type { OutboxStorage, StoredOutbox } from './storage.js'
export type { SocketLike, WebSocketConstructor } from './transport.js'
// ErrorCode's values are the `code` strings of MooringError; import the object from
// @mooring/protocol when needed — re-exporting it here would put it in every bundle.
export { CloseCode, defineContract } from '@mooring/protocol'
export type { ErrorCode } from '@mooring/protocol'
export type {
  Contract,
  EventData,
  EventInput,
  EventName,
  Infer,
  LooseContract,
  Member,
  MessageData,
  MessageInput,
  MessageName,
  ReplyData,
  RequestData,
  RequestInput,
  RequestName,
  StandardSchemaV1,
} from '@mooring/protocol'
