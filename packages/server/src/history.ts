import { randomBytes } from 'node:crypto'

/** Who published a room message, as receivers see it (see `MsgFrame.src`/`mid`). */
export interface MessageOrigin {
  /** Session id of the publisher's socket at the time. */
  from: string
  /** Stable key of the publishing client. */
  src: string
  /** The publisher's own id for the message. */
  mid: number
}

export interface HistoryEntry {
  seq: number
  type: string
  data: unknown
  origin?: MessageOrigin
  /** Server time (ms) the message was published. */
  at: number
}

export type Now = () => number

/**
 * A room's message log: `epoch` names this incarnation (a restarted in-memory server gets a
 * new one, so clients can tell their `since` is meaningless), `seq` grows strictly by one,
 * and the last `size` messages younger than `ttlMs` can be replayed.
 */
export class HistoryRing {
  readonly epoch: string = randomBytes(6).toString('base64url')
  private lastSeq = 0
  private readonly entries: HistoryEntry[] = []

  constructor(
    readonly size: number,
    readonly ttlMs: number,
    private readonly now: Now = Date.now,
  ) {}

  get seq(): number {
    return this.lastSeq
  }

  append(type: string, data: unknown, origin?: MessageOrigin): HistoryEntry {
    const entry: HistoryEntry = { seq: ++this.lastSeq, type, data, at: this.now() }
    if (origin !== undefined) entry.origin = origin
    if (this.size > 0) {
      this.entries.push(entry)
      if (this.entries.length > this.size) this.entries.shift()
    }
    return entry
  }

  /**
   * Everything after `since`, or `undefined` when some of it is gone (evicted or expired):
   * the caller then reports a gap instead of a partial replay.
   */
  after(since: number): HistoryEntry[] | undefined {
    if (since === this.lastSeq) return []
    if (since > this.lastSeq || since < 0) return undefined
    this.prune()
    const first = this.entries[0]
    if (!first || first.seq > since + 1) return undefined
    return this.entries.slice(since + 1 - first.seq)
  }

  /** Time (ms) of the newest message, or undefined when the log is empty. */
  get lastAt(): number | undefined {
    return this.entries.at(-1)?.at
  }

  private prune(): void {
    const cutoff = this.now() - this.ttlMs
    let drop = 0
    while (drop < this.entries.length && this.entries[drop]!.at < cutoff) drop++
    if (drop) this.entries.splice(0, drop)
  }
}
