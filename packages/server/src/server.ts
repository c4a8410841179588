import { EventEmitter } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { AUTH_SUBPROTOCOL_PREFIX, encode, type Member, type ServerFrame, SUBPROTOCOL } from '@mooring/protocol'
import { WebSocketServer, type WebSocket } from 'ws'
import { Connection, type ConnectionInfo, type Hub } from './connection.js'
import { HandlerRegistry, type Handler } from './handlers.js'
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js'
import { RoomRegistry } from './rooms.js'
import { SessionStore, type SessionInfo } from './session.js'

export interface CloseOptions {
  /**
   * How long sockets get to close after `goaway` before they are terminated.
   * @default 5000
   */
  drainMs?: number
  /**
   * Told to clients in `goaway` (and as `Retry-After` on refused upgrades).
   * @default 1000
   */
  retryAfterMs?: number
}

export interface ServerEvents {
  /** A socket authenticated (after `welcome`). */
  connection: [info: ConnectionInfo]
  /** An authenticated socket closed. */
  disconnect: [info: ConnectionInfo, close: { code: number; reason: string }]
  /** The server finished `close()`. */
  close: []
  /** Listen failures and handler failures without a known error code. Only emitted when listened to. */
  error: [err: unknown]
}

export interface ReadyInfo {
  port: number
  /** `ws://HOST:PORT/PATH`; unspecified hosts appear as 127.0.0.1. */
  url: string
}

export class MooringServer extends EventEmitter<ServerEvents> {
  readonly options: ResolvedOptions
  private readonly http: HttpServer
  private readonly ownsHttp: boolean
  private readonly wss: WebSocketServer
  private readonly live = new Set<Connection>()
  private readonly byUser = new Map<string, Set<Connection>>()
  private readonly hub: Hub
  private readonly readyPromise: Promise<ReadyInfo>
  private closing: Promise<void> | undefined
  private retryAfterMs = 1000
  private drained: (() => void) | undefined

  constructor(options: ServerOptions = {}) {
    super()
    const opts = (this.options = resolveOptions(options))
    const rooms = new RoomRegistry({
      historySize: opts.history.size,
      historyTtlMs: opts.history.ttlMs,
      maxMembers: opts.rooms.maxMembers,
    })
    const handlers = new HandlerRegistry(opts.contract, (err) => this.report(err))
    const sessions = new SessionStore(opts.sessionTtlMs, opts.dedupeWindow, (s) => rooms.leaveAll(s))
    this.hub = {
      options: opts,
      sessions,
      handlers,
      rooms,
      authenticated: (conn) => this.onAuthenticated(conn),
      closed: (conn, code, reason) => this.onClosed(conn, code, reason),
    }
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxPayloadBytes,
      clientTracking: false,
      // Select our subprotocol when offered; the auth entry carries a secret and is never echoed.
      handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    })
    this.ownsHttp = !opts.server
    this.http = opts.server ?? createHttpServer(this.onRequest)
    this.http.on('upgrade', this.onUpgrade)
    if (this.ownsHttp) {
      this.readyPromise = new Promise((resolve, reject) => {
        // Stays attached after listening: an unhandled 'error' on the HTTP server would crash the process.
        this.http.on('error', (err) => {
          reject(err)
          this.report(err)
        })
        this.http.listen(opts.port, opts.host, () => resolve(this.readyInfo()))
      })
    } else {
      this.readyPromise = this.http.listening
        ? Promise.resolve(this.readyInfo())
        : new Promise((resolve) => this.http.once('listening', () => resolve(this.readyInfo())))
    }
    // Callers that never await ready() must not see an unhandled rejection; they get 'error'.
    this.readyPromise.catch(() => {})
  }

  /** Resolves once listening (or once the attached server listens). */
  ready(): Promise<ReadyInfo> {
    return this.readyPromise
  }

  address(): AddressInfo | null {
    const a = this.http.address()
    return a && typeof a === 'object' ? a : null
  }

  /** Serve `send` (answered with `ack`) and `req` (answered with `reply` carrying the return value) of `type`. */
  handle<T = any, R = unknown>(type: string, handler: Handler<T, R>): this {
    this.hub.handlers.set(type, handler as Handler)
    return this
  }

  /** Direct `evt` frames to every socket of one user. `send` returns how many sockets got it. */
  toUser(user: string): { send(type: string, data?: unknown): number } {
    return {
      send: (type, data) => this.fanout({ t: 'evt', type, data }, this.byUser.get(user) ?? []),
    }
  }

  /** An `evt` to every authenticated socket (or those `where` picks), encoded once. */
  broadcast(type: string, data?: unknown, options: { where?: (session: SessionInfo) => boolean } = {}): number {
    const where = options.where
    const targets = [...this.live].filter((c) => c.authenticated && (!where || where(c.session!.info())))
    return this.fanout({ t: 'evt', type, data }, targets)
  }

  /** A room, from the server's side. */
  to(room: string): {
    publish(type: string, data?: unknown, options?: { except?: string }): { epoch: string; seq: number }
    members(): Member[]
  } {
    const rooms = this.hub.rooms
    return {
      publish: (type, data, options = {}) => {
        rooms.ensure(room)
        const frame = rooms.publish(room, type, data, undefined, options.except)!
        return { epoch: frame.epoch, seq: frame.seq }
      },
      members: () => rooms.members(room),
    }
  }

  connections(): ConnectionInfo[] {
    return [...this.live].filter((c) => c.authenticated).map((c) => c.info())
  }

  /**
   * Graceful shutdown: refuse upgrades with 503, send `goaway` and close 1012 to every socket,
   * wait up to `drainMs`, terminate the rest, then close the HTTP server if this server made it.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drainMs ?? 5000, options.retryAfterMs ?? 1000)
    return this.closing
  }

  /** `await using server = createServer(…)` closes it at the end of the scope, without a drain. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close({ drainMs: 0 })
  }

  private async shutdown(drainMs: number, retryAfterMs: number): Promise<void> {
    this.retryAfterMs = retryAfterMs
    for (const conn of this.live) conn.goaway(retryAfterMs)
    if (this.live.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs)
        timer.unref()
        this.drained = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    for (const conn of this.live) conn.terminate()
    this.hub.sessions.clear()
    this.hub.rooms.clear()
    this.wss.close()
    if (this.ownsHttp) {
      await new Promise<void>((resolve) => {
        if (!this.http.listening) return resolve()
        this.http.close(() => resolve())
        this.http.closeAllConnections()
      })
    }
    this.http.off('upgrade', this.onUpgrade)
    this.emit('close')
  }

  private fanout(frame: ServerFrame, targets: Iterable<Connection>): number {
    const wire = encode(frame)
    const binary = typeof wire !== 'string'
    // One UTF-8 encoding for all recipients: ws would otherwise re-encode the string per socket.
    const bytes = binary ? wire : Buffer.from(wire)
    let sent = 0
    for (const conn of targets) if (conn.sendWire(bytes, binary)) sent++
    return sent
  }

  private readyInfo(): ReadyInfo {
    const a = this.address()
    const port = a?.port ?? 0
    let host = this.options.host ?? a?.address ?? '127.0.0.1'
    if (host === '0.0.0.0' || host === '::' || host === '') host = '127.0.0.1'
    if (host.includes(':')) host = `[${host}]`
    return { port, url: `ws://${host}:${port}${this.options.path}` }
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const onPath = pathOf(req) === this.options.path
    res.writeHead(onPath ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' })
    res.end(onPath ? 'WebSocket upgrade required\n' : 'not found\n')
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(req) !== this.options.path) {
      // On a shared server another listener may own this path; answer only when nobody else can.
      if (this.ownsHttp || this.http.listenerCount('upgrade') <= 1) refuse(socket, 404, 'Not Found')
      return
    }
    if (this.closing) return refuse(socket, 503, 'Service Unavailable', { 'Retry-After': String(Math.ceil(this.retryAfterMs / 1000)) })
    if (this.live.size >= this.options.maxConnections) return refuse(socket, 503, 'Service Unavailable')
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined
    if (origin !== undefined && !this.originAllowed(origin)) return refuse(socket, 403, 'Forbidden')
    socket.on('error', () => {})
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, origin))
  }

  private originAllowed(origin: string): boolean {
    const allow = this.options.origins
    if (!allow) return true
    return typeof allow === 'function' ? allow(origin) : allow.includes(origin)
  }

  private accept(ws: WebSocket, req: IncomingMessage, origin: string | undefined): void {
    if (this.closing) return void ws.close(1012, 'server restart')
    const conn = new Connection(
      ws,
      { headers: req.headers, ip: req.socket.remoteAddress, origin, subprotocolToken: subprotocolToken(req) },
      this.hub,
    )
    this.live.add(conn)
  }

  private onAuthenticated(conn: Connection): void {
    const user = conn.session?.user
    if (user !== undefined) {
      let set = this.byUser.get(user)
      if (!set) this.byUser.set(user, (set = new Set()))
      set.add(conn)
    }
    this.emit('connection', conn.info())
  }

  private onClosed(conn: Connection, code: number, reason: string): void {
    this.live.delete(conn)
    const user = conn.session?.user
    if (user !== undefined) {
      const set = this.byUser.get(user)
      set?.delete(conn)
      if (set?.size === 0) this.byUser.delete(user)
    }
    if (conn.session) this.emit('disconnect', conn.info(), { code, reason })
    if (this.live.size === 0) this.drained?.()
  }

  private report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }
}

/** Start a Mooring server: listen on `port`, or attach to `server` at `path`. */
export function createServer(options: ServerOptions = {}): MooringServer {
  return new MooringServer(options)
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  return path === '' ? '/' : path
}

function subprotocolToken(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol']
  if (typeof header !== 'string') return undefined
  for (const entry of header.split(',')) {
    const p = entry.trim()
    if (p.startsWith(AUTH_SUBPROTOCOL_PREFIX)) {
      try {
        return Buffer.from(p.slice(AUTH_SUBPROTOCOL_PREFIX.length), 'base64url').toString('utf8')
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

function refuse(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${text}`, 'Connection: close', 'Content-Length: 0', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  socket.once('finish', () => socket.destroy())
  socket.on('error', () => {})
  socket.end(`${lines.join('\r\n')}\r\n\r\n`)
}
