import { ErrorCode, type Member, type MsgFrame, type ServerFrame } from '@mooring/protocol'
import { HistoryRing, type HistoryEntry, type MessageOrigin } from './history.js'
import { prepare, type Outbound } from './outbound.js'
import type { Session } from './session.js'

export interface RoomSettings {
  historySize: number
  historyTtlMs: number
  maxMembers: number
}

class Room {
  readonly members = new Map<string, { member: Member; session: Session }>()
  readonly history: HistoryRing
  disposeTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly name: string,
    settings: RoomSettings,
  ) {
    this.history = new HistoryRing(settings.historySize, settings.historyTtlMs)
  }

  presence(): Member[] {
    return [...this.members.values()].map((m) => m.member)
  }

  /** Send one frame to every member but `except`, encoding it once. */
  fanout(frame: ServerFrame | Outbound, except?: string): number {
    const out = 'wire' in frame ? frame : prepare(frame)
    if (!out) return 0
    let sent = 0
    // Over values, not entries: no [key, value] pair is allocated per member.
    for (const { session } of this.members.values()) {
      if (session.id !== except && session.socket?.sendWire(out)) sent++
    }
    return sent
  }
}

export interface PublishInRoom {
  /** The publishing client, when a client published (absent for `server.to(room).publish`). */
  origin?: MessageOrigin | undefined
  /** Session id that does not receive the message. */
  except?: string | undefined
  /** May be dropped for a slow consumer instead of queued. */
  volatile?: boolean | undefined
}

/** A `msg` frame for a history entry: the same shape live and in a replay. */
export function msgFrame(room: string, epoch: string, entry: Pick<HistoryEntry, 'seq' | 'type' | 'data' | 'origin'>): MsgFrame {
  const frame: MsgFrame = { t: 'msg', room, epoch, seq: entry.seq, type: entry.type, data: entry.data }
  if (entry.origin) {
    frame.from = entry.origin.from
    frame.src = entry.origin.src
    frame.mid = entry.origin.mid
  }
  return frame
}

export type JoinResult =
  | { ok: false; code: ErrorCode; message: string }
  | { ok: true; epoch: string; seq: number; recovered: boolean; replay: HistoryEntry[]; presence: Member[] }

/**
 * Rooms by name: members, presence diffs and each room's history. A room with no members is
 * kept until its history's TTL passes, so a client rejoining soon still recovers.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()

  constructor(private readonly settings: RoomSettings) {}

  join(session: Session, name: string, meta: unknown, since?: number, epoch?: string): JoinResult {
    let room = this.rooms.get(name)
    const already = room?.members.has(session.id) ?? false
    if (!already && room && room.members.size >= this.settings.maxMembers) {
      return { ok: false, code: ErrorCode.ROOM_FULL, message: `room ${JSON.stringify(name)} is full` }
    }
    if (!room) this.rooms.set(name, (room = new Room(name, this.settings)))
    if (room.disposeTimer) clearTimeout(room.disposeTimer)
    room.disposeTimer = undefined

    const member: Member = { id: session.id, joinedAt: Date.now() }
    if (session.user !== undefined) member.user = session.user
    if (meta !== undefined) member.meta = meta
    if (!already) room.fanout({ t: 'presence', room: name, joins: [member], leaves: [] })
    room.members.set(session.id, { member, session })
    session.rooms.add(name)

    let recovered = true
    let replay: HistoryEntry[] = []
    if (since !== undefined) {
      const sameEpoch = epoch === undefined || epoch === room.history.epoch
      const entries = room.history.after(sameEpoch ? since : 0)
      // Another epoch means the client's tail of the old one is lost (recovered: false), but
      // everything of the new epoch can still be replayed when the history holds all of it.
      recovered = sameEpoch && entries !== undefined
      replay = entries ?? []
    }
    return { ok: true, epoch: room.history.epoch, seq: room.history.seq, recovered, replay, presence: room.presence() }
  }

  leave(session: Session, name: string): boolean {
    session.rooms.delete(name)
    const room = this.rooms.get(name)
    if (!room || !room.members.delete(session.id)) return false
    room.fanout({ t: 'presence', room: name, joins: [], leaves: [session.id] })
    if (room.members.size === 0) this.scheduleDispose(room)
    return true
  }

  leaveAll(session: Session): void {
    for (const name of [...session.rooms]) this.leave(session, name)
  }

  isMember(session: Session, name: string): boolean {
    return this.rooms.get(name)?.members.has(session.id) ?? false
  }

  /**
   * Append to the room's history and deliver to its members. Undefined when the room does not
   * exist or `data` cannot be encoded (then nothing is appended: no seq is burnt). A volatile
   * message is still sequenced and kept, so a member that had it dropped sees a gap it can replay.
   */
  publish(name: string, type: string, data: unknown, options: PublishInRoom = {}): MsgFrame | undefined {
    const room = this.rooms.get(name)
    if (!room) return undefined
    const frame = msgFrame(name, room.history.epoch, { seq: room.history.seq + 1, type, data, origin: options.origin })
    const out = prepare(frame, options.volatile ?? false)
    if (!out) return undefined
    room.history.append(type, data, options.origin)
    room.fanout(out, options.except)
    return frame
  }

  /** Publishing to a room nobody joined yet still starts its history, so late joiners can replay. */
  ensure(name: string): void {
    if (this.rooms.has(name)) return
    const room = new Room(name, this.settings)
    this.rooms.set(name, room)
    this.scheduleDispose(room)
  }

  members(name: string): Member[] {
    return this.rooms.get(name)?.presence() ?? []
  }

  names(): string[] {
    return [...this.rooms.keys()]
  }

  get size(): number {
    return this.rooms.size
  }

  /** Memberships across all rooms. */
  memberCount(): number {
    let n = 0
    for (const room of this.rooms.values()) n += room.members.size
    return n
  }

  clear(): void {
    for (const room of this.rooms.values()) if (room.disposeTimer) clearTimeout(room.disposeTimer)
    this.rooms.clear()
  }

  /** Keep an empty room (its epoch and history) for `historyTtlMs` after it emptied or last got a message. */
  private scheduleDispose(room: Room, waitMs = this.settings.historyTtlMs): void {
    if (room.disposeTimer) clearTimeout(room.disposeTimer)
    room.disposeTimer = setTimeout(() => {
      room.disposeTimer = undefined
      if (room.members.size > 0 || this.rooms.get(room.name) !== room) return
      const left = (room.history.lastAt ?? 0) + this.settings.historyTtlMs - Date.now()
      if (left > 0) this.scheduleDispose(room, left)
      else this.rooms.delete(room.name)
    }, waitMs)
    room.disposeTimer.unref()
  }
}
