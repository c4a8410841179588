import type { IncomingHttpHeaders } from 'node:http'
import {
  CloseCode,
  decodeClientFrame,
  ErrorCode,
  PROTOCOL_VERSION,
  toWire,
  type ClientFrame,
  type ErrorFrame,
  type HelloFrame,
  type JoinFrame,
  type PubFrame,
  type ReqFrame,
  type SendFrame,
  type ServerFrame,
} from '@mooring/protocol'
import { WebSocket, type RawData } from 'ws'
import type { Outcome } from './dedupe.js'
import { errorCodeOf, errorMessageOf } from './errors.js'
import { checkPayload, type HandlerContext, type HandlerRegistry } from './handlers.js'
import { Heartbeat } from './heartbeat.js'
import type { Logger } from './logger.js'
import type { MetricsSink } from './metrics.js'
import { FrameGate, type AppFrame, type Middleware, type MiddlewareContext } from './middleware.js'
import type { AuthResult, ResolvedOptions } from './options.js'
import { prepare, type Outbound } from './outbound.js'
import { msgFrame, type RoomRegistry } from './rooms.js'
import type { Session, SessionSocket, SessionStore } from './session.js'

/** What the handshake knows about the peer before any frame arrives. */
export interface PeerInfo {
  headers: IncomingHttpHeaders
  ip: string | undefined
  origin: string | undefined
  /** Token carried in a `mooring.auth.<base64url>` subprotocol entry. */
  subprotocolToken: string | undefined
}

/** A snapshot for `server.connections()`. */
export interface ConnectionInfo {
  /** Session id; undefined while the socket has not authenticated. */
  id: string | undefined
  clientId: string | undefined
  user: string | undefined
  ip: string | undefined
  connectedAt: number
  lastActivityAt: number
  rooms: string[]
}

/** The server internals a connection works with. */
export interface Hub {
  readonly options: ResolvedOptions
  readonly sessions: SessionStore
  readonly handlers: HandlerRegistry
  readonly rooms: RoomRegistry
  readonly metrics: MetricsSink
  readonly logger: Required<Logger>
  readonly middleware: readonly Middleware[]
  authenticated(conn: Connection): void
  closed(conn: Connection, code: number, reason: string): void
}

/** Frames held while `authenticate` runs, so a pipelining client loses nothing. */
const MAX_QUEUED = 256
/** Malformed frames tolerated from an authenticated peer before it is closed 4400. */
const MAX_PROTOCOL_ERRORS = 10

/** How long a slow consumer closed 1013 has to read its backlog and the close frame before it is cut. */
const SLOW_CLOSE_GRACE_MS = 2_000

type Phase = 'hello' | 'auth' | 'open' | 'closed'

/** One socket: handshake, liveness, and dispatch of its frames. */
export class Connection implements SessionSocket {
  session: Session | undefined
  /** The handshake resumed a held session. */
  resumed = false
  readonly openedAt = Date.now()
  private phase: Phase = 'hello'
  private readonly queued: ClientFrame[] = []
  private readonly heartbeat: Heartbeat
  private authTimer: ReturnType<typeof setTimeout> | undefined
  private readonly abort = new AbortController()
  private protocolErrors = 0
  /** What this side closed with: reported instead of the 1006 a cut-off socket shows. */
  private sentCloseCode: number | undefined
  private readonly gate: FrameGate
  private readonly state = new Map<unknown, unknown>()

  constructor(
    readonly ws: WebSocket,
    readonly peer: PeerInfo,
    private readonly hub: Hub,
  ) {
    const { intervalMs, timeoutMs } = hub.options.heartbeat
    this.heartbeat = new Heartbeat(intervalMs, timeoutMs, {
      ping: (n) => this.send({ t: 'ping', n }),
      dead: () => this.terminate(),
    })
    this.authTimer = setTimeout(() => this.reject(ErrorCode.UNAUTHORIZED, 'no valid hello before the auth deadline'), hub.options.authTimeoutMs)
    this.authTimer.unref()
    this.gate = new FrameGate(
      hub.middleware,
      (frame) => this.middlewareContext(frame),
      (frame) => this.dispatch(frame),
      (frame, err) => this.refuse(frame, errorCodeOf(err, ErrorCode.INTERNAL), errorMessageOf(err)),
      MAX_QUEUED,
    )
    ws.on('message', this.onMessage)
    ws.on('pong', this.touch)
    ws.on('ping', this.touch)
    ws.on('close', this.onClose)
    // ws closes the socket itself on protocol errors (e.g. 1009); an unhandled 'error' would crash.
    ws.on('error', (err) => {
      this.sentCloseCode ??= wsStatusCode(err)
    })
  }

  get authenticated(): boolean {
    return this.phase === 'open'
  }

  info(): ConnectionInfo {
    const s = this.session
    return {
      id: s?.id,
      clientId: s?.clientId,
      user: s?.user,
      ip: this.peer.ip,
      connectedAt: s?.connectedAt ?? this.openedAt,
      lastActivityAt: this.heartbeat.lastActivityAt,
      rooms: s ? [...s.rooms] : [],
    }
  }

  send(frame: ServerFrame): boolean {
    if (frame.t === 'error') this.hub.metrics.error(frame.code)
    const out = prepare(frame)
    if (out) return this.sendWire(out)
    // Only data a client sent can fail to encode (nesting beyond the encoder's stack).
    return this.send({ t: 'error', code: ErrorCode.INTERNAL, message: 'reply could not be encoded' })
  }

  sendWire(out: Outbound): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false
    const buffered = this.ws.bufferedAmount
    const { highWaterBytes, maxBufferedBytes, retryAfterMs } = this.hub.options.slowConsumer
    if (buffered > maxBufferedBytes) {
      this.hub.logger.warn({ event: 'slow_consumer', session: this.session?.id, bufferedBytes: buffered }, 'slow consumer closed')
      this.close(CloseCode.TRY_AGAIN, `slow consumer retryAfterMs=${retryAfterMs}`)
      // The close frame waits behind the backlog; a peer that is not reading would hold it (and
      // the memory) for ws's 30 s close timeout. Give it a short grace, then cut it.
      setTimeout(() => this.ws.terminate(), SLOW_CLOSE_GRACE_MS).unref()
      return false
    }
    if (out.volatile && buffered > highWaterBytes) {
      this.hub.metrics.dropped('slow_consumer')
      return false
    }
    this.ws.send(out.wire, { binary: out.binary })
    this.hub.metrics.outbound(out.kind, out.bytes)
    return true
  }

  close(code: number, reason: string): void {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    this.sentCloseCode = code
    this.ws.close(code, reason)
  }

  /** Graceful shutdown: tell the client when to come back, then close as a restart (never 1000). */
  goaway(retryAfterMs: number): void {
    if (this.phase === 'open') this.send({ t: 'goaway', retryAfterMs, reason: 'server restart' })
    this.close(CloseCode.RESTART, 'server restart')
  }

  terminate(): void {
    this.phase = 'closed'
    this.ws.terminate()
  }

  replaced(): void {
    this.terminate()
  }

  private readonly touch = (): void => {
    this.heartbeat.touch()
  }

  private readonly onMessage = (raw: RawData, isBinary: boolean): void => {
    this.touch()
    if (this.phase === 'closed') return
    // ws hands over one Buffer per message (an array only with binaryType 'fragments').
    const bytes = Array.isArray(raw) ? Buffer.concat(raw) : raw
    const wire = isBinary ? toWire(bytes) : Buffer.from(bytes as Buffer).toString()
    const decoded = wire === undefined ? undefined : decodeClientFrame(wire, this.hub.options.maxPayloadBytes)
    this.hub.metrics.inbound(decoded?.ok ? decoded.frame.t : 'invalid', rawLength(raw))
    if (!decoded?.ok) {
      const code = decoded?.code ?? ErrorCode.PROTOCOL
      const message = decoded && !decoded.ok ? decoded.message : 'unreadable frame'
      this.send({ t: 'error', code, message })
      if (this.phase !== 'open' || ++this.protocolErrors > MAX_PROTOCOL_ERRORS) this.close(CloseCode.PROTOCOL, message)
      return
    }
    const frame = decoded.frame
    if (frame.t === 'ping') return void this.send({ t: 'pong', n: frame.n })
    if (frame.t === 'pong') return
    if (this.phase === 'hello') {
      if (frame.t === 'hello') void this.onHello(frame)
      else this.reject(ErrorCode.UNAUTHORIZED, `${frame.t} before hello`)
    } else if (this.phase === 'auth') {
      if (this.queued.length >= MAX_QUEUED) this.close(CloseCode.POLICY, 'too many frames before welcome')
      else this.queued.push(frame)
    } else {
      this.admit(frame)
    }
  }

  /** An application frame (or a stray `hello`) from an authenticated peer: through middleware to its handler. */
  private admit(frame: ClientFrame): void {
    if (frame.t === 'hello') return void this.send({ t: 'error', code: ErrorCode.PROTOCOL, message: 'already authenticated' })
    if (frame.t === 'ping' || frame.t === 'pong') return
    if (!this.gate.push(frame)) this.close(CloseCode.POLICY, 'too many frames waiting on middleware')
  }

  private middlewareContext(frame: AppFrame): MiddlewareContext {
    const session = this.session!
    const raw = frame as { type?: unknown; room?: unknown }
    return {
      session: session.info(),
      kind: frame.t,
      type: typeof raw.type === 'string' ? raw.type : undefined,
      room: typeof raw.room === 'string' ? raw.room : undefined,
      rooms: session.rooms,
      ip: this.peer.ip,
      state: this.state,
      reject: (code, message, details) => this.refuse(frame, code, message, details),
      close: (code, reason) => {
        this.hub.logger.warn({ event: 'policy_close', session: session.id, ip: this.peer.ip, code, reason }, 'connection closed by middleware')
        this.close(code, reason)
      },
    }
  }

  private refuse(frame: AppFrame, code: string, message: string, details?: unknown): void {
    const err: ErrorFrame = { t: 'error', code, message }
    if (frame.t === 'join' || frame.t === 'leave') err.ref = frame.ref
    else err.id = frame.id
    if (details !== undefined) err.details = details
    this.send(err)
  }

  private async onHello(hello: HelloFrame): Promise<void> {
    if (hello.v !== PROTOCOL_VERSION) {
      this.send({ t: 'error', code: ErrorCode.PROTOCOL, message: `protocol version ${hello.v} is not supported; this server speaks ${PROTOCOL_VERSION}` })
      this.close(CloseCode.PROTOCOL, 'unsupported protocol version')
      return
    }
    this.phase = 'auth'
    let result: AuthResult = {}
    const hook = this.hub.options.authenticate
    if (hook) {
      try {
        const answer = await hook({
          token: hello.token ?? this.peer.subprotocolToken ?? bearer(this.peer.headers),
          headers: this.peer.headers,
          ip: this.peer.ip,
          origin: this.peer.origin,
          clientId: hello.clientId,
        })
        if (answer === false) return this.reject(ErrorCode.UNAUTHORIZED, 'authentication rejected')
        if (answer && typeof answer === 'object') result = answer
      } catch (err) {
        const code = errorCodeOf(err, ErrorCode.UNAUTHORIZED) === ErrorCode.FORBIDDEN ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHORIZED
        return this.reject(code, errorMessageOf(err))
      }
    }
    // The deadline may have passed, or the socket closed, while the hook ran.
    if (this.phase !== 'auth') return
    clearTimeout(this.authTimer)
    const user = result.user === undefined ? undefined : String(result.user)
    const { session, resumed } = this.hub.sessions.open(hello.clientId, user, result.meta, hello.resume)
    session.socket = this
    this.session = session
    this.resumed = resumed
    this.phase = 'open'
    const { intervalMs, timeoutMs } = this.hub.options.heartbeat
    this.send({
      t: 'welcome',
      v: PROTOCOL_VERSION,
      sessionId: session.id,
      resumed,
      heartbeat: { intervalMs, timeoutMs },
      limits: { maxPayloadBytes: this.hub.options.maxPayloadBytes },
    })
    this.heartbeat.start()
    if (typeof result.expiresAt === 'number') this.expireAt(result.expiresAt)
    this.hub.authenticated(this)
    for (const frame of this.queued.splice(0)) this.admit(frame)
  }

  /** A credential has a lifetime: end the socket with 4401 when it runs out. */
  private expireAt(expiresAt: number): void {
    // setTimeout overflows past 2^31-1 ms (~24.8 days); such tokens outlive any socket anyway.
    const delay = Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1)
    this.authTimer = setTimeout(() => {
      if (this.phase !== 'open') return
      this.hub.metrics.authFailure(ErrorCode.UNAUTHORIZED)
      this.hub.logger.warn({ event: 'auth_expired', session: this.session?.id, user: this.session?.user, ip: this.peer.ip }, 'token expired')
      this.send({ t: 'error', code: ErrorCode.UNAUTHORIZED, message: 'token expired' })
      this.close(CloseCode.UNAUTHORIZED, 'token expired')
    }, delay)
    this.authTimer.unref()
  }

  private reject(code: ErrorCode, message: string): void {
    if (this.phase === 'open' || this.phase === 'closed') return
    this.hub.metrics.authFailure(code)
    // The reason is ours or the authenticate hook's message; the token itself is never logged.
    this.hub.logger.warn({ event: 'auth_failed', code, reason: message, ip: this.peer.ip, origin: this.peer.origin }, 'authentication failed')
    this.send({ t: 'error', code, message })
    this.close(code === ErrorCode.FORBIDDEN ? CloseCode.FORBIDDEN : CloseCode.UNAUTHORIZED, code.toLowerCase())
  }

  private dispatch(frame: AppFrame): void {
    if (this.phase !== 'open') return
    switch (frame.t) {
      case 'send':
        return void this.onSend(frame)
      case 'req':
        return void this.onReq(frame)
      case 'pub':
        return void this.onPub(frame)
      case 'join':
        return void this.onJoin(frame)
      case 'leave':
        if (this.hub.rooms.leave(this.session!, frame.room)) {
          this.hub.logger.debug({ event: 'leave', session: this.session!.id, room: frame.room }, 'left room')
        }
        return void this.send({ t: 'left', ref: frame.ref, room: frame.room })
    }
  }

  private context(kind: 'send' | 'req', type: string): HandlerContext {
    const session = this.session!
    return {
      session: session.info(),
      kind,
      type,
      // Through the session, so a reply-time event follows the client to its resumed socket.
      send: (t, data) => {
        const out = prepare({ t: 'evt', type: t, data })
        return (out && session.socket?.sendWire(out)) ?? false
      },
      signal: this.abort.signal,
    }
  }

  private async onSend(frame: SendFrame): Promise<void> {
    const started = performance.now()
    const ctx = this.context('send', frame.type)
    const outcome = await this.session!.ledger.runOnce('send', frame.id, () => this.hub.handlers.run(ctx, frame.data))
    if (outcome.duplicate) this.hub.metrics.dedupeHit()
    this.answer(frame.id, outcome, () => ({ t: 'ack', id: frame.id }))
    this.hub.metrics.handler('send', (performance.now() - started) / 1000)
  }

  private async onReq(frame: ReqFrame): Promise<void> {
    const started = performance.now()
    const outcome = await this.hub.handlers.run(this.context('req', frame.type), frame.data)
    this.answer(frame.id, outcome, (data) => ({ t: 'reply', id: frame.id, data }))
    this.hub.metrics.handler('req', (performance.now() - started) / 1000)
  }

  private async onPub(frame: PubFrame): Promise<void> {
    const session = this.session!
    if (!this.hub.rooms.isMember(session, frame.room)) {
      return void this.send({ t: 'error', id: frame.id, code: ErrorCode.NOT_JOINED, message: `not joined to ${JSON.stringify(frame.room)}` })
    }
    const started = performance.now()
    const schema = this.hub.options.contract?.messages?.[frame.type]
    const outcome = await session.ledger.runOnce('pub', frame.id, async (): Promise<Outcome> => {
      const checked = await checkPayload(schema, frame.data)
      if (!checked.ok) return checked
      // Membership may have ended while an async schema ran.
      if (!this.hub.rooms.isMember(session, frame.room)) return { ok: false, code: ErrorCode.NOT_JOINED, message: 'left the room' }
      const origin = { from: session.id, src: session.src, mid: frame.id }
      const sent = this.hub.rooms.publish(frame.room, frame.type, (checked as { value: unknown }).value, { origin })
      return sent ? { ok: true } : { ok: false, code: ErrorCode.INVALID_PAYLOAD, message: 'message could not be encoded' }
    })
    if (outcome.duplicate) this.hub.metrics.dedupeHit()
    this.answer(frame.id, outcome, () => ({ t: 'ack', id: frame.id }))
    this.hub.metrics.handler('pub', (performance.now() - started) / 1000)
  }

  private async onJoin(frame: JoinFrame): Promise<void> {
    const session = this.session!
    const { ref, room } = frame
    const authorize = this.hub.options.authorizeJoin
    if (authorize) {
      let allowed = false
      try {
        allowed = await authorize(session.info(), room, frame.meta)
      } catch {
        allowed = false
      }
      if (!allowed) return void this.send({ t: 'error', ref, code: ErrorCode.FORBIDDEN, message: `may not join ${JSON.stringify(room)}` })
      if (this.phase !== 'open') return
    }
    const result = this.hub.rooms.join(session, room, frame.meta, frame.since, frame.epoch)
    if (!result.ok) return void this.send({ t: 'error', ref, code: result.code, message: result.message })
    // Replay goes first: the client advances its last seq to `joined.seq` on receipt.
    for (const entry of result.replay) this.send(msgFrame(room, result.epoch, entry))
    const { epoch, seq, recovered, presence } = result
    this.send({ t: 'joined', ref, room, epoch, seq, recovered, presence })
    this.hub.logger.debug({ event: 'join', session: session.id, room, recovered }, 'joined room')
  }

  private answer(id: number, outcome: Outcome, ok: (data: unknown) => ServerFrame): void {
    if (outcome.ok) return void this.send(ok(outcome.data))
    const frame: ErrorFrame = { t: 'error', id, code: outcome.code, message: outcome.message }
    if (outcome.details !== undefined) frame.details = outcome.details
    this.send(frame)
  }

  private readonly onClose = (code: number, reason: Buffer): void => {
    this.phase = 'closed'
    clearTimeout(this.authTimer)
    this.heartbeat.stop()
    this.abort.abort()
    const session = this.session
    if (session && session.socket === this) {
      this.hub.rooms.leaveAll(session)
      this.hub.sessions.detach(session, this)
    }
    this.hub.closed(this, this.sentCloseCode ?? code, reason.toString())
  }
}

/** ws tags the errors it closes a socket for (1002, 1007, 1009) with the close code it used. */
function wsStatusCode(err: Error): number | undefined {
  const key = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code')
  const code = key === undefined ? undefined : (err as unknown as Record<symbol, unknown>)[key]
  return typeof code === 'number' ? code : undefined
}

function rawLength(raw: RawData): number {
  if (Array.isArray(raw)) return raw.reduce((n, b) => n + b.length, 0)
  return raw instanceof ArrayBuffer ? raw.byteLength : raw.length
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization
  const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h) : null
  return m?.[1]
}
