import { createServer as createHttpServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createServer, MooringServerError, type MooringServer } from '../src/index.js'
import { closeAfterTest, startServer, TestClient, upgradeStatus } from './helpers.js'

let server: MooringServer | undefined

async function open(url: string, protocols?: string[]) {
  const c = await TestClient.open(url, protocols)
  return c
}

describe('handshake', () => {
  it('answers hello with welcome carrying session, heartbeat and limits, and selects mooring.v1', async () => {
    ;({ server } = await startServer({ heartbeat: { intervalMs: 1234, timeoutMs: 567 }, maxPayloadBytes: 4096 }))
    const { url } = await server.ready()
    const c = await open(url)
    expect(c.ws.protocol).toBe('mooring.v1')
    c.send({ t: 'hello', v: 1, clientId: 'a' })
    const welcome = await c.next('welcome')
    expect(welcome).toMatchObject({ v: 1, resumed: false, heartbeat: { intervalMs: 1234, timeoutMs: 567 }, limits: { maxPayloadBytes: 4096 } })
    expect(typeof welcome.sessionId).toBe('string')
    expect(server.connections()).toMatchObject([{ id: welcome.sessionId, clientId: 'a' }])
  })

  it('closes 4400 after an error frame when the protocol version does not match', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const c = await open(url)
    c.send({ t: 'hello', v: 99, clientId: 'a' })
    expect(await c.next('error')).toMatchObject({ code: 'PROTOCOL' })
    expect((await c.closedWithin()).code).toBe(4400)
  })

  it('closes 4401 when no hello arrives before the auth deadline', async () => {
    let url: string
    ;({ server, url } = await startServer({ authTimeoutMs: 200 }))
    const c = await open(url)
    expect((await c.closedWithin(2000)).code).toBe(4401)
  })

  it('refuses an application frame sent before hello', async () => {
    let url: string
    const ran: unknown[] = []
    ;({ server, url } = await startServer())
    server.handle('x', (_ctx, d) => void ran.push(d))
    const c = await open(url)
    c.send({ t: 'send', id: 1, type: 'x', data: 1 })
    expect(await c.next('error')).toMatchObject({ code: 'UNAUTHORIZED' })
    expect((await c.closedWithin()).code).toBe(4401)
    expect(ran).toEqual([])
  })

  it('rejects in-band with UNAUTHORIZED then closes 4401 when authenticate says no', async () => {
    let url: string
    ;({ server, url } = await startServer({ authenticate: ({ token }) => token === 'good' }))
    const c = await open(url)
    c.send({ t: 'hello', v: 1, clientId: 'a', token: 'bad' })
    expect(await c.next('error')).toMatchObject({ code: 'UNAUTHORIZED' })
    expect((await c.closedWithin()).code).toBe(4401)
  })

  it('closes 4403 when authenticate throws a FORBIDDEN error', async () => {
    let url: string
    ;({ server, url } = await startServer({
      authenticate: () => {
        throw new MooringServerError('FORBIDDEN', 'banned')
      },
    }))
    const c = await open(url)
    c.send({ t: 'hello', v: 1, clientId: 'a' })
    expect(await c.next('error')).toMatchObject({ code: 'FORBIDDEN', message: 'banned' })
    expect((await c.closedWithin()).code).toBe(4403)
  })

  it('takes the token from hello, else the auth subprotocol, else the Authorization header, and never selects the auth entry', async () => {
    let url: string
    const seen: unknown[] = []
    ;({ server, url } = await startServer({
      authenticate: ({ token }) => {
        seen.push(token)
        return { user: String(token) }
      },
    }))
    const a = await open(url)
    a.send({ t: 'hello', v: 1, clientId: 'a', token: 'from-hello' })
    await a.next('welcome')

    const b = await open(url, ['mooring.v1', `mooring.auth.${Buffer.from('from-sub').toString('base64url')}`])
    expect(b.ws.protocol).toBe('mooring.v1')
    b.send({ t: 'hello', v: 1, clientId: 'b' })
    await b.next('welcome')

    const c = await TestClient.open(url, ['mooring.v1'], { headers: { authorization: 'Bearer from-header' } })
    c.send({ t: 'hello', v: 1, clientId: 'c' })
    await c.next('welcome')
    expect(seen).toEqual(['from-hello', 'from-sub', 'from-header'])
    expect(server.connections().map((x) => x.user).sort()).toEqual(['from-header', 'from-hello', 'from-sub'])
  })

  it('resumes a session named in hello.resume by the same client after its socket dropped', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const first = await TestClient.connect(url, { clientId: 'r' })
    first.client.close()
    await first.client.closedWithin()
    const again = await TestClient.connect(url, { clientId: 'r', resume: first.welcome.sessionId })
    expect(again.welcome).toMatchObject({ resumed: true, sessionId: first.welcome.sessionId })

    const other = await TestClient.connect(url, { clientId: 'someone-else', resume: first.welcome.sessionId })
    expect(other.welcome.resumed).toBe(false)
    expect(other.welcome.sessionId).not.toBe(first.welcome.sessionId)
  })

  it('takes only upgrades on its path when attached to an existing HTTP server', async () => {
    const http = createHttpServer((_req, res) => res.end('app'))
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    try {
      server = closeAfterTest(createServer({ server: http, path: '/ws' }))
      const { url, port } = await server.ready()
      expect(url).toBe(`ws://127.0.0.1:${port}/ws`)
      const { client } = await TestClient.connect(url)
      expect(await upgradeStatus(`ws://127.0.0.1:${port}/other`)).toBe(404)
      await server.close({ drainMs: 100 })
      server = undefined
      expect(http.listening).toBe(true) // not ours to close
    } finally {
      await new Promise((r) => http.close(r))
    }
  })

  it('closes 1009 when a frame exceeds maxPayloadBytes', async () => {
    let url: string
    ;({ server, url } = await startServer({ maxPayloadBytes: 1024 }))
    const { client } = await TestClient.connect(url)
    client.send({ t: 'send', id: 1, type: 'x', data: 'y'.repeat(4096) })
    expect((await client.closedWithin()).code).toBe(1009)
  })

  it('refuses upgrades from origins outside the allowlist with 403', async () => {
    let url: string
    ;({ server, url } = await startServer({ origins: ['https://app.example'] }))
    const status = (origin: string) =>
      new Promise<number>((resolve) => {
        const c = TestClient.open(url, ['mooring.v1'], { origin })
        c.then(() => resolve(101), (err: Error) => resolve(Number(/(\d{3})/.exec(err.message)?.[1] ?? 0)))
      })
    expect(await status('https://evil.example')).toBe(403)
    expect(await status('https://app.example')).toBe(101)
  })

  it('holds frames sent right after hello until authenticate finishes, then handles them in order', async () => {
    let url: string
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    ;({ server, url } = await startServer({ authenticate: async () => (await gate, { user: 'slow' }) }))
    server.handle('who', (ctx) => ctx.session.user)
    const c = await open(url)
    c.send({ t: 'hello', v: 1, clientId: 'p' })
    c.send({ t: 'req', id: 1, type: 'who', data: null })
    c.send({ t: 'ping', n: 3 })
    expect(await c.next('pong')).toEqual({ t: 'pong', n: 3 }) // pings are answered even mid-auth
    release()
    await c.next('welcome')
    expect(await c.next('reply')).toEqual({ t: 'reply', id: 1, data: 'slow' })
  })
})
