import { isThenable, type MaybePromise } from './maybe-async.js'

/**
 * Ids of reliable frames one client already had handled: everything up to `floor`, plus a
 * set of ids above it. Ids normally arrive ascending, so the set stays near empty; when gaps
 * keep it growing past `capacity`, the lowest ids are folded into `floor` — an id that old
 * and still missing is one the client gave up on, so treating it as seen is the safe side.
 */
export class DedupeWindow {
  private floor = -1
  private readonly above = new Set<number>()

  constructor(readonly capacity = 1000) {
    if (!(capacity >= 1)) throw new RangeError('dedupe capacity must be at least 1')
  }

  has(id: number): boolean {
    return id <= this.floor || (this.above.size > 0 && this.above.has(id))
  }

  add(id: number): void {
    // The usual case, the next id in order, touches no set at all.
    if (id === this.floor + 1) {
      this.floor = id
      if (this.above.size > 0) while (this.above.delete(this.floor + 1)) this.floor++
      return
    }
    if (this.has(id)) return
    this.above.add(id)
    if (this.above.size > this.capacity) this.evict()
  }

  /** Ids held above the contiguous floor (for tests and stats). */
  get size(): number {
    return this.above.size
  }

  /** Highest id below which everything counts as seen. */
  get contiguous(): number {
    return this.floor
  }

  private evict(): void {
    // Drop a tenth at once so the sort is amortised over many adds.
    const sorted = [...this.above].sort((a, b) => a - b)
    const keep = Math.max(1, Math.floor(this.capacity * 0.9))
    const cut = sorted.length - keep
    for (let i = 0; i < cut; i++) this.above.delete(sorted[i]!)
    this.floor = Math.max(this.floor, sorted[cut - 1]!)
    while (this.above.delete(this.floor + 1)) this.floor++
  }
}

/** How a reliable frame ended, replayed to any duplicate of it. */
export type Outcome = { ok: true; data?: unknown } | { ok: false; code: string; message: string; details?: unknown }

/** What a duplicate is answered with: the first run succeeded (only successes are remembered). */
const DUPLICATE: Outcome & { duplicate: true } = Object.freeze({ ok: true, duplicate: true })

/** One frame kind's window and the runs of it still in flight. */
interface Track {
  readonly window: DedupeWindow
  readonly inflight: Map<number, Promise<Outcome>>
}

/**
 * Exactly-once bookkeeping for one client (keyed by user + clientId): a window per frame
 * kind (clients may number `send` and `pub` independently) and the runs still in flight, so
 * a duplicate that arrives mid-run waits for the first run instead of starting a second.
 */
export class ClientLedger {
  private readonly tracks = new Map<string, Track>()
  /** Sessions (connected or held for resume) that use this ledger. */
  refs = 0

  constructor(private readonly capacity = 1000) {}

  /**
   * Run `fn` unless `id` of this `kind` was already handled. Only successes are remembered:
   * a failed run answered with an error, and a retry of it deserves a fresh attempt. When
   * `fn` finishes synchronously so does this, and nothing is held in flight.
   */
  runOnce(kind: string, id: number, fn: () => MaybePromise<Outcome>): MaybePromise<Outcome & { duplicate: boolean }> {
    const { window, inflight } = this.track(kind)
    if (window.has(id)) return DUPLICATE
    if (inflight.size > 0) {
      const running = inflight.get(id)
      if (running) return running.then((o) => ({ ...o, duplicate: true }))
    }
    let result: MaybePromise<Outcome>
    try {
      result = fn()
    } catch (err) {
      result = internal(err)
    }
    if (!isThenable(result)) {
      if (!result.ok) return { ...result, duplicate: false }
      window.add(id)
      // A literal of one fixed shape: the hot path's result, kept cheaper than a spread.
      return { ok: true, data: result.data, duplicate: false }
    }
    const run = Promise.resolve(result).then(undefined, internal)
    inflight.set(id, run)
    return run.then((o) => {
      inflight.delete(id)
      if (o.ok) window.add(id)
      return { ...o, duplicate: false }
    })
  }

  private track(kind: string): Track {
    let t = this.tracks.get(kind)
    if (!t) this.tracks.set(kind, (t = { window: new DedupeWindow(this.capacity), inflight: new Map() }))
    return t
  }
}

function internal(err: unknown): Outcome {
  return { ok: false, code: 'INTERNAL', message: String(err) }
}
