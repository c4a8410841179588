import { describe, expect, it, vi } from 'vitest'
import { seeded } from './fake-socket.js'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

describe('invariants', () => {
  it('10,000 seeded random operations never give the server two live sockets for one client', async () => {
    const random = seeded(20261121)
    const { client, server, env } = setup({ reconnect: { minDelayMs: 5, maxDelayMs: 200 }, connectTimeoutMs: 300 }, {}, 7)
    const ops: Array<() => void | Promise<void>> = [
      () => client.connect(),
      () => void client.close(),
      () => client.reconnect(),
      () => server.live.at(-1)?.drop(1006),
      () => server.live.at(-1)?.drop(1012),
      () => {
        // error and close in one tick
        const s = server.live.at(-1)
        s?.onerror?.({})
        s?.drop(1011)
      },
      () => {
        server.options.autoOpen = !server.options.autoOpen
        server.live.at(-1)?.accept()
      },
      () => env.fire('offline'),
      () => env.fire('online'),
      () => env.fire('visible'),
      () => env.fire('pagehide'),
      () => env.fire('pageshow'),
      () => vi.advanceTimersByTimeAsync(Math.floor(random() * 50)).then(() => {}),
    ]
    for (let i = 0; i < 10_000; i++) {
      await ops[Math.floor(random() * ops.length)]!()
      expect(server.live.length).toBeLessThanOrEqual(1)
      if (i % 50 === 0) await vi.advanceTimersByTimeAsync(1)
    }
    expect(server.maxConcurrent).toBe(1)
    expect(server.sockets.length).toBeGreaterThan(500)
  })

  it('1,000 reconnect cycles leave listeners and live timers where 10 cycles left them', async () => {
    const { client, server, env } = setup({ reconnect: { minDelayMs: 1, maxDelayMs: 5 } })
    const measure = () => ({
      timers: vi.getTimerCount(),
      env: env.listeners.size,
      listeners: client.eventNames().reduce((n, e) => n + client.listenerCount(e), 0),
    })
    const cycle = async () => {
      await advanceUntil(() => client.ready, 5000, 1)
      server.last.drop(1006)
      await advanceUntil(() => !client.ready, 5000, 1)
    }
    for (let i = 0; i < 10; i++) await cycle()
    await advanceUntil(() => client.ready, 5000, 1)
    const after10 = measure()
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const heapAt10 = process.memoryUsage().heapUsed
    for (let i = 0; i < 990; i++) await cycle()
    await advanceUntil(() => client.ready, 5000, 1)
    expect(measure()).toEqual(after10)
    // The fake server keeps every socket it ever saw; drop them before weighing the heap.
    server.sockets.splice(0, server.sockets.length - 1)
    gc?.()
    const growth = process.memoryUsage().heapUsed - heapAt10
    console.log(`leaks: after 1,000 reconnect cycles heap grew ${(growth / 1024).toFixed(0)} KiB over 10 cycles; timers ${after10.timers}, listeners ${after10.listeners}`)
    expect(gc, 'run with --expose-gc').toBeDefined()
    expect(growth).toBeLessThan(1024 * 1024)
  })
})
