import { encode, type Frame, type Wire } from '@mooring/protocol'
import { Timer, type Clock } from './clock.js'
import { MooringError } from './errors.js'
import { Outbox, type DropReason, type OutboxMessage, type OutboxOptions } from './outbox.js'
import type { RawCodec } from './raw-codec.js'
import { PendingRequests, type RequestOptions } from './requests.js'

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

export interface DeliveryHost {
  clock: Clock
  outbox: OutboxOptions
  /** How long a `connected` send may wait for its ack, in ms. */
  ackTimeoutMs: number
  /** Raw mode's codec; absent in protocol mode. */
  raw: RawCodec | undefined
  /** True once the link is open, rooms rejoined: frames may go out now. */
  ready(): boolean
  /** Write to the live socket; false when there is none. */
  write(wire: Wire): boolean
  drop(event: DropEvent): void
}

/**
 * Everything that leaves the client and waits for an answer: reliable sends and publishes
 * (the outbox, acked by id), connected-only sends and requests (pending, answered by ack or
 * reply). One id sequence serves them all, so an id names one message on the wire.
 */
export class Delivery {
  readonly outbox: Outbox
  readonly #pending: PendingRequests
  readonly #host: DeliveryHost
  readonly #expiry: Timer
  #nextId = 0

  constructor(host: DeliveryHost) {
    this.#host = host
    this.#pending = new PendingRequests(host.clock)
    this.#expiry = new Timer(host.clock)
    this.outbox = new Outbox(host.outbox, (message, reason) => host.drop({ message, reason }))
  }

  get pendingRequests(): number {
    return this.#pending.size
  }

  /** Send a validated message (to a room when `room` is given). */
  send(type: string, data: unknown, options: SendOptions, room?: string): Promise<void> {
    const host = this.#host
    const delivery = options.delivery ?? 'queue'
    const now = host.clock.now()
    const id = ++this.#nextId
    const wire = this.#encode({ id, type, data, room })
    const message: OutboxMessage = {
      id,
      type,
      data,
      bytes: typeof wire === 'string' ? wire.length : wire.length,
      enqueuedAt: now,
      expiresAt: now + (options.ttlMs ?? host.outbox.ttlMs),
      ...(room === undefined ? {} : { room }),
    }
    if (delivery !== 'queue' && !host.ready()) {
      host.drop({ message, reason: delivery === 'volatile' ? 'volatile' : 'not-connected' })
      if (delivery === 'volatile') return Promise.resolve()
      return Promise.reject(new MooringError('CONNECTION_CLOSED', 'not connected', { op: 'send' }))
    }
    // Raw mode has no acks: a message counts as delivered once written to an open socket.
    if ((delivery === 'volatile' || host.raw) && host.ready() && host.write(wire)) return Promise.resolve()
    if (delivery === 'connected') {
      const acked = this.#pending.add(id, undefined, { timeoutMs: host.ackTimeoutMs }).then(() => undefined)
      this.#pending.markSent(id)
      host.write(wire)
      return acked
    }
    const queued = this.outbox.add(message)
    this.#armExpiry()
    if (host.ready()) host.write(wire)
    return queued
  }

  request(type: string, data: unknown, options: RequestOptions): Promise<unknown> {
    const id = ++this.#nextId
    const frame: Frame = { t: 'req', id, type, data }
    const reply = this.#pending.add(id, frame, { ...options, timeoutMs: options.timeoutMs ?? 10_000 })
    if (this.#host.ready() && this.#host.write(encode(frame))) this.#pending.markSent(id)
    return reply
  }

  /** After every (re)connect, once rooms are rejoined: resend in the original order. */
  flush(): void {
    const host = this.#host
    for (const message of this.outbox.list()) {
      if (!host.write(this.#encode(message))) return
      if (host.raw) this.outbox.ack(message.id)
    }
    for (const { id, frame } of this.#pending.toSend()) {
      if (frame && host.write(encode(frame as Frame))) this.#pending.markSent(id)
    }
  }

  ack(id: number): boolean {
    return this.outbox.ack(id) || this.#pending.resolve(id, undefined)
  }

  reply(id: number, data: unknown): boolean {
    return this.#pending.resolve(id, data)
  }

  fail(id: number, error: MooringError): boolean {
    return this.outbox.fail(id, error) || this.#pending.reject(id, error)
  }

  /** The socket went away: what was sent and cannot be resent fails now. */
  connectionLost(): void {
    this.#pending.connectionLost()
  }

  /** The client stopped for good: nothing may be left waiting. */
  shutdown(error: MooringError): void {
    this.#expiry.stop()
    this.#pending.rejectAll(error)
    this.outbox.clear('closed')
  }

  #encode(message: { id: number; type: string; data: unknown; room?: string | undefined }): Wire {
    const { id, type, data, room } = message
    if (this.#host.raw) return this.#host.raw.encode(type, data)
    return encode(room === undefined ? { t: 'send', id, type, data } : { t: 'pub', id, room, type, data })
  }

  #armExpiry(): void {
    const now = this.#host.clock.now()
    const next = this.outbox.expire(now)
    if (next === Infinity) this.#expiry.stop()
    else this.#expiry.start(next - now, () => this.#armExpiry())
  }
}
