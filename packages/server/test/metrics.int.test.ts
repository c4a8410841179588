import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { encode, PROTOCOL_VERSION } from '@mooring/protocol'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, type MooringServer } from '../src/index.js'
import { closeAfterTest, httpGet, sample, startServer, TestClient, waitUntil, within } from './helpers.js'

let server: MooringServer | undefined
let http: HttpServer | undefined
afterEach(async () => {
  http?.closeAllConnections()
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()))
  http = undefined
})

const bytes = (frame: object): number => Buffer.byteLength(encode(frame as never) as string)

describe('metrics', () => {
  it('counts a scripted session exactly: 3 connects, 5 sends, 1 duplicate, 1 unknown type, 2 closes, 1 auth failure', async () => {
    let url: string
    ;({ server, url } = await startServer({ authenticate: ({ token }) => token === 'good' && { user: 'u' } }))
    server.handle('note', () => undefined)
    const conns = []
    for (let i = 0; i < 3; i++) {
      const { client } = await TestClient.connect(url, { clientId: `c${i}`, token: 'good' })
      conns.push(client)
    }
    const [a, b, c] = conns as [TestClient, TestClient, TestClient]
    let sentBytes = 0
    for (let id = 1; id <= 5; id++) {
      const frame = { t: 'send', id, type: 'note', data: { n: id } }
      sentBytes += bytes(frame)
      a.send(frame)
      await a.next((f) => f.t === 'ack' && f.id === id)
    }
    a.send({ t: 'send', id: 5, type: 'note', data: { n: 5 } }) // duplicate: acked, not run
    await a.next((f) => f.t === 'ack' && f.id === 5)
    a.send({ t: 'send', id: 6, type: 'nope', data: null })
    expect(await a.next('error')).toMatchObject({ id: 6, code: 'NOT_FOUND' })
    a.send({ t: 'join', ref: 1, room: 'r1' })
    await a.next('joined')

    const bad = await TestClient.open(url)
    bad.send({ t: 'hello', v: PROTOCOL_VERSION, clientId: 'x', token: 'bad' })
    expect((await bad.closedWithin()).code).toBe(4401)

    b.ws.close(1000)
    c.ws.close(1000)
    await waitUntil(() => server!.connections().length === 1, 2000, 'two closes')

    const text = await server.metrics()
    expect(sample(text, 'mooring_connections_total')).toBe(4)
    expect(sample(text, 'mooring_connections_active')).toBe(1)
    expect(sample(text, 'mooring_closes_total', { code: '1000' })).toBe(2)
    expect(sample(text, 'mooring_closes_total', { code: '4401' })).toBe(1)
    expect(sample(text, 'mooring_messages_in_total', { kind: 'hello' })).toBe(4)
    expect(sample(text, 'mooring_messages_in_total', { kind: 'send' })).toBe(7)
    expect(sample(text, 'mooring_messages_out_total', { kind: 'welcome' })).toBe(3)
    expect(sample(text, 'mooring_messages_out_total', { kind: 'ack' })).toBe(6)
    expect(sample(text, 'mooring_errors_total', { code: 'NOT_FOUND' })).toBe(1)
    expect(sample(text, 'mooring_errors_total', { code: 'UNAUTHORIZED' })).toBe(1)
    expect(sample(text, 'mooring_auth_failures_total', { code: 'UNAUTHORIZED' })).toBe(1)
    expect(sample(text, 'mooring_dedupe_hits_total')).toBe(1)
    expect(sample(text, 'mooring_rooms_active')).toBe(1)
    expect(sample(text, 'mooring_room_members')).toBe(1)
    expect(sample(text, 'mooring_handler_duration_seconds_count', { kind: 'send' })).toBe(7)
    expect(sample(text, 'mooring_connection_duration_seconds_count')).toBe(3)
    // The first five sends carry exactly these bytes; the duplicate and the unknown type come on top.
    const extra = bytes({ t: 'send', id: 5, type: 'note', data: { n: 5 } }) + bytes({ t: 'send', id: 6, type: 'nope', data: null })
    expect(sample(text, 'mooring_bytes_in_total', { kind: 'send' })).toBe(sentBytes + extra)
    // Rooms and users never become labels.
    expect(text).not.toMatch(/room="|user="/)
  })

  it('counts one delivery per recipient for a room fan-out', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const members = []
    for (let i = 0; i < 4; i++) {
      const { client } = await TestClient.connect(url, { clientId: `m${i}` })
      client.send({ t: 'join', ref: 1, room: 'fan' })
      await client.next('joined')
      members.push(client)
    }
    for (let i = 0; i < 10; i++) server.to('fan').publish('tick', { i })
    for (const m of members) for (let i = 0; i < 10; i++) await m.next('msg')
    expect(sample(await server.metrics(), 'mooring_messages_out_total', { kind: 'msg' })).toBe(40)
  })

  it('serves /metrics and /healthz on its own HTTP server, and /healthz turns 503 while draining', async () => {
    ;({ server } = await startServer())
    const { port } = await server.ready()
    const metrics = await httpGet(port, '/metrics')
    expect(metrics.status).toBe(200)
    expect(metrics.type).toMatch(/^text\/plain/)
    expect(metrics.body).toContain('# TYPE mooring_connections_active gauge')
    const health = await httpGet(port, '/healthz')
    expect(health).toMatchObject({ status: 200 })
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', connections: 0 })

    const { client } = await TestClient.connect(`ws://127.0.0.1:${port}/`)
    ;(client.ws as unknown as { _socket: { pause(): void } })._socket.pause() // holds the drain open
    const closing = server.close({ drainMs: 1000 })
    expect((await httpGet(port, '/healthz')).status).toBe(503)
    await closing
    server = undefined
  })

  it('uses a given registry and prefix, and can be turned off', async () => {
    const registry = new Registry()
    ;({ server } = await startServer({ metrics: { registry, prefix: 'app_ws_' } }))
    expect(await registry.metrics()).toContain('app_ws_connections_total 0')
    await server.close({ drainMs: 0 })
    ;({ server } = await startServer({ metrics: false }))
    expect(await server.metrics()).toBe('')
    expect((await httpGet((await server.ready()).port, '/metrics')).status).toBe(404)
  })

  it('leaves an attached server’s routes alone unless routes: true, and then answers only its two paths', async () => {
    http = createHttpServer((req, res) => {
      if (req.url === '/metrics' || req.url === '/healthz') return // left to Mooring
      res.end('app')
    })
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', () => r()))
    const port = (http.address() as { port: number }).port
    server = closeAfterTest(createServer({ server: http, path: '/ws', routes: true }))
    expect((await httpGet(port, '/metrics')).body).toContain('mooring_connections_total')
    expect((await httpGet(port, '/other')).body).toBe('app')
    await server.close({ drainMs: 0 })

    const plain = closeAfterTest(createServer({ server: http, path: '/ws' }))
    server = plain
    const fetched = within(httpGet(port, '/metrics'), 300, 'metrics').catch(() => 'no answer')
    // Nobody answers: the app ignored the path and Mooring did not take it.
    expect(await fetched).toBe('no answer')
  })
})
