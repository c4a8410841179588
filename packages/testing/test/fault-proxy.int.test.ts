import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { FaultProxy, createFaultProxy, waitForEvent, waitUntil } from '../src/index.js'
import { connectTcp, echo, receive, startTcpServer, startWsEchoServer, wsClient } from './support/servers.js'

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
  onTestFinished(() => proxy.close())
  return proxy
}

async function openWs(url: string): Promise<WebSocket> {
  const ws = wsClient(url)
  await waitForEvent(ws, 'open', { timeoutMs: 2_000, rejectOnError: true })
  return ws
}

describe('FaultProxy', () => {
  test('relays bytes both ways and counts them', async () => {
    const server = await startTcpServer()
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)

    client.socket.write('hello')
    await receive(client, 'hello')

    expect(server.received()).toBe('hello')
    expect(proxy.connections).toBe(1)
    expect(proxy.stats).toMatchObject({ connectionsAccepted: 1, bytesClientToServer: 5, bytesServerToClient: 5 })
    expect(proxy.url('/chat')).toBe(`ws://127.0.0.1:${proxy.port}/chat`)
  })

  test('a WebSocket echo works through the proxy', async () => {
    const { port } = await startWsEchoServer()
    const proxy = await proxyTo(port)
    const ws = await openWs(proxy.url())
    await echo(ws, 'ping me')
  })

  test('a client closing normally closes the server side and frees the pair', async () => {
    const server = await startTcpServer()
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)
    await waitUntil(() => server.sockets.length === 1)

    client.socket.end()

    await waitForEvent(server.sockets[0]!, 'end', { timeoutMs: 2_000 })
    server.sockets[0]!.end()
    await waitUntil(() => proxy.connections === 0, { timeoutMs: 2_000 })
  })

  test('blackhole: a ping gets no pong while the client socket stays OPEN', async () => {
    const { port, wss } = await startWsEchoServer()
    const proxy = await proxyTo(port)
    const ws = await openWs(proxy.url())
    let pongs = 0
    ws.on('pong', () => pongs++)

    proxy.blackhole()
    const dropped = proxy.stats.bytesDropped
    ws.ping()

    // The ping itself is discarded, so no pong can ever come back.
    await waitUntil(() => proxy.stats.bytesDropped > dropped, { timeoutMs: 2_000 })
    expect(pongs).toBe(0)
    expect(ws.readyState).toBe(WebSocket.OPEN)
    expect([...wss.clients][0]?.readyState).toBe(WebSocket.OPEN)
    expect(proxy.connections).toBe(1)
  })

  test('blackhole swallows a server-side close, leaving a half-open client', async () => {
    const server = await startTcpServer()
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)
    await waitUntil(() => server.sockets.length === 1)

    proxy.blackhole()
    server.sockets[0]!.destroy()
    await waitUntil(() => server.sockets[0]!.destroyed)
    client.socket.write('anyone there?')

    await waitUntil(() => proxy.stats.bytesDropped === 'anyone there?'.length, { timeoutMs: 2_000 })
    expect(client.closed).toBe(false)
    expect(client.received()).toBe('')
  })

  test('heal restores new connections while a connection that lost bytes stays dead', async () => {
    const { port } = await startWsEchoServer()
    const proxy = await proxyTo(port)
    const before = await openWs(proxy.url())
    proxy.blackhole()
    before.ping()
    await waitUntil(() => proxy.stats.bytesDropped > 0)

    const during = wsClient(proxy.url())
    await waitUntil(() => proxy.connections === 2)
    proxy.heal()

    const after = await openWs(proxy.url())
    await echo(after, 'back')

    const dropped = proxy.stats.bytesDropped
    before.send('still there?')
    await waitUntil(() => proxy.stats.bytesDropped > dropped)
    expect(before.readyState).toBe(WebSocket.OPEN)
    expect(during.readyState).toBe(WebSocket.CONNECTING)
  })

  test('dropAll closes a WebSocket client with 1006 quickly', async () => {
    const { port, wss } = await startWsEchoServer()
    const proxy = await proxyTo(port)
    const ws = await openWs(proxy.url())
    const closed = waitForEvent<[number, Buffer]>(ws, 'close', { timeoutMs: 1_000 })

    proxy.dropAll()

    const [code] = await closed
    expect(code).toBe(1006)
    expect(proxy.connections).toBe(0)
    await waitUntil(() => wss.clients.size === 0, { timeoutMs: 2_000 })
  })

  test('dropAll resets the sockets on both sides', async () => {
    const server = await startTcpServer()
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)
    await waitUntil(() => server.sockets.length === 1)
    const clientError = waitForEvent<[NodeJS.ErrnoException]>(client.socket, 'error', { timeoutMs: 1_000 })
    const serverError = waitForEvent<[NodeJS.ErrnoException]>(server.sockets[0]!, 'error', { timeoutMs: 1_000 })

    proxy.dropAll()

    expect((await clientError)[0].code).toBe('ECONNRESET')
    expect((await serverError)[0].code).toBe('ECONNRESET')
  })

  test('refuse makes new connections fail until accept', async () => {
    const { port } = await startWsEchoServer()
    const proxy = await proxyTo(port)
    proxy.refuse()

    const refused = wsClient(proxy.url())
    let opened = false
    refused.on('open', () => (opened = true))
    const [code] = await waitForEvent<[number]>(refused, 'close', { timeoutMs: 1_000 })
    expect(code).toBe(1006)
    expect(opened).toBe(false)
    expect(proxy.stats.connectionsRefused).toBe(1)

    proxy.accept()
    await echo(await openWs(proxy.url()), 'welcome back')
  })

  test('a target that is down resets the client connection', async () => {
    const spare = net.createServer()
    spare.listen(0, '127.0.0.1')
    await waitForEvent(spare, 'listening')
    const deadPort = (spare.address() as net.AddressInfo).port
    await new Promise((resolve) => spare.close(resolve))
    const proxy = await proxyTo(deadPort)

    const ws = wsClient(proxy.url())
    const [code] = await waitForEvent<[number]>(ws, 'close', { timeoutMs: 2_000 })
    expect(code).toBe(1006)
  })

  test('latency adds at least the configured delay in each direction of a round trip', async () => {
    const server = await startTcpServer()
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)
    proxy.latency(100)

    const started = performance.now()
    client.socket.write('slow')
    await receive(client, 'slow')

    expect(performance.now() - started).toBeGreaterThanOrEqual(200)
  })

  test('latency keeps chunks in order when it is lowered mid-stream', async () => {
    const server = await startTcpServer({ echo: false })
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)

    proxy.latency(200)
    client.socket.write('first,')
    await waitUntil(() => proxy.stats.bytesInFlight === 'first,'.length)
    proxy.latency(0)
    client.socket.write('second')

    await waitUntil(() => server.received() === 'first,second', { timeoutMs: 2_000 })
    expect(proxy.stats.bytesInFlight).toBe(0)
  })

  test('stallHandshake keeps a WebSocket CONNECTING; heal lets the held upgrade through', async () => {
    const { port } = await startWsEchoServer()
    const proxy = await proxyTo(port)
    const existing = await openWs(proxy.url())
    proxy.stallHandshake()

    const ws = wsClient(proxy.url())
    // The one negative wait: the upgrade must not complete while stalled.
    await expect(waitForEvent(ws, 'open', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' })
    expect(ws.readyState).toBe(WebSocket.CONNECTING)
    await echo(existing, 'unaffected')

    proxy.heal()
    await waitForEvent(ws, 'open', { timeoutMs: 2_000 })
    await echo(ws, 'late but fine')
  })

  test('dropServerToClient discards only server-to-client bytes', async () => {
    const server = await startTcpServer()
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)
    proxy.dropServerToClient()

    client.socket.write('lost ack')

    await waitUntil(() => server.received() === 'lost ack')
    await waitUntil(() => proxy.stats.bytesDropped === 'lost ack'.length)
    expect(client.received()).toBe('')
    expect(client.closed).toBe(false)
  })

  test('dropClientToServer discards only client-to-server bytes', async () => {
    const server = await startTcpServer()
    const proxy = await proxyTo(server.port)
    const client = await connectTcp(proxy.port)
    await waitUntil(() => server.sockets.length === 1)
    proxy.dropClientToServer()

    client.socket.write('lost send')
    server.sockets[0]!.write('from server')

    await receive(client, 'from server')
    await waitUntil(() => proxy.stats.bytesDropped === 'lost send'.length)
    expect(server.received()).toBe('')
  })

  test('setTarget points new connections at another server', async () => {
    const first = await startTcpServer({ prefix: 'first:' })
    const second = await startTcpServer({ prefix: 'second:' })
    const proxy = await proxyTo(first.port)
    const old = await connectTcp(proxy.port)

    proxy.setTarget({ host: '127.0.0.1', port: second.port })
    const fresh = await connectTcp(proxy.port)
    old.socket.write('a')
    fresh.socket.write('b')

    await receive(old, 'first:a')
    await receive(fresh, 'second:b')
  })

  test('await using closes the proxy at the end of the block', async () => {
    const server = await startTcpServer()
    let port: number
    {
      await using proxy = await createFaultProxy({ target: { host: '127.0.0.1', port: server.port } })
      port = proxy.port
      await connectTcp(port)
    }
    const socket = net.connect({ host: '127.0.0.1', port })
    const [error] = await waitForEvent<[NodeJS.ErrnoException]>(socket, 'error', { timeoutMs: 2_000 })
    expect(error.code).toBe('ECONNREFUSED')
  })
})
