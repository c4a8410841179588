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
  /** Outstanding join/leave refs of the current link. */
  readonly #refs = new Map<number, { room: Room<any>; join: boolean }>()
  readonly #host: RoomsHost
  readonly #roomHost: RoomHost
  readonly #rejoinTimer: Timer
  #nextRef = 0
  /** Set while a rejoin waits for its `joined` answers. */
  #rejoined: (() => void) | undefined

  constructor(host: RoomsHost) {
    this.#host = host
    this.#roomHost = { ...host, release: (room) => this.#release(room) }
    this.#rejoinTimer = new Timer(host.clock)
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
    if (this.#host.linkOpen()) this.#send(room, true)
    return room
  }

  /**
   * After a (re)connect: join every held room (with `since`), then call `done` once all
   * have answered — or after `timeoutMs`, so one silent room cannot hold the client back.
   */
  rejoinAll(timeoutMs: number, done: () => void): void {
    this.#rejoined = done
    for (const room of this.#rooms.values()) if (room.state !== 'failed') this.#send(room, true)
    this.#rejoinTimer.start(timeoutMs, () => this.#finishRejoin(true))
    this.#finishRejoin(false)
  }

  /** The link dropped: every membership is gone on the server side. */
  connectionLost(): void {
    this.#rejoined = undefined
    this.#rejoinTimer.stop()
    for (const { room, join } of this.#refs.values()) if (!join) this.#forget(room)
    this.#refs.clear()
    for (const room of this.#rooms.values()) if (room.state === 'joined') room.setStatus('joining')
  }

  /** Route a room frame. Returns false for frames that are not about rooms. */
  onFrame(frame: ServerFrame): boolean {
    const t = frame.t
    if (t === 'msg') this.#rooms.get(frame.room)?.message(frame)
    else if (t === 'presence') this.#rooms.get(frame.room)?.presenceDiff(frame.joins, frame.leaves)
    else if ((t === 'joined' || t === 'left' || t === 'error') && frame.ref !== undefined && this.#refs.has(frame.ref)) {
      const { room, join } = this.#refs.get(frame.ref)!
      this.#refs.delete(frame.ref)
      if (t === 'joined' && join) room.joined(frame)
      else if (t === 'error' && join)
        room.setStatus('failed', new MooringError(frame.code as MooringError['code'], frame.message, { op: 'join', details: frame.details }))
      else if (!join) this.#forget(room)
      this.#finishRejoin(false)
    } else return t === 'joined' || t === 'left'
    return true
  }

  #send(room: Room<any>, join: boolean): void {
    const ref = ++this.#nextRef
    this.#refs.set(ref, { room, join })
    this.#host.write(join ? room.joinFrame(ref) : { t: 'leave', ref, room: room.name })
  }

  #release(room: Room<any>): void {
    if (this.#rooms.get(room.name) !== room) return
    if (!this.#host.linkOpen() || room.state === 'failed') return this.#forget(room)
    room.setStatus('leaving')
    this.#send(room, false)
  }

  #forget(room: Room<any>): void {
    if (this.#rooms.get(room.name) === room) this.#rooms.delete(room.name)
    room.setStatus('left')
  }

  /** Call the rejoin's `done` once no join is outstanding, or at once when `force`d by the timeout. */
  #finishRejoin(force: boolean): void {
    const done = this.#rejoined
    if (!done || (!force && [...this.#refs.values()].some((entry) => entry.join))) return
    this.#rejoined = undefined
    this.#rejoinTimer.stop()
    done()
  }
}
