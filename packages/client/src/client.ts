import {
  encode,
  type Contract,
  type EventData,
  type EventInput,
  type EventName,
  type LooseContract,
  type ReplyData,
  type RequestInput,
  type RequestName,
  type ServerFrame,
  type WelcomeFrame,
  type Wire,
} from '@mooring/protocol'
import { Emitter } from './emitter.js'
import { Timer } from './clock.js'
import { planRetry } from './close-policy.js'
import { initialState, signalAction, transition, type ConnectionEvent, type ConnectionState, type Reason } from './connection.js'
import { Delivery, type DropEvent, type SendOptions } from './delivery.js'
import type { LifecycleSignal } from './environment.js'
import { MooringError, needsProtocol, observed } from './errors.js'
import { Link, PAGEHIDE_CODE, type LinkLoss } from './link.js'
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './options.js'
import type { Outbox } from './outbox.js'
import { RawCodec } from './raw-codec.js'
import type { RequestOptions } from './requests.js'
import { addHandler, type Room } from './room.js'
import { Rooms } from './rooms.js'
import { checkPayload } from './schema.js'
import { StatsRecorder, type ClientStats } from './stats.js'
import { Persister } from './storage.js'
import type { ClientEvents, StateChange } from './client-events.js'

export type { ClientEvents, StateChange } from './client-events.js'

type Handler = (data: any) => void
/** How long a link must have been open for a 4401 to earn another immediate token refresh. */
const REAUTH_MIN_UPTIME_MS = 1_000

/** The Mooring client. Create it with `createClient`. */
export class MooringClient<C extends Contract = LooseContract> extends Emitter<ClientEvents> {
  readonly options: ResolvedOptions
  readonly #user: ClientOptions<C>
  readonly #raw: RawCodec | undefined
  readonly #delivery: Delivery
  /** Created by the first `room()` call: a client that never joins pays nothing for rooms. */
  #rooms: Rooms | undefined
  readonly #stats = new StatsRecorder()
  // Created on first use, like the emitter's listeners: idle clients stay small.
  #handlers: Map<string, Set<Handler>> | undefined
  #subscribers: Set<() => void> | undefined
  readonly #retryTimer: Timer
  readonly #stableTimer: Timer
  #state: ConnectionState = initialState
  #link: Link | undefined
  #ready = false
  #sessionId: string | undefined
  #restartHintMs: number | undefined
  #reauthed = false
  #openedAt = 0
  #lastDelayMs = 0
  #lastError: MooringError | undefined
  #closing: Promise<void> = Promise.resolve()
  #unsubscribeEnv: (() => void) | undefined
  readonly #persister: Persister | undefined

  constructor(options: ClientOptions<C>) {
    super()
    this.options = resolveOptions(options)
    this.#user = options
    const clock = this.options.clock
    this.#raw = this.options.mode === 'raw' ? new RawCodec(options.raw) : undefined
    this.#retryTimer = new Timer(clock)
    this.#stableTimer = new Timer(clock)
    this.#delivery = new Delivery({
      clock,
      outbox: this.options.outbox,
      ackTimeoutMs: this.options.connectTimeoutMs,
      raw: this.#raw,
      port: (event: string, arg?: any): any =>
        event === 'ready' ? this.#ready : event === 'write' ? this.#writeWire(arg) : event === 'drop' ? this.#dropped(arg) : this.#persister?.changed(),
    })
    if (options.storage)
      this.#persister = new Persister(
        options.storage,
        {
          snapshot: () => ({ clientId: this.clientId, nextId: this.#delivery.nextId, messages: this.#delivery.list() }),
          restore: (messages, nextId) => this.#delivery.restore(messages, nextId),
          adopt: (clientId) => (this.options.clientId = clientId),
          failed: (error) => this.emit('error', MooringError.from(error, 'INTERNAL', 'storage')),
        },
        options.clientId,
      )
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
    const subscribers = (this.#subscribers ??= new Set())
    subscribers.add(listener)
    return () => subscribers.delete(listener)
  }

  /** True once connected, authenticated, rejoined and flushed, until the connection is lost. */
  get ready(): boolean {
    return this.#ready
  }

  /** Stable id of this client: random, given in the options, or restored from storage. */
  get clientId(): string {
    return this.options.clientId
  }

  /** Resolves once the outbox as it is now is saved (immediately without `storage`). */
  persisted(): Promise<void> {
    return this.#persister?.idle() ?? Promise.resolve()
  }

  /** Reliable messages waiting for their ack, in send order. */
  get outbox(): Outbox {
    return this.#delivery
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

  /** Join `name` (or hold it again): the room rejoins after every reconnect until left. */
  room(name: string, options: { meta?: unknown } = {}): Room<C> {
    if (this.options.mode === 'raw') throw needsProtocol('join')
    return this.#roomsOf().get(name, options.meta) as Room<C>
  }

  /** The rooms this client holds. */
  rooms(): Room<C>[] {
    return (this.#rooms?.list() ?? []) as Room<C>[]
  }

  /** Handle direct messages of `type` from the server; returns the unsubscribe. */
  onMessage<K extends EventName<C>>(type: K, handler: (data: EventData<C, K>) => void): () => void {
    return addHandler((this.#handlers ??= new Map()), type, handler)
  }

  /**
   * Send a message to the server. With the default `queue` delivery it resolves once the
   * server has acknowledged it — exactly once, however many reconnects it takes.
   */
  send<K extends EventName<C>>(type: K, data: EventInput<C, K>, options: SendOptions = {}): Promise<void> {
    return this.#validated('event', type, data, 'send', (value) => this.#delivery.send(type, value, options))
  }

  /** Ask the server and wait for its reply. Rejects with `TIMEOUT`, `ABORTED` or `CONNECTION_CLOSED`. */
  request<K extends RequestName<C>>(type: K, data: RequestInput<C, K>, options: RequestOptions = {}): Promise<ReplyData<C, K>> {
    const { status, reason } = this.#state
    if (this.options.mode === 'raw' || (status === 'closed' && reason !== 'pagehide'))
      return observed(Promise.reject(this.options.mode === 'raw' ? needsProtocol('request') : new MooringError('CONNECTION_CLOSED', 'closed', { op: 'request' })))
    return this.#validated('request', type, data, 'request', (value) =>
      this.#delivery
        .request(type, value, options)
        .then((reply) => new Promise<unknown>((resolve, reject) => checkPayload(this.#user.contract, 'reply', type, reply, 'request', resolve, reject))),
    ) as Promise<ReplyData<C, K>>
  }

  /** Counters for dashboards. A fresh snapshot object each call. */
  stats(): ClientStats {
    return this.#stats.snapshot(this.options.clock.now(), this.#state.status, this.#state.attempt, this.outbox.size)
  }

  // ---------------------------------------------------------------- messages in and out

  #validated<T>(
    kind: 'event' | 'message' | 'request',
    type: string,
    data: unknown,
    op: string,
    next: (value: unknown) => Promise<T>,
  ): Promise<T> {
    return observed(
      new Promise<T>((resolve, reject) => {
        // Ids must come after the stored ones: hold new messages until the outbox is loaded
        // (in call order, since every waiter chains on the same promise).
        const loading = this.#persister?.loading
        const proceed = (value: unknown) => (loading ? loading.then(() => next(value)) : next(value)).then(resolve, reject)
        if (!this.options.validateOutbound) return proceed(data)
        checkPayload(this.#user.contract, kind, type, data, op, proceed, reject)
      }),
    )
  }

  #roomsOf(): Rooms {
    return (this.#rooms ??= new Rooms({
      clock: this.options.clock,
      linkOpen: () => this.#state.status === 'open' && !!this.#link,
      write: (frame) => this.#writeWire(encode(frame)),
      publish: (room, type, data, sendOptions) =>
        this.#validated('message', type, data, 'publish', (value) => this.#delivery.send(type, value, sendOptions, room)),
      deliver: (type, data, onValid) => this.#inbound('message', type, data, onValid),
    }))
  }

  #inbound(kind: 'event' | 'message', type: string, data: unknown, onValid: (value: unknown) => void): void {
    checkPayload(this.#user.contract, kind, type, data, 'receive', onValid, (error) => this.#invalid(error))
  }

  /** Something inbound failed its check (contract or protocol); the link stays up. */
  #invalid(error: MooringError): void {
    this.#stats.c.invalidIn++
    this.emit('error', error)
  }

  #dropped(event: DropEvent): void {
    this.#stats.c.dropped++
    this.emit('drop', event)
  }

  #writeWire(wire: Wire): boolean {
    if (!this.#link?.send(wire)) return false
    this.#stats.io('Out', wire.length)
    return true
  }

  #onFrame(frame: ServerFrame, bytes: number): void {
    this.#stats.io('In', bytes)
    if (this.#rooms?.onFrame(frame)) return
    switch (frame.t) {
      case 'ack':
        this.#delivery.settle(frame.id)
        for (const id of frame.ids ?? []) this.#delivery.settle(id)
        return
      case 'reply':
        this.#delivery.settle(frame.id, frame.data)
        return
      case 'error': {
        const { id, code, details } = frame
        const wait = (details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs
        if (id !== undefined && code === 'RATE_LIMITED' && this.#delivery.throttled(id, typeof wait === 'number' ? wait : 1000)) return
        const error = new MooringError(code as MooringError['code'], frame.message, { op: 'server', details })
        if (id !== undefined && this.#delivery.settle(id, undefined, error)) return
        this.#lastError = error
        this.emit('error', error)
        return
      }
      case 'evt':
        return this.#deliver(frame.type, frame.data)
      case 'goaway':
        this.#restartHintMs = frame.retryAfterMs
        return
    }
  }

  #deliver(type: string, data: unknown): void {
    const handlers = this.#handlers?.get(type)
    if (!handlers) return
    this.#inbound('event', type, data, (value) => {
      for (const handler of [...handlers]) handler(value)
    })
  }

  #onRaw(wire: Wire): void {
    this.#stats.io('In', wire.length)
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
    if (this.#subscribers) for (const subscriber of [...this.#subscribers]) subscriber()
    if (event.type !== 'stable') {
      // The state minus `error` is the change: reason, attempt, and code / nextDelayMs when set.
      const { status, error: _error, ...rest } = next as ConnectionState & { error?: unknown }
      this.emit('state', { state: status, prev: prev.status, ...rest })
    }
    // A listener may have moved the machine on; the newer transition ran its own effects.
    if (this.#state === next) this.#effects(prev, next)
  }

  #effects(prev: ConnectionState, next: ConnectionState): void {
    if (next.status !== 'open') {
      this.#stableTimer.stop()
      if (prev.status === 'open') {
        this.#ready = false
        this.#delivery.connectionLost()
        this.#rooms?.connectionLost()
      }
    }
    if (next.status !== 'reconnecting' && next.status !== 'offline') this.#retryTimer.stop()
    else if (prev.status !== 'reconnecting' && prev.status !== 'offline')
      this.#retryTimer.start(next.nextDelayMs, () => this.#dispatch({ type: 'retry' }))

    if (next.status === 'connecting') {
      this.#dropLink(4000, 'reconnect', false)
      this.#startLink()
    } else if (next.status === 'open') {
      this.#stats.opened(this.options.clock.now())
      this.#stableTimer.start(this.options.reconnect.minUptimeMs, () => {
        this.#reauthed = false
        this.#dispatch({ type: 'stable' })
      })
    } else if (next.status === 'closed') {
      const pagehide = next.reason === 'pagehide'
      const graceful = pagehide || next.reason === 'user'
      this.#closing = this.#dropLink(pagehide ? PAGEHIDE_CODE : 1000, next.reason, graceful)
      if (!pagehide) this.#shutdown(next)
    }
  }

  /** A terminal close: nothing will be sent any more, so nothing may be left waiting. */
  #shutdown(state: ConnectionState & { status: 'closed' }): void {
    this.#unsubscribeEnv?.()
    this.#unsubscribeEnv = undefined
    const { reason } = state
    const giveup = reason === 'giveup'
    this.#delivery.shutdown(
      new MooringError(giveup ? 'GIVEUP' : 'CONNECTION_CLOSED', `closed: ${reason}`, { op: reason === 'user' ? 'close' : 'connect', cause: state.error }),
    )
    if (giveup) this.emit('giveup', this.#lastError)
  }

  #dropLink(code: number, reason: string, graceful: boolean): Promise<void> {
    const link = this.#link
    this.#link = undefined
    return link ? link.dispose(code, reason, graceful) : Promise.resolve()
  }

  #startLink(): void {
    const link: Link = new Link({
      options: this.options,
      user: this.#user,
      resume: this.#sessionId,
      // A Link reports nothing once let go of, so this always speaks for the current one.
      report: (event: string, a: any, b?: any) => this.#onReport(link, event, a, b),
    })
    this.#link = link
    // Until the stored outbox is loaded, the first socket waits for it (ids come after the stored ones).
    const loading = this.#persister?.loading
    if (loading) void loading.then(() => void (this.#link === link && link.start()))
    else void link.start()
  }

  #onReport(link: Link, event: string, a: any, b: any): void {
    if (event === 'frame') this.#onFrame(a, b)
    else if (event === 'raw') this.#onRaw(a)
    else if (event === 'rtt') this.#stats.rtt(a)
    else if (event === 'invalid') this.#invalid(a)
    else if (event === 'opened') this.#onOpened(link, a)
    else this.#onLost(a)
  }

  #onOpened(link: Link, welcome: WelcomeFrame | undefined): void {
    if (welcome) this.#sessionId = welcome.sessionId
    const { messagesPerSecond: perSecond, burst } = welcome?.limits ?? {}
    this.#delivery.setRate(perSecond ? { perSecond, burst: burst ?? perSecond } : undefined)
    this.#restartHintMs = undefined
    this.#openedAt = this.options.clock.now()
    this.#dispatch({ type: 'opened' })
    if (this.#link !== link) return
    // Order after every (re)connect: welcome → rejoin rooms → flush the outbox → ready.
    const rejoined = () => {
      if (this.#link !== link || this.#state.status !== 'open') return
      this.#ready = true
      this.#delivery.flush()
      this.emit('ready')
    }
    if (this.#rooms) this.#rooms.rejoinAll(this.options.connectTimeoutMs, rejoined)
    else rejoined()
  }

  #onLost(loss: LinkLoss): void {
    this.#link = undefined
    const clock = this.options.clock
    this.#stats.closed(clock.now(), loss.code, loss.closeReason)
    if (loss.error) this.#lastError = loss.error
    // A token that worked for a while and then expired deserves another immediate refresh;
    // a server that kicks us right after welcome does not (no tight reconnect loop).
    if (this.#state.status === 'open' && clock.now() - this.#openedAt >= REAUTH_MIN_UPTIME_MS) this.#reauthed = false
    const plan = planRetry({
      info: { code: loss.code, closeReason: loss.closeReason, reason: loss.reason, attempt: this.#state.attempt, error: loss.error },
      reauthed: this.#reauthed,
      restartHintMs: this.#restartHintMs,
      options: this.options.reconnect,
      lastDelayMs: this.#lastDelayMs,
      random: clock.random(),
      shouldReconnect: this.#user.shouldReconnect,
    })
    this.#restartHintMs = undefined
    const base = { type: 'lost' as const, reason: plan.reason, code: loss.code, error: loss.error }
    const offline = !this.options.environment.isOnline()
    if (plan.kind === 'stop') return this.#dispatch({ ...base, retry: false })
    if (plan.kind === 'now') {
      this.#reauthed = true
      return this.#dispatch({ ...base, retry: { delayMs: 0, offline, immediate: true } })
    }
    this.#lastDelayMs = plan.delayMs
    this.#dispatch({ ...base, retry: { delayMs: plan.delayMs, offline } })
  }

  // ---------------------------------------------------------------- environment

  #listenToEnvironment(): void {
    this.#unsubscribeEnv ??= this.options.environment.subscribe((signal) => this.#onSignal(signal))
  }

  #onSignal(signal: LifecycleSignal): void {
    const action = signalAction(this.#state, signal)
    if (action === 'probe') this.#link?.probe()
    else if (action) this.#dispatch(action)
  }
}

/** Create a client. It connects at once unless `autoConnect: false`. */
export function createClient<C extends Contract = LooseContract>(options: ClientOptions<C>): MooringClient<C> {
  return new MooringClient<C>(options)
}
