import type { Contract, LooseContract } from '@mooring/protocol'
import { backoffDefaults, type BackoffOptions } from './backoff.js'
import { systemClock, type Clock } from './clock.js'
import type { CloseInfo } from './close-policy.js'
import { defaultEnvironment, type Environment } from './environment.js'
import { heartbeatDefaults, type HeartbeatOptions } from './heartbeat.js'
import { outboxDefaults, type OutboxOptions } from './outbox.js'
import type { OutboxStorage } from './storage.js'
import type { WebSocketConstructor } from './transport.js'

export interface ReconnectOptions extends BackoffOptions {
  /** Give up after this many consecutive failed attempts. @default Infinity */
  maxAttempts: number
  /** After `maxAttempts`, keep trying every this many ms instead of giving up; 0 gives up. @default 0 */
  slowRetryMs: number
  /** A connection must stay up this long before the attempt count resets (flap protection), in ms. @default 5000 */
  minUptimeMs: number
  /** Width of the random spread added to a server's restart hint (`goaway`, 1012/1013), in ms. @default 5000 */
  restartSpreadMs: number
}

export const reconnectDefaults: Readonly<ReconnectOptions> = Object.freeze({
  ...backoffDefaults,
  maxAttempts: Infinity,
  slowRetryMs: 0,
  minUptimeMs: 5_000,
  restartSpreadMs: 5_000,
})

/** An auth token: a string, or any JSON value the server's `authenticate` understands. */
export type Token = string | Record<string, unknown>

export interface RawModeOptions {
  /** Turn an outgoing typed message into a frame. @default JSON `{ type, data }` */
  encode?: (type: string, data: unknown) => string | Uint8Array
  /** Turn an incoming frame into a typed message, or `undefined` to pass it on only as `raw`. @default JSON `{ type, data }` */
  decode?: (data: string | Uint8Array) => { type: string; data: unknown } | undefined
  /** Browsers have no ping frames: an app-level ping message sent each heartbeat interval. */
  ping?: () => string | Uint8Array
  /** Recognise the reply to `ping` (any inbound frame counts as life anyway). */
  isPong?: (data: string | Uint8Array) => boolean
}

export interface ClientOptions<C extends Contract = LooseContract> {
  /** `ws://` or `wss://` URL of the server. */
  url: string
  /** The shared contract that types and validates messages. @default a loose contract (no checks) */
  contract?: C
  /** `protocol` talks to @mooring/server; `raw` to any WebSocket server. @default 'protocol' */
  mode?: 'protocol' | 'raw'
  /** Raw mode: how messages map to frames, and the browser ping message. */
  raw?: RawModeOptions
  /** Called once per attempt for a fresh token. Throwing counts as a failed attempt. @default none */
  auth?: () => Token | Promise<Token>
  /** Where the token travels: in the `hello` frame or the `Sec-WebSocket-Protocol` header. @default 'hello' */
  authVia?: 'hello' | 'subprotocol'
  /** How long `auth()` may take, in ms. @default 10000 */
  authTimeoutMs?: number
  /** Connect as soon as the client is created. @default true */
  autoConnect?: boolean
  /** Budget for TCP, the upgrade and the `welcome`, in ms. @default 10000 */
  connectTimeoutMs?: number
  /** Backoff and give-up policy; merges over `reconnectDefaults`. */
  reconnect?: Partial<ReconnectOptions>
  /** Liveness checks; merges over `heartbeatDefaults`. */
  heartbeat?: Partial<HeartbeatOptions>
  /** Offline queue bounds; merges over `outboxDefaults`. */
  outbox?: Partial<OutboxOptions>
  /** Decide for yourself whether to reconnect after a close; `undefined` keeps the built-in verdict. @default none */
  shouldReconnect?: (info: CloseInfo) => boolean | undefined
  /** Validate outgoing payloads against the contract before sending. @default true */
  validateOutbound?: boolean
  /** Stable id of this client, used by the server to dedupe resends. @default a random id */
  clientId?: string
  /** Extra subprotocols to offer (raw mode) next to Mooring's own. @default [] */
  protocols?: string[]
  /** Node only: handshake headers, e.g. `{ authorization: 'Bearer …' }`. @default none */
  headers?: Record<string, string>
  /** Node only: more `ws` client options (`agent`, `ca`, `rejectUnauthorized`, …). @default none */
  wsOptions?: object
  /** WebSocket constructor; looked up at connect time when absent. @default globalThis.WebSocket, else `ws` */
  WebSocket?: WebSocketConstructor
  /** Time and randomness; tests pass a fake. @default the system clock */
  clock?: Clock
  /** Browser lifecycle signals; Node gets a quiet one. @default detected */
  environment?: Environment
  /**
   * Keep the outbox across page reloads and restarts: `indexedDBStorage()` from
   * '@mooring/client/indexeddb', `fileStorage(path)` from '@mooring/client/node', or your own.
   * The client id is stored too, so the server dedupes what is resent. @default none (memory)
   */
  storage?: OutboxStorage
  /** Stop the client when this signal aborts (the same as `close()`). @default none */
  signal?: AbortSignal
}

export interface ResolvedOptions {
  url: string
  mode: 'protocol' | 'raw'
  authVia: 'hello' | 'subprotocol'
  authTimeoutMs: number
  autoConnect: boolean
  connectTimeoutMs: number
  reconnect: Readonly<ReconnectOptions>
  heartbeat: Readonly<HeartbeatOptions>
  outbox: Readonly<OutboxOptions>
  validateOutbound: boolean
  clientId: string
  protocols: string[]
  clock: Clock
  environment: Environment
}

function randomId(clock: Clock): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID()
  return Array.from({ length: 4 }, () => Math.floor(clock.random() * 2 ** 32).toString(36)).join('')
}

/** A group of options over its defaults; the shared frozen defaults when nothing is given (no copy per client). */
const merged = <T extends object>(defaults: Readonly<T>, given: Partial<T> | undefined): Readonly<T> => (given ? { ...defaults, ...given } : defaults)

export function resolveOptions(options: ClientOptions<any>): ResolvedOptions {
  if (typeof options?.url !== 'string' || !/^wss?:\/\//i.test(options.url))
    throw new TypeError('`url` must be a ws:// or wss:// URL')
  const clock = options.clock ?? systemClock
  return {
    url: options.url,
    mode: options.mode ?? 'protocol',
    authVia: options.authVia ?? 'hello',
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
    autoConnect: options.autoConnect ?? true,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    reconnect: merged(reconnectDefaults, options.reconnect),
    heartbeat: merged(heartbeatDefaults, options.heartbeat),
    outbox: merged(outboxDefaults, options.outbox),
    validateOutbound: options.validateOutbound ?? true,
    clientId: options.clientId ?? randomId(clock),
    protocols: options.protocols ?? [],
    clock,
    environment: options.environment ?? defaultEnvironment(),
  }
}
