import { describe, expect, it, vi } from 'vitest'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

describe('browser lifecycle', () => {
  it('online resets backoff and tries at once', async () => {
    const { client, server, env, states } = setup({ reconnect: { minDelayMs: 20_000, maxDelayMs: 60_000, jitter: 'none' } })
    await advanceUntil(() => client.ready)
    server.options.autoOpen = false
    server.last.drop(1006)
    await advanceUntil(() => client.getState().status === 'reconnecting')
    expect(states.at(-1)!.nextDelayMs).toBe(20_000)
    server.options.autoOpen = true
    env.fire('online')
    expect(client.getState()).toMatchObject({ status: 'connecting', attempt: 0, reason: 'online' })
    await advanceUntil(() => client.ready, 1000)
  })

  it('offline while waiting enters offline, yet attempts continue (navigator.onLine lies)', async () => {
    const { client, server, env } = setup({ reconnect: { minDelayMs: 1000, jitter: 'none' } })
    await advanceUntil(() => client.ready)
    server.options.autoOpen = false
    server.last.drop(1006)
    await advanceUntil(() => client.getState().status === 'reconnecting')
    env.fire('offline')
    expect(client.getState().status).toBe('offline')
    const before = server.sockets.length
    await vi.advanceTimersByTimeAsync(1100)
    expect(server.sockets.length).toBe(before + 1)
  })

  it('offline while open probes the socket instead of dropping it', async () => {
    const { client, server, env, states } = setup()
    await advanceUntil(() => client.ready)
    const before = server.last.received.length
    env.fire('offline')
    expect(server.last.received.slice(before)).toEqual([{ t: 'ping', n: 1 }])
    await vi.advanceTimersByTimeAsync(5000)
    expect(states.filter((s) => s.prev === 'open')).toEqual([])
  })

  it('visible probes a live link and abandons it if nothing answers', async () => {
    const { client, server, env, states } = setup({ heartbeat: { probeTimeoutMs: 1500 } })
    await advanceUntil(() => client.ready)
    server.last.blackholed = true
    env.fire('visible')
    await vi.advanceTimersByTimeAsync(1600)
    expect(states.at(-1)).toMatchObject({ prev: 'open', reason: 'heartbeat-timeout' })
  })

  it('visible while waiting to reconnect tries now', async () => {
    const { client, server, env } = setup({ reconnect: { minDelayMs: 20_000, jitter: 'none' } })
    await advanceUntil(() => client.ready)
    server.last.drop(1006)
    await advanceUntil(() => client.getState().status === 'reconnecting')
    env.fire('visible')
    expect(client.getState().status).toBe('connecting')
  })

  it('pagehide closes with a going-away code keeping the queue; pageshow resumes and flushes it', async () => {
    const { client, server, env } = setup()
    await advanceUntil(() => client.ready)
    env.fire('pagehide')
    await vi.advanceTimersByTimeAsync(10)
    expect(server.last.closedBy).toMatchObject({ code: 4001 })
    expect(client.getState()).toMatchObject({ status: 'closed', reason: 'pagehide' })
    const sent = client.send('note', { text: 'written while in the bfcache' })
    expect(client.outbox.size).toBe(1)
    env.fire('pageshow')
    await advanceUntil(() => client.ready)
    server.last.push({ t: 'ack', id: 1 })
    await expect(sent).resolves.toBeUndefined()
    expect(server.last.received.map((f) => f.t)).toEqual(['hello', 'send'])
  })

  it('stops listening to the environment after close()', async () => {
    const { client, env } = setup()
    await advanceUntil(() => client.ready)
    expect(env.listeners.size).toBe(1)
    const closing = client.close()
    await vi.advanceTimersByTimeAsync(10)
    await closing
    expect(env.listeners.size).toBe(0)
  })
})
