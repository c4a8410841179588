import type { Server as HttpServer, IncomingHttpHeaders } from 'node:http'
import type { Contract } from '@mooring/protocol'
import type { Registry } from 'prom-client'
import type { Logger } from './logger.js'
import type { SessionInfo } from './session.js'

/** What `authenticate` receives: everything the handshake knows about the peer. */
export interface AuthRequest {
  /** Token from `hello.token`, else the `mooring.auth.<base64url>` subprotocol, else `Authorization: Bearer`. */
  token: unknown
  headers: IncomingHttpHeaders
  ip: string | undefined
  origin: string | undefined
  clientId: string
}

/** What `authenticate` accepts with. Returning `false` (or throwing) rejects. */
export interface AuthResult {
  user?: string
  meta?: unknown
  /**
   * When the credential stops being valid (ms since the epoch). The server closes the
   * socket with 4401 at that moment, so the client fetches a fresh token and reconnects.
   */
  expiresAt?: number
}

export type Authenticate = (req: AuthRequest) => AuthResult | boolean | void | Promise<AuthResult | boolean | void>

export type AuthorizeJoin = (session: SessionInfo, room: string, meta: unknown) => boolean | Promise<boolean>

export interface HeartbeatOptions {
  /**
   * How often the server sends `ping {n}` to each authenticated socket.
   * @default 25000
   */
  intervalMs?: number
  /**
   * Extra silence tolerated after an interval before a socket is terminated as a zombie.
   * A socket that sent nothing for `intervalMs + timeoutMs` is dropped.
   * @default 10000
   */
  timeoutMs?: number
}

export interface HistoryOptions {
  /**
   * Messages kept per room for replay on rejoin.
   * @default 100
   */
  size?: number
  /**
   * Age after which a kept message can no longer be replayed; also how long an empty room's
   * epoch and history outlive its last member.
   * @default 300000
   */
  ttlMs?: number
}

export interface RoomOptions {
  /**
   * Largest number of members a room admits; a join beyond it answers `ROOM_FULL`.
   * @default Infinity
   */
  maxMembers?: number
}

export interface RateLimitOptions {
  /**
   * Application frames (`send`, `req`, `pub`, `join`, `leave`) a connection may send per second, sustained.
   * @default 100
   */
  perSecond?: number
  /**
   * Frames a connection may send at once before the sustained rate applies (the bucket size).
   * @default 200
   */
  burst?: number
  /**
   * Refused frames, decaying at `perSecond`, after which the socket is closed 1008. A client
   * slightly over the rate only sees `RATE_LIMITED` errors; one flooding at twice the rate or
   * more is cut off.
   * @default 3 * burst
   */
  closeAfterRefused?: number
}

export interface SlowConsumerOptions {
  /**
   * Outbound bytes queued on a socket past which *volatile* messages to it are dropped.
   * @default 1048576
   */
  highWaterBytes?: number
  /**
   * Outbound bytes queued on a socket past which it is closed 1013 (`retryAfterMs=…` in the reason).
   * @default 8388608
   */
  maxBufferedBytes?: number
  /**
   * Told to a dropped slow consumer in the 1013 close reason.
   * @default 5000
   */
  retryAfterMs?: number
}

export interface MetricsOptions {
  /**
   * prom-client registry to register on. A private one by default, so two servers in one
   * process do not collide; pass `register` from prom-client to share the global one.
   * @default new Registry()
   */
  registry?: Registry
  /**
   * Prefix of every metric name.
   * @default 'mooring_'
   */
  prefix?: string
  /**
   * Also collect prom-client's default process metrics (CPU, memory, event loop lag) on the registry.
   * @default false
   */
  defaultMetrics?: boolean
}

export interface CompressionOptions {
  /**
   * Frames smaller than this are sent uncompressed.
   * @default 1024
   */
  thresholdBytes?: number
}

export interface ServerOptions {
  /**
   * Port to listen on (0 picks a free one). Ignored when `server` is given.
   * @default 0
   */
  port?: number
  /**
   * Interface to listen on. Ignored when `server` is given.
   * @default undefined (all interfaces)
   */
  host?: string
  /**
   * An existing HTTP server to attach to instead of listening. Upgrades on other paths are
   * left to its other `upgrade` listeners (or answered 404 when there are none).
   * @default undefined
   */
  server?: HttpServer
  /**
   * URL path WebSocket upgrades are accepted on.
   * @default '/'
   */
  path?: string
  /**
   * Accept or reject a handshake. Without it every client is accepted anonymously.
   * Throw an error whose `code` is `'FORBIDDEN'` to close 4403 instead of 4401.
   * @default undefined
   */
  authenticate?: Authenticate
  /**
   * Time a socket has to send a valid `hello` and pass `authenticate` before it is closed 4401.
   * @default 5000
   */
  authTimeoutMs?: number
  /**
   * Allowed `Origin` values, or a predicate. Others get HTTP 403 at upgrade. An entry with a scheme
   * (`https://app.example.com`) matches exactly; one without matches the host (`app.example.com`,
   * `localhost:5173`), and `*.example.com` matches any subdomain (not the apex).
   * Requests without an Origin (non-browser clients) are always allowed.
   * @default undefined (any origin)
   */
  origins?: readonly string[] | ((origin: string) => boolean)
  heartbeat?: HeartbeatOptions
  /**
   * How long a session (its id, rooms and dedupe window) outlives its socket, for `hello.resume`.
   * @default 120000
   */
  sessionTtlMs?: number
  /**
   * Reliable `send`/`pub` ids remembered per client for dedupe.
   * @default 1000
   */
  dedupeWindow?: number
  /**
   * Largest inbound frame in bytes; larger frames close the socket with 1009.
   * @default 1048576
   */
  maxPayloadBytes?: number
  /**
   * @deprecated Use `slowConsumer.maxBufferedBytes`; this is read when that is not set.
   * @default 8388608
   */
  maxBufferedBytes?: number
  /** Bounds on a socket's outbound backlog. */
  slowConsumer?: SlowConsumerOptions
  /**
   * Most simultaneous sockets; upgrades beyond it get HTTP 503.
   * @default Infinity
   */
  maxConnections?: number
  /**
   * Most simultaneous sockets from one IP address; upgrades beyond it get HTTP 429.
   * Behind a proxy every client shares the proxy's address: leave this at Infinity there.
   * @default Infinity
   */
  maxConnectionsPerIp?: number
  /**
   * Rooms one connection may be in at once; a join beyond it answers `FORBIDDEN`.
   * @default 100
   */
  maxRoomsPerConnection?: number
  /**
   * Token bucket on inbound application frames per connection, or `false` for none.
   * Refused frames get `error {code: 'RATE_LIMITED'}`; sustained abuse closes 1008.
   * @default { perSecond: 100, burst: 200 }
   */
  rateLimit?: RateLimitOptions | false
  /**
   * Prometheus metrics with prom-client, or `false` for none.
   * @default {} (a private registry, prefix 'mooring_')
   */
  metrics?: MetricsOptions | false
  /**
   * Serve `GET /metrics` and `GET /healthz` from the HTTP server. On an attached `server` this
   * adds a `request` listener that answers only those two paths: your own handler must leave them alone
   * (or call `mooringServer.handleHttp(req, res)` itself and leave this off).
   * @default true when the server listens itself, false when attached
   */
  routes?: boolean
  /**
   * Structured logger with pino's signature (`info(obj, msg)`); pino, bunyan-like and console
   * adapters fit. Tokens and headers are never logged.
   * @default silent
   */
  logger?: Logger
  /**
   * permessage-deflate, or `false`. Saves bandwidth on large, repetitive JSON at the cost of
   * CPU per message and per-socket zlib memory (contexts are not kept between messages).
   * @default false
   */
  perMessageDeflate?: CompressionOptions | false
  /** Standard Schema contract used to validate inbound `data`. @default undefined */
  contract?: Partial<Contract>
  /** Decide whether a session may join a room. @default undefined (always allowed) */
  authorizeJoin?: AuthorizeJoin
  history?: HistoryOptions
  rooms?: RoomOptions
}

export const DEFAULT_HEARTBEAT: Required<HeartbeatOptions> = { intervalMs: 25_000, timeoutMs: 10_000 }
export const DEFAULT_HISTORY: Required<HistoryOptions> = { size: 100, ttlMs: 5 * 60_000 }
export const DEFAULT_ROOMS: Required<RoomOptions> = { maxMembers: Infinity }
export const DEFAULT_RATE_LIMIT = { perSecond: 100, burst: 200 } as const
export const DEFAULT_SLOW_CONSUMER: Required<SlowConsumerOptions> = {
  highWaterBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  retryAfterMs: 5_000,
}
export const DEFAULT_METRICS = { prefix: 'mooring_', defaultMetrics: false } as const
export const DEFAULT_COMPRESSION: Required<CompressionOptions> = { thresholdBytes: 1024 }

export const DEFAULT_SERVER_OPTIONS = {
  port: 0,
  path: '/',
  authTimeoutMs: 5_000,
  sessionTtlMs: 2 * 60_000,
  dedupeWindow: 1_000,
  maxPayloadBytes: 1024 * 1024,
  maxConnections: Infinity,
  maxConnectionsPerIp: Infinity,
  maxRoomsPerConnection: 100,
  heartbeat: DEFAULT_HEARTBEAT,
  history: DEFAULT_HISTORY,
  rooms: DEFAULT_ROOMS,
} as const

export interface ResolvedOptions
  extends Omit<
    ServerOptions,
    'heartbeat' | 'history' | 'rooms' | 'rateLimit' | 'slowConsumer' | 'metrics' | 'perMessageDeflate' | 'maxBufferedBytes' | keyof typeof DEFAULT_SERVER_OPTIONS
  > {
  port: number
  path: string
  authTimeoutMs: number
  sessionTtlMs: number
  dedupeWindow: number
  maxPayloadBytes: number
  maxConnections: number
  maxConnectionsPerIp: number
  maxRoomsPerConnection: number
  heartbeat: Required<HeartbeatOptions>
  history: Required<HistoryOptions>
  rooms: Required<RoomOptions>
  rateLimit: Required<RateLimitOptions> | false
  slowConsumer: Required<SlowConsumerOptions>
  metrics: (Omit<Required<MetricsOptions>, 'registry'> & { registry: Registry | undefined }) | false
  perMessageDeflate: Required<CompressionOptions> | false
}

/** Merge options over the exported defaults (nested groups merge field by field). */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  const defined = <T extends object>(o: T | undefined): Partial<T> =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>
  const top = defined(options)
  const path = top.path ?? DEFAULT_SERVER_OPTIONS.path
  const rate = options.rateLimit === false ? false : { ...DEFAULT_RATE_LIMIT, ...defined(options.rateLimit) }
  const { maxBufferedBytes: legacyMaxBuffered, ...rest } = top
  return {
    ...DEFAULT_SERVER_OPTIONS,
    ...rest,
    path: path.startsWith('/') ? path : `/${path}`,
    heartbeat: { ...DEFAULT_HEARTBEAT, ...defined(options.heartbeat) },
    history: { ...DEFAULT_HISTORY, ...defined(options.history) },
    rooms: { ...DEFAULT_ROOMS, ...defined(options.rooms) },
    rateLimit: rate && { closeAfterRefused: 3 * rate.burst, ...rate },
    slowConsumer: {
      ...DEFAULT_SLOW_CONSUMER,
      ...(legacyMaxBuffered === undefined ? {} : { maxBufferedBytes: legacyMaxBuffered }),
      ...defined(options.slowConsumer),
    },
    metrics: options.metrics === false ? false : { registry: undefined, ...DEFAULT_METRICS, ...defined(options.metrics) },
    perMessageDeflate: options.perMessageDeflate ? { ...DEFAULT_COMPRESSION, ...defined(options.perMessageDeflate) } : false,
  }
}
