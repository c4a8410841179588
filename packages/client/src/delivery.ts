import { encode, type Wire } from '@mooring/protocol'
import type { Clock, TimerHandle } from './clock.js'
import { MooringError } from './errors.js'
import type { DropReason, Outbox, OutboxMessage, OutboxOptions } from './outbox.js'
import type { RawCodec } from './raw-codec.js'
import type { RequestOptions } from './requests.js'

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

/** Why a message left without reaching the server. */
export interface DropEvent {
  message: OutboxMessage
  reason: DropReason | 'volatile' | 'not-connected'
}

export interface DeliveryPort {
  /** True once the link is open, rooms rejoined: frames may go out now. */
  (event: 'ready'): boolean
  /** Write to the live socket; false when there is none. */
  (event: 'write', wire: Wire): boolean
  (event: 'drop', drop: DropEvent): void
  /** The queued set changed (persistent storage saves it). */
  (event: 'changed'): void
}

export interface DeliveryHost {
  clock: Clock
  outbox: OutboxOptions
  /** How long a `connected` send may wait for its ack, in ms. */
  ackTimeoutMs: number
  /** Raw mode's codec; absent in protocol mode. */
  raw: RawCodec | undefined
  /** How Delivery reaches its client: one function, so a client costs one closure for it, not four. */
  port: DeliveryPort
}

/** Something sent that waits for its answer (ack, reply or error). */
interface Entry {
  wire: Wire
  /** Set for reliable messages: the outbox. Bounded, resent after every reconnect until acked. */
  queued?: OutboxMessage
  /** Requests and `connected` sends: written to the current socket (else sent at the next `ready`). */
  sent?: boolean
  retryable?: boolean | undefined
  resolve(value: unknown): void
  reject(error: MooringError): void
  /** Clears the entry's timer and abort listener. */
  stop(): void
}

const dropCode = (reason: DropReason) =>
  reason === 'overflow' ? 'QUEUE_FULL' : reason === 'expired' ? 'EXPIRED' : 'CONNECTION_CLOSED'

/**
 * Everything that leaves the client and waits for an answer, in one map keyed by id:
 * reliable sends and publishes (the outbox), `connected` sends and requests. One id
 * sequence serves them all, so an id names one message on the wire, and every outcome
 * (ack, reply, error, timeout, abort, drop, close) goes through `#settle`, which clears
 * the entry's timer — nothing is left behind after any outcome.
 */
export class Delivery implements Outbox {
  readonly #host: DeliveryHost
  #map: Map<number, Entry> | undefined
  /** Made on first use: an idle connection that never sent anything holds no map. */
  get #entries(): Map<number, Entry> {
    return (this.#map ??= new Map())
  }
  #nextId = 0
  /** Set while writes wait: for the next token of the rate, or after a RATE_LIMITED. */
  #pause: TimerHandle | undefined
  #rate: { perSecond: number; burst: number } | undefined
  /** Ids waiting to be written, oldest first, from `#head` on (a queue without shifting). */
  #unsent: number[] = []
  #head = 0
  #tokens = 0
  #refilledAt = 0
  #size = 0
  #bytes = 0

  constructor(host: DeliveryHost) {
    this.#host = host
  }

  get size(): number {
    return this.#size
  }

  get bytes(): number {
    return this.#bytes
  }

  list(): OutboxMessage[] {
    return [...this.#entries.values()].flatMap((entry) => entry.queued ?? [])
  }

  has(id: number): boolean {
    return !!this.#entries.get(id)?.queued
  }

  clear(): void {
    this.#dropAll('cleared')
  }

  /** Send a validated message (to a room when `room` is given). */
  send(type: string, data: unknown, options: SendOptions, room?: string): Promise<void> {
    const host = this.#host
    const delivery = options.delivery ?? 'queue'
    const ready = host.port('ready')
    const now = host.clock.now()
    const id = ++this.#nextId
    const wire = host.raw ? host.raw.encode(type, data) : frameOf(id, type, data, room)
    const message: OutboxMessage = { id, type, data, bytes: wire.length, enqueuedAt: now, expiresAt: now + (options.ttlMs ?? host.outbox.ttlMs) }
    if (room !== undefined) message.room = room
    if (delivery !== 'queue' && !ready) {
      host.port('drop', { message, reason: delivery === 'volatile' ? 'volatile' : 'not-connected' })
      if (delivery === 'volatile') return Promise.resolve()
      return Promise.reject(new MooringError('CONNECTION_CLOSED', 'not connected', { op: 'send' }))
    }
    // Raw mode has no acks: a message counts as delivered once written to an open socket.
    if ((delivery === 'volatile' || host.raw) && ready && host.port('write', wire)) return Promise.resolve()
    if (delivery === 'connected') {
      const acked = this.#track(id, { wire, sent: true }, host.ackTimeoutMs)
      host.port('write', wire)
      return acked as Promise<void>
    }
    const { maxMessages, maxBytes, overflow } = host.outbox
    const fits = () => this.#size < maxMessages && this.#bytes + message.bytes <= maxBytes
    if (message.bytes > maxBytes || (!fits() && overflow !== 'drop-oldest')) {
      host.port('drop', { message, reason: 'overflow' })
      return Promise.reject(new MooringError('QUEUE_FULL', 'outbox full', { op: 'send' }))
    }
    while (!fits()) this.#drop(this.list()[0]!.id, 'overflow')
    this.#size++
    this.#bytes += message.bytes
    const queued = this.#track(id, { wire, queued: message, sent: false }, message.expiresAt - now)
    host.port('changed')
    this.#unsent.push(id)
    this.#pump()
    return queued as Promise<void>
  }

  request(type: string, data: unknown, options: RequestOptions): Promise<unknown> {
    const { signal } = options
    if (signal?.aborted) return Promise.reject(aborted(signal))
    const id = ++this.#nextId
    const entry = { wire: encode({ t: 'req', id, type, data }), retryable: options.retryable, sent: false }
    const reply = this.#track(id, entry, options.timeoutMs ?? 10_000, signal)
    this.#unsent.push(id)
    this.#pump()
    return reply
  }

  /** The next id to hand out; persisted so a restart never reuses an id. */
  get nextId(): number {
    return this.#nextId + 1
  }

  /**
   * Take back messages stored by an earlier run, with their ids (the server dedupes by
   * them). Nobody awaits their promises any more; a drop is still reported by event.
   */
  restore(messages: OutboxMessage[], nextId: number): void {
    const now = this.#host.clock.now()
    for (const message of messages) {
      if (this.#entries.has(message.id)) continue
      const { id, type, data, room } = message
      const wire = frameOf(id, type, data, room)
      this.#size++
      this.#bytes += message.bytes
      this.#track(id, { wire, queued: message, sent: false }, message.expiresAt - now).catch(() => {})
      this.#nextId = Math.max(this.#nextId, id)
    }
    this.#nextId = Math.max(this.#nextId, nextId - 1)
    this.#requeue()
  }

  /**
   * The server's announced message rate (`welcome.limits`): reliable messages and requests
   * go out no faster, so a burst of sends waits in the outbox instead of being refused.
   */
  setRate(rate: { perSecond: number; burst: number } | undefined): void {
    // A little under the server's own bucket: both refill continuously, but clocks differ.
    this.#rate = rate && { perSecond: rate.perSecond * 0.9, burst: Math.max(1, rate.burst - 1) }
    this.#tokens = this.#rate?.burst ?? 0
    this.#refilledAt = this.#host.clock.now()
  }

  /** After every (re)connect, once rooms are rejoined: resend in the original order. */
  flush(): void {
    this.#pump()
  }

  /**
   * The server refused queued message `id` as RATE_LIMITED (our pace and its limit
   * disagreed). A reliable message is not dropped for that: wait `retryAfterMs`, then send
   * it and everything queued after it again, in order (what the server already took, it
   * acks again without handling twice).
   */
  throttled(id: number, retryAfterMs: number): boolean {
    if (!this.#entries.get(id)?.queued) return false
    let later = false
    for (const [other, entry] of this.#entries) if ((later ||= other === id) && entry.queued) entry.sent = false
    this.#requeue()
    this.#wait(Math.max(retryAfterMs, 10))
    return true
  }

  /** Write what may go now, in id order: unsent queued messages and requests, paced by the rate. */
  #pump(): void {
    const host = this.#host
    const unsent = this.#unsent
    if (!host.port('ready') || this.#pause !== undefined) return
    for (; this.#head < unsent.length; this.#head++) {
      const id = unsent[this.#head]!
      const entry = this.#entries.get(id)
      if (!entry || entry.sent) continue // settled or written meanwhile
      if (!this.#take()) return
      if (!(entry.sent = host.port('write', entry.wire))) return
      // Raw mode has no acks: written is as delivered as it gets.
      if (entry.queued && host.raw) this.#settle(id)
    }
    unsent.length = this.#head = 0
  }

  /** Line up, in id order, everything that must be written again (after a loss or a refusal). */
  #requeue(): void {
    this.#unsent = [...this.#entries].filter(([, entry]) => !entry.sent).map(([id]) => id)
    this.#head = 0
  }

  /** One token of the rate, or false (and a pump scheduled for when the next one is due). */
  #take(): boolean {
    const rate = this.#rate
    if (!rate) return true
    const now = this.#host.clock.now()
    this.#tokens = Math.min(rate.burst, this.#tokens + ((now - this.#refilledAt) * rate.perSecond) / 1000)
    this.#refilledAt = now
    if (this.#tokens >= 1) return !!this.#tokens--
    this.#wait(((1 - this.#tokens) * 1000) / rate.perSecond)
    return false
  }

  #wait(ms: number): void {
    this.#pause ??= this.#host.clock.setTimeout(() => {
      this.#pause = undefined
      this.#pump()
    }, ms)
  }

  /** An ack, a reply or a server error for `id`; false when nothing waits for it. */
  settle(id: number, value?: unknown, error?: MooringError): boolean {
    return this.#settle(id, value, error)
  }

  /** The socket went away: what was sent and cannot be resent fails now. */
  connectionLost(): void {
    for (const [id, entry] of this.#entries) {
      if (entry.queued) entry.sent = false // resent by the next flush
      else if (!entry.sent) continue
      else if (entry.retryable) entry.sent = false
      else this.#settle(id, undefined, new MooringError('CONNECTION_CLOSED', 'connection lost', { op: 'request' }))
    }
    this.#requeue()
  }

  /** The client stopped for good: nothing may be left waiting. */
  shutdown(error: MooringError): void {
    if (this.#pause !== undefined) this.#host.clock.clearTimeout(this.#pause)
    this.#pause = undefined
    for (const [id, entry] of this.#entries) if (!entry.queued) this.#settle(id, undefined, error)
    this.#dropAll('closed')
  }

  /** Register `entry` under `id` until it settles or `timeoutMs` passes. */
  #track(id: number, init: Omit<Entry, 'resolve' | 'reject' | 'stop'>, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const { clock } = this.#host
      const onAbort = () => this.#settle(id, undefined, aborted(signal!))
      // A TTL of Infinity means no timer at all (setTimeout would fire at once).
      const timer: TimerHandle =
        timeoutMs < Infinity &&
        clock.setTimeout(() => {
          if (init.queued) this.#drop(id, 'expired')
          else this.#settle(id, undefined, new MooringError('TIMEOUT', `no answer in ${timeoutMs} ms`, { op: 'request' }))
        }, timeoutMs)
      const stop = () => {
        if (timer !== false) clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#entries.set(id, Object.assign(init, { resolve, reject, stop }))
    })
  }

  #settle(id: number, value?: unknown, error?: MooringError): boolean {
    const entry = this.#entries.get(id)
    if (!entry) return false
    this.#entries.delete(id)
    entry.stop()
    if (entry.queued) {
      this.#size--
      this.#bytes -= entry.queued.bytes
      this.#host.port('changed')
    }
    if (error) entry.reject(error)
    else entry.resolve(value)
    return true
  }

  #drop(id: number, reason: DropReason): void {
    const message = this.#entries.get(id)!.queued!
    this.#settle(id, undefined, new MooringError(dropCode(reason), `message ${reason}`, { op: 'send' }))
    this.#host.port('drop', { message, reason })
  }

  #dropAll(reason: DropReason): void {
    for (const message of this.list()) this.#drop(message.id, reason)
  }
}

/** A reliable message on the wire: `send` to the server, or `pub` to a room. */
const frameOf = (id: number, type: string, data: unknown, room: string | undefined): Wire =>
  encode(room === undefined ? { t: 'send', id, type, data } : { t: 'pub', id, room, type, data })

function aborted(signal: AbortSignal): MooringError {
  return new MooringError('ABORTED', 'aborted', { op: 'request', cause: signal.reason })
}
