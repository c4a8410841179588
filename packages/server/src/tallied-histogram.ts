import { Histogram, type Registry } from 'prom-client'

/** One label value's observations: counts per bucket (not cumulative), sum and count. */
interface Series {
  readonly counts: number[]
  sum: number
  count: number
}

interface Sample {
  value: number
  labels: Record<string, string | number>
  metricName: string
  exemplar?: null
  sharedLabels?: Record<string, string>
}

/**
 * A histogram with one label for per-frame timing. prom-client's `observe` validates and
 * hashes labels and allocates on every call; here an observation is a bucket search and three
 * additions, and the exposition is built when the registry reads the metric. It is registered
 * like any prom-client histogram and renders the same text (its own `observe` is not used).
 */
export class TalliedHistogram extends Histogram<string> {
  private series = new Map<string, Series>()
  private readonly bounds: readonly number[]
  private readonly label: string

  constructor(config: { name: string; help: string; labelName: string; buckets: number[]; registers: Registry[] }) {
    const { labelName, ...rest } = config
    super({ ...rest, labelNames: [labelName] })
    this.label = labelName
    this.bounds = [...config.buckets]
  }

  /** Record `value` under `labelValue`. */
  record(labelValue: string, value: number): void {
    let s = this.series.get(labelValue)
    if (!s) this.series.set(labelValue, (s = { counts: this.bounds.map(() => 0), sum: 0, count: 0 }))
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    if (i < bounds.length) s.counts[i]!++
    s.sum += value
    s.count++
  }

  override reset(): void {
    // Also called by prom-client's constructor, before this class's fields exist.
    this.series?.clear()
    super.reset()
  }

  /** What the registry renders as text: the shape prom-client's own histogram gives it. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    // prom-client keeps these as plain instance properties, outside its typings.
    const { name, help, aggregator } = this as unknown as { name: string; help: string; aggregator: string }
    const values: Sample[] = []
    for (const [labelValue, s] of this.series) {
      const shared = { [this.label]: labelValue }
      let acc = 0
      this.bounds.forEach((le, i) => {
        acc += s.counts[i]!
        values.push({ labels: { le }, value: acc, metricName: `${name}_bucket`, exemplar: null, sharedLabels: shared })
      })
      values.push({ labels: { le: '+Inf' }, value: s.count, metricName: `${name}_bucket`, exemplar: null, sharedLabels: shared })
      values.push({ labels: {}, value: s.sum, metricName: `${name}_sum`, sharedLabels: shared })
      values.push({ labels: {}, value: s.count, metricName: `${name}_count`, sharedLabels: shared })
    }
    return { name, help, type: 'histogram', values, aggregator }
  }

  override async get(): Promise<Awaited<ReturnType<Histogram<string>['get']>>> {
    const data = await this.getForPromString()
    const values = data.values.map(({ sharedLabels, ...v }) => ({ ...v, labels: { ...v.labels, ...sharedLabels } }))
    return { ...data, values } as unknown as Awaited<ReturnType<Histogram<string>['get']>>
  }
}
