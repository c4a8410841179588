import { describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { FaultProxy, waitForEvent, waitUntil } from '@mooring/testing'
import { createClient, type StateChange } from '../src/index.js'

/** Any WebSocket server: here a plain `ws` one that echoes and records, nothing Mooring about it. */
async function plainServer() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((ready) => wss.once('listening', ready))
  const received: string[] = []
  const sockets: WebSocket[] = []
  wss.on('connection', (socket) => {
    sockets.push(socket)
    socket.on('message', (data, isBinary) => {
      if (!isBinary) received.push(data.toString())
      socket.send(data, { binary: isBinary })
    })
  })
  const port = (wss.address() as { port: number }).port
  return {
    wss,
    port,
    url: `ws://127.0.0.1:${port}/`,
    received,
    sockets,
    [Symbol.asyncDispose]: () => new Promise<void>((done) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => done()))),
  }
}

describe('raw mode against a plain ws server', () => {
  it('links up, round-trips typed JSON and binary frames, and reconnects with its queue after the server drops it', async () => {
    await using server = await plainServer()
    const controller = new AbortController()
    const client = createClient({ url: server.url, mode: 'raw', signal: controller.signal, reconnect: { minDelayMs: 20, maxDelayMs: 100 } })
    const echoed: unknown[] = []
    client.onMessage('echo', (data) => echoed.push(data))
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    await client.send('echo', { n: 1 })
    await waitUntil(() => echoed.length === 1, { timeoutMs: 5000 })
    expect(echoed).toEqual([{ n: 1 }])

    const bytes = new Uint8Array([1, 2, 3, 250])
    const raw = waitForEvent<[string | Uint8Array]>(client, 'raw', { timeoutMs: 5000, filter: (d) => d instanceof Uint8Array })
    await client.send('bin', bytes)
    expect([...((await raw)[0] as Uint8Array)]).toEqual([1, 2, 3, 250])

    // The server kills the socket; what the app sends meanwhile waits and goes out after the reconnect.
    // Listen before the drop: the reconnect can be back to open before any poll would look.
    const dropped = waitForEvent(client, 'state', { timeoutMs: 5000, filter: (s: StateChange) => s.prev === 'open' })
    server.sockets.at(-1)!.terminate()
    await dropped
    void client.send('echo', { n: 2 })
    await waitUntil(() => echoed.length === 2, { timeoutMs: 5000 })
    expect(server.received.filter((r) => r.includes('"n":2'))).toHaveLength(1)

    controller.abort()
    await waitUntil(() => client.getState().status === 'closed', { timeoutMs: 5000 })
    expect(client.getState()).toMatchObject({ reason: 'user' })
  })

  it('notices a half-open link through WebSocket ping frames (Node) and reconnects', async () => {
    await using server = await plainServer()
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } })
    const heartbeat = { intervalMs: 300, timeoutMs: 300 }
    await using client = createClient({
      url: proxy.url(),
      mode: 'raw',
      heartbeat,
      connectTimeoutMs: 1000,
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
    })
    const states: Array<StateChange & { at: number }> = []
    client.on('state', (s) => states.push({ ...s, at: performance.now() }))
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    // (That a quiet, healthy link stays up is proven under fake time in raw-mode.test.ts.)
    proxy.blackhole()
    const silentAt = performance.now()
    const lost = await waitUntil(() => states.find((s) => s.reason === 'heartbeat-timeout'), { timeoutMs: 5000 })
    expect(lost.at - silentAt).toBeLessThanOrEqual(2 * heartbeat.intervalMs + heartbeat.timeoutMs + 500)
    proxy.heal()
    await waitUntil(() => client.ready, { timeoutMs: 5000 })
  })
})
