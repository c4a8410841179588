import { MooringError } from './errors.js'

export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject'

export interface OutboxOptions {
  /** Most messages held at once. @default 1000 */
  maxMessages: number
  /** Most payload bytes held at once (UTF-8 of the encoded frame). @default 1048576 */
  maxBytes: number
  /** Default time a message may wait for its ack, in ms; `Infinity` keeps it until acked. @default Infinity */
  ttlMs: number
  /** What to do when a bound would be passed. @default 'drop-oldest' */
  overflow: OverflowPolicy
}

export const outboxDefaults: OutboxOptions = {
  maxMessages: 1000,
  maxBytes: 1024 * 1024,
  ttlMs: Infinity,
  overflow: 'drop-oldest',
}

export type DropReason = 'overflow' | 'expired' | 'cleared' | 'closed'

/** A reliable message waiting for the server's ack. */
export interface OutboxMessage {
  id: number
  type: string
  room?: string
  data: unknown
  bytes: number
  enqueuedAt: number
  expiresAt: number
}

interface Entry extends OutboxMessage {
  resolve(): void
  reject(error: MooringError): void
}

const DROP_CODES: Record<DropReason, 'QUEUE_FULL' | 'EXPIRED' | 'CONNECTION_CLOSED'> = {
  overflow: 'QUEUE_FULL',
  expired: 'EXPIRED',
  cleared: 'CONNECTION_CLOSED',
  closed: 'CONNECTION_CLOSED',
}

/**
 * Reliable outbound messages in send order, until acked. Every removal other than an ack
 * goes through `#drop`, which rejects the message's promise and reports it, so no
 * message leaves silently.
 */
export class Outbox {
  readonly #entries = new Map<number, Entry>()
  #bytes = 0
  readonly #options: OutboxOptions
  readonly #onDrop: (message: OutboxMessage, reason: DropReason) => void

  constructor(options: OutboxOptions, onDrop: (message: OutboxMessage, reason: DropReason) => void) {
    this.#options = options
    this.#onDrop = onDrop
  }

  get size(): number {
    return this.#entries.size
  }

  get bytes(): number {
    return this.#bytes
  }

  /** Messages waiting for their ack, oldest first. */
  list(): OutboxMessage[] {
    return [...this.#entries.values()].map(({ resolve: _r, reject: _j, ...message }) => message)
  }

  /** Queue a message; resolves on ack, rejects when it is dropped. */
  add(message: OutboxMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { maxMessages, maxBytes, overflow } = this.#options
      const fits = () => this.#entries.size < maxMessages && this.#bytes + message.bytes <= maxBytes
      if (message.bytes > maxBytes || (!fits() && overflow !== 'drop-oldest')) {
        const error = new MooringError('QUEUE_FULL', `outbox full (${this.#entries.size} messages, ${this.#bytes} bytes)`, {
          op: 'send',
        })
        reject(error)
        this.#onDrop(message, 'overflow')
        return
      }
      while (!fits()) {
        const oldest = this.#entries.values().next().value as Entry
        this.#drop(oldest, 'overflow')
      }
      this.#entries.set(message.id, { ...message, resolve, reject })
      this.#bytes += message.bytes
    })
  }

  has(id: number): boolean {
    return this.#entries.has(id)
  }

  /** The server acknowledged `id`. Returns false for an unknown (duplicate) ack. */
  ack(id: number): boolean {
    const entry = this.#entries.get(id)
    if (!entry) return false
    this.#remove(entry)
    entry.resolve()
    return true
  }

  /** The server refused `id` with an error: it will never be acked. */
  fail(id: number, error: MooringError): boolean {
    const entry = this.#entries.get(id)
    if (!entry) return false
    this.#remove(entry)
    entry.reject(error)
    return true
  }

  /** Drop what has outlived its TTL. Returns the earliest remaining expiry. */
  expire(now: number): number {
    let next = Infinity
    for (const entry of [...this.#entries.values()]) {
      if (entry.expiresAt <= now) this.#drop(entry, 'expired')
      else next = Math.min(next, entry.expiresAt)
    }
    return next
  }

  /** Drop everything (the app cleared the outbox, or closed the client). */
  clear(reason: DropReason = 'cleared'): void {
    for (const entry of [...this.#entries.values()]) this.#drop(entry, reason)
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.id)
    this.#bytes -= entry.bytes
  }

  #drop(entry: Entry, reason: DropReason): void {
    this.#remove(entry)
    const { resolve: _r, reject, ...message } = entry
    reject(new MooringError(DROP_CODES[reason], `message ${entry.id} dropped: ${reason}`, { op: 'send' }))
    this.#onDrop(message, reason)
  }
}
