import { describe, expect, it, vi } from 'vitest'
import { systemClock, type Clock } from '../src/index.js'
import { seeded } from './fake-socket.js'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

const heartbeat = { intervalMs: 25_000, timeoutMs: 10_000 }

describe('heartbeat', () => {
  it('detects a half-open link within interval + timeout and starts the next attempt without waiting for onclose', async () => {
    const { client, server, states } = setup({}, { heartbeat })
    await advanceUntil(() => client.ready)
    const first = server.last
    const silentSince = Date.now()
    first.blackholed = true
    await advanceUntil(() => states.some((s) => s.reason === 'heartbeat-timeout'), 60_000, 100)
    const detectedAfter = Date.now() - silentSince
    expect(detectedAfter).toBeLessThanOrEqual(35_000 + 500)
    expect(detectedAfter).toBeGreaterThanOrEqual(34_000)
    // The dead socket never delivered a close event, and we did not wait for one.
    expect(first.closedBy).toMatchObject({ code: 1006 })
    await advanceUntil(() => server.sockets.length === 2, 2000)
  })

  it('any inbound frame counts as life', async () => {
    const { client, server, states } = setup({}, { heartbeat })
    await advanceUntil(() => client.ready)
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(30_000)
      server.last.push({ t: 'evt', type: 'tick', data: i })
    }
    expect(states.filter((s) => s.state === 'reconnecting')).toHaveLength(0)
  })

  it('answers server pings with pongs carrying the same number', async () => {
    const { client, server } = setup({}, { heartbeat })
    await advanceUntil(() => client.ready)
    server.last.push({ t: 'ping', n: 7 })
    expect(server.last.received.at(-1)).toEqual({ t: 'pong', n: 7 })
  })

  it('with timers clamped to 60 s (hidden tab), a healthy link sees zero disconnects over 30 minutes', async () => {
    // Timers fire on the next whole minute after they are due, like Chrome's intensive throttling.
    const throttled: Clock = {
      ...systemClock,
      random: seeded(3),
      setTimeout: (fn, ms) => {
        const due = Date.now() + ms
        return globalThis.setTimeout(fn, Math.ceil(due / 60_000) * 60_000 - Date.now())
      },
    }
    const { client, server, states } = setup({ clock: throttled }, { heartbeat })
    await advanceUntil(() => client.ready, 120_000, 1000)
    // The server keeps pinging every 25 s; network callbacks are not throttled.
    const pinger = setInterval(() => server.last.push({ t: 'ping', n: 1 }), 25_000)
    await vi.advanceTimersByTimeAsync(30 * 60_000)
    clearInterval(pinger)
    expect(states.filter((s) => s.state !== 'open' && s.prev === 'open')).toEqual([])
    expect(server.sockets).toHaveLength(1)
  })

  it('after a 10-minute sleep with a healthy link, the late timer probes instead of raising a false alarm', async () => {
    const { client, server, states } = setup({}, { heartbeat })
    await advanceUntil(() => client.ready)
    vi.setSystemTime(Date.now() + 10 * 60_000)
    const before = server.last.received.length
    await vi.advanceTimersByTimeAsync(36_000)
    // The probe went out and the pong came back: still on the first socket.
    expect(server.last.received.slice(before).some((f) => f.t === 'ping')).toBe(true)
    expect(states.filter((s) => s.prev === 'open')).toEqual([])
    expect(client.stats().rttMs).toBeDefined()
  })

  it('after a sleep with a dead link, the resume signal probes, abandons and reconnects', async () => {
    const { client, server, env, states } = setup({ heartbeat: { probeTimeoutMs: 2000 } }, { heartbeat })
    await advanceUntil(() => client.ready)
    server.last.blackholed = true
    vi.setSystemTime(Date.now() + 10 * 60_000)
    env.fire('resume')
    await vi.advanceTimersByTimeAsync(1999)
    expect(states.filter((s) => s.prev === 'open')).toEqual([])
    await vi.advanceTimersByTimeAsync(2)
    expect(states.at(-1)).toMatchObject({ prev: 'open', reason: 'heartbeat-timeout' })
    await advanceUntil(() => client.ready && server.sockets.length === 2, 5000)
  })

  it('measures round-trip time from probes into stats', async () => {
    const { client, env } = setup({}, { heartbeat })
    await advanceUntil(() => client.ready)
    env.fire('visible')
    await vi.advanceTimersByTimeAsync(10)
    const stats = client.stats()
    expect(stats.rttMs).toBeGreaterThanOrEqual(0)
    expect(stats.rttAvgMs).toBeGreaterThanOrEqual(0)
  })

  it('does nothing when disabled', async () => {
    const { client, server, states } = setup({ heartbeat: { enabled: false } }, { heartbeat })
    await advanceUntil(() => client.ready)
    server.last.blackholed = true
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(states.filter((s) => s.prev === 'open')).toEqual([])
  })
})
