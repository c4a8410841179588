import { describe, expect, it } from 'vitest'
import { createServer, type ServerOptions } from '@mooring/server'
import { FaultProxy, ServerProcess, waitForEvent, waitUntil } from '@mooring/testing'
import { createClient, type DropEvent, type GapEvent, type MooringError } from '../src/index.js'
import { seeded } from './fake-socket.js'
import { RoomTap, tally } from './room-tap.js'

const quickRetry = { minDelayMs: 20, maxDelayMs: 200 }

async function serve(options: ServerOptions = {}) {
  const server = createServer({ port: 0, host: '127.0.0.1', ...options })
  const { port, url } = await server.ready()
  return { server, port, url }
}

/** Outcome of a promise, recorded without ever leaving it unhandled. */
function outcome(promise: Promise<unknown>) {
  const result: { settled: number; ok?: boolean; error?: MooringError } = { settled: 0 }
  promise.then(
    () => {
      result.settled++
      result.ok = true
    },
    (error: MooringError) => {
      result.settled++
      result.ok = false
      result.error = error
    },
  )
  return result
}

describe('delivery guarantees over real sockets', () => {
  it('outage: after 3 s down the server gets exactly the 90 surviving reliable publishes, once, in order, after auth and rejoin', async () => {
    const { server, port, url } = await serve()
    await using _s = server
    // What the server saw, in order: each authenticated socket, then its application frames.
    const log: string[] = []
    server.on('connection', () => log.push('connection'))
    server.use(async (ctx, frame, next) => {
      log.push(ctx.kind === 'pub' ? `pub ${(frame as { data: { k: number } }).data.k}` : ctx.kind)
      await next()
    })
    await using tap = await RoomTap.open(url, 'outage')
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    await using client = createClient({ url: proxy.url(), reconnect: quickRetry })
    const drops: DropEvent[] = []
    client.on('drop', (event) => drops.push(event))
    const room = client.room('outage')
    await room.ready()

    proxy.refuse()
    proxy.dropAll()
    const downAt = performance.now()
    await waitUntil(() => !client.ready, { timeoutMs: 5000 })
    const reliable: Array<{ k: number; ttl: boolean; result: ReturnType<typeof outcome> }> = []
    const volatile: Array<ReturnType<typeof outcome>> = []
    const connected: Array<ReturnType<typeof outcome>> = []
    for (let k = 0; k < 100; k++) {
      const ttl = k % 10 === 3
      reliable.push({ k, ttl, result: outcome(room.publish('r', { k }, ttl ? { ttlMs: 1000 } : {})) })
      if (k % 2 === 0) volatile.push(outcome(room.publish('v', { k: 1000 + k }, { delivery: 'volatile' })))
      else connected.push(outcome(room.publish('c', { k: 2000 + k }, { delivery: 'connected' })))
    }
    await waitUntil(() => drops.filter((d) => d.reason === 'expired').length === 10, { timeoutMs: 3000 })
    // The outage itself lasts 3 s; this is its length, not a wait for a result.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3000 - (performance.now() - downAt))))
    const beforeRecovery = log.length
    proxy.accept()

    const survivors = reliable.filter((r) => !r.ttl)
    await waitUntil(() => survivors.every((r) => r.result.settled), { timeoutMs: 10_000, description: 'all survivors acked' })
    await waitUntil(() => tap.data('r').length >= 90, { timeoutMs: 5000 })

    expect(survivors).toHaveLength(90)
    expect(survivors.every((r) => r.result.ok && r.result.settled === 1)).toBe(true)
    expect(tap.data<{ k: number }>('r').map((d) => d.k)).toEqual(survivors.map((r) => r.k))
    expect(tap.messages.every((m) => m.type === 'r')).toBe(true)
    const seqs = tap.messages.map((m) => m.seq)
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i))

    // After recovery: the socket authenticated, the room was rejoined, then the resends.
    const after = log.slice(beforeRecovery)
    expect(after[0]).toBe('connection')
    expect(after[1]).toBe('join')
    expect(after.slice(2)).toEqual(survivors.map((r) => `pub ${r.k}`))

    const byReason = (reason: string) => drops.filter((d) => d.reason === reason)
    expect(byReason('volatile').map((d) => (d.message.data as { k: number }).k)).toEqual(volatile.map((_, i) => 1000 + 2 * i))
    expect(byReason('not-connected').map((d) => (d.message.data as { k: number }).k)).toEqual(connected.map((_, i) => 2001 + 2 * i))
    expect(byReason('expired').map((d) => (d.message.data as { k: number }).k)).toEqual(reliable.filter((r) => r.ttl).map((r) => r.k))
    expect(drops).toHaveLength(110)
    expect(volatile.every((r) => r.ok === true)).toBe(true) // fire-and-forget: told by the event, not by a rejection
    expect(connected.every((r) => r.ok === false && r.error?.code === 'CONNECTION_CLOSED')).toBe(true)
    expect(reliable.filter((r) => r.ttl).every((r) => r.result.ok === false && r.result.error?.code === 'EXPIRED')).toBe(true)
    expect(client.outbox.size).toBe(0)
  })

  it('lost ack: the server handles M once, the ack is lost, the client notices the dead link, resends M, and resolves once', async () => {
    const { server, port } = await serve({ heartbeat: { intervalMs: 300, timeoutMs: 300 } })
    await using _s = server
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    const runs: string[] = []
    const arrivals: string[] = []
    server.use(async (ctx, frame, next) => {
      if (ctx.kind === 'send') arrivals.push(String((frame as { data: unknown }).data))
      await next()
    })
    server.handle('work', (_ctx, data: string) => {
      runs.push(data)
      // The ack for M leaves after this returns: lose everything server → client from now on.
      if (data === 'M' && runs.length === 2) proxy.dropServerToClient()
    })
    await using client = createClient({ url: proxy.url(), reconnect: quickRetry })
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    await client.send('work', 'before')
    const m = outcome(client.send('work', 'M'))
    await waitUntil(() => proxy.stats.bytesDropped > 0, { timeoutMs: 5000, description: 'the ack for M dropped' })
    // New connections work again; the one that lost bytes stays dead.
    proxy.heal()
    const lost = await waitForEvent<[{ reason: string; prev: string }]>(client, 'state', {
      timeoutMs: 3000,
      filter: (s) => s.prev === 'open',
    })
    expect(lost[0].reason).toBe('heartbeat-timeout')
    await waitUntil(() => m.settled > 0, { timeoutMs: 5000, description: 'M acked after the resend' })
    await client.send('work', 'after')

    expect(m).toMatchObject({ settled: 1, ok: true })
    expect(runs).toEqual(['before', 'M', 'after'])
    expect(arrivals).toEqual(['before', 'M', 'M', 'after']) // M did travel twice: the dedupe, not luck, kept it once
  })

  it('flapping: 20 random drops while publishing every 10 ms lose, duplicate and reorder nothing', async () => {
    // The built-in rate limit (100/s) would answer resend bursts with RATE_LIMITED; this test is about the link.
    const { server, port, url } = await serve({ rateLimit: false })
    await using _s = server
    await using tap = await RoomTap.open(url, 'flap')
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    await using client = createClient({ url: proxy.url(), reconnect: { minDelayMs: 10, maxDelayMs: 100 } })
    const room = client.room('flap')
    await room.ready()
    const random = seeded(20240607)
    const results: Array<ReturnType<typeof outcome>> = []
    let publishing = true
    const publisher = (async () => {
      while (publishing) {
        results.push(outcome(room.publish('n', results.length)))
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    })()
    let reconnects = 0
    client.on('ready', () => reconnects++)
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100 + random() * 400))
      proxy.dropAll()
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    publishing = false
    await publisher
    await waitUntil(() => client.ready && client.outbox.size === 0, { timeoutMs: 10_000, description: 'outbox drained' })
    const expected = results.map((_, i) => i)
    await waitUntil(() => tap.data('n').length >= expected.length, { timeoutMs: 5000 })

    const counts = tally(tap.data<number>('n'), expected)
    console.log(
      `flapping: ${results.length} published, ${reconnects} reconnects, server saw ${tap.data('n').length}:`,
      JSON.stringify(counts),
    )
    expect(reconnects).toBeGreaterThanOrEqual(20)
    expect(counts).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 })
    expect(tap.data('n')).toEqual(expected)
    expect(results.every((r) => r.ok && r.settled === 1)).toBe(true)
  })

  it('a SIGKILLed in-memory server: the room sees a new epoch as a gap, and what is published after the restart follows it', async () => {
    await using server = await ServerProcess.start({ args: ['--heartbeat-interval-ms', '1000'] })
    await using listener = createClient({ url: server.url, reconnect: quickRetry })
    await using publisher = createClient({ url: server.url, reconnect: quickRetry })
    const heard = listener.room('crash')
    const spoken = publisher.room('crash')
    await Promise.all([heard.ready(), spoken.ready()])
    const log: string[] = []
    const epochs: string[] = []
    heard.onMessage('n', (n: number, meta) => {
      log.push(`msg ${n}`)
      epochs.push(meta.epoch)
    })
    heard.on('gap', (gap: GapEvent) => log.push(`gap ${gap.reason} from ${gap.from}`))
    for (let n = 1; n <= 3; n++) await spoken.publish('n', n)
    await waitUntil(() => log.length === 3, { timeoutMs: 5000 })

    await server.kill('SIGKILL')
    await waitUntil(() => !listener.ready && !publisher.ready, { timeoutMs: 5000 })
    await server.restart()
    for (let n = 4; n <= 6; n++) await spoken.publish('n', n)
    await waitUntil(() => log.length === 7, { timeoutMs: 10_000, description: `gap and 3 messages; log: ${log}` })

    expect(log).toEqual(['msg 1', 'msg 2', 'msg 3', 'gap epoch from 4', 'msg 4', 'msg 5', 'msg 6'])
    expect(new Set(epochs.slice(0, 3)).size).toBe(1)
    expect(new Set(epochs.slice(3)).size).toBe(1)
    expect(epochs[3]).not.toBe(epochs[0])
  })
})
