import net from 'node:net'
import { onTestFinished } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { waitForEvent, waitUntil } from '../../src/index.js'

/** A TCP server on 127.0.0.1:0 that records what each connection sent and optionally echoes it. */
export interface TcpServer {
  port: number
  sockets: net.Socket[]
  received(): string
  echo: boolean
}

export async function startTcpServer(options: { echo?: boolean; prefix?: string } = {}): Promise<TcpServer> {
  const chunks: string[] = []
  const sockets: net.Socket[] = []
  const state: TcpServer = { port: 0, sockets, received: () => chunks.join(''), echo: options.echo ?? true }
  const server = net.createServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      chunks.push(chunk.toString())
      if (state.echo) socket.write((options.prefix ?? '') + chunk.toString())
    })
  })
  server.listen(0, '127.0.0.1')
  await waitForEvent(server, 'listening', { timeoutMs: 2_000 })
  state.port = (server.address() as net.AddressInfo).port
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return state
}

/** A TCP client that collects everything it receives. */
export interface TcpClient {
  socket: net.Socket
  received(): string
  closed: boolean
}

export async function connectTcp(port: number): Promise<TcpClient> {
  const socket = net.connect({ host: '127.0.0.1', port })
  const chunks: string[] = []
  const client: TcpClient = { socket, received: () => chunks.join(''), closed: false }
  socket.on('data', (chunk) => chunks.push(chunk.toString()))
  socket.on('error', () => {})
  socket.on('close', () => (client.closed = true))
  onTestFinished(() => {
    socket.destroy()
  })
  await waitForEvent(socket, 'connect', { timeoutMs: 2_000, rejectOnError: true })
  return client
}

export async function receive(client: TcpClient, expected: string, timeoutMs = 2_000): Promise<void> {
  await waitUntil(() => client.received() === expected, {
    timeoutMs,
    description: `client to receive ${JSON.stringify(expected)} (got ${JSON.stringify(client.received())})`,
  })
}

/** A `ws` echo server on 127.0.0.1:0 that also keeps its server-side sockets. */
export async function startWsEchoServer(): Promise<{ port: number; wss: WebSocketServer }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })))
  await waitForEvent(wss, 'listening', { timeoutMs: 2_000 })
  onTestFinished(async () => {
    for (const client of wss.clients) client.terminate()
    await new Promise((resolve) => wss.close(resolve))
  })
  return { port: (wss.address() as net.AddressInfo).port, wss }
}

/** A `ws` client that is terminated when the test ends. */
export function wsClient(url: string): WebSocket {
  const ws = new WebSocket(url)
  ws.on('error', () => {})
  onTestFinished(() => ws.terminate())
  return ws
}

export async function echo(ws: WebSocket, text: string, timeoutMs = 2_000): Promise<void> {
  const reply = waitForEvent<[Buffer]>(ws, 'message', { timeoutMs, filter: (data) => data.toString() === text })
  ws.send(text)
  await reply
}
