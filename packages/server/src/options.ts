import type { Server as HttpServer, IncomingHttpHeaders } from 'node:http'
import type { Contract } from '@mooring/protocol'
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
   * Allowed `Origin` header values (exact match), or a predicate. Others get HTTP 403 at upgrade.
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
   * Outbound bytes a socket may have queued before it is closed 1013 as a slow consumer.
   * @default 8388608
   */
  maxBufferedBytes?: number
  /**
   * Most simultaneous sockets; upgrades beyond it get HTTP 503.
   * @default Infinity
   */
  maxConnections?: number
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

export const DEFAULT_SERVER_OPTIONS = {
  port: 0,
  path: '/',
  authTimeoutMs: 5_000,
  sessionTtlMs: 2 * 60_000,
  dedupeWindow: 1_000,
  maxPayloadBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxConnections: Infinity,
  heartbeat: DEFAULT_HEARTBEAT,
  history: DEFAULT_HISTORY,
  rooms: DEFAULT_ROOMS,
} as const

export interface ResolvedOptions
  extends Omit<ServerOptions, 'heartbeat' | 'history' | 'rooms' | keyof typeof DEFAULT_SERVER_OPTIONS> {
  port: number
  path: string
  authTimeoutMs: number
  sessionTtlMs: number
  dedupeWindow: number
  maxPayloadBytes: number
  maxBufferedBytes: number
  maxConnections: number
  heartbeat: Required<HeartbeatOptions>
  history: Required<HistoryOptions>
  rooms: Required<RoomOptions>
}

/** Merge options over the exported defaults (nested groups merge field by field). */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  const defined = <T extends object>(o: T | undefined): Partial<T> =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>
  const top = defined(options)
  const path = top.path ?? DEFAULT_SERVER_OPTIONS.path
  return {
    ...DEFAULT_SERVER_OPTIONS,
    ...top,
    path: path.startsWith('/') ? path : `/${path}`,
    heartbeat: { ...DEFAULT_HEARTBEAT, ...defined(options.heartbeat) },
    history: { ...DEFAULT_HISTORY, ...defined(options.history) },
    rooms: { ...DEFAULT_ROOMS, ...defined(options.rooms) },
  }
}
