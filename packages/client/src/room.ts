import type {
  Contract,
  JoinedFrame,
  JoinFrame,
  LooseContract,
  Member,
  MessageData,
  MessageInput,
  MessageName,
  MsgFrame,
} from '@mooring/protocol'
import { Emitter } from './emitter.js'
import { Timer, type Clock } from './clock.js'
import type { SendOptions } from './delivery.js'
import { MooringError } from './errors.js'

export type RoomStatus = 'joining' | 'joined' | 'leaving' | 'left' | 'failed'

/** Where a room message came from and where it sits in the room's sequence. */
export interface MessageMeta {
  room: string
  seq: number
  epoch: string
  /** Session id of the publisher; absent when the server published. */
  from?: string
}

/**
 * Messages from seq `from` to `to` (inclusive) will never arrive. `expired`: the server's
 * history no longer reaches back that far. `epoch`: the server lost its history (a restart
 * in memory mode) — `from` is the first seq of the old epoch that may be missing and `to`
 * is absent, since nobody knows how far that epoch went.
 */
export interface GapEvent {
  room: string
  from: number
  to?: number
  reason: 'epoch' | 'expired'
}

/** Publishers remembered per room for end-to-end dedupe; the oldest is forgotten past this. */
const MAX_PUBLISHERS = 1024

export interface RoomEvents {
  state: (change: { state: RoomStatus; prev: RoomStatus; error?: MooringError }) => void
  gap: (gap: GapEvent) => void
  join: (member: Member) => void
  leave: (member: Member) => void
  /** The member list changed (after any join, leave or rejoin). */
  presence: (members: Member[]) => void
}

/** What a room needs from its client. */
export interface RoomHost {
  clock: Clock
  publish(room: string, type: string, data: unknown, options: SendOptions): Promise<void>
  /** Validate and hand an inbound message on, or report it invalid. */
  deliver(type: string, data: unknown, onValid: (value: unknown) => void): void
  /** The last holder let go. */
  release(room: Room<any>): void
}

type Handler = (data: any, meta: MessageMeta) => void

/** Subscribe `handler` in a map of handler sets; returns the unsubscribe. Shared by rooms and the client. */
export function addHandler<H>(handlers: Map<string, Set<H>>, type: string, handler: H): () => void {
  let set = handlers.get(type)
  if (!set) handlers.set(type, (set = new Set()))
  set.add(handler)
  return () => {
    set.delete(handler)
    if (!set.size) handlers.delete(type)
  }
}

/**
 * A room as the app holds it: it joins on creation, rejoins after every reconnect with
 * `since` = the last seq it saw, drops replays it already has, and says `gap` before
 * anything that follows a hole. Obtain it with `client.room(name)`.
 */
export class Room<C extends Contract = LooseContract> extends Emitter<RoomEvents> {
  readonly name: string
  readonly meta: unknown
  #status: RoomStatus = 'joining'
  #error: MooringError | undefined
  #holders = 1
  #epoch: string | undefined
  #lastSeq: number | undefined
  /** Messages that arrived while (re)joining: the replay, held until `joined` says what it covers. */
  #replay: MsgFrame[] | undefined
  /** Highest message id delivered per publisher (`msg.src` → `msg.mid`). */
  readonly #seen = new Map<string, number>()
  readonly #members = new Map<string, Member>()
  readonly #handlers = new Map<string, Set<Handler>>()
  readonly #host: RoomHost

  /** @internal Use `client.room(name)`. */
  constructor(name: string, meta: unknown, host: RoomHost) {
    super()
    this.name = name
    this.meta = meta
    this.#host = host
  }

  get state(): RoomStatus {
    return this.#status
  }

  /** Why the room failed, when it did. */
  get error(): MooringError | undefined {
    return this.#error
  }

  /** Last seq delivered (or announced by `joined`), the point a rejoin resumes from. */
  get lastSeq(): number | undefined {
    return this.#lastSeq
  }

  /** Resolves once joined; rejects if the join fails, the room is left, or `timeoutMs` passes. */
  ready(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = new Timer(this.#host.clock)
      // True once settled: joined, failed or left (joining and leaving still wait).
      const settle = (): boolean => {
        const status = this.#status
        if (status === 'joining' || status === 'leaving') return false
        off()
        timer.stop()
        if (status === 'joined') resolve()
        else reject(status === 'failed' ? this.#error : this.#notJoined('join'))
        return true
      }
      const off = this.on('state', settle)
      if (!settle())
        timer.start(timeoutMs, () => {
          off()
          reject(new MooringError('TIMEOUT', `room ${this.name}: no join in ${timeoutMs} ms`, { op: 'join' }))
        })
    })
  }

  /** Members present now. */
  presence(): Member[] {
    return [...this.#members.values()]
  }

  /** Handle room messages of `type`; returns the unsubscribe. */
  onMessage<K extends MessageName<C>>(type: K, handler: (data: MessageData<C, K>, meta: MessageMeta) => void): () => void {
    return addHandler(this.#handlers, type, handler)
  }

  /** Publish to everyone in the room. Resolves on the server's ack (reliable by default). */
  publish<K extends MessageName<C>>(type: K, data: MessageInput<C, K>, options: SendOptions = {}): Promise<void> {
    if (this.#status === 'left' || this.#status === 'failed') return Promise.reject(this.#notJoined('publish'))
    return this.#host.publish(this.name, type, data, options)
  }

  /** Let go of the room. It is left when the last holder lets go. */
  leave(): void {
    if (this.#holders && !--this.#holders) this.#host.release(this)
  }

  // ---------------------------------------------------------------- driven by the client

  /** @internal Another `client.room(name)` call for the same room. */
  hold(): this {
    this.#holders++
    return this
  }

  /** @internal The join frame for (re)joining now. */
  joinFrame(ref: number): JoinFrame {
    const frame: JoinFrame = { t: 'join', ref, room: this.name }
    if (this.#lastSeq !== undefined && this.#epoch !== undefined) {
      frame.since = this.#lastSeq
      frame.epoch = this.#epoch
    }
    if (this.meta !== undefined) frame.meta = this.meta
    return frame
  }

  /** @internal Move to `status`; `left` forgets the members, `failed` records why. */
  setStatus(status: RoomStatus, error?: MooringError): void {
    const prev = this.#status
    if (status === 'left') this.#members.clear()
    if (status === 'left' || status === 'failed') this.#replay = undefined
    if (error) this.#error = error
    if (prev === status) return
    this.#status = status
    this.emit('state', error ? { state: status, prev, error } : { state: status, prev })
  }

  /** @internal */
  joined(frame: JoinedFrame): void {
    const replay = this.#replay ?? []
    this.#replay = undefined
    if (this.#lastSeq === undefined || this.#epoch === undefined) {
      // First join: the room starts for us now.
      this.#epoch = frame.epoch
      this.#lastSeq = frame.seq
    } else if (frame.epoch !== this.#epoch) {
      // The server lost the old epoch: whatever came after lastSeq in it is gone for good.
      this.#gap(this.#lastSeq + 1, undefined, 'epoch')
      this.#epoch = frame.epoch
      this.#lastSeq = 0
    }
    // The app hears about every hole before anything that comes after it.
    for (const msg of replay) if (msg.epoch === this.#epoch) this.#accept(msg)
    if (frame.seq > this.#lastSeq) {
      this.#gap(this.#lastSeq + 1, frame.seq, 'expired')
      this.#lastSeq = frame.seq
    }
    // A rejoin brings the full list: report the difference, so no ghost stays and no arrival is missed.
    const ids = new Set(frame.presence.map((member) => member.id))
    this.presenceDiff(frame.presence, [...this.#members.keys()].filter((id) => !ids.has(id)), true)
    this.setStatus('joined')
  }

  /** @internal */
  message(frame: MsgFrame): void {
    if (this.#status !== 'joined' && this.#status !== 'joining') return
    // While (re)joining this is the replay; `joined` decides what of it is new.
    if (this.#status !== 'joined') return void (this.#replay ??= []).push(frame)
    if (frame.epoch !== this.#epoch) {
      // A new epoch on a live link: the server lost its history under us.
      this.#gap((this.#lastSeq ?? 0) + 1, undefined, 'epoch')
      this.#epoch = frame.epoch
      this.#lastSeq = 0
    }
    this.#accept(frame)
  }

  #accept(frame: MsgFrame): void {
    const last = this.#lastSeq ?? 0
    if (frame.seq <= last) return // a replay we already have
    if (frame.seq > last + 1) this.#gap(last + 1, frame.seq - 1, 'expired')
    this.#lastSeq = frame.seq
    const { src, mid } = frame
    if (src !== undefined && mid !== undefined) {
      // A resend that a restarted server could not recognise: same publisher, same id.
      if (mid <= (this.#seen.get(src) ?? 0)) return
      this.#seen.delete(src)
      this.#seen.set(src, mid)
      if (this.#seen.size > MAX_PUBLISHERS) this.#seen.delete(this.#seen.keys().next().value!)
    }
    const handlers = this.#handlers.get(frame.type)
    if (!handlers) return
    const meta: MessageMeta = { room: this.name, seq: frame.seq, epoch: frame.epoch }
    if (frame.from !== undefined) meta.from = frame.from
    this.#host.deliver(frame.type, frame.data, (value) => {
      for (const handler of [...handlers]) handler(value, meta)
    })
  }

  /** @internal Apply presence changes; `onlyNew` announces only members not already known (a rejoin's full list). */
  presenceDiff(joins: Member[], leaves: string[], onlyNew?: boolean): void {
    const members = this.#members
    for (const id of leaves) {
      const member = members.get(id)
      if (member && members.delete(id)) this.emit('leave', member)
    }
    for (const member of joins) {
      const known = members.has(member.id)
      members.set(member.id, member)
      if (!onlyNew || !known) this.emit('join', member)
    }
    this.emit('presence', this.presence())
  }

  #gap(from: number, to: number | undefined, reason: GapEvent['reason']): void {
    this.emit('gap', to === undefined ? { room: this.name, from, reason } : { room: this.name, from, to, reason })
  }

  #notJoined(op: string): MooringError {
    return new MooringError('NOT_JOINED', `room ${this.name} is ${this.#status}`, { op })
  }
}
