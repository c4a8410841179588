import { EventEmitter } from 'eventemitter3'
import {
  encode,
  type Contract,
  type EventInput,
  type EventData,
  type EventName,
  type LooseContract,
  type ReplyData,
  type RequestInput,
  type RequestName,
  type ServerFrame,
  type WelcomeFrame,
  type Wire,
} from '@mooring/protocol'
import { backoffDelay } from './backoff.js'
import { Timer } from './clock.js'
import { closeVerdict, retryHintMs, type CloseInfo } from './close-policy.js'
import { initialState, transition, type ConnectionEvent, type ConnectionState, type Reason } from './connection.js'
import { MooringError } from './errors.js'
import { Link, PAGEHIDE_CODE, type LinkLoss } from './link.js'
import { resolveOptions, type ClientOptions, type ResolvedOptions, type Token } from './options.js'
import { Outbox, type DropReason, type OutboxMessage } from './outbox.js'
import { PendingRequests, type RequestOptions } from './requests.js'
import { checkPayload } from './schema.js'
import { StatsRecorder, type ClientStats } from './stats.js'
import type { LifecycleSignal } from './environment.js'
import { RawCodec } from './raw-codec.js'

/** Payload of every `state` event: where the connection is, where it was, and why. */
export interface StateChange {
  state: ConnectionState['status']
  prev: ConnectionState['status']
  reason: Reason
  /** Close code behind the change, when there was one. */
  code?: number
  /** Consecutive failed attempts so far. */
  attempt: number
  /** Delay before the next attempt, when one is scheduled. */
  nextDelayMs?: number
}

/** Why a message left the outbox without reaching the server. */
export interface DropEvent {
  message: OutboxMessage
  reason: DropReason | 'volatile' | 'not-connected'
}

export interface ClientEvents {
  state: (change: StateChange) => void
  /** Connected, authenticated, rooms rejoined and outbox flushed. */
  ready: () => void
  error: (error: MooringError) => void
  drop: (event: DropEvent) => void
  /** `maxAttempts` reached with no slow-retry phase: the client stopped. */
  giveup: (error: MooringError | undefined) => void
  /** Raw mode: every inbound frame as it arrived. */
  raw: (data: Wire) => void
}

export interface SendOptions {
  /**
   * `queue` (default): kept until the server acks it, resent after reconnects.
   * `volatile`: sent only if connected right now, else dropped (typing indicators, cursors).
   * `connected`: sent only if connected right now, else rejected with `CONNECTION_CLOSED`.
   */
  delivery?: 'queue' | 'volatile' | 'connected'
  /** Queue only: give up on the message after this long, in ms. @default the outbox `ttlMs` */
  ttlMs?: number
}

type Handler = (data: any) => void

/** The Mooring client. Create it with `createClient`. */
export class MooringClient<C extends Contract = LooseContract> extends EventEmitter<ClientEvents> {
  readonly options: ResolvedOptions
  readonly clientId: string
  readonly #contract: Partial<Contract> | undefined
  readonly #auth: (() => Token | Promise<Token>) | undefined
  readonly #userOptions: ClientOptions<C>
  readonly #raw: RawCodec | undefined
  #state: ConnectionState = initialState
  #link: Link | undefined
  #ready = false
  #sessionId: string | undefined
  #restartHintMs: number | undefined
  #reauthed = false
  #lastDelayMs = 0
  #lastError: MooringError | undefined
  #nextId = 0
  #closing: Promise<void> = Promise.resolve()
  #unsubscribeEnv: (() => void) | undefined
  readonly #retryTimer
  readonly #stableTimer
  readonly #expiryTimer
  readonly #handlers = new Map<string, Set<Handler>>()
  readonly #subscribers = new Set<() => void>()
  readonly #stats = new StatsRecorder()
  readonly #requests
  /** Reliable messages waiting for their ack, in send order. */
  readonly outbox: Outbox

  constructor(options: ClientOptions<C>) {
    super()
    this.options = resolveOptions(options)
    this.#userOptions = options
    this.clientId = this.options.clientId
    this.#contract = options.contract
    this.#auth = options.auth
    this.#raw = this.options.mode === 'raw' ? new RawCodec(options.raw) : undefined
    const clock = this.options.clock
    this.#retryTimer = new Timer(clock)
    this.#stableTimer = new Timer(clock)
    this.#expiryTimer = new Timer(clock)
    this.#requests = new PendingRequests(clock)
    this.outbox = new Outbox(this.options.outbox, (message, reason) => {
      this.#stats.dropped++
      this.emit('drop', { message, reason })
    })
    options.signal?.addEventListener('abort', () => void this.close(), { once: true })
    // Connect on the next microtask, so `state` listeners attached right after
    // `createClient()` see the first `connecting`.
    if (this.options.autoConnect && !options.signal?.aborted)
      void Promise.resolve().then(() => this.#state === initialState && this.connect())
  }

  // ---------------------------------------------------------------- public surface

  /** The current state. The object is immutable and only replaced on change. */
  getState(): ConnectionState {
    return this.#state
  }

  /** Listen to every state change (for `useSyncExternalStore`); returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#subscribers.add(listener)
    return () => this.#subscribers.delete(listener)
  }

  /** True once connected, authenticated and flushed, until the connection is lost. */
  get ready(): boolean {
    return this.#ready
  }

  /** Start connecting. Idempotent: a no-op while connecting or connected. */
  connect(): void {
    this.#listenToEnvironment()
    this.#dispatch({ type: 'connect' })
  }

  /** Drop the current socket (if any) and connect now, with the attempt count reset. Works from every state. */
  reconnect(): void {
    this.#listenToEnvironment()
    this.#reauthed = false
    this.#dispatch({ type: 'reconnect', reason: 'user' })
  }

  /** Close the connection and stop reconnecting. Resolves once the socket has closed. */
  close(): Promise<void> {
    this.#dispatch({ type: 'close', reason: 'user' })
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Handle direct messages of `type` from the server; returns the unsubscribe. */
  onMessage<K extends EventName<C>>(type: K, handler: (data: EventData<C, K>) => void): () => void {
    let set = this.#handlers.get(type)
    if (!set) this.#handlers.set(type, (set = new Set()))
    set.add(handler)
    return () => {
      set.delete(handler)
      if (set.size === 0) this.#handlers.delete(type)
    }
  }

  /**
   * Send a message to the server. With the default `queue` delivery it resolves once the
   * server has acknowledged it — exactly once, however many reconnects it takes.
   */
  send<K extends EventName<C>>(type: K, data: EventInput<C, K>, options: SendOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const proceed = (value: unknown) => this.#enqueue(type, value, options).then(resolve, reject)
      if (!this.options.validateOutbound) return proceed(data)
      checkPayload(this.#contract, 'event', type, data, 'send', proceed, reject)
    })
  }

  /** Ask the server and wait for its reply. Rejects with `TIMEOUT`, `ABORTED` or `CONNECTION_CLOSED`. */
  request<K extends RequestName<C>>(type: K, data: RequestInput<C, K>, options: RequestOptions = {}): Promise<ReplyData<C, K>> {
    return new Promise((resolve, reject) => {
      if (this.options.mode === 'raw')
        return reject(new MooringError('PROTOCOL', 'request() needs protocol mode', { op: 'request' }))
      if (this.#state.status === 'closed')
        return reject(new MooringError('CONNECTION_CLOSED', 'client is closed', { op: 'request' }))
      const proceed = (value: unknown) => {
        const id = ++this.#nextId
        const frame = { t: 'req' as const, id, type, data: value }
        this.#requests
          .add(id, frame, { ...options, timeoutMs: options.timeoutMs ?? 10_000 })
          .then((reply) => checkPayload(this.#contract, 'reply', type, reply, 'request', resolve as Handler, reject), reject)
        if (this.#ready && this.#write(frame)) this.#requests.markSent(id)
      }
      if (!this.options.validateOutbound) return proceed(data)
      checkPayload(this.#contract, 'request', type, data, 'request', proceed, reject)
    })
  }

  /** Counters for dashboards. A fresh snapshot object each call. */
  stats(): ClientStats {
    return this.#stats.snapshot(this.options.clock.now(), this.#state.status, this.#state.attempt, this.outbox.size)
  }

  // ---------------------------------------------------------------- sending

  #enqueue(type: string, data: unknown, options: SendOptions): Promise<void> {
    const delivery = options.delivery ?? 'queue'
    const now = this.options.clock.now()
    const id = ++this.#nextId
    const wire = this.#encodeSend(id, type, data)
    const bytes = typeof wire === 'string' ? wire.length : wire.length
    const message: OutboxMessage = { id, type, data, bytes, enqueuedAt: now, expiresAt: now + (options.ttlMs ?? this.options.outbox.ttlMs) }
    if (delivery !== 'queue' && !this.#ready) {
      this.#stats.dropped++
      this.emit('drop', { message, reason: delivery === 'volatile' ? 'volatile' : 'not-connected' })
      if (delivery === 'volatile') return Promise.resolve()
      return Promise.reject(new MooringError('CONNECTION_CLOSED', 'not connected', { op: 'send' }))
    }
    if (delivery === 'volatile' || this.#raw) {
      // Raw mode has no acks: a message is delivered as far as we can tell once written.
      if (this.#ready) {
        this.#writeWire(wire)
        return Promise.resolve()
      }
    }
    if (delivery === 'connected') {
      const acked = this.#requests.add(id, undefined, { timeoutMs: this.options.connectTimeoutMs }).then(() => undefined)
      this.#requests.markSent(id)
      this.#writeWire(wire)
      return acked
    }
    const queued = this.outbox.add(message)
    this.#armExpiry()
    if (this.#ready) this.#writeWire(wire)
    return queued
  }

  #encodeSend(id: number, type: string, data: unknown): Wire {
    if (this.#raw) return this.#raw.encode(type, data)
    return encode({ t: 'send', id, type, data })
  }

  #write(frame: Parameters<typeof encode>[0]): boolean {
    return this.#writeWire(encode(frame))
  }

  #writeWire(wire: Wire): boolean {
    if (!this.#link?.send(wire)) return false
    this.#stats.messagesOut++
    this.#stats.bytesOut += typeof wire === 'string' ? wire.length : wire.length
    return true
  }

  #flush(): void {
    for (const message of this.outbox.list()) {
      this.#writeWire(this.#encodeSend(message.id, message.type, message.data))
      if (this.#raw) this.outbox.ack(message.id)
    }
    for (const { id, frame } of this.#requests.toSend()) {
      if (frame && this.#write(frame as Parameters<typeof encode>[0])) this.#requests.markSent(id)
    }
  }

  #armExpiry(): void {
    const next = this.outbox.expire(this.options.clock.now())
    if (next === Infinity) this.#expiryTimer.stop()
    else this.#expiryTimer.start(next - this.options.clock.now(), () => this.#armExpiry())
  }

  // ---------------------------------------------------------------- receiving

  #onFrame(frame: ServerFrame, bytes: number): void {
    this.#stats.messagesIn++
    this.#stats.bytesIn += bytes
    switch (frame.t) {
      case 'ack':
        if (!this.outbox.ack(frame.id)) this.#requests.resolve(frame.id, undefined)
        return
      case 'reply':
        this.#requests.resolve(frame.id, frame.data)
        return
      case 'error': {
        const error = new MooringError(frame.code as MooringError['code'], frame.message, { op: 'server', details: frame.details })
        if (frame.id !== undefined && (this.outbox.fail(frame.id, error) || this.#requests.reject(frame.id, error))) return
        this.#lastError = error
        this.emit('error', error)
        return
      }
      case 'evt':
        return this.#deliver(frame.type, frame.data)
      case 'goaway':
        this.#restartHintMs = frame.retryAfterMs
        return
      default:
        return
    }
  }

  #deliver(type: string, data: unknown): void {
    checkPayload(
      this.#contract,
      'event',
      type,
      data,
      'receive',
      (value) => {
        for (const handler of [...(this.#handlers.get(type) ?? [])]) handler(value)
      },
      (error) => {
        this.#stats.invalidIn++
        this.emit('error', error)
      },
    )
  }

  #onRaw(wire: Wire): void {
    this.#stats.messagesIn++
    this.#stats.bytesIn += typeof wire === 'string' ? wire.length : wire.length
    this.emit('raw', wire)
    const message = this.#raw!.decode(wire)
    if (message) this.#deliver(message.type, message.data)
  }

  // ---------------------------------------------------------------- state machine

  #dispatch(event: ConnectionEvent): void {
    const prev = this.#state
    const next = transition(prev, event)
    if (next === prev) return
    this.#state = next
    for (const subscriber of [...this.#subscribers]) subscriber()
    if (event.type !== 'stable') {
      const change: StateChange = { state: next.status, prev: prev.status, reason: next.reason, attempt: next.attempt }
      if ('code' in next && next.code !== undefined) change.code = next.code
      if ('nextDelayMs' in next) change.nextDelayMs = next.nextDelayMs
      this.emit('state', change)
    }
    // A listener may have moved the machine on; the newer transition ran its own effects.
    if (this.#state === next) this.#effects(prev, next)
  }

  #effects(prev: ConnectionState, next: ConnectionState): void {
    const clock = this.options.clock
    if (next.status !== 'open') {
      this.#stableTimer.stop()
      if (prev.status === 'open') {
        this.#ready = false
        this.#requests.connectionLost()
      }
    }
    if (next.status !== 'reconnecting' && next.status !== 'offline') this.#retryTimer.stop()
    else if (prev.status !== 'reconnecting' && prev.status !== 'offline')
      this.#retryTimer.start(next.nextDelayMs, () => this.#dispatch({ type: 'retry' }))

    if (next.status === 'connecting') {
      this.#dropLink(4000, 'reconnect', false)
      this.#startLink()
    } else if (next.status === 'open') {
      this.#stats.opened(clock.now())
      this.#stableTimer.start(this.options.reconnect.minUptimeMs, () => {
        this.#reauthed = false
        this.#dispatch({ type: 'stable' })
      })
    } else if (next.status === 'closed') {
      const graceful = next.reason === 'user' || next.reason === 'pagehide'
      this.#closing = this.#dropLink(next.reason === 'pagehide' ? PAGEHIDE_CODE : 1000, next.reason, graceful)
      if (next.reason !== 'pagehide') this.#shutdown(next)
    }
  }

  /** A terminal close: nothing will be sent any more, so nothing may be left waiting. */
  #shutdown(state: ConnectionState & { status: 'closed' }): void {
    this.#unsubscribeEnv?.()
    this.#unsubscribeEnv = undefined
    this.#expiryTimer.stop()
    const error =
      state.reason === 'user'
        ? new MooringError('CONNECTION_CLOSED', 'client closed', { op: 'close' })
        : new MooringError(
            state.reason === 'giveup' ? 'GIVEUP' : 'CONNECTION_CLOSED',
            `connection closed: ${state.reason}${state.code ? ` (${state.code})` : ''}`,
            { op: 'connect', cause: state.error },
          )
    this.#requests.rejectAll(error)
    this.outbox.clear('closed')
    if (state.reason === 'giveup') this.emit('giveup', this.#lastError)
  }

  #dropLink(code: number, reason: string, graceful: boolean): Promise<void> {
    const link = this.#link
    this.#link = undefined
    return link ? link.dispose(code, reason, graceful) : Promise.resolve()
  }

  #startLink(): void {
    const link: Link = new Link({
      options: this.options,
      transport: {
        url: this.options.url,
        headers: this.#userOptions.headers,
        wsOptions: this.#userOptions.wsOptions,
        WebSocket: this.#userOptions.WebSocket,
      },
      auth: this.#auth,
      resume: this.#sessionId,
      rawPing: this.#userOptions.raw?.ping,
      hooks: {
        opened: (welcome) => this.#link === link && this.#onOpened(welcome),
        frame: (frame, bytes) => this.#link === link && this.#onFrame(frame, bytes),
        raw: (wire) => this.#link === link && this.#onRaw(wire),
        invalid: (error) => {
          if (this.#link !== link) return
          this.#stats.invalidIn++
          this.emit('error', error)
        },
        rtt: (ms) => this.#link === link && this.#stats.rtt(ms),
        lost: (loss) => this.#link === link && this.#onLost(loss),
      },
    })
    this.#link = link
    void link.start()
  }

  #onOpened(welcome: WelcomeFrame | undefined): void {
    if (welcome) this.#sessionId = welcome.sessionId
    this.#restartHintMs = undefined
    this.#dispatch({ type: 'opened' })
    if (this.#state.status !== 'open') return
    // Order after every (re)connect: welcome → rejoin rooms → flush the outbox → ready.
    this.#flush()
    this.#ready = true
    this.emit('ready')
  }

  #onLost(loss: LinkLoss): void {
    this.#link = undefined
    const clock = this.options.clock
    this.#stats.closed(clock.now(), loss.code, loss.closeReason)
    if (loss.error) this.#lastError = loss.error
    const state = this.#state
    const info: CloseInfo = { code: loss.code, closeReason: loss.closeReason, reason: loss.reason, attempt: state.attempt, error: loss.error }
    // Only a close code from the server can be a verdict; timeouts and network errors retry.
    let verdict = loss.reason === 'server-close' || loss.reason === 'network' ? closeVerdict(loss.code) : 'retry'
    const override = this.#userOptions.shouldReconnect?.(info)
    if (override === false) verdict = 'stop'
    else if (override === true && verdict === 'stop') verdict = 'retry'
    const reason: Reason = verdict === 'reauth' ? 'auth' : loss.code === 1000 || loss.code === 4403 ? 'server-close' : loss.reason
    if (verdict === 'stop') return this.#dispatch({ type: 'lost', reason, code: loss.code, error: loss.error, retry: false })

    const offline = !this.options.environment.isOnline()
    if (verdict === 'reauth' && !this.#reauthed) {
      // A fresh token usually fixes 4401 at once; a second 4401 in a row backs off.
      this.#reauthed = true
      return this.#dispatch({ type: 'lost', reason, code: loss.code, retry: { delayMs: 0, offline, immediate: true } })
    }
    const { reconnect } = this.options
    if (state.attempt + 1 > reconnect.maxAttempts && reconnect.slowRetryMs <= 0)
      return this.#dispatch({ type: 'lost', reason: 'giveup', code: loss.code, error: loss.error, retry: false })
    const hint = this.#restartHintMs ?? (loss.code === 1012 || loss.code === 1013 ? retryHintMs(loss.closeReason) : undefined)
    this.#restartHintMs = undefined
    let delayMs: number
    if (hint !== undefined) {
      // A restarting server asks everyone to come back later: spread the return so a
      // thousand clients do not arrive in the same 100 ms.
      delayMs = hint + clock.random() * Math.max(hint, reconnect.restartSpreadMs)
    } else if (state.attempt + 1 > reconnect.maxAttempts) {
      delayMs = reconnect.slowRetryMs * (0.5 + clock.random() / 2)
    } else {
      delayMs = backoffDelay(reconnect, state.attempt, clock.random(), this.#lastDelayMs)
    }
    this.#lastDelayMs = delayMs
    this.#dispatch({ type: 'lost', reason, code: loss.code, error: loss.error, retry: { delayMs, offline } })
  }

  // ---------------------------------------------------------------- environment

  #listenToEnvironment(): void {
    this.#unsubscribeEnv ??= this.options.environment.subscribe((signal) => this.#onSignal(signal))
  }

  #onSignal(signal: LifecycleSignal): void {
    const status = this.#state.status
    switch (signal) {
      case 'online':
        if (status === 'open') this.#link?.probe()
        else this.#dispatch({ type: 'online' })
        return
      case 'offline':
        if (status === 'open') this.#link?.probe()
        else this.#dispatch({ type: 'offline' })
        return
      case 'visible':
      case 'resume':
        if (status === 'open') this.#link?.probe()
        else if (status === 'reconnecting' || status === 'offline') this.#dispatch({ type: 'retry' })
        return
      case 'pagehide':
        if (status !== 'idle' && status !== 'closed') this.#dispatch({ type: 'close', reason: 'pagehide' })
        return
      case 'pageshow':
        if (status === 'closed' && this.#state.reason === 'pagehide') this.#dispatch({ type: 'connect' })
        return
    }
  }
}

/** Create a client. It connects at once unless `autoConnect: false`. */
export function createClient<C extends Contract = LooseContract>(options: ClientOptions<C>): MooringClient<C> {
  return new MooringClient<C>(options)
}
