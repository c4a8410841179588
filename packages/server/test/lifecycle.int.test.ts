import { describe, expect, it } from 'vitest'
import type { MooringServer } from '../src/index.js'
import { startServer, TestClient, upgradeStatus, within } from './helpers.js'

let server: MooringServer | undefined

describe('heartbeat', () => {
  it('pings authenticated sockets and terminates one that never answers', async () => {
    let url: string
    ;({ server, url } = await startServer({ heartbeat: { intervalMs: 100, timeoutMs: 100 } }))
    const gone = new Promise((r) => server!.once('disconnect', r))
    const { client } = await TestClient.connect(url)
    expect(await client.next('ping', 1000)).toEqual({ t: 'ping', n: 1 })
    // Terminated, not closed: no close frame, so the client sees 1006.
    expect((await client.closedWithin(2000)).code).toBe(1006)
    await within(gone, 2000, 'disconnect')
    expect(server.connections()).toEqual([])
  })

  it('keeps a socket that answers its pings', async () => {
    let url: string
    ;({ server, url } = await startServer({ heartbeat: { intervalMs: 50, timeoutMs: 50 } }))
    const { client } = await TestClient.connect(url)
    for (let n = 1; n <= 6; n++) {
      const ping = await client.next('ping', 1000)
      expect(ping.n).toBe(n)
      client.send({ t: 'pong', n: ping.n })
    }
    // Six intervals passed, three times the zombie deadline.
    expect(client.ws.readyState).toBe(client.ws.OPEN)
  })
})

describe('close', () => {
  it('sends goaway then closes 1012, refuses upgrades with 503 while draining, and resolves', async () => {
    let url: string
    ;({ server, url } = await startServer())
    const polite = await TestClient.connect(url, { clientId: 'polite' })
    const stuck = await TestClient.connect(url, { clientId: 'stuck' })
    // A peer that stops reading never completes the close handshake: it holds the drain open.
    ;(stuck.client.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    const events: string[] = []
    server.on('close', () => events.push('server closed'))
    const closing = server.close({ drainMs: 1500, retryAfterMs: 2500 })

    expect(await polite.client.next('goaway')).toMatchObject({ retryAfterMs: 2500 })
    expect((await polite.client.closedWithin()).code).toBe(1012)
    expect(await upgradeStatus(url)).toBe(503)

    await within(closing, 5000, 'server.close()')
    expect(events).toEqual(['server closed'])
    expect(server.close()).toBe(closing) // idempotent
    server = undefined
  })

  it('emits connection and disconnect with connection info', async () => {
    let url: string
    ;({ server, url } = await startServer({ authenticate: () => ({ user: 'u1' }) }))
    const connected = new Promise((r) => server!.once('connection', r))
    const disconnected = new Promise((r) => server!.once('disconnect', (info, close) => r({ info, close })))
    const { client, welcome } = await TestClient.connect(url)
    expect(await within(connected, 2000, 'connection')).toMatchObject({ id: welcome.sessionId, user: 'u1', rooms: [] })
    client.ws.close(4000, 'bye')
    expect(await within(disconnected, 2000, 'disconnect')).toMatchObject({ info: { id: welcome.sessionId }, close: { code: 4000, reason: 'bye' } })
  })
})
