import { describe, expect, it } from 'vitest'
import { MooringServerError, type MooringServer } from '../src/index.js'
import { sample, startServer, TestClient, waitUntil } from './helpers.js'

let server: MooringServer | undefined

async function connect(url: string, clientId = 'c'): Promise<TestClient> {
  const { client } = await TestClient.connect(url, { clientId })
  return client
}

describe('server.use middleware', () => {
  it('runs in the order added, sees the frame kind, type and room, and reaches the handler through next()', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const seen: string[] = []
    server.use(async (ctx, _frame, next) => {
      seen.push(`a:${ctx.kind}:${ctx.type ?? ctx.room}`)
      await next()
      seen.push('a:after')
    })
    server.use((ctx, _frame, next) => {
      seen.push(`b:${ctx.session.clientId}`)
      return next()
    })
    server.handle('echo', (_ctx, data) => data)
    const client = await connect(url)
    client.send({ t: 'req', id: 1, type: 'echo', data: 7 })
    expect(await client.next('reply')).toEqual({ t: 'reply', id: 1, data: 7 })
    client.send({ t: 'join', ref: 2, room: 'r' })
    await client.next('joined')
    expect(seen).toEqual(['a:req:echo', 'b:c', 'a:after', 'a:join:r', 'b:c', 'a:after'])
  })

  it('rejects with the id (or ref) of the frame and runs no handler', async () => {
    let url: string
    ;({ server, url } = await startServer())
    let ran = 0
    server.handle('secret', () => ran++)
    server.use((ctx, frame, next) => {
      if (ctx.type === 'secret' || ctx.room === 'vault') return ctx.reject('FORBIDDEN', 'not for you')
      return next()
    })
    const client = await connect(url)
    client.send({ t: 'send', id: 4, type: 'secret', data: null })
    expect(await client.next('error')).toEqual({ t: 'error', id: 4, code: 'FORBIDDEN', message: 'not for you' })
    client.send({ t: 'join', ref: 9, room: 'vault' })
    expect(await client.next('error')).toEqual({ t: 'error', ref: 9, code: 'FORBIDDEN', message: 'not for you' })
    expect(ran).toBe(0)
  })

  it('turns a thrown error into an error frame with its code (INTERNAL when it has none)', async () => {
    let url: string
    ;({ server, url } = await startServer())
    server.use(async (ctx) => {
      if (ctx.type === 'big') throw new MooringServerError('TOO_BIG', 'too big for us')
      throw new Error('boom')
    })
    const client = await connect(url)
    client.send({ t: 'send', id: 1, type: 'big', data: null })
    expect(await client.next('error')).toMatchObject({ id: 1, code: 'TOO_BIG', message: 'too big for us' })
    client.send({ t: 'send', id: 2, type: 'other', data: null })
    expect(await client.next('error')).toMatchObject({ id: 2, code: 'INTERNAL' })
  })

  it('keeps frames in arrival order through asynchronous middleware of varying delay', async () => {
    let url: string
    ;({ server, url } = await startServer())
    server.use(async (ctx, frame, next) => {
      await new Promise((r) => setTimeout(r, frame.t === 'send' && frame.id % 2 === 1 ? 15 : 0))
      await next()
    })
    const order: number[] = []
    server.handle('n', (_ctx, n: number) => void order.push(n))
    const client = await connect(url)
    for (let id = 1; id <= 10; id++) client.send({ t: 'send', id, type: 'n', data: id })
    for (let id = 1; id <= 10; id++) await client.next((f) => f.t === 'ack' && f.id === id)
    expect(order).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })
})

describe('rate limit', () => {
  it('refuses frames beyond the burst with RATE_LIMITED and keeps the socket open', async () => {
    let url: string
    ;({ server, url } = await startServer({ rateLimit: { perSecond: 1, burst: 5 } }))
    server.handle('n', () => undefined)
    const client = await connect(url)
    for (let id = 1; id <= 10; id++) client.send({ t: 'send', id, type: 'n', data: null })
    for (let id = 1; id <= 5; id++) expect(await client.next((f) => (f.t === 'ack' || f.t === 'error') && f.id === id)).toMatchObject({ t: 'ack' })
    for (let id = 6; id <= 10; id++) {
      const err = await client.next((f) => f.t === 'error' && f.id === id)
      expect(err).toMatchObject({ code: 'RATE_LIMITED' })
      expect((err as { details: { retryAfterMs: number } }).details.retryAfterMs).toBeGreaterThan(0)
    }
    expect(client.ws.readyState).toBe(client.ws.OPEN)
    expect(sample(await server.metrics(), 'mooring_errors_total', { code: 'RATE_LIMITED' })).toBe(5)
  })

  it('closes 1008 after 3× the burst has been refused', async () => {
    let url: string
    ;({ server, url } = await startServer({ rateLimit: { perSecond: 1, burst: 5 } }))
    server.handle('n', () => undefined)
    const client = await connect(url)
    for (let id = 1; id <= 100; id++) client.send({ t: 'send', id, type: 'n', data: null })
    expect(await client.closedWithin()).toEqual({ code: 1008, reason: 'rate limit exceeded' })
    const limited = client.frames.filter((f) => f.t === 'error' && f.code === 'RATE_LIMITED').length
    expect(limited).toBe(14) // 5 pass, refusals 1–14 are answered, the 15th closes
  })

  it('cuts a flood at 10× the rate while a polite member of the same room is unaffected', async () => {
    let url: string
    ;({ server, url } = await startServer({ rateLimit: { perSecond: 20, burst: 20 } }))
    const flooder = await connect(url, 'flooder')
    const polite = await connect(url, 'polite')
    const watcher = await connect(url, 'watcher')
    for (const c of [flooder, polite, watcher]) {
      c.send({ t: 'join', ref: 1, room: 'lobby' })
      await c.next('joined')
    }
    let floodId = 0
    const flood = setInterval(() => {
      // 10 frames per 50 ms = 200/s, ten times the limit.
      for (let i = 0; i < 10 && flooder.ws.readyState === flooder.ws.OPEN; i++)
        flooder.send({ t: 'pub', id: ++floodId, room: 'lobby', type: 'spam', data: floodId })
    }, 50)
    try {
      for (let id = 1; id <= 10; id++) {
        polite.send({ t: 'pub', id, room: 'lobby', type: 'chat', data: id })
        expect(await polite.next((f) => (f.t === 'ack' || f.t === 'error') && f.id === id)).toEqual({ t: 'ack', id })
        await new Promise((r) => setTimeout(r, 100)) // 10/s, half the limit
      }
      expect((await flooder.closedWithin(5000)).code).toBe(1008)
    } finally {
      clearInterval(flood)
    }
    await waitUntil(() => watcher.frames.filter((f) => f.t === 'msg' && f.type === 'chat').length === 10, 2000, 'all polite messages')
    const chat = watcher.frames.filter((f) => f.t === 'msg' && f.type === 'chat').map((f) => (f as { data: number }).data)
    expect(chat).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const seqs = watcher.frames.filter((f) => f.t === 'msg').map((f) => (f as { seq: number }).seq)
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i)) // the room's order has no holes
  })

  it('can be turned off', async () => {
    let url: string
    ;({ server, url } = await startServer({ rateLimit: false }))
    server.handle('n', () => undefined)
    const client = await connect(url)
    for (let id = 1; id <= 1000; id++) client.send({ t: 'send', id, type: 'n', data: null })
    await client.next((f) => f.t === 'ack' && f.id === 1000, 5000)
    expect(client.frames.some((f) => f.t === 'error')).toBe(false)
  })
})

describe('maxRoomsPerConnection', () => {
  it('answers FORBIDDEN for a join beyond the limit, but allows rejoining a room already held', async () => {
    let url: string
    ;({ server, url } = await startServer({ maxRoomsPerConnection: 2 }))
    const client = await connect(url)
    for (const [ref, room] of [[1, 'a'], [2, 'b'], [3, 'a']] as const) {
      client.send({ t: 'join', ref, room })
      expect(await client.next((f) => f.t === 'joined' || f.t === 'error')).toMatchObject({ t: 'joined', ref })
    }
    client.send({ t: 'join', ref: 4, room: 'c' })
    expect(await client.next('error')).toMatchObject({ ref: 4, code: 'FORBIDDEN', details: { maxRooms: 2 } })
    client.send({ t: 'leave', ref: 5, room: 'b' })
    await client.next('left')
    client.send({ t: 'join', ref: 6, room: 'c' })
    expect(await client.next((f) => f.t === 'joined' || f.t === 'error')).toMatchObject({ t: 'joined', ref: 6 })
  })
})
