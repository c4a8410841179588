/**
 * The offline queue's options and its public view. The queue itself is the `queued` part
 * of Delivery's pending map: one map, one id sequence, one place where messages settle.
 */
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

export const outboxDefaults: Readonly<OutboxOptions> = Object.freeze({
  maxMessages: 1000,
  maxBytes: 1024 * 1024,
  ttlMs: Infinity,
  overflow: 'drop-oldest',
})

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

/** The read-only view of the outbox the client exposes as `client.outbox`. */
export interface Outbox {
  /** Messages waiting for their ack. */
  readonly size: number
  /** Their encoded size, in bytes. */
  readonly bytes: number
  /** Messages waiting for their ack, oldest first. */
  list(): OutboxMessage[]
  has(id: number): boolean
  /** Drop everything queued: each promise rejects and a `drop` event says `cleared`. */
  clear(): void
}
