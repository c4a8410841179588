import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Heartbeat, type HeartbeatClock } from '../src/heartbeat.js'

const fakeClock: HeartbeatClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

describe('Heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('pings every interval with an increasing n', () => {
    const pings: number[] = []
    const hb = new Heartbeat(1000, 500, { ping: (n) => pings.push(n), dead: () => {} }, fakeClock)
    hb.start()
    hb.touch()
    vi.advanceTimersByTime(1000)
    hb.touch()
    vi.advanceTimersByTime(1000)
    expect(pings).toEqual([1, 2])
    hb.stop()
  })

  it('declares a silent peer dead after interval + timeout, not before', () => {
    const dead = vi.fn()
    const hb = new Heartbeat(1000, 500, { ping: () => {}, dead }, fakeClock)
    hb.start()
    vi.advanceTimersByTime(1499)
    expect(dead).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(dead).toHaveBeenCalledTimes(1)
  })

  it('keeps a peer alive as long as anything arrives', () => {
    const dead = vi.fn()
    const hb = new Heartbeat(1000, 500, { ping: () => {}, dead }, fakeClock)
    hb.start()
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(1000)
      hb.touch()
    }
    expect(dead).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1500)
    expect(dead).toHaveBeenCalledTimes(1)
    hb.stop()
  })

  it('does nothing after stop', () => {
    const ping = vi.fn()
    const dead = vi.fn()
    const hb = new Heartbeat(1000, 500, { ping, dead }, fakeClock)
    hb.start()
    hb.stop()
    vi.advanceTimersByTime(10_000)
    expect(ping).not.toHaveBeenCalled()
    expect(dead).not.toHaveBeenCalled()
  })
})
