import {
  AUTH_SUBPROTOCOL_PREFIX,
  CloseCode,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  decodeServerFrame,
  encode,
  toWire,
  type ServerFrame,
  type WelcomeFrame,
  type Wire,
} from '@mooring/protocol'
import { Timer, type Clock } from './clock.js'
import type { Reason } from './connection.js'
import { MooringError } from './errors.js'
import { Heartbeat, type HeartbeatOptions } from './heartbeat.js'
import type { ResolvedOptions, Token } from './options.js'
import { abandonSocket, isOpen, openSocket, type SocketLike, type TransportOptions } from './transport.js'

/** How a link ended. */
export interface LinkLoss {
  reason: Reason
  /** Close code from the peer, or 1006 when the socket died without one. */
  code: number
  closeReason: string
  error?: MooringError
}

export interface LinkHooks {
  /** The link is usable: `welcome` arrived (protocol mode) or the socket opened (raw mode). */
  opened(welcome: WelcomeFrame | undefined): void
  /** A decoded server frame (protocol mode), other than ping/pong/welcome. */
  frame(frame: ServerFrame, bytes: number): void
  /** An inbound frame in raw mode. */
  raw(data: Wire): void
  /** The server sent something that is not a valid frame; the link stays up. */
  invalid(error: MooringError): void
  rtt(ms: number): void
  /** Called exactly once, when the link is gone for any reason other than `dispose`. */
  lost(loss: LinkLoss): void
}

export interface LinkConfig {
  options: ResolvedOptions
  transport: Omit<TransportOptions, 'protocols'>
  auth: (() => Token | Promise<Token>) | undefined
  /** Session to resume, from the previous `welcome`. */
  resume: string | undefined
  /** Raw mode, browsers: app-level ping message. */
  rawPing: (() => string | Uint8Array) | undefined
  hooks: LinkHooks
}

const ABANDON = 4000
/** Close code a page uses when it goes into the bfcache (browsers may not send 1001). */
export const PAGEHIDE_CODE = 4001

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * One connection attempt and, if it succeeds, the socket's life: auth, open, handshake,
 * heartbeat, and the end. A client holds at most one live Link; when it lets go of one
 * (`dispose`), every later callback of that Link's socket is ignored, so events from an
 * old socket can never reach the client.
 */
export class Link {
  readonly #config: LinkConfig
  readonly #clock: Clock
  readonly #connectTimer: Timer
  readonly #authTimer: Timer
  #socket: SocketLike | undefined
  #heartbeat: Heartbeat | undefined
  #done = false
  #helloSentAt = 0

  constructor(config: LinkConfig) {
    this.#config = config
    this.#clock = config.options.clock
    this.#connectTimer = new Timer(this.#clock)
    this.#authTimer = new Timer(this.#clock)
  }

  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0
  }

  async start(): Promise<void> {
    const { options, auth } = this.#config
    let token: Token | undefined
    if (auth) {
      try {
        token = await new Promise<Token>((resolve, reject) => {
          this.#authTimer.start(options.authTimeoutMs, () =>
            reject(new MooringError('TIMEOUT', `auth provider took over ${options.authTimeoutMs} ms`, { op: 'auth' })),
          )
          Promise.resolve()
            .then(auth)
            .then(resolve, reject)
        })
      } catch (error) {
        this.#fail('auth', MooringError.from(error, 'AUTH_FAILED', 'auth'))
        return
      } finally {
        this.#authTimer.stop()
      }
    }
    if (this.#done) return
    this.#open(token)
  }

  #open(token: Token | undefined): void {
    const { options, transport } = this.#config
    const protocols = options.mode === 'protocol' ? [SUBPROTOCOL, ...options.protocols] : [...options.protocols]
    if (token !== undefined && options.authVia === 'subprotocol')
      protocols.push(AUTH_SUBPROTOCOL_PREFIX + base64url(typeof token === 'string' ? token : JSON.stringify(token)))
    let socket: SocketLike
    try {
      socket = openSocket({ ...transport, protocols })
    } catch (error) {
      this.#fail('network', MooringError.from(error, 'CONNECT_FAILED', 'connect'))
      return
    }
    this.#socket = socket
    this.#connectTimer.start(options.connectTimeoutMs, () =>
      this.#fail('connect-timeout', new MooringError('TIMEOUT', `no connection within ${options.connectTimeoutMs} ms`, { op: 'connect' })),
    )
    socket.onopen = () => {
      if (options.mode === 'raw') return this.#ready(undefined, options.heartbeat)
      this.#helloSentAt = this.#clock.now()
      const hello = { t: 'hello' as const, v: PROTOCOL_VERSION, clientId: options.clientId, resume: this.#config.resume, token: undefined as Token | undefined }
      if (token !== undefined && options.authVia === 'hello') hello.token = token
      this.send(encode(hello))
    }
    socket.onmessage = (event) => this.#receive(event.data)
    socket.onclose = (event) => {
      const reason: Reason = this.#heartbeat ? 'server-close' : 'network'
      this.#end({ reason: event.code === 1006 ? 'network' : reason, code: event.code || 1006, closeReason: event.reason || '' })
    }
    // A close event always follows an error event; the close carries the code.
    socket.onerror = () => {}
    socket.on?.('pong', () => this.#heartbeat?.alive())
  }

  /** Write a frame; false when the socket is not open. */
  send(wire: Wire): boolean {
    const socket = this.#socket
    if (this.#done || !socket || !isOpen(socket)) return false
    socket.send(wire)
    return true
  }

  /** Check the link now (resume, visibility, network change). */
  probe(): void {
    this.#heartbeat?.probe()
  }

  /**
   * Let go of the link without reporting a loss. `graceful` closes with `code` and
   * resolves once the socket has closed (bounded); otherwise the socket is dropped at once.
   */
  dispose(code: number, reason: string, graceful: boolean): Promise<void> {
    if (this.#done) return Promise.resolve()
    this.#stop()
    const socket = this.#socket
    if (!socket) return Promise.resolve()
    if (!graceful || !isOpen(socket)) {
      abandonSocket(socket, code === CloseCode.NORMAL ? code : code || ABANDON, reason, true)
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      const timer = new Timer(this.#clock)
      socket.onclose = () => {
        timer.stop()
        resolve()
      }
      socket.onmessage = null
      socket.onerror = () => {}
      // A peer that never answers the close must not hold `close()` forever.
      timer.start(2_000, () => {
        abandonSocket(socket, code, reason, true)
        resolve()
      })
      socket.close(code, reason)
    })
  }

  #receive(raw: unknown): void {
    if (this.#done) return
    this.#heartbeat?.alive()
    const wire = toWire(raw)
    if (wire === undefined) return
    const { options, hooks } = this.#config
    if (options.mode === 'raw') return hooks.raw(wire)
    const bytes = typeof wire === 'string' ? wire.length : wire.length
    const decoded = decodeServerFrame(wire)
    if (!decoded.ok) {
      hooks.invalid(new MooringError('PROTOCOL', `server sent an invalid frame: ${decoded.message}`, { op: 'receive' }))
      return
    }
    const frame = decoded.frame
    switch (frame.t) {
      case 'ping':
        // Answer from the receive path: hidden tabs throttle timers, not network callbacks.
        this.send(encode({ t: 'pong', n: frame.n }))
        return
      case 'pong':
        this.#heartbeat?.pong(frame.n)
        return
      case 'welcome':
        if (this.#heartbeat) return
        hooks.rtt(this.#clock.now() - this.#helloSentAt)
        return this.#ready(frame, { ...options.heartbeat, ...frame.heartbeat })
      default:
        if (!this.#heartbeat) {
          // The server refused us during the handshake; the close that follows carries the code.
          if (frame.t === 'error') hooks.frame(frame, bytes)
          return
        }
        hooks.frame(frame, bytes)
    }
  }

  #ready(welcome: WelcomeFrame | undefined, heartbeat: HeartbeatOptions): void {
    this.#connectTimer.stop()
    const socket = this.#socket!
    const { options, hooks, rawPing } = this.#config
    const nodePing = options.mode === 'raw' && typeof socket.ping === 'function'
    const sendPings = options.mode === 'raw' && (nodePing || rawPing !== undefined)
    this.#heartbeat = new Heartbeat(
      this.#clock,
      // Raw mode without a way to ping can only watch for silence if the app opts in.
      { ...heartbeat, enabled: heartbeat.enabled && (options.mode === 'protocol' || sendPings) },
      {
        ping: (n) => {
          if (options.mode === 'protocol') this.send(encode({ t: 'ping', n }))
          else if (nodePing) socket.ping!()
          else if (rawPing) this.send(rawPing())
        },
        dead: () =>
          this.#fail('heartbeat-timeout', new MooringError('TIMEOUT', 'no sign of life from the server', { op: 'heartbeat' })),
        rtt: (ms) => hooks.rtt(ms),
      },
      sendPings,
    )
    this.#heartbeat.start()
    hooks.opened(welcome)
  }

  #fail(reason: Reason, error: MooringError): void {
    this.#end({ reason, code: 1006, closeReason: error.message, error })
  }

  #end(loss: LinkLoss): void {
    if (this.#done) return
    this.#stop()
    // Do not wait for the peer: a half-open socket would never answer a closing handshake.
    if (this.#socket) abandonSocket(this.#socket, ABANDON, loss.reason, true)
    this.#config.hooks.lost(loss)
  }

  #stop(): void {
    this.#done = true
    this.#connectTimer.stop()
    this.#authTimer.stop()
    this.#heartbeat?.stop()
  }
}
