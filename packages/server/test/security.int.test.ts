import { PROTOCOL_VERSION } from '@mooring/protocol'
import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import { MooringServerError, type Logger, type MooringServer } from '../src/index.js'
import { sample, startServer, TestClient, upgradeStatus, waitUntil } from './helpers.js'

let server: MooringServer | undefined

const SECRET = 'tok-5f1d2c9e-very-secret'
const FORGED = 'tok-forged-also-secret-0000'

/** A logger that keeps every entry, serialised the way a log shipper would see it. */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const put = (level: string) => (fields: Record<string, unknown>, msg?: string) => void lines.push(JSON.stringify({ level, ...fields, msg }))
  return { logger: { debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') }, lines }
}

function authServer(logger?: Logger) {
  return startServer({
    logger,
    origins: ['https://app.example.com', '*.example.org'],
    authenticate: ({ token }) => {
      if (token === undefined) throw new MooringServerError('UNAUTHORIZED', 'token missing')
      if (token === `${SECRET}-expired`) return { user: 'ann', expiresAt: Date.now() - 1 }
      if (token !== SECRET) return false
      return { user: 'ann', expiresAt: Date.now() + 60_000 }
    },
    authorizeJoin: (session, room) => !room.startsWith('private:') || session.user === 'root',
  })
}

describe('hostile and unauthorised clients', () => {
  it('refuses missing, forged and expired tokens, frames before hello, private rooms and pubs to rooms not joined — and counts each', async () => {
    let url: string
    const { logger, lines } = capture()
    ;({ server, url } = await authServer(logger))

    const missing = await TestClient.open(url)
    missing.send({ t: 'hello', v: PROTOCOL_VERSION, clientId: 'm' })
    expect(await missing.next('error')).toMatchObject({ code: 'UNAUTHORIZED', message: 'token missing' })
    expect((await missing.closedWithin()).code).toBe(4401)

    const forged = await TestClient.open(url, ['mooring.v1', `mooring.auth.${Buffer.from(FORGED).toString('base64url')}`])
    forged.send({ t: 'hello', v: PROTOCOL_VERSION, clientId: 'f' })
    expect((await forged.closedWithin()).code).toBe(4401)

    const expired = await TestClient.open(url, ['mooring.v1'], { headers: { authorization: `Bearer ${SECRET}-expired` } })
    expired.send({ t: 'hello', v: PROTOCOL_VERSION, clientId: 'e' })
    expect(await expired.next('error')).toMatchObject({ code: 'UNAUTHORIZED', message: 'token expired' })
    expect((await expired.closedWithin()).code).toBe(4401)

    const early = await TestClient.open(url)
    early.send({ t: 'join', ref: 1, room: 'general' })
    expect((await early.closedWithin()).code).toBe(4401)

    const { client } = await TestClient.connect(url, { clientId: 'ok', token: SECRET })
    client.send({ t: 'join', ref: 2, room: 'private:ops' })
    expect(await client.next('error')).toMatchObject({ ref: 2, code: 'FORBIDDEN' })
    client.send({ t: 'pub', id: 3, room: 'general', type: 'chat', data: 'hi' })
    expect(await client.next('error')).toMatchObject({ id: 3, code: 'NOT_JOINED' })

    expect(await upgradeStatus(url)).toBe(101) // no Origin: a non-browser peer
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, ['mooring.v1'], { headers: { origin: 'https://evil.example.net' } })
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.once('error', () => {})
    })
    expect(status).toBe(403)

    await waitUntil(() => lines.filter((l) => /"event":"auth_(failed|expired)"/.test(l)).length === 4, 2000, 'four auth failures logged')
    const text = await server.metrics()
    // missing + forged + before-hello fail at the handshake; the expired token is cut at once after welcome.
    expect(sample(text, 'mooring_auth_failures_total', { code: 'UNAUTHORIZED' })).toBe(4)
    expect(sample(text, 'mooring_errors_total', { code: 'UNAUTHORIZED' })).toBe(4)
    expect(sample(text, 'mooring_errors_total', { code: 'FORBIDDEN' })).toBe(1)
    expect(sample(text, 'mooring_errors_total', { code: 'NOT_JOINED' })).toBe(1)
    expect(sample(text, 'mooring_connections_refused_total', { reason: 'origin' })).toBe(1)

    const all = lines.join('\n')
    expect(all).not.toContain(SECRET)
    expect(all).not.toContain(FORGED)
    expect(all).not.toContain(Buffer.from(FORGED).toString('base64url'))
  })

  it('accepts allowed origins, exact and wildcard', async () => {
    let url: string
    ;({ server, url } = await authServer())
    for (const origin of ['https://app.example.com', 'https://eu.example.org']) {
      const ws = new WebSocket(url, ['mooring.v1'], { headers: { origin } })
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true))
        ws.once('unexpected-response', () => resolve(false))
        ws.once('error', () => resolve(false))
      })
      ws.terminate()
      expect(opened).toBe(true)
    }
  })
})

describe('logging', () => {
  it('writes structured entries for connect, join, leave and close, with code and reason', async () => {
    let url: string
    const { logger, lines } = capture()
    ;({ server, url } = await authServer(logger))
    const { client, welcome } = await TestClient.connect(url, { clientId: 'logme', token: SECRET })
    client.send({ t: 'join', ref: 1, room: 'general' })
    await client.next('joined')
    client.send({ t: 'leave', ref: 2, room: 'general' })
    await client.next('left')
    client.ws.close(4000, 'bye')
    await waitUntil(() => lines.some((l) => l.includes('"event":"close"')), 2000, 'close entry')
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(entries.map((e) => e.event)).toEqual(['connect', 'join', 'leave', 'close'])
    expect(entries[0]).toMatchObject({ level: 'info', session: welcome.sessionId, clientId: 'logme', user: 'ann', resumed: false })
    expect(entries[1]).toMatchObject({ level: 'debug', room: 'general' })
    expect(entries[3]).toMatchObject({ level: 'info', code: 4000, reason: 'bye', session: welcome.sessionId })
    expect(lines.join('\n')).not.toContain(SECRET)
  })

  it('survives a logger that throws', async () => {
    let url: string
    const boom = () => {
      throw new Error('log sink down')
    }
    ;({ server, url } = await startServer({ logger: { info: boom, warn: boom, error: boom, debug: boom } }))
    server.handle('echo', (_ctx, d) => d)
    const { client } = await TestClient.connect(url)
    client.send({ t: 'req', id: 1, type: 'echo', data: 1 })
    expect(await client.next('reply')).toEqual({ t: 'reply', id: 1, data: 1 })
  })
})

describe('perMessageDeflate', () => {
  it('is off by default and negotiated when enabled, with messages intact both ways', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const { client: plain } = await TestClient.connect(url)
    expect(plain.ws.extensions).toBe('')
    await server.close({ drainMs: 0 })

    ;({ server, url } = await startServer({ perMessageDeflate: { thresholdBytes: 64 } }))
    server.handle('echo', (_ctx, d) => d)
    const { client } = await TestClient.connect(url)
    expect(client.ws.extensions).toContain('permessage-deflate')
    const big = { text: 'compress me '.repeat(500) }
    client.send({ t: 'req', id: 1, type: 'echo', data: big })
    expect(await client.next('reply')).toEqual({ t: 'reply', id: 1, data: big })
  })
})
