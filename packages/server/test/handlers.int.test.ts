import { defineContract } from '@mooring/protocol'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { MooringServerError, type MooringServer } from '../src/index.js'
import { startServer, TestClient } from './helpers.js'

let server: MooringServer | undefined

async function connect(url: string, clientId = 'c1') {
  const { client, welcome } = await TestClient.connect(url, { clientId })
  return { client, welcome }
}

describe('handlers', () => {
  it('acks a send and replies to a req with the handler return value', async () => {
    let url: string
    ;({ server, url } = await startServer())
    server.handle('double', (_ctx, n: number) => n * 2)
    const { client } = await connect(url)
    client.send({ t: 'send', id: 1, type: 'double', data: 2 })
    expect(await client.next('ack')).toEqual({ t: 'ack', id: 1 })
    client.send({ t: 'req', id: 2, type: 'double', data: 21 })
    expect(await client.next('reply')).toEqual({ t: 'reply', id: 2, data: 42 })
  })

  it('turns a throwing handler into an error frame and keeps serving', async () => {
    let url: string
    ;({ server, url } = await startServer())
    server.handle('boom', () => {
      throw new Error('kaput')
    })
    server.handle('coded', () => {
      throw new MooringServerError('RATE_LIMITED', 'slow down')
    })
    server.handle('ok', () => 'fine')
    const { client } = await connect(url)
    client.send({ t: 'req', id: 1, type: 'boom', data: null })
    expect(await client.next('error')).toMatchObject({ id: 1, code: 'HANDLER_ERROR', message: 'kaput' })
    client.send({ t: 'send', id: 2, type: 'coded', data: null })
    expect(await client.next('error')).toMatchObject({ id: 2, code: 'RATE_LIMITED' })
    client.send({ t: 'req', id: 3, type: 'ok', data: null })
    expect(await client.next('reply')).toMatchObject({ id: 3, data: 'fine' })
  })

  it('answers NOT_FOUND for a type without a handler', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const { client } = await connect(url)
    client.send({ t: 'req', id: 5, type: 'nope', data: null })
    expect(await client.next('error')).toMatchObject({ id: 5, code: 'NOT_FOUND' })
  })

  it('runs a duplicate send id once and acks it twice, even across a reconnect', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const runs: unknown[] = []
    server.handle('note', (_ctx, d) => void runs.push(d))
    const first = await connect(url, 'dup')
    first.client.send({ t: 'send', id: 1, type: 'note', data: 'a' })
    await first.client.next('ack')
    first.client.send({ t: 'send', id: 1, type: 'note', data: 'a' })
    expect(await first.client.next('ack')).toEqual({ t: 'ack', id: 1 })
    first.client.close()
    const second = await connect(url, 'dup')
    second.client.send({ t: 'send', id: 1, type: 'note', data: 'a' })
    expect(await second.client.next('ack')).toEqual({ t: 'ack', id: 1 })
    expect(runs).toEqual(['a'])
  })

  it('acks a duplicate that arrives while the first run is still going, without running twice', async () => {
    let url: string
    ;({ server, url } = await startServer())
    let runs = 0
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    server.handle('slow', async () => {
      runs++
      await gate
    })
    const { client } = await connect(url)
    client.send({ t: 'send', id: 9, type: 'slow', data: null })
    client.send({ t: 'send', id: 9, type: 'slow', data: null })
    client.send({ t: 'ping', n: 1 })
    await client.next('pong') // both sends have been dispatched by now
    release()
    await client.next('ack')
    await client.next('ack')
    expect(runs).toBe(1)
  })

  it('answers a client ping with a pong of the same n', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const { client } = await connect(url)
    client.send({ t: 'ping', n: 77 })
    expect(await client.next('pong')).toEqual({ t: 'pong', n: 77 })
  })

  it('round-trips binary data byte for byte in a binary frame', async () => {
    let url: string
    ;({ server, url } = await startServer())
    server.handle('bytes', (_ctx, data: Uint8Array) => data)
    const { client } = await connect(url)
    const payload = new Uint8Array(2048).map((_, i) => (i * 31) % 256)
    client.send({ t: 'req', id: 1, type: 'bytes', data: payload })
    const reply = await client.next('reply')
    expect(reply.data).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(reply.data as Uint8Array).equals(Buffer.from(payload))).toBe(true)
  })

  it('validates inbound data against the contract and reports the issues', async () => {
    let url: string
    const contract = defineContract({
      events: { 'chat.typing': z.object({ on: z.boolean() }) },
      requests: { add: { request: z.object({ a: z.number(), b: z.number() }), reply: z.number() } },
    })
    ;({ server, url } = await startServer({ contract }))
    server.handle('add', (_ctx, { a, b }: { a: number; b: number }) => a + b)
    server.handle('chat.typing', () => {})
    const { client } = await connect(url)
    client.send({ t: 'req', id: 1, type: 'add', data: { a: 1, b: 'x' } })
    const err = await client.next('error')
    expect(err).toMatchObject({ id: 1, code: 'INVALID_PAYLOAD' })
    expect(Array.isArray(err.details)).toBe(true)
    client.send({ t: 'send', id: 2, type: 'chat.typing', data: { on: 'yes' } })
    expect(await client.next('error')).toMatchObject({ id: 2, code: 'INVALID_PAYLOAD' })
    client.send({ t: 'req', id: 3, type: 'add', data: { a: 1, b: 2 } })
    expect(await client.next('reply')).toMatchObject({ id: 3, data: 3 })
  })

  it('lets a handler send an evt to its client and exposes the session', async () => {
    let url: string
    ;({ server, url } = await startServer({ authenticate: () => ({ user: 'ann', meta: { role: 'admin' } }) }))
    server.handle('hi', (ctx) => {
      ctx.send('hello.back', { user: ctx.session.user, meta: ctx.session.meta, kind: ctx.kind })
    })
    const { client, welcome } = await connect(url)
    client.send({ t: 'send', id: 1, type: 'hi', data: null })
    expect(await client.next('evt')).toEqual({ t: 'evt', type: 'hello.back', data: { user: 'ann', meta: { role: 'admin' }, kind: 'send' } })
    expect(welcome.sessionId).toBeTypeOf('string')
  })
})

describe('server to clients', () => {
  it('sends to every socket of one user', async () => {
    let url: string
    ;({ server, url } = await startServer({ authenticate: ({ token }) => ({ user: String(token) }) }))
    const a1 = await TestClient.connect(url, { clientId: 'a1', token: 'alice' })
    const a2 = await TestClient.connect(url, { clientId: 'a2', token: 'alice' })
    const b = await TestClient.connect(url, { clientId: 'b', token: 'bob' })
    expect(server.toUser('alice').send('note', 1)).toBe(2)
    expect(await a1.client.next('evt')).toMatchObject({ type: 'note', data: 1 })
    expect(await a2.client.next('evt')).toMatchObject({ type: 'note', data: 1 })
    b.client.send({ t: 'ping', n: 1 })
    await b.client.next('pong')
    expect(b.client.frames.filter((f) => f.t === 'evt')).toEqual([])
  })

  it('broadcasts to all authenticated sockets, or those where() picks', async () => {
    let url: string
    ;({ server, url } = await startServer({ authenticate: ({ token }) => ({ user: String(token) }) }))
    const a = await TestClient.connect(url, { clientId: 'a', token: 'alice' })
    const b = await TestClient.connect(url, { clientId: 'b', token: 'bob' })
    const pending = await TestClient.open(url) // never says hello: not a recipient
    expect(server.broadcast('all', { x: 1 })).toBe(2)
    expect(await a.client.next('evt')).toMatchObject({ type: 'all', data: { x: 1 } })
    expect(await b.client.next('evt')).toMatchObject({ type: 'all', data: { x: 1 } })
    expect(server.broadcast('bobs', 2, { where: (s) => s.user === 'bob' })).toBe(1)
    expect(await b.client.next('evt')).toMatchObject({ type: 'bobs' })
  })
})
