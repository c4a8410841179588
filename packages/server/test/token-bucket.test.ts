import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../src/index.js'

function clock() {
  let t = 0
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

describe('TokenBucket', () => {
  it('lets a burst through at once, then the sustained rate', () => {
    const c = clock()
    const b = new TokenBucket(10, 3, c.now)
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false])
    expect(b.retryAfterMs).toBe(100)
    c.advance(100)
    expect([b.take(), b.take()]).toEqual([true, false])
    c.advance(10_000)
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false])
  })

  it('counts refusals as strikes that drain at the sustained rate', () => {
    const c = clock()
    const b = new TokenBucket(10, 1, c.now)
    b.take()
    for (let i = 0; i < 5; i++) b.take()
    expect(b.strikes).toBe(5)
    c.advance(250) // 2.5 refusals drained; a partly drained one still counts
    expect(b.strikes).toBe(3)
    c.advance(1000)
    expect(b.strikes).toBe(0)
  })

  it('never piles up strikes for a client just over the rate', () => {
    const c = clock()
    const b = new TokenBucket(10, 10, c.now)
    let maxStrikes = 0
    for (let i = 0; i < 1000; i++) {
      c.advance(90) // 11.1/s against 10/s
      b.take()
      maxStrikes = Math.max(maxStrikes, b.strikes)
    }
    expect(maxStrikes).toBeLessThanOrEqual(1)
  })
})
