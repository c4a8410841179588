import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { MooringServer } from '../src/index.js'
import { sample, startServer, TestClient, upgradeStatus, waitUntil, within } from './helpers.js'

let server: MooringServer | undefined
const raw: WebSocket[] = []
afterEach(() => {
  for (const w of raw.splice(0)) w.terminate()
})

/** Open `n` upgrades at once and hold the accepted ones; resolves the HTTP status of each (101 = accepted). */
async function burst(url: string, n: number): Promise<Map<number, number>> {
  const statuses = await Promise.all(
    Array.from({ length: n }, () => {
      const ws = new WebSocket(url, ['mooring.v1'])
      raw.push(ws)
      return within(
        new Promise<number>((resolve) => {
          ws.once('open', () => resolve(101))
          ws.once('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0)
            ws.terminate()
          })
          ws.once('error', () => resolve(-1))
        }),
        10_000,
        'upgrade answer',
      )
    }),
  )
  const counts = new Map<number, number>()
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1)
  return counts
}

describe('connection limits', () => {
  it('admits exactly maxConnectionsPerIp of a 500-connect burst and answers the rest 429', async () => {
    let url: string
    ;({ server, url } = await startServer({ maxConnectionsPerIp: 120 }))
    const counts = await burst(url, 500)
    expect(Object.fromEntries(counts)).toEqual({ 101: 120, 429: 380 })
    expect(sample(await server.metrics(), 'mooring_connections_refused_total', { reason: 'max_connections_per_ip' })).toBe(380)
    // A closed socket frees its slot.
    raw[raw.findIndex((w) => w.readyState === WebSocket.OPEN)]!.terminate()
    let status = 0
    for (let i = 0; i < 50 && status !== 101; i++) status = await upgradeStatus(url)
    expect(status).toBe(101)
  })

  it('admits exactly maxConnections of a 500-connect burst and answers the rest 503', async () => {
    let url: string
    ;({ server, url } = await startServer({ maxConnections: 150, maxConnectionsPerIp: 1000 }))
    const counts = await burst(url, 500)
    expect(Object.fromEntries(counts)).toEqual({ 101: 150, 503: 350 })
    const text = await server.metrics()
    expect(sample(text, 'mooring_connections_total')).toBe(150)
    expect(sample(text, 'mooring_connections_refused_total', { reason: 'max_connections' })).toBe(350)
  })

  it('closes 1009 on a frame over maxPayloadBytes', async () => {
    let url: string
    ;({ server, url } = await startServer({ maxPayloadBytes: 1024 }))
    const { client, welcome } = await TestClient.connect(url)
    expect(welcome.limits.maxPayloadBytes).toBe(1024)
    client.send({ t: 'send', id: 1, type: 'x', data: 'y'.repeat(2000) })
    expect((await client.closedWithin()).code).toBe(1009)
    await waitUntil(() => server!.connections().length === 0, 2000, 'server-side close')
    expect(sample(await server.metrics(), 'mooring_closes_total', { code: '1009' })).toBe(1)
  })
})

describe('slow consumers', () => {
  it('closes a paused socket 1013 with retryAfterMs while 50 fast members receive every message', async () => {
    let url: string
    let slowClosed = false
    const logger = { info() {}, error() {}, warn: (fields: Record<string, unknown>) => void (fields.event === 'slow_consumer' && (slowClosed = true)) }
    ;({ server, url } = await startServer({ logger, slowConsumer: { highWaterBytes: 64 * 1024, maxBufferedBytes: 256 * 1024, retryAfterMs: 7000 } }))
    const fast: Array<{ ws: WebSocket; seqs: number[] }> = []
    for (let i = 0; i < 50; i++) {
      const { client } = await TestClient.connect(url, { clientId: `fast${i}` })
      client.send({ t: 'join', ref: 1, room: 'feed' })
      await client.next('joined')
      const entry = { ws: client.ws, seqs: [] as number[] }
      // Count straight off the socket: these members read as fast as the loopback allows.
      client.ws.on('message', (data) => {
        const m = /^\{"t":"msg".*?"seq":(\d+)/.exec(data.toString())
        if (m) entry.seqs.push(Number(m[1]))
      })
      fast.push(entry)
    }
    const { client: slow } = await TestClient.connect(url, { clientId: 'slow' })
    slow.send({ t: 'join', ref: 1, room: 'feed' })
    await slow.next('joined')
    ;(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause()

    const payload = 'x'.repeat(16 * 1024)
    let published = 0
    // Bounded: 4,000 × 16 KiB = 64 MiB is far past any loopback buffering.
    while (!slowClosed && published < 4000) {
      for (let i = 0; i < 20; i++, published++) server.to('feed').publish('tick', { i: published, payload })
      await new Promise((r) => setImmediate(r))
      await waitUntil(() => fast.every((f) => f.seqs.length >= published - 200), 10_000, 'fast members keep up')
    }
    expect(slowClosed).toBe(true)
    // The paused client reads its backlog, then the close frame, once it resumes.
    ;(slow.ws as unknown as { _socket: { resume(): void } })._socket.resume()
    const close = await within(slow.closed, 5000, 'slow close')
    expect(close.code).toBe(1013)
    expect(/retryAfterMs=(\d+)/.exec(close.reason)?.[1]).toBe('7000')
    for (let i = 0; i < 20; i++, published++) server.to('feed').publish('tick', { i: published, payload })
    await waitUntil(() => fast.every((f) => f.seqs.length === published), 10_000, 'every fast member got every message')
    for (const f of fast) expect(f.seqs).toEqual(Array.from({ length: published }, (_, i) => i + 1))
  })

  it('drops volatile messages past the high-water mark but still delivers reliable ones to a lagging socket', async () => {
    let url: string
    ;({ server, url } = await startServer({ slowConsumer: { highWaterBytes: 16 * 1024, maxBufferedBytes: 1 << 30 } }))
    const { client: lagging } = await TestClient.connect(url, { clientId: 'lag' })
    const pause = (lagging.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
    pause.pause()
    const big = 'y'.repeat(64 * 1024)
    // Reliable evts until the backlog is past the high-water mark (bounded).
    let reliable = 0
    const ws = [...(server as unknown as { live: Set<{ ws: WebSocket }> }).live][0]!.ws
    while (ws.bufferedAmount <= 16 * 1024 && reliable < 2000) {
      server.broadcast('big', { big, n: reliable++ })
      await new Promise((r) => setImmediate(r))
    }
    expect(ws.bufferedAmount).toBeGreaterThan(16 * 1024)
    expect(server.broadcast('typing', { on: true }, { volatile: true })).toBe(0)
    expect(server.toUser('nobody').send('x', 1, { volatile: true })).toBe(0)
    expect(server.broadcast('big', { big, n: reliable++ })).toBe(1)
    expect(sample(await server.metrics(), 'mooring_messages_dropped_total', { reason: 'slow_consumer' })).toBe(1)
    pause.resume()
    await lagging.next((f) => f.t === 'evt' && (f.data as { n: number }).n === reliable - 1, 10_000)
    expect(lagging.frames.some((f) => f.t === 'evt' && f.type === 'typing')).toBe(false)
  })
})
