import { describe, expect, it, vi } from 'vitest'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

describe('connecting', () => {
  it('connects, says hello with its client id, and is ready after the welcome', async () => {
    const { client, server, states } = setup({ clientId: 'c-1' })
    const ready = vi.fn()
    client.on('ready', ready)
    await advanceUntil(() => client.ready)
    expect(server.last.received[0]).toMatchObject({ t: 'hello', v: 1, clientId: 'c-1' })
    expect(server.last.protocols).toContain('mooring.v1')
    expect(states.map((s) => s.state)).toEqual(['connecting', 'open'])
    expect(ready).toHaveBeenCalledOnce()
    expect(client.getState()).toMatchObject({ status: 'open' })
  })

  it('does not connect before connect() when autoConnect is false, and connect() is idempotent', async () => {
    const { client, server } = setup({ autoConnect: false })
    await vi.advanceTimersByTimeAsync(1000)
    expect(server.sockets).toHaveLength(0)
    client.connect()
    client.connect()
    await advanceUntil(() => client.ready)
    client.connect()
    await vi.advanceTimersByTimeAsync(1000)
    expect(server.sockets).toHaveLength(1)
  })

  it('close() during connecting cancels the attempt and nothing retries', async () => {
    const { client, server } = setup({}, { autoOpen: false })
    await vi.advanceTimersByTimeAsync(5)
    expect(server.sockets).toHaveLength(1)
    await client.close()
    expect(server.last.live).toBe(false)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(server.sockets).toHaveLength(1)
    expect(client.getState()).toMatchObject({ status: 'closed', reason: 'user' })
  })

  it('a stalled handshake fails after connectTimeoutMs and the next attempt is scheduled', async () => {
    const { client, server, states } = setup({ connectTimeoutMs: 4000 }, { autoOpen: false })
    const elapsed = await advanceUntil(() => states.some((s) => s.state === 'reconnecting'), 10_000, 50)
    expect(elapsed).toBeGreaterThanOrEqual(3600)
    expect(elapsed).toBeLessThanOrEqual(4400)
    expect(states.at(-1)).toMatchObject({ reason: 'connect-timeout', attempt: 1 })
    expect(states.at(-1)!.nextDelayMs).toBeGreaterThanOrEqual(0)
    expect(server.sockets[0]!.live).toBe(false)
    await advanceUntil(() => server.sockets.length === 2, 1000)
    expect(client.getState().status).toBe('connecting')
  })

  it('reconnect() drops the live socket and starts over with attempt 0', async () => {
    const { client, server } = setup()
    await advanceUntil(() => client.ready)
    client.reconnect()
    expect(server.sockets[0]!.live).toBe(false)
    await advanceUntil(() => client.ready)
    expect(server.sockets).toHaveLength(2)
    expect(client.getState().attempt).toBe(0)
  })

  it('counts attempts across flaps and resets them only after minUptimeMs of a stable link', async () => {
    const { client, server, states } = setup({ reconnect: { minUptimeMs: 5000 } })
    const losses = () => states.filter((s) => s.state === 'reconnecting')
    for (let i = 1; i <= 3; i++) {
      await advanceUntil(() => client.ready)
      server.last.drop(1006)
      await advanceUntil(() => losses().length === i)
      expect(losses().at(-1)!.attempt).toBe(i)
    }
    await advanceUntil(() => client.ready, 60_000)
    expect(client.getState().attempt).toBe(3)
    await vi.advanceTimersByTimeAsync(5000)
    expect(client.getState().attempt).toBe(0)
    server.last.drop(1006)
    await advanceUntil(() => losses().length === 4)
    expect(losses().at(-1)).toMatchObject({ attempt: 1 })
  })

  it('keeps retrying past 30 attempts by default', async () => {
    const { client, server } = setup({ reconnect: { maxDelayMs: 50, minDelayMs: 10 } }, { autoOpen: false, autoWelcome: false })
    for (let i = 0; i < 35; i++) {
      await advanceUntil(() => server.sockets.length > i, 20_000)
      server.last.drop(1006)
    }
    await advanceUntil(() => server.sockets.length > 35, 20_000)
    expect(client.getState().attempt).toBeGreaterThanOrEqual(35)
  })

  it('gives up after maxAttempts with a giveup event, and reconnect() revives it', async () => {
    const { client, server } = setup({ reconnect: { maxAttempts: 3 } }, { autoOpen: false })
    const giveup = vi.fn()
    client.on('giveup', giveup)
    for (let i = 0; i < 4; i++) {
      await advanceUntil(() => server.sockets.length > i, 60_000)
      server.last.drop(1006)
    }
    await advanceUntil(() => client.getState().status === 'closed', 5000)
    expect(client.getState()).toMatchObject({ status: 'closed', reason: 'giveup' })
    expect(giveup).toHaveBeenCalledOnce()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(server.sockets).toHaveLength(4)
    server.options.autoOpen = true
    client.reconnect()
    await advanceUntil(() => client.ready)
  })

  it('enters a slow-retry phase instead of giving up when slowRetryMs is set', async () => {
    const { client, server, states } = setup({ reconnect: { maxAttempts: 2, slowRetryMs: 60_000 } }, { autoOpen: false })
    for (let i = 0; i < 3; i++) {
      await advanceUntil(() => server.sockets.length > i, 120_000)
      server.last.drop(1006)
    }
    await advanceUntil(() => client.getState().status === 'reconnecting')
    const delay = states.at(-1)!.nextDelayMs!
    expect(delay).toBeGreaterThanOrEqual(30_000)
    expect(delay).toBeLessThanOrEqual(60_000)
  })

  it('an abort signal closes the client', async () => {
    const controller = new AbortController()
    const { client } = setup({ signal: controller.signal })
    await advanceUntil(() => client.ready)
    controller.abort()
    await vi.advanceTimersByTimeAsync(10)
    expect(client.getState()).toMatchObject({ status: 'closed', reason: 'user' })
  })

  it('rejects a URL that is not ws:// or wss:// with a clear error', () => {
    expect(() => setup({ url: 'http://example.test' })).toThrow(/ws:\/\/ or wss:\/\//)
  })
})
