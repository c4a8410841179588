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
  PresenceFrame,
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

/** Messages between `from` and `to` (inclusive) will never arrive. */
export interface GapEvent {
  room: string
  from: number
  to: number
  /** `epoch`: the server lost its history (restart); `expired`: the history no longer reaches back. */
  reason: 'epoch' | 'expired'
}

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
    if (this.#status === 'joined') return Promise.resolve()
    if (this.#status === 'failed') return Promise.reject(this.#error)
    if (this.#status === 'left') return Promise.reject(new MooringError('NOT_JOINED', `left room ${this.name}`, { op: 'join' }))
    return new Promise((resolve, reject) => {
      const timer = new Timer(this.#host.clock)
      const onState = ({ state }: { state: RoomStatus }) => {
        if (state === 'joined') done(), resolve()
        else if (state === 'failed') done(), reject(this.#error)
        else if (state === 'left') done(), reject(new MooringError('NOT_JOINED', `left room ${this.name}`, { op: 'join' }))
      }
      const done = () => {
        timer.stop()
        this.off('state', onState)
      }
      this.on('state', onState)
      timer.start(timeoutMs, () => {
        done()
        reject(new MooringError('TIMEOUT', `room ${this.name} not joined within ${timeoutMs} ms`, { op: 'join' }))
      })
    })
  }

  /** Members present now. */
  presence(): Member[] {
    return [...this.#members.values()]
  }

  /** Handle room messages of `type`; returns the unsubscribe. */
  onMessage<K extends MessageName<C>>(type: K, handler: (data: MessageData<C, K>, meta: MessageMeta) => void): () => void {
    let set = this.#handlers.get(type)
    if (!set) this.#handlers.set(type, (set = new Set()))
    set.add(handler)
    return () => {
      set.delete(handler)
      if (set.size === 0) this.#handlers.delete(type)
    }
  }

  /** Publish to everyone in the room. Resolves on the server's ack (reliable by default). */
  publish<K extends MessageName<C>>(type: K, data: MessageInput<C, K>, options: SendOptions = {}): Promise<void> {
    if (this.#status === 'left' || this.#status === 'failed')
      return Promise.reject(new MooringError('NOT_JOINED', `room ${this.name} is ${this.#status}`, { op: 'publish' }))
    return this.#host.publish(this.name, type, data, options)
  }

  /** Let go of the room. It is left when the last holder lets go. */
  leave(): void {
    if (this.#holders === 0) return
    this.#holders--
    if (this.#holders === 0) this.#host.release(this)
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

  /** @internal */
  joined(frame: JoinedFrame): void {
    const prevSeq = this.#lastSeq
    if (prevSeq !== undefined && !frame.recovered) {
      // The app hears about the hole before anything that comes after it.
      if (frame.epoch !== this.#epoch) this.emit('gap', { room: this.name, from: 1, to: frame.seq, reason: 'epoch' })
      else if (frame.seq > prevSeq) this.emit('gap', { room: this.name, from: prevSeq + 1, to: frame.seq, reason: 'expired' })
    }
    // Replayed messages came before `joined`, so its seq is where the room stands now.
    this.#epoch = frame.epoch
    this.#lastSeq = frame.seq
    this.#replacePresence(frame.presence)
    this.#setStatus('joined')
  }

  /** @internal */
  failed(error: MooringError): void {
    this.#error = error
    this.#setStatus('failed')
  }

  /** @internal The link dropped: we will rejoin. */
  suspended(): void {
    if (this.#status === 'joined') this.#setStatus('joining')
  }

  /** @internal */
  leaving(): void {
    this.#setStatus('leaving')
  }

  /** @internal */
  left(): void {
    this.#members.clear()
    this.#setStatus('left')
  }

  /** @internal */
  message(frame: MsgFrame): void {
    if (this.#status === 'left' || this.#status === 'failed') return
    if (this.#epoch !== undefined && frame.epoch !== this.#epoch) {
      if (this.#status !== 'joined') return
      // A new epoch mid-stream: the server lost history under us.
      this.emit('gap', { room: this.name, from: 1, to: frame.seq - 1, reason: 'epoch' })
      this.#epoch = frame.epoch
      this.#lastSeq = frame.seq - 1
    }
    const last = this.#lastSeq
    if (last !== undefined && frame.seq <= last) return // a replay we already have
    if (last !== undefined && frame.seq > last + 1)
      this.emit('gap', { room: this.name, from: last + 1, to: frame.seq - 1, reason: 'expired' })
    this.#lastSeq = frame.seq
    this.#epoch ??= frame.epoch
    const handlers = this.#handlers.get(frame.type)
    if (!handlers) return
    const meta: MessageMeta = { room: this.name, seq: frame.seq, epoch: frame.epoch }
    if (frame.from !== undefined) meta.from = frame.from
    this.#host.deliver(frame.type, frame.data, (value) => {
      for (const handler of [...handlers]) handler(value, meta)
    })
  }

  /** @internal */
  presenceDiff(frame: PresenceFrame): void {
    for (const id of frame.leaves) {
      const member = this.#members.get(id)
      if (member && this.#members.delete(id)) this.emit('leave', member)
    }
    for (const member of frame.joins) {
      this.#members.set(member.id, member)
      this.emit('join', member)
    }
    this.emit('presence', this.presence())
  }

  #replacePresence(members: Member[]): void {
    const next = new Map(members.map((m) => [m.id, m]))
    // A rejoin brings the full list: report the difference, so no ghost stays and no arrival is missed.
    for (const [id, member] of this.#members) if (!next.has(id)) this.#members.delete(id) && this.emit('leave', member)
    for (const [id, member] of next) if (!this.#members.has(id)) this.#members.set(id, member) && this.emit('join', member)
    for (const [id, member] of next) this.#members.set(id, member)
    this.emit('presence', this.presence())
  }

  #setStatus(status: RoomStatus): void {
    const prev = this.#status
    if (prev === status) return
    this.#status = status
    this.emit('state', status === 'failed' ? { state: status, prev, error: this.#error! } : { state: status, prev })
  }
}
