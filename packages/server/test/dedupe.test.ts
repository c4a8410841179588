import { describe, expect, it } from 'vitest'
import { ClientLedger, DedupeWindow } from '../src/dedupe.js'

describe('DedupeWindow', () => {
  it('remembers ids that arrived in order without holding them in the set', () => {
    const w = new DedupeWindow(10)
    for (let id = 0; id < 100; id++) w.add(id)
    expect(w.has(0)).toBe(true)
    expect(w.has(99)).toBe(true)
    expect(w.has(100)).toBe(false)
    expect(w.size).toBe(0)
    expect(w.contiguous).toBe(99)
  })

  it('holds ids above a gap and folds them in once the gap fills', () => {
    const w = new DedupeWindow(10)
    w.add(0)
    w.add(2)
    w.add(3)
    expect(w.has(1)).toBe(false)
    expect(w.size).toBe(2)
    w.add(1)
    expect(w.contiguous).toBe(3)
    expect(w.size).toBe(0)
  })

  it('stays bounded when gaps never fill, treating the oldest missing ids as seen', () => {
    const w = new DedupeWindow(100)
    for (let id = 1; id <= 10_000; id += 2) w.add(id) // every even id is missing forever
    expect(w.size).toBeLessThanOrEqual(100)
    expect(w.has(9_999)).toBe(true)
    expect(w.has(10_001)).toBe(false)
    expect(w.has(2)).toBe(true) // folded into the floor
  })

  it('adding an id twice changes nothing', () => {
    const w = new DedupeWindow(10)
    w.add(5)
    w.add(5)
    expect(w.size).toBe(1)
  })
})

describe('ClientLedger', () => {
  it('runs an id once and reports later arrivals as duplicates', async () => {
    const ledger = new ClientLedger(10)
    let runs = 0
    const fn = async () => (runs++, { ok: true as const })
    expect(await ledger.runOnce('send', 1, fn)).toMatchObject({ ok: true, duplicate: false })
    expect(await ledger.runOnce('send', 1, fn)).toMatchObject({ ok: true, duplicate: true })
    expect(runs).toBe(1)
  })

  it('makes a duplicate that arrives mid-run wait for the first run', async () => {
    const ledger = new ClientLedger(10)
    let release!: () => void
    let runs = 0
    const fn = () => (runs++, new Promise<{ ok: true }>((r) => (release = () => r({ ok: true }))))
    const first = ledger.runOnce('send', 7, fn)
    const second = ledger.runOnce('send', 7, fn)
    release()
    expect(await first).toMatchObject({ ok: true, duplicate: false })
    expect(await second).toMatchObject({ ok: true, duplicate: true })
    expect(runs).toBe(1)
  })

  it('lets a failed id be retried', async () => {
    const ledger = new ClientLedger(10)
    let runs = 0
    const fn = async () => (++runs === 1 ? { ok: false as const, code: 'HANDLER_ERROR', message: 'x' } : { ok: true as const })
    expect((await ledger.runOnce('send', 1, fn)).ok).toBe(false)
    expect((await ledger.runOnce('send', 1, fn)).ok).toBe(true)
    expect(runs).toBe(2)
  })

  it('keeps send and pub ids apart', async () => {
    const ledger = new ClientLedger(10)
    let runs = 0
    const fn = async () => (runs++, { ok: true as const })
    await ledger.runOnce('send', 1, fn)
    await ledger.runOnce('pub', 1, fn)
    expect(runs).toBe(2)
  })
  it('answers a synchronous run synchronously, without a promise, and still dedupes it', () => {
    const ledger = new ClientLedger(10)
    let runs = 0
    const fn = () => (runs++, { ok: true as const, data: 'x' })
    expect(ledger.runOnce('send', 1, fn)).toEqual({ ok: true, data: 'x', duplicate: false })
    expect(ledger.runOnce('send', 1, fn)).toMatchObject({ ok: true, duplicate: true })
    expect(runs).toBe(1)
  })

  it('does not remember a synchronous failure, so a retry runs again', () => {
    const ledger = new ClientLedger(10)
    let runs = 0
    const fn = () => (++runs === 1 ? { ok: false as const, code: 'HANDLER_ERROR', message: 'x' } : { ok: true as const })
    expect(ledger.runOnce('send', 3, fn)).toMatchObject({ ok: false, duplicate: false })
    expect(ledger.runOnce('send', 3, fn)).toMatchObject({ ok: true, duplicate: false })
    expect(runs).toBe(2)
  })

  it('turns a run that throws or rejects into an INTERNAL failure that may be retried', async () => {
    const ledger = new ClientLedger(10)
    const thrown = () => {
      throw new Error('sync boom')
    }
    expect(ledger.runOnce('send', 1, thrown)).toMatchObject({ ok: false, code: 'INTERNAL', duplicate: false })
    expect(await ledger.runOnce('send', 2, () => Promise.reject(new Error('async boom')))).toMatchObject({ ok: false, code: 'INTERNAL' })
    let runs = 0
    const fn = () => (runs++, { ok: true as const })
    ledger.runOnce('send', 1, fn)
    await ledger.runOnce('send', 2, fn)
    expect(runs).toBe(2)
  })

  it('keeps exactly-once across a mix of synchronous and asynchronous runs arriving out of order', async () => {
    const ledger = new ClientLedger(50)
    const runs = new Map<number, number>()
    const count = (id: number) => runs.set(id, (runs.get(id) ?? 0) + 1)
    const pending: Array<Promise<unknown> | unknown> = []
    // Every id twice, odd ids asynchronous, in a shuffled but fixed order.
    const order = [5, 1, 2, 5, 3, 1, 4, 2, 6, 3, 4, 6, 8, 7, 8, 7]
    for (const id of order) {
      pending.push(
        ledger.runOnce('send', id, () => (count(id), id % 2 ? Promise.resolve({ ok: true as const }) : { ok: true as const })),
      )
    }
    await Promise.all(pending)
    expect([...runs.entries()].sort((a, b) => a[0] - b[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((id) => [id, 1]))
  })
})
