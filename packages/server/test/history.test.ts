import { describe, expect, it } from 'vitest'
import { HistoryRing } from '../src/history.js'

describe('HistoryRing', () => {
  it('numbers messages strictly +1 from 1', () => {
    const h = new HistoryRing(10, 60_000)
    expect(h.seq).toBe(0)
    expect([h.append('a', 1).seq, h.append('b', 2).seq, h.append('c', 3).seq]).toEqual([1, 2, 3])
    expect(h.seq).toBe(3)
  })

  it('replays everything after since when it is all kept', () => {
    const h = new HistoryRing(10, 60_000)
    for (let i = 1; i <= 5; i++) h.append('m', i, { from: 'pub', src: 'k', mid: i })
    expect(h.after(2)!.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(h.after(5)).toEqual([])
    expect(h.after(0)!.map((e) => e.data)).toEqual([1, 2, 3, 4, 5])
    expect(h.after(2)![0]!.origin).toEqual({ from: 'pub', src: 'k', mid: 3 })
  })

  it('reports a gap once the ring has evicted what since needs', () => {
    const h = new HistoryRing(3, 60_000)
    for (let i = 1; i <= 6; i++) h.append('m', i)
    expect(h.after(3)!.map((e) => e.seq)).toEqual([4, 5, 6])
    expect(h.after(2)).toBeUndefined()
  })

  it('reports a gap when the needed messages are older than the TTL', () => {
    let now = 1_000
    const h = new HistoryRing(10, 5_000, () => now)
    h.append('m', 1)
    now += 3_000
    h.append('m', 2)
    now += 3_000 // the first is now 6s old
    expect(h.after(0)).toBeUndefined()
    expect(h.after(1)!.map((e) => e.seq)).toEqual([2])
  })

  it('reports a gap for a since beyond the current seq', () => {
    const h = new HistoryRing(10, 60_000)
    h.append('m', 1)
    expect(h.after(5)).toBeUndefined()
  })

  it('gets a fresh epoch per instance', () => {
    expect(new HistoryRing(1, 1).epoch).not.toBe(new HistoryRing(1, 1).epoch)
  })
})
