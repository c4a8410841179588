import type { ClientFrame, ServerFrame } from '@mooring/protocol'
import { Timer, type Clock } from './clock.js'
import { MooringError } from './errors.js'
import { Room, type RoomHost } from './room.js'

export interface RoomsHost extends Omit<RoomHost, 'release'> {
  clock: Clock
  /** True while a link is open (welcome received): join/leave frames can go out now. */
  linkOpen(): boolean
  write(frame: ClientFrame): boolean
}

/**
 * The client's rooms. Desired membership lives here, not on the wire: rooms joined or
 * left while offline are reconciled at the next connect (join what is held, forget what
 * was let go) instead of replaying a backlog of join/leave frames.
 */
export class Rooms {
  readonly #rooms = new Map<string, Room<any>>()
  /** Outstanding join/leave refs. */
  readonly #refs = new Map<number, { room: Room<any>; kind: 'join' | 'leave' }>()
  readonly #host: RoomsHost
  readonly #roomHost: RoomHost
  #nextRef = 0
  #rejoin: { pending: Set<number>; timer: Timer; done: () => void } | undefined

  constructor(host: RoomsHost) {
    this.#host = host
    this.#roomHost = { ...host, release: (room) => this.#release(room) }
  }

  get size(): number {
    return this.#rooms.size
  }

  list(): Room<any>[] {
    return [...this.#rooms.values()]
  }

  /** The room object for `name`, joining it if this is the first holder. */
  get(name: string, meta: unknown): Room<any> {
    const existing = this.#rooms.get(name)
    if (existing && existing.state !== 'leaving' && existing.state !== 'left') return existing.hold()
    const room = new Room(name, meta, this.#roomHost)
    this.#rooms.set(name, room)
    if (this.#host.linkOpen()) this.#sendJoin(room)
    return room
  }

  /**
   * After a (re)connect: join every held room (with `since`), then call `done` once all
   * have answered — or after `timeoutMs`, so one silent room cannot hold the client back.
   */
  rejoinAll(timeoutMs: number, done: () => void): void {
    this.#cancelRejoin()
    const pending = new Set<number>()
    for (const room of this.#rooms.values()) {
      if (room.state === 'failed') continue
      pending.add(this.#sendJoin(room))
    }
    if (pending.size === 0) return done()
    const timer = new Timer(this.#host.clock)
    this.#rejoin = { pending, timer, done }
    timer.start(timeoutMs, () => this.#finishRejoin())
  }

  /** The link dropped: every membership is gone on the server side. */
  connectionLost(): void {
    this.#cancelRejoin()
    for (const [ref, { room, kind }] of this.#refs) {
      this.#refs.delete(ref)
      if (kind === 'leave') this.#forget(room)
    }
    for (const room of this.#rooms.values()) room.suspended()
  }

  /** Route a room frame. Returns false for frames that are not about rooms. */
  onFrame(frame: ServerFrame): boolean {
    switch (frame.t) {
      case 'msg':
        this.#rooms.get(frame.room)?.message(frame)
        return true
      case 'presence':
        this.#rooms.get(frame.room)?.presenceDiff(frame)
        return true
      case 'joined': {
        const entry = this.#settle(frame.ref)
        if (entry?.kind === 'join') entry.room.joined(frame)
        return true
      }
      case 'left': {
        const entry = this.#settle(frame.ref)
        if (entry) this.#forget(entry.room)
        return true
      }
      case 'error': {
        if (frame.ref === undefined || !this.#refs.has(frame.ref)) return false
        const entry = this.#settle(frame.ref)!
        const error = new MooringError(frame.code as MooringError['code'], frame.message, { op: entry.kind, details: frame.details })
        if (entry.kind === 'join') entry.room.failed(error)
        else this.#forget(entry.room)
        return true
      }
      default:
        return false
    }
  }

  #sendJoin(room: Room<any>): number {
    const ref = ++this.#nextRef
    this.#refs.set(ref, { room, kind: 'join' })
    this.#host.write(room.joinFrame(ref))
    return ref
  }

  #release(room: Room<any>): void {
    if (this.#rooms.get(room.name) !== room) return
    if (!this.#host.linkOpen() || room.state === 'failed') return this.#forget(room)
    room.leaving()
    const ref = ++this.#nextRef
    this.#refs.set(ref, { room, kind: 'leave' })
    this.#host.write({ t: 'leave', ref, room: room.name })
  }

  #forget(room: Room<any>): void {
    if (this.#rooms.get(room.name) === room) this.#rooms.delete(room.name)
    room.left()
  }

  #settle(ref: number): { room: Room<any>; kind: 'join' | 'leave' } | undefined {
    const entry = this.#refs.get(ref)
    this.#refs.delete(ref)
    if (this.#rejoin?.pending.delete(ref) && this.#rejoin.pending.size === 0) queueMicrotask(() => this.#finishRejoin())
    return entry
  }

  #finishRejoin(): void {
    const rejoin = this.#rejoin
    if (!rejoin) return
    this.#cancelRejoin()
    rejoin.done()
  }

  #cancelRejoin(): void {
    this.#rejoin?.timer.stop()
    this.#rejoin = undefined
  }
}
