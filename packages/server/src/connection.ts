import type { Duplex } from 'node:stream'
import { CloseCode, decodeClientFrame, ErrorCode, PROTOCOL_VERSION, toWire, type ClientFrame, type ErrorFrame, type HelloFrame, type Limits, type ServerFrame } from '@mooring/protocol'
import { WebSocket, type RawData } from 'ws'
import { dispatch, type DispatchLink } from './dispatch.js'
import { errorCodeOf, errorMessageOf } from './errors.js'
import { ANONYMOUS, authenticatePeer, expiryDelayMs, type PeerInfo } from './handshake.js'
import { Heartbeat } from './heartbeat.js'
import type { Hub } from './hub.js'
import { FrameGate, type AppFrame, type MiddlewareContext } from './middleware.js'
import { prepare, type Outbound } from './outbound.js'
import type { Session, SessionSocket } from './session.js'
import { WriteBatch } from './write-batch.js'

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

/** Frames held while `authenticate` runs, so a pipelining client loses nothing. */
const MAX_QUEUED = 256
/** Malformed frames tolerated from an authenticated peer before it is closed 4400. */
const MAX_PROTOCOL_ERRORS = 10

/** How long a slow consumer closed 1013 has to read its backlog and the close frame before it is cut. */
const SLOW_CLOSE_GRACE_MS = 2_000

/** Shared send options: ws spreads them per send, so at least nothing is allocated here. */
const TEXT = { binary: false } as const
const BINARY = { binary: true } as const

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
  private link: DispatchLink | undefined
  private readonly batch: WriteBatch
  private readonly pendingAcks: number[] = []

  constructor(
    readonly ws: WebSocket,
    readonly peer: PeerInfo,
    private readonly hub: Hub,
  ) {
    // ws keeps its TCP socket private; without it writes are simply not batched.
    this.batch = new WriteBatch((ws as unknown as { _socket?: Duplex })._socket)
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
    this.batch.hold()
    // The backlog the peer has not taken; writes held back in this tick are not its fault.
    const buffered = this.ws.bufferedAmount - this.batch.heldBytes
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
    this.ws.send(out.wire, out.binary ? BINARY : TEXT)
    this.batch.wrote(out.bytes)
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
    // Buffer.from(buffer) would copy the frame only to decode it; a Buffer is read in place.
    const wire = isBinary ? toWire(bytes) : Buffer.isBuffer(bytes) ? bytes.toString() : Buffer.from(bytes).toString()
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
    // Without a hook the welcome goes out in this tick, before any frame pipelined behind the hello.
    const hook = this.hub.options.authenticate
    const admission = hook ? await authenticatePeer(hook, hello, this.peer) : ANONYMOUS
    if (!admission.ok) return this.reject(admission.code, admission.message)
    // The deadline may have passed, or the socket closed, while the hook ran.
    if (this.phase !== 'auth') return
    clearTimeout(this.authTimer)
    const { session, resumed } = this.hub.sessions.open(hello.clientId, admission.user, admission.meta, hello.resume)
    session.socket = this
    this.session = session
    this.resumed = resumed
    this.link = {
      hub: this.hub,
      session,
      signal: this.abort.signal,
      isOpen: () => this.phase === 'open',
      send: (f) => this.send(f),
      ack: (id) => this.ack(id),
    }
    this.phase = 'open'
    const { intervalMs, timeoutMs } = this.hub.options.heartbeat
    this.send({
      t: 'welcome',
      v: PROTOCOL_VERSION,
      sessionId: session.id,
      resumed,
      heartbeat: { intervalMs, timeoutMs },
      limits: this.limits(),
    })
    this.heartbeat.start()
    if (admission.expiresAt !== undefined) this.expireAt(admission.expiresAt)
    this.hub.authenticated(this)
    for (const frame of this.queued.splice(0)) this.admit(frame)
  }

  /** A credential has a lifetime: end the socket with 4401 when it runs out. */
  private expireAt(expiresAt: number): void {
    this.authTimer = setTimeout(() => {
      if (this.phase !== 'open') return
      this.hub.metrics.authFailure(ErrorCode.UNAUTHORIZED)
      this.hub.logger.warn({ event: 'auth_expired', session: this.session?.id, user: this.session?.user, ip: this.peer.ip }, 'token expired')
      this.send({ t: 'error', code: ErrorCode.UNAUTHORIZED, message: 'token expired' })
      this.close(CloseCode.UNAUTHORIZED, 'token expired')
    }, expiryDelayMs(expiresAt))
    this.authTimer.unref()
  }

  /**
   * Acks of one event-loop turn travel as one frame (`ack {id, ids}`): a client with a
   * thousand messages in flight gets a handful of frames back, not a thousand.
   */
  private ack(id: number): void {
    if (this.pendingAcks.push(id) > 1) return
    setImmediate(() => {
      const [first, ...rest] = this.pendingAcks.splice(0)
      if (first === undefined || this.phase !== 'open') return
      this.send(rest.length ? { t: 'ack', id: first, ids: rest } : { t: 'ack', id: first })
    })
  }

  /** What the client should know to stay within bounds; the rate lets it pace instead of being refused. */
  private limits(): Limits {
    const { maxPayloadBytes, rateLimit } = this.hub.options
    return rateLimit ? { maxPayloadBytes, messagesPerSecond: rateLimit.perSecond, burst: rateLimit.burst } : { maxPayloadBytes }
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
    if (this.phase === 'open' && this.link) dispatch(this.link, frame)
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
