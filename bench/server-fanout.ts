// Fan-out: 1,000 clients in one room (in a child process), the server sends 200 messages of
// ~100 bytes to all of them. Deliveries per second for @mooring/server's room publish, a raw
// `ws` loop sending one pre-serialized string, and socket.io's `io.to(room).emit`; medians of
// 5 rounds, every client checked to have every message in order.
//
//   node --import tsx --conditions=source bench/server-fanout.ts
//   FANOUT_CLIENTS=1000 FANOUT_MESSAGES=200 FANOUT_ROUNDS=5
import { fork, type ChildProcess } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Server as SocketIoServer } from 'socket.io'
import { WebSocketServer, WebSocket } from 'ws'
import { createServer } from '@mooring/server'

const CLIENTS = Number(process.env.FANOUT_CLIENTS ?? 1000)
const MESSAGES = Number(process.env.FANOUT_MESSAGES ?? 200)
const ROUNDS = Number(process.env.FANOUT_ROUNDS ?? 5)
const PAD = 'x'.repeat(70) // a message of about 100 bytes on the wire
const ROUND_TIMEOUT_MS = 60_000

type Kind = 'mooring' | 'raw' | 'socket.io'

if (process.env.FANOUT_ROLE === 'clients') await runClients()
else await runParent()

// ---------------------------------------------------------------- parent: servers and timing
async function runParent(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--conditions=source'],
    env: { ...process.env, FANOUT_ROLE: 'clients' },
  })
  const ask = rpc(child)
  const results: Array<{ kind: Kind; rates: number[] }> = []
  try {
    for (const kind of ['mooring', 'raw', 'socket.io'] as const) {
      const target = await startTarget(kind)
      await ask({ cmd: 'connect', kind, url: target.url, n: CLIENTS })
      const rates: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        await ask({ cmd: 'arm', messages: MESSAGES })
        const t0 = performance.now()
        const done = ask({ cmd: 'wait' })
        target.broadcast(MESSAGES)
        const report = (await done) as { ok: boolean; problem?: string }
        const ms = performance.now() - t0
        if (!report.ok) throw new Error(`${kind}: ${report.problem}`)
        rates.push((CLIENTS * MESSAGES) / (ms / 1000))
      }
      await ask({ cmd: 'disconnect' })
      await target.close()
      results.push({ kind, rates })
      console.log(`fanout: ${kind} done (${rates.map((r) => Math.round(r)).join(', ')} deliveries/s)`)
    }
  } finally {
    child.kill()
  }
  const raw = median(results.find((r) => r.kind === 'raw')!.rates)
  console.log(`\nfan-out of ${MESSAGES} messages to ${CLIENTS} clients in one room, median of ${ROUNDS} (node ${process.version})`)
  console.log('| server | deliveries/s (median) | vs raw ws loop |')
  console.log('|---|---:|---:|')
  for (const r of results) {
    const m = median(r.rates)
    console.log(`| ${r.kind} | ${Math.round(m).toLocaleString('en-US')} | ${(m / raw).toFixed(2)}× |`)
  }
  console.log('every client received every message, in order, in every round')
  process.exit(0)
}

interface Target {
  url: string
  broadcast(n: number): void
  close(): Promise<void>
}

async function startTarget(kind: Kind): Promise<Target> {
  if (kind === 'mooring') {
    const server = createServer({ host: '127.0.0.1', port: 0, metrics: false, rateLimit: false })
    const { url } = await server.ready()
    return {
      url,
      broadcast: (n) => {
        for (let i = 0; i < n; i++) server.to('bench').publish('tick', { i, pad: PAD })
      },
      close: () => server.close({ drainMs: 0 }),
    }
  }
  const http = createHttpServer()
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()))
  const port = (http.address() as AddressInfo).port
  if (kind === 'raw') {
    const wss = new WebSocketServer({ server: http })
    return {
      url: `ws://127.0.0.1:${port}/`,
      broadcast: (n) => {
        for (let i = 0; i < n; i++) {
          const wire = JSON.stringify({ t: 'msg', room: 'bench', seq: i + 1, type: 'tick', data: { i, pad: PAD } })
          for (const ws of wss.clients) ws.send(wire)
        }
      },
      close: () => closeHttp(http, () => wss.close()),
    }
  }
  const io = new SocketIoServer(http, { transports: ['websocket'] })
  io.on('connection', (socket) => socket.on('join', (room: string, ack: () => void) => (socket.join(room), ack())))
  return {
    url: `http://127.0.0.1:${port}`,
    broadcast: (n) => {
      for (let i = 0; i < n; i++) io.to('bench').emit('tick', { i, pad: PAD })
    },
    close: () => closeHttp(http, () => io.close()),
  }
}

function closeHttp(http: ReturnType<typeof createHttpServer>, before: () => void): Promise<void> {
  before()
  http.closeAllConnections()
  return new Promise((r) => http.close(() => r()))
}

// ---------------------------------------------------------------- child: the clients
async function runClients(): Promise<void> {
  const { io } = await import('socket.io-client')
  let closers: Array<() => void> = []
  let seen: number[] = []
  let expected = 0
  let problem: string | undefined
  let waiter: (() => void) | undefined
  const complete = () => seen.every((n) => n === expected)
  const onMessage = (k: number, i: number) => {
    if (i !== seen[k]) problem ??= `client ${k} got message ${i}, expected ${seen[k]}`
    seen[k] = i + 1
    if (waiter && (problem || complete())) waiter()
  }

  process.on('message', async (msg: { id: number; cmd: string; kind?: Kind; url?: string; n?: number; messages?: number }) => {
    const reply = (v: unknown = {}) => process.send!({ id: msg.id, value: v })
    if (msg.cmd === 'connect') {
      seen = new Array(msg.n).fill(0)
      closers = []
      // In slices, so the accept queue is never the thing measured.
      for (let start = 0; start < msg.n!; start += 100) {
        await Promise.all(Array.from({ length: Math.min(100, msg.n! - start) }, (_, j) => connectOne(msg.kind!, msg.url!, start + j)))
      }
      reply()
    } else if (msg.cmd === 'arm') {
      seen.fill(0)
      expected = msg.messages!
      problem = undefined
      reply()
    } else if (msg.cmd === 'wait') {
      const timer = setTimeout(() => waiter?.(), ROUND_TIMEOUT_MS)
      await new Promise<void>((resolve) => {
        waiter = resolve
        if (problem || complete()) resolve()
      })
      clearTimeout(timer)
      waiter = undefined
      reply({ ok: !problem && complete(), problem: problem ?? (complete() ? undefined : 'timed out') })
    } else if (msg.cmd === 'disconnect') {
      for (const c of closers) c()
      reply()
    }
  })

  async function connectOne(kind: Kind, url: string, k: number): Promise<void> {
    if (kind === 'socket.io') {
      const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true })
      closers.push(() => socket.close())
      await new Promise<void>((r) => socket.once('connect', () => r()))
      socket.on('tick', (d: { i: number }) => onMessage(k, d.i))
      await new Promise<void>((r) => socket.emit('join', 'bench', () => r()))
      return
    }
    const ws = new WebSocket(url, kind === 'mooring' ? ['mooring.v1'] : [])
    closers.push(() => ws.terminate())
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
    if (kind === 'mooring') {
      const joined = new Promise<void>((resolve) =>
        ws.on('message', function first(data) {
          if (data.toString().startsWith('{"t":"joined"')) {
            ws.off('message', first)
            resolve()
          }
        }),
      )
      ws.send(JSON.stringify({ t: 'hello', v: 1, clientId: `bench-${k}` }))
      ws.send(JSON.stringify({ t: 'join', ref: 1, room: 'bench' }))
      await joined
    }
    ws.on('message', (data) => {
      const text = data.toString()
      if (!text.startsWith('{"t":"msg"')) return
      onMessage(k, (JSON.parse(text) as { data: { i: number } }).data.i)
    })
  }
}

function rpc(child: ChildProcess): (msg: Record<string, unknown>) => Promise<unknown> {
  let next = 0
  const pending = new Map<number, (v: unknown) => void>()
  child.on('message', (m: { id: number; value: unknown }) => {
    pending.get(m.id)?.(m.value)
    pending.delete(m.id)
  })
  child.on('exit', (code) => {
    if (pending.size > 0) {
      console.error(`fanout: client process exited (${code})`)
      process.exit(1)
    }
  })
  return (msg) =>
    new Promise((resolve) => {
      const id = ++next
      pending.set(id, resolve)
      child.send({ ...msg, id })
    })
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
