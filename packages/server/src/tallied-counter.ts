import { Counter, type Registry } from 'prom-client'

/** Counted since the last read; `inc` is the prom-client child, made on the first read. */
interface Cell {
  pending: number
  inc: ((n: number) => void) | undefined
}

/**
 * A prom-client counter for per-frame counting. prom-client validates and hashes the labels
 * on every `inc`, which a server pays several times per frame; here `add` bumps a plain
 * number, and the sums are handed to prom-client only when the counter is read (its
 * `collect` hook). A scrape shows the same series, in the same order, with the same values.
 */
export class TalliedCounter extends Counter<string> {
  private readonly labelled: boolean
  private cells = new Map<string, Cell>()

  constructor(config: { name: string; help: string; labelNames?: string[]; registers: Registry[] }) {
    super({
      ...config,
      collect(this: Counter<string>) {
        ;(this as TalliedCounter).fold()
      },
    })
    this.labelled = (config.labelNames?.length ?? 0) > 0
  }

  /** Count `n` (default 1) under `label`, the value of the counter's only label; `''` when it has none. */
  add(label: string, n = 1): void {
    const cell = this.cells.get(label)
    if (cell) cell.pending += n
    else this.cells.set(label, { pending: n, inc: undefined })
  }

  override reset(): void {
    // Also called by prom-client's constructor, before this class's fields exist.
    this.cells?.clear()
    super.reset()
  }

  private fold(): void {
    for (const [label, cell] of this.cells) {
      // A new series is handed over even at 0, as a direct `inc(0)` would have created it.
      if (cell.inc && cell.pending === 0) continue
      cell.inc ??= this.labelled ? this.labels(label).inc : (n) => this.inc(n)
      cell.inc(cell.pending)
      cell.pending = 0
    }
  }
}
