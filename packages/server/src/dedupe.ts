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
    return id <= this.floor || this.above.has(id)
  }

  add(id: number): void {
    if (this.has(id)) return
    this.above.add(id)
    while (this.above.delete(this.floor + 1)) this.floor++
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

/**
 * Exactly-once bookkeeping for one client (keyed by user + clientId): a window per frame
 * kind (clients may number `send` and `pub` independently) and the runs still in flight, so
 * a duplicate that arrives mid-run waits for the first run instead of starting a second.
 */
export class ClientLedger {
  private readonly windows = new Map<string, DedupeWindow>()
  private readonly inflight = new Map<string, Promise<Outcome>>()
  /** Sessions (connected or held for resume) that use this ledger. */
  refs = 0

  constructor(private readonly capacity = 1000) {}

  /**
   * Run `fn` unless `id` of this `kind` was already handled. Only successes are remembered:
   * a failed run answered with an error, and a retry of it deserves a fresh attempt.
   */
  runOnce(kind: string, id: number, fn: () => Promise<Outcome>): Promise<Outcome & { duplicate: boolean }> {
    const window = this.window(kind)
    if (window.has(id)) return Promise.resolve({ ok: true, duplicate: true })
    const key = `${kind}:${id}`
    const running = this.inflight.get(key)
    if (running) return running.then((o) => ({ ...o, duplicate: true }))
    const run = fn().then(
      (o) => o,
      (err: unknown): Outcome => ({ ok: false, code: 'INTERNAL', message: String(err) }),
    )
    this.inflight.set(key, run)
    return run.then((o) => {
      this.inflight.delete(key)
      if (o.ok) window.add(id)
      return { ...o, duplicate: false }
    })
  }

  private window(kind: string): DedupeWindow {
    let w = this.windows.get(kind)
    if (!w) this.windows.set(kind, (w = new DedupeWindow(this.capacity)))
    return w
  }
}
