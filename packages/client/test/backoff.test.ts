import { describe, expect, it } from 'vitest'
import { backoffDelay, backoffDefaults } from '../src/index.js'
import { seeded } from './fake-socket.js'

describe('backoff', () => {
  it('keeps 200 seeded runs of 30 attempts inside [0, min(cap, base·2^n)]', () => {
    for (let run = 0; run < 200; run++) {
      const random = seeded(run + 1)
      for (let n = 0; n < 30; n++) {
        const delay = backoffDelay(backoffDefaults, n, random())
        const ceiling = Math.min(30_000, 500 * 2 ** n)
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(ceiling)
      }
    }
  })

  it('stays spread out at the cap instead of returning in lockstep', () => {
    const random = seeded(42)
    const atCap = Array.from({ length: 1000 }, () => backoffDelay(backoffDefaults, 25, random()))
    // Full jitter at the cap is uniform over [0, 30 s]: every 3 s decile holds some clients.
    const deciles = new Array(10).fill(0)
    for (const d of atCap) deciles[Math.min(9, Math.floor(d / 3000))]++
    for (const count of deciles) expect(count).toBeGreaterThan(60)
    expect(new Set(atCap.map((d) => Math.round(d / 100))).size).toBeGreaterThan(250)
  })

  it('survives attempt counts far past 30 without overflowing', () => {
    expect(backoffDelay(backoffDefaults, 10_000, 0.5)).toBe(15_000)
    expect(Number.isFinite(backoffDelay({ ...backoffDefaults, maxDelayMs: Infinity }, 10_000, 0.5))).toBe(true)
  })

  it('equal jitter keeps at least half the ceiling', () => {
    const options = { ...backoffDefaults, jitter: 'equal' as const }
    expect(backoffDelay(options, 3, 0)).toBe(2000)
    expect(backoffDelay(options, 3, 0.999)).toBeLessThanOrEqual(4000)
  })

  it('decorrelated jitter grows from the previous delay and respects the cap', () => {
    const options = { ...backoffDefaults, jitter: 'decorrelated' as const }
    expect(backoffDelay(options, 0, 0, 0)).toBe(500)
    expect(backoffDelay(options, 5, 1, 4000)).toBe(12_000)
    expect(backoffDelay(options, 5, 1, 20_000)).toBe(30_000)
  })

  it('no jitter returns the ceiling itself', () => {
    expect(backoffDelay({ ...backoffDefaults, jitter: 'none' }, 2, 0.3)).toBe(2000)
  })
})
