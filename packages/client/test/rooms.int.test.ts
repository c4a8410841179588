import { describe, expect, it } from 'vitest'
import { createServer, type ServerOptions } from '@mooring/server'
import { FaultProxy, waitForEvent, waitUntil } from '@mooring/testing'
import { createClient, type GapEvent, type MooringClient } from '../src/index.js'

async function serve(options: ServerOptions = {}) {
  const server = createServer({ port: 0, host: '127.0.0.1', ...options })
  const { port, url } = await server.ready()
  return { server, port, url }
}

async function connected(url: string, extra: object = {}): Promise<MooringClient> {
  const client = createClient({ url, reconnect: { minDelayMs: 20, maxDelayMs: 100 }, ...extra })
  await waitForEvent(client, 'ready', { timeoutMs: 5000 })
  return client
}

describe('rooms over real sockets', () => {
  it('three clients in two rooms: publishes reach exactly the members, presence follows joins and leaves', async () => {
    const { server, url } = await serve()
    await using _s = server
    await using a = await connected(url)
    await using b = await connected(url)
    await using c = await connected(url)
    const [ra, rb1, rb2, rc] = [a.room('red'), b.room('red'), b.room('blue'), c.room('blue')]
    await Promise.all([ra.ready(), rb1.ready(), rb2.ready(), rc.ready()])
    await waitUntil(() => ra.presence().length === 2 && rc.presence().length === 2, { timeoutMs: 5000 })

    const got: Record<string, string[]> = { a: [], b: [], c: [] }
    ra.onMessage('say', (m: string) => got.a!.push(`red:${m}`))
    rb1.onMessage('say', (m: string) => got.b!.push(`red:${m}`))
    rb2.onMessage('say', (m: string) => got.b!.push(`blue:${m}`))
    rc.onMessage('say', (m: string) => got.c!.push(`blue:${m}`))
    await ra.publish('say', 'hi red')
    await rc.publish('say', 'hi blue')
    await waitUntil(() => got.b!.length === 2 && got.c!.length === 1, { timeoutMs: 5000 })
    // The server excepts one member: c's session id, as presence reports it to b.
    const cId = rb2.presence().find((m) => !rb1.presence().some((r) => r.id === m.id))!.id
    server.to('blue').publish('say', 'from server', { except: cId })
    await waitUntil(() => got.b!.length === 3, { timeoutMs: 5000 })
    expect(got.a).toEqual(['red:hi red'])
    expect(got.b).toEqual(['red:hi red', 'blue:hi blue', 'blue:from server'])
    expect(got.c).toEqual(['blue:hi blue'])

    const left = waitForEvent(rb1, 'leave', { timeoutMs: 5000 })
    ra.leave()
    await left
    expect(rb1.presence()).toHaveLength(1)
    await waitUntil(() => ra.state === 'left', { timeoutMs: 5000 })
  })

  it('the same room twice is one object, left only when the last holder leaves', async () => {
    const { server, url } = await serve()
    await using _s = server
    await using a = await connected(url)
    const first = a.room('lobby')
    const second = a.room('lobby')
    expect(second).toBe(first)
    await first.ready()
    first.leave()
    expect(first.state).toBe('joined')
    second.leave()
    await waitUntil(() => first.state === 'left', { timeoutMs: 5000 })
    expect(a.rooms()).toHaveLength(0)
  })

  it('a forbidden or full room fails with FORBIDDEN or ROOM_FULL', async () => {
    const { server, url } = await serve({
      authorizeJoin: (_session, room) => room !== 'vip',
      rooms: { maxMembers: 1 },
    })
    await using _s = server
    await using a = await connected(url)
    await using b = await connected(url)
    await expect(a.room('vip').ready()).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(a.room('vip').state).toBe('failed')
    await a.room('small').ready()
    await expect(b.room('small').ready()).rejects.toMatchObject({ code: 'ROOM_FULL' })
  })

  it('resumes inside the history window: 50 missed messages arrive once, in order; a quiet room resumes cleanly', async () => {
    const { server, port } = await serve()
    await using _s = server
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    await using client = await connected(proxy.url())
    const [ra, rb, rc] = ['A', 'B', 'C'].map((n) => client.room(n))
    await Promise.all([ra!.ready(), rb!.ready(), rc!.ready()])
    const seen: number[] = []
    const gaps: GapEvent[] = []
    ra!.onMessage('n', (n: number, meta) => seen.push(n) && expect(meta.seq).toBe(n))
    for (const r of [ra, rb, rc]) r!.on('gap', (g) => gaps.push(g))
    for (let i = 1; i <= 5; i++) server.to('A').publish('n', i)
    await waitUntil(() => seen.length === 5, { timeoutMs: 5000 })
    proxy.refuse()
    proxy.dropAll()
    await waitUntil(() => !client.ready, { timeoutMs: 5000 })
    for (let i = 6; i <= 55; i++) server.to('A').publish('n', i)
    proxy.accept()
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    await waitUntil(() => seen.length === 55, { timeoutMs: 5000 })
    expect(seen).toEqual(Array.from({ length: 55 }, (_, i) => i + 1))
    expect(gaps).toEqual([])
    expect(rb!.state).toBe('joined')
  })

  it('past the history window the room says gap before anything that follows it', async () => {
    const { server, port } = await serve({ history: { size: 10 } })
    await using _s = server
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    await using client = await connected(proxy.url())
    const room = client.room('A')
    await room.ready()
    const log: string[] = []
    room.onMessage('n', (n: number) => log.push(`msg ${n}`))
    room.on('gap', (g) => log.push(`gap ${g.from}-${g.to} ${g.reason}`))
    proxy.refuse()
    proxy.dropAll()
    await waitUntil(() => !client.ready, { timeoutMs: 5000 })
    for (let i = 1; i <= 50; i++) server.to('A').publish('n', i)
    proxy.accept()
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    server.to('A').publish('n', 51)
    await waitUntil(() => log.length === 2, { timeoutMs: 5000 })
    expect(log).toEqual(['gap 1-50 expired', 'msg 51'])
  })

  it('a restarted in-memory server means a new epoch: gap, not silence, and presence is rebuilt', async () => {
    const first = await serve()
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: first.port } })
    await using a = await connected(proxy.url())
    await using b = await connected(proxy.url())
    const ra = a.room('A')
    const rb = b.room('A')
    await Promise.all([ra.ready(), rb.ready()])
    first.server.to('A').publish('n', 1)
    await waitUntil(() => ra.lastSeq === 1, { timeoutMs: 5000 })
    const gap = waitForEvent<[GapEvent]>(ra, 'gap', { timeoutMs: 10_000 })
    await first.server.close({ drainMs: 0 })
    const second = await serve()
    await using _s = second.server
    proxy.setTarget({ host: '127.0.0.1', port: second.port })
    const [event] = await gap
    expect(event).toMatchObject({ reason: 'epoch' })
    await waitUntil(() => ra.state === 'joined' && rb.state === 'joined' && ra.presence().length === 2, { timeoutMs: 10_000 })
    expect(new Set(ra.presence().map((m) => m.id))).toEqual(new Set(rb.presence().map((m) => m.id)))
  })

  it('a 1 MiB binary payload is byte-identical both ways', async () => {
    const { server, url } = await serve({ maxPayloadBytes: 2 * 1024 * 1024 })
    await using _s = server
    server.handle('bytes', (_ctx, data: Uint8Array) => data.map((b) => 255 - b))
    await using client = await connected(url)
    const payload = new Uint8Array(1024 * 1024)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff
    const reply = (await client.request('bytes', payload)) as Uint8Array
    expect(reply).toBeInstanceOf(Uint8Array)
    expect(reply.length).toBe(payload.length)
    expect(reply.every((b, i) => b === 255 - payload[i]!)).toBe(true)
  })
})
