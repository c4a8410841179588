import {
  AUTH_SUBPROTOCOL_PREFIX,
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
import { Heartbeat, type HeartbeatHooks, type HeartbeatOptions } from './heartbeat.js'
import type { ClientOptions, ResolvedOptions, Token } from './options.js'
// The runtime's transport: transport.ts in browsers, transport.node.ts in Node (package.json `imports`).
import { abandonSocket, detach, isOpen, listen, openSocket, write } from '#transport'
import type { SocketLike } from './transport.js'

/** How a link ended. */
export interface LinkLoss {
  reason: Reason
  /** Close code from the peer, or 1006 when the socket died without one. */
  code: number
  closeReason: string
  error?: MooringError
}

/**
 * What a Link tells its client, through one function rather than an object of callbacks:
 * a client holds a Link per connection, and one closure is lighter than six.
 */
export interface LinkReport {
  /** The link is usable: `welcome` arrived (protocol mode) or the socket opened (raw mode). */
  (event: 'opened', welcome: WelcomeFrame | undefined): void
  /** A decoded server frame (protocol mode), other than ping/pong/welcome. */
  (event: 'frame', frame: ServerFrame, bytes: number): void
  /** An inbound frame in raw mode. */
  (event: 'raw', data: Wire): void
  /** The server sent something that is not a valid frame; the link stays up. */
  (event: 'invalid', error: MooringError): void
  (event: 'rtt', ms: number): void
  /** Reported exactly once, when the link is gone for any reason other than `dispose`. */
  (event: 'lost', loss: LinkLoss): void
}

export interface LinkConfig {
  options: ResolvedOptions
  /**
   * The options as the app gave them: the transport (url, headers, wsOptions, WebSocket),
   * `auth` and the raw-mode ping are read from here at connect time.
   */
  user: ClientOptions<any>
  /** Session to resume, from the previous `welcome`. */
  resume: string | undefined
  report: LinkReport
}

/** Close code for a socket we let go of (a newer attempt replaces it). */
const ABANDON = 4000
/** Close code a page uses when it goes into the bfcache (browsers may not send 1001). */
export const PAGEHIDE_CODE = 4001

function base64url(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * One connection attempt and, if it succeeds, the socket's life: auth, open, handshake,
 * heartbeat, and the end. A client holds at most one live Link; when it lets go of one
 * (`dispose`), every later callback of that Link's socket is ignored, so events from an
 * old socket can never reach the client.
 */
export class Link implements HeartbeatHooks {
  readonly #config: LinkConfig
  readonly #clock: Clock
  /** The auth deadline, then the connect deadline: one phase at a time. */
  readonly #timer: Timer
  #socket: SocketLike | undefined
  #heartbeat: Heartbeat | undefined
  #done = false
  #helloSentAt = 0

  constructor(config: LinkConfig) {
    this.#config = config
    this.#clock = config.options.clock
    this.#timer = new Timer(this.#clock)
  }

  async start(): Promise<void> {
    const { options, user } = this.#config
    const { auth } = user
    let token: Token | undefined
    try {
      if (auth)
        token = await new Promise<Token>((resolve, reject) => {
          this.#timer.start(options.authTimeoutMs, () => reject(new MooringError('TIMEOUT', 'auth timed out', { op: 'auth' })))
          Promise.resolve().then(auth).then(resolve, reject)
        })
    } catch (error) {
      return this.#fail('auth', MooringError.from(error, 'AUTH_FAILED', 'auth'))
    }
    if (this.#done) return
    const protocols = options.mode === 'protocol' ? [SUBPROTOCOL, ...options.protocols] : [...options.protocols]
    if (token !== undefined && options.authVia === 'subprotocol')
      protocols.push(AUTH_SUBPROTOCOL_PREFIX + base64url(typeof token === 'string' ? token : JSON.stringify(token)))
    let socket: SocketLike
    try {
      socket = this.#socket = openSocket({ ...user, protocols })
    } catch (error) {
      return this.#fail('network', MooringError.from(error, 'CONNECT_FAILED', 'connect'))
    }
    this.#timer.start(options.connectTimeoutMs, () =>
      this.#fail('connect-timeout', new MooringError('TIMEOUT', 'connect timed out', { op: 'connect' })),
    )
    listen(socket, {
      open: () => {
        if (options.mode === 'raw') return this.#ready(undefined, options.heartbeat)
        this.#helloSentAt = this.#clock.now()
        this.send(
          encode({
            t: 'hello',
            v: PROTOCOL_VERSION,
            clientId: options.clientId,
            resume: this.#config.resume,
            token: options.authVia === 'hello' ? token : undefined,
          }),
        )
      },
      message: (data, binary) => this.#receive(binary === false ? String(data) : data),
      close: (code, reason) =>
        this.#end({
          reason: code === 1006 || !this.#heartbeat ? 'network' : 'server-close',
          code: code || 1006,
          closeReason: String(reason ?? ''),
        }),
      pong: () => this.#heartbeat?.alive(),
    })
  }

  /** Write a frame; false when the socket is not open. */
  send(wire: Wire): boolean {
    const socket = this.#socket
    if (this.#done || !socket || !isOpen(socket)) return false
    write(socket, wire)
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
    const socket = this.#socket
    if (this.#done || !socket) return this.#stop()
    this.#stop()
    if (!graceful || !isOpen(socket)) return abandonSocket(socket, code, reason)
    return new Promise<void>((resolve) => {
      const timer = new Timer(this.#clock)
      detach(socket)
      listen(socket, {
        close: () => {
          timer.stop()
          resolve()
        },
      })
      // A peer that never answers the close must not hold `close()` forever.
      timer.start(2_000, () => resolve(abandonSocket(socket, code, reason)))
      socket.close(code, reason)
    })
  }

  #receive(raw: unknown): void {
    if (this.#done) return
    this.#heartbeat?.alive()
    const wire = toWire(raw)
    if (wire === undefined) return
    const { options, report } = this.#config
    if (options.mode === 'raw') return report('raw', wire)
    const decoded = decodeServerFrame(wire)
    if (!decoded.ok) return report('invalid', new MooringError('PROTOCOL', `invalid frame: ${decoded.message}`, { op: 'receive' }))
    const frame = decoded.frame
    if (frame.t === 'ping') {
      // Answer from the receive path: hidden tabs throttle timers, not network callbacks.
      this.send(encode({ t: 'pong', n: frame.n }))
    } else if (frame.t === 'pong') {
      this.#heartbeat?.pong(frame.n)
    } else if (frame.t === 'welcome') {
      if (this.#heartbeat) return
      report('rtt', this.#clock.now() - this.#helloSentAt)
      this.#ready(frame, frame.heartbeat ? { ...options.heartbeat, ...frame.heartbeat } : options.heartbeat)
    } else if (this.#heartbeat || frame.t === 'error') {
      // Before the welcome only an error counts: the server refusing us (the close that follows carries the code).
      report('frame', frame, wire.length)
    }
  }

  #ready(welcome: WelcomeFrame | undefined, heartbeat: HeartbeatOptions): void {
    this.#timer.stop()
    const socket = this.#socket!
    const { options, user } = this.#config
    const raw = options.mode === 'raw'
    const nodePing = raw && typeof socket.ping === 'function'
    const sendPings = raw && (nodePing || !!user.raw?.ping)
    // Raw mode without a way to ping can only watch for silence if the app opts in.
    const enabled = heartbeat.enabled && (!raw || sendPings)
    this.#heartbeat = new Heartbeat(this.#clock, enabled === heartbeat.enabled ? heartbeat : { ...heartbeat, enabled }, this, sendPings)
    this.#config.report('opened', welcome)
  }

  /** @internal Heartbeat hook: send a ping (a protocol ping, a `ws` ping frame, or the app's raw ping). */
  ping(n: number): void {
    const raw = this.#config.options.mode === 'raw'
    const socket = this.#socket!
    if (!raw) this.send(encode({ t: 'ping', n }))
    else if (typeof socket.ping === 'function') socket.ping()
    else this.send(this.#config.user.raw!.ping!())
  }

  /** @internal Heartbeat hook: no sign of life in time. */
  dead(): void {
    this.#fail('heartbeat-timeout', new MooringError('TIMEOUT', 'heartbeat timed out', { op: 'heartbeat' }))
  }

  /** @internal Heartbeat hook. */
  rtt(ms: number): void {
    this.#config.report('rtt', ms)
  }

  #fail(reason: Reason, error: MooringError): void {
    this.#end({ reason, code: 1006, closeReason: error.message, error })
  }

  #end(loss: LinkLoss): void {
    if (this.#done) return
    this.#stop()
    // Do not wait for the peer: a half-open socket would never answer a closing handshake.
    if (this.#socket) abandonSocket(this.#socket, ABANDON, loss.reason)
    this.#config.report('lost', loss)
  }

  #stop(): Promise<void> {
    this.#done = true
    this.#timer.stop()
    this.#heartbeat?.stop()
    return Promise.resolve()
  }
}
