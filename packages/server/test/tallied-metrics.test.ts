import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { TalliedCounter } from '../src/tallied-counter.js'
import { TalliedHistogram } from '../src/tallied-histogram.js'

// Each tallied metric is checked against prom-client's own class fed the same numbers: the
// exposition (text and JSON) must not tell them apart.
function pair(): { ours: Registry; theirs: Registry } {
  return { ours: new Registry(), theirs: new Registry() }
}

describe('TalliedCounter', () => {
  it('renders what prom-client renders for the same labelled increments, across scrapes', async () => {
    const { ours, theirs } = pair()
    const mine = new TalliedCounter({ name: 'frames_total', help: 'h', labelNames: ['kind'], registers: [ours] })
    const ref = new Counter({ name: 'frames_total', help: 'h', labelNames: ['kind'], registers: [theirs] })
    const steps: Array<[string, number]> = [
      ['send', 1],
      ['req', 3],
      ['send', 2],
      ['empty', 0], // a series that only ever saw 0 still appears
    ]
    for (const [kind, n] of steps) {
      mine.add(kind, n)
      ref.inc({ kind }, n)
    }
    expect(await ours.metrics()).toBe(await theirs.metrics())
    mine.add('req', 5)
    ref.inc({ kind: 'req' }, 5)
    mine.add('late', 1)
    ref.inc({ kind: 'late' }, 1)
    expect(await ours.metrics()).toBe(await theirs.metrics())
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON())
  })

  it('counts an unlabelled counter from 0', async () => {
    const { ours, theirs } = pair()
    const mine = new TalliedCounter({ name: 'hits_total', help: 'h', registers: [ours] })
    const ref = new Counter({ name: 'hits_total', help: 'h', registers: [theirs] })
    expect(await ours.metrics()).toBe(await theirs.metrics())
    mine.add('')
    mine.add('', 2)
    ref.inc()
    ref.inc(2)
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('forgets counts not yet scraped when the registry resets its metrics', async () => {
    const registry = new Registry()
    const mine = new TalliedCounter({ name: 'frames_total', help: 'h', labelNames: ['kind'], registers: [registry] })
    mine.add('send', 4)
    registry.resetMetrics()
    mine.add('send', 1)
    expect(await registry.metrics()).toContain('frames_total{kind="send"} 1\n')
  })
})

describe('TalliedHistogram', () => {
  const buckets = [0.001, 0.01, 0.1]

  it('renders what prom-client renders for the same observations, including past the last bucket and on a bound', async () => {
    const { ours, theirs } = pair()
    const mine = new TalliedHistogram({ name: 'took_seconds', help: 'h', labelName: 'kind', buckets, registers: [ours] })
    const ref = new Histogram({ name: 'took_seconds', help: 'h', labelNames: ['kind'], buckets, registers: [theirs] })
    const observations: Array<[string, number]> = [
      ['send', 0.0004],
      ['send', 0.01],
      ['req', 0.05],
      ['send', 3],
      ['req', 0.0011],
      ['pub', 0],
    ]
    for (const [kind, v] of observations) {
      mine.record(kind, v)
      ref.observe({ kind }, v)
    }
    expect(await ours.metrics()).toBe(await theirs.metrics())
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON())
  })

  it('renders nothing before the first observation and after a reset', async () => {
    const { ours, theirs } = pair()
    const mine = new TalliedHistogram({ name: 'took_seconds', help: 'h', labelName: 'kind', buckets, registers: [ours] })
    new Histogram({ name: 'took_seconds', help: 'h', labelNames: ['kind'], buckets, registers: [theirs] })
    expect(await ours.metrics()).toBe(await theirs.metrics())
    mine.record('send', 0.002)
    ours.resetMetrics()
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })
})
