import { EventEmitter } from 'node:events'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  SUBPROTOCOL,
  type Contract,
  type EventInput,
  type EventName,
  type LooseContract,
  type Member,
  type MessageInput,
  type MessageName,
  type ServerFrame,
} from '@mooring/protocol'
import { WebSocketServer, type WebSocket } from 'ws'
import { Connection, type ConnectionInfo } from './connection.js'
import { HandlerRegistry, type ContractHandler, type Handler, type HandlerName } from './handlers.js'
import { subprotocolToken } from './handshake.js'
import type { Hub } from './hub.js'
import { rateLimit, roomLimit } from './limits.js'
import { safeLogger } from './logger.js'
import { noopMetrics, ServerMetrics } from './metrics.js'
import { MiddlewareStack, type Middleware } from './middleware.js'
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js'
import { prepare } from './outbound.js'
import { RoomRegistry } from './rooms.js'
import { refuseRequest, serveRoute, type RouteSources } from './routes.js'
import { SessionStore, type SessionInfo } from './session.js'
import { UpgradeGate } from './upgrade.js'

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

/** Options of server-side sends. */
export interface PublishOptions {
  /**
   * May be dropped for a socket whose outbound backlog is past `slowConsumer.highWaterBytes`
   * (typing indicators, cursors): a slow client skips them instead of falling further behind.
   * @default false
   */
  volatile?: boolean
}

export interface ReadyInfo {
  port: number
  /** `ws://HOST:PORT/PATH`; unspecified hosts appear as 127.0.0.1. */
  url: string
}

export class MooringServer<C extends Contract = LooseContract> extends EventEmitter<ServerEvents> {
  readonly options: ResolvedOptions
  private readonly http: HttpServer
  private readonly ownsHttp: boolean
  private readonly wss: WebSocketServer
  private readonly live = new Set<Connection>()
  private readonly byUser = new Map<string, Set<Connection>>()
  private readonly hub: Hub
  private readonly middleware = new MiddlewareStack()
  private readonly prom: ServerMetrics | undefined
  private readonly gate: UpgradeGate
  private readonly routes: RouteSources
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
    if (opts.metrics) {
      this.prom = new ServerMetrics(opts.metrics, {
        connections: () => this.live.size,
        rooms: () => rooms.size,
        roomMembers: () => rooms.memberCount(),
        sessions: () => sessions.size,
      })
    }
    // Built-in limits run first, so abuse is cut before application middleware spends anything on it.
    if (opts.rateLimit) this.middleware.add(rateLimit(opts.rateLimit))
    if (Number.isFinite(opts.maxRoomsPerConnection)) this.middleware.add(roomLimit(opts.maxRoomsPerConnection))
    this.hub = {
      options: opts,
      sessions,
      handlers,
      rooms,
      metrics: this.prom ?? noopMetrics,
      logger: safeLogger(opts.logger),
      middleware: this.middleware,
      authenticated: (conn) => this.onAuthenticated(conn),
      closed: (conn, code, reason) => this.onClosed(conn, code, reason),
    }
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxPayloadBytes,
      clientTracking: false,
      // Select our subprotocol when offered; the auth entry carries a secret and is never echoed.
      handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
      perMessageDeflate: opts.perMessageDeflate && {
        threshold: opts.perMessageDeflate.thresholdBytes,
        // No context takeover: zlib state is freed after each message instead of held per socket.
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
      },
    })
    this.ownsHttp = !opts.server
    this.http = opts.server ?? createHttpServer(this.onRequest)
    this.gate = new UpgradeGate({
      options: opts,
      metrics: this.hub.metrics,
      logger: this.hub.logger,
      draining: () => this.closing !== undefined,
      retryAfterMs: () => this.retryAfterMs,
      answersForeignPaths: () => this.ownsHttp || this.http.listenerCount('upgrade') <= 1,
      accept: (req, socket, head, origin) => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, origin)),
    })
    this.routes = {
      draining: () => this.closing !== undefined,
      connections: () => this.live.size,
      prom: this.prom,
      report: (err) => this.report(err),
    }
    this.http.on('upgrade', this.gate.onUpgrade)
    if (!this.ownsHttp && opts.routes) this.http.on('request', this.onAttachedRequest)
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

  /**
   * Add middleware for inbound application frames (`send`, `req`, `pub`, `join`, `leave`) of
   * authenticated sockets. Runs in the order added, after the built-in limits.
   */
  use(middleware: Middleware): this {
    this.middleware.add(middleware)
    return this
  }

  /** Prometheus text of this server's metrics (empty when `metrics: false`). */
  metrics(): Promise<string> {
    return this.prom?.text() ?? Promise.resolve('')
  }

  /** The prom-client registry the metrics live on, to merge into an app's own `/metrics`. */
  get metricsRegistry(): ServerMetrics['registry'] | undefined {
    return this.prom?.registry
  }

  /**
   * Answer `GET /metrics` and `GET /healthz`; false (and nothing written) for any other request.
   * For apps that route HTTP themselves on an attached server.
   */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    return serveRoute(req, res, this.routes)
  }

  /** Serve `send` (answered with `ack`) and `req` (answered with `reply` carrying the return value) of `type`. */
  handle<K extends HandlerName<C>>(type: K, handler: ContractHandler<C, K>): this {
    this.hub.handlers.set(type, handler as Handler)
    return this
  }

  /** Direct `evt` frames to every socket of one user. `send` returns how many sockets got it. */
  toUser(user: string): { send<K extends EventName<C>>(type: K, data: EventInput<C, K>, options?: PublishOptions): number } {
    return {
      send: (type, data, options = {}) => this.fanout({ t: 'evt', type, data }, this.byUser.get(user) ?? [], options.volatile),
    }
  }

  /** An `evt` to every authenticated socket (or those `where` picks), encoded once. */
  broadcast<K extends EventName<C>>(
    type: K,
    data: EventInput<C, K>,
    options: PublishOptions & { where?: (session: SessionInfo) => boolean } = {},
  ): number {
    const where = options.where
    const targets = [...this.live].filter((c) => c.authenticated && (!where || where(c.session!.info())))
    return this.fanout({ t: 'evt', type, data }, targets, options.volatile)
  }

  /** A room, from the server's side. */
  to(room: string): {
    /** Throws a `TypeError` when `data` cannot be encoded as JSON. */
    publish<K extends MessageName<C>>(type: K, data: MessageInput<C, K>, options?: PublishOptions & { except?: string }): { epoch: string; seq: number }
    members(): Member[]
  } {
    const rooms = this.hub.rooms
    return {
      publish: (type, data, options = {}) => {
        rooms.ensure(room)
        const frame = rooms.publish(room, type, data, { except: options.except, volatile: options.volatile })
        if (!frame) throw new TypeError(`message ${JSON.stringify(type)} cannot be encoded`)
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
    this.http.off('upgrade', this.gate.onUpgrade)
    this.http.off('request', this.onAttachedRequest)
    this.emit('close')
  }

  private fanout(frame: ServerFrame, targets: Iterable<Connection>, volatile = false): number {
    const out = prepare(frame, volatile)
    if (!out) throw new TypeError(`message cannot be encoded`)
    let sent = 0
    for (const conn of targets) if (conn.sendWire(out)) sent++
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
    if (this.options.routes !== false && this.handleHttp(req, res)) return
    refuseRequest(req, res, this.options.path)
  }

  private readonly onAttachedRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.handleHttp(req, res)
  }

  private accept(ws: WebSocket, req: IncomingMessage, origin: string | undefined): void {
    if (this.closing) return void ws.close(1012, 'server restart')
    const conn = new Connection(
      ws,
      { headers: req.headers, ip: req.socket.remoteAddress, origin, subprotocolToken: subprotocolToken(req) },
      this.hub,
    )
    this.live.add(conn)
    this.hub.metrics.accepted()
  }

  private onAuthenticated(conn: Connection): void {
    const user = conn.session?.user
    if (user !== undefined) {
      let set = this.byUser.get(user)
      if (!set) this.byUser.set(user, (set = new Set()))
      set.add(conn)
    }
    const info = conn.info()
    this.hub.logger.info(
      { event: 'connect', session: info.id, clientId: info.clientId, user: info.user, ip: info.ip, resumed: conn.resumed },
      'client connected',
    )
    this.emit('connection', info)
  }

  private onClosed(conn: Connection, code: number, reason: string): void {
    this.live.delete(conn)
    const durationMs = Date.now() - conn.openedAt
    this.hub.metrics.closed(code, durationMs)
    this.hub.logger.info({ event: 'close', session: conn.session?.id, user: conn.session?.user, ip: conn.peer.ip, code, reason, durationMs }, 'connection closed')
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
export function createServer<const O extends ServerOptions = ServerOptions>(options?: O): MooringServer<ContractFrom<O>> {
  return new MooringServer<ContractFrom<O>>(options ?? {})
}

/** The contract a server was created with types its `handle`, `to(room).publish`, `toUser` and `broadcast`. */
export type ContractFrom<O> = O extends { contract: infer C extends Contract } ? C : LooseContract
