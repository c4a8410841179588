import { describe, expect, it } from 'vitest'
import { DEFAULT_SERVER_OPTIONS, resolveOptions } from '../src/options.js'

describe('resolveOptions', () => {
  it('fills every default', () => {
    const o = resolveOptions()
    expect(o.path).toBe('/')
    expect(o.authTimeoutMs).toBe(5000)
    expect(o.sessionTtlMs).toBe(120_000)
    expect(o.heartbeat).toEqual({ intervalMs: 25_000, timeoutMs: 10_000 })
    expect(o.history).toEqual({ size: 100, ttlMs: 300_000 })
    expect(o.dedupeWindow).toBe(DEFAULT_SERVER_OPTIONS.dedupeWindow)
  })

  it('merges nested groups field by field and ignores undefined', () => {
    const o = resolveOptions({ heartbeat: { intervalMs: 100 }, authTimeoutMs: undefined, path: 'ws' })
    expect(o.heartbeat).toEqual({ intervalMs: 100, timeoutMs: 10_000 })
    expect(o.authTimeoutMs).toBe(5000)
    expect(o.path).toBe('/ws')
  })
})
