// Fan-out: 1,000 clients in one room (in a child process), the server sends 200 messages to all
// of them in one synchronous burst. Compared:
// - @mooring/server's room publish;
// - a raw `ws` loop sending the same bytes, encoded once into a Buffer (public `send` API): the
//   baseline every ratio is against;
// - a raw `ws` loop writing one pre-built frame per message (`Sender.frame` + `_sender.sendFrame`,
//   socket.io's adapter trick): what skipping ws's per-send framing is worth;
// - a raw `ws` loop with each TCP socket corked for the burst: one `writev` per socket instead
//   of one per message, the ceiling for a Node fan-out;
// - socket.io's `io.to(room).emit` (engine.io queues behind an unfinished write, which batches too).
//
// Fair by construction:
// - every server delivers frames of the same size (the raw loops send Mooring's exact `msg`
//   frame; socket.io's payload is padded to the same wire length);
// - all sets of clients stay connected and the rounds interleave the servers (in a rotating
//   order), so a noisy neighbour on a small machine hits them all alike; a warm-up round is not counted;
// - every client answers heartbeats and is checked to have every message, in order, in every round.
//
// Two measures, because on one small machine the receiving process can be the bottleneck:
// - end-to-end: from the first send until the last client has the last message;
// - server CPU: user+system CPU the server process spent from the first send until delivery
//   completed. The send loop's own duration is printed too, but is not comparable: socket.io
//   defers most of its writes past the loop.
//
//   node --import tsx --conditions=source bench/server-fanout.ts
//   FANOUT_CLIENTS=1000 FANOUT_MESSAGES=200 FANOUT_ROUNDS=5 FANOUT_SERVERS=mooring,ws,ws-frame,ws-corked,socket.io
import { fork, type ChildProcess } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Server as SocketIoServer } from 'socket.io'
import * as wsModule from 'ws'
import { WebSocketServer, WebSocket } from 'ws'
import { createServer } from '@mooring/server'

const CLIENTS = Number(process.env.FANOUT_CLIENTS ?? 1000)
const MESSAGES = Number(process.env.FANOUT_MESSAGES ?? 200)
const ROUNDS = Number(process.env.FANOUT_ROUNDS ?? 5)
const PAD = 'x'.repeat(70) // Mooring's `msg` frame around it is about 150 bytes
const ROUND_TIMEOUT_MS = 60_000
/** Mooring's epoch is 6 random bytes in base64url; the raw loops send a stand-in of the same length. */
const FAKE_EPOCH = 'AAAAAAAA'

/** Untyped in @types/ws: frames a payload once (header + data) for any number of sockets. */
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } }).Sender
type RawSocket = { _sender: { sendFrame(frame: Buffer[]): void }; _socket: { cork(): void; uncork(): void } }

const ALL_KINDS = ['mooring', 'ws', 'ws-frame', 'ws-corked', 'socket.io'] as const
type Kind = (typeof ALL_KINDS)[number]
/** FANOUT_SERVERS=mooring,ws to run a subset (e.g. under `--cpu-prof`); the table needs `ws` for its ratios. */
const KINDS = ALL_KINDS.filter((k) => (process.env.FANOUT_SERVERS?.split(',') ?? ALL_KINDS).includes(k))
const LABEL: Record<Kind, string> = {
  mooring: '@mooring/server `to(room).publish`',
  ws: 'raw `ws` loop, `send(buffer)`',
  'ws-frame': 'raw `ws` loop, pre-built frame',
  'ws-corked': 'raw `ws` loop, socket corked per burst',
  'socket.io': 'socket.io `to(room).emit`',
}

const mooringWire = (i: number) => JSON.stringify({ t: 'msg', room: 'bench', epoch: FAKE_EPOCH, seq: i + 1, type: 'tick', data: { i, pad: PAD } })
// socket.io's wire is `42["tick",{"i":0,"pad":"…"}]`: pad it to Mooring's length at i = 0.
const SIO_PAD = PAD + 'x'.repeat(mooringWire(0).length - `42${JSON.stringify(['tick', { i: 0, pad: PAD }])}`.length)

if (process.env.FANOUT_ROLE === 'clients') await runClients()
else await runParent()

// ---------------------------------------------------------------- parent: servers and timing
interface Sample {
  e2eMs: number
  loopMs: number
  serverCpuMs: number
  clientCpuMs: number
}

async function runParent(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--conditions=source'],
    env: { ...process.env, FANOUT_ROLE: 'clients' },
  })
  const ask = rpc(child)
  const targets = new Map<Kind, Target>()
  const samples = new Map<Kind, Sample[]>(KINDS.map((k) => [k, []]))
  try {
    for (const kind of KINDS) {
      const target = await startTarget(kind)
      targets.set(kind, target)
      await ask({ cmd: 'connect', kind, url: target.url, n: CLIENTS })
    }
    for (let round = -1; round < ROUNDS; round++) {
      // Rotate the order so no server always runs right after the same one.
      const order = KINDS.map((_, j) => KINDS[(j + Math.max(0, round)) % KINDS.length]!)
      for (const kind of order) {
        await ask({ cmd: 'arm', kind, messages: MESSAGES })
        const done = ask({ cmd: 'wait', kind })
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        targets.get(kind)!.broadcast(MESSAGES)
        const loopMs = performance.now() - t0
        const report = (await done) as { ok: boolean; problem?: string; clientCpuMs: number }
        const e2eMs = performance.now() - t0
        const cpu = process.cpuUsage(cpu0)
        if (!report.ok) throw new Error(`${kind}: ${report.problem}`)
        if (round >= 0) samples.get(kind)!.push({ e2eMs, loopMs, serverCpuMs: (cpu.user + cpu.system) / 1000, clientCpuMs: report.clientCpuMs })
      }
      if (round >= 0) console.log(`fanout: round ${round + 1}/${ROUNDS}: ${KINDS.map((k) => `${k} ${rate(samples.get(k)!.at(-1)!.e2eMs)}/s`).join(', ')}`)
    }
    for (const kind of KINDS) await ask({ cmd: 'disconnect', kind })
  } finally {
    child.kill()
    for (const t of targets.values()) await t.close()
  }

  const deliveries = CLIENTS * MESSAGES
  const med = (kind: Kind, f: (s: Sample) => number) => median(samples.get(kind)!.map(f))
  const perSecond = (ms: number) => deliveries / (ms / 1000)
  const baseline: Kind = KINDS.includes('ws') ? 'ws' : KINDS[0]!
  const rawE2e = perSecond(med(baseline, (s) => s.e2eMs))
  const rawCpu = perSecond(med(baseline, (s) => s.serverCpuMs))
  console.log(`\nfan-out of ${MESSAGES} messages (${mooringWire(0).length} B frames) to ${CLIENTS} clients in one room, median of ${ROUNDS} interleaved rounds (node ${process.version})`)
  console.log('| server | end-to-end deliveries/s | vs raw `ws` | deliveries per server CPU-second | vs raw `ws` | send loop ms | client CPU ms |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  for (const kind of KINDS) {
    const e2e = perSecond(med(kind, (s) => s.e2eMs))
    const cpu = perSecond(med(kind, (s) => s.serverCpuMs))
    console.log(
      `| ${LABEL[kind]} | ${fmt(e2e)} | ${(e2e / rawE2e).toFixed(2)}× | ${fmt(cpu)} | ${(cpu / rawCpu).toFixed(2)}× | ${med(kind, (s) => s.loopMs).toFixed(0)} | ${med(kind, (s) => s.clientCpuMs).toFixed(0)} |`,
    )
  }
  console.log('every client received every message, in order, in every round')
  process.exit(0)
}

function rate(ms: number): string {
  return fmt((CLIENTS * MESSAGES) / (ms / 1000))
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
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
  if (kind === 'ws' || kind === 'ws-frame' || kind === 'ws-corked') {
    const wss = new WebSocketServer({ server: http })
    return {
      url: `ws://127.0.0.1:${port}/`,
      broadcast:
        kind === 'ws-corked'
          ? (n) => {
              // One writev per socket for the whole burst instead of one per message.
              const sockets = [...wss.clients].map((ws) => (ws as unknown as RawSocket)._socket)
              for (const s of sockets) s.cork()
              for (let i = 0; i < n; i++) {
                const wire = Buffer.from(mooringWire(i))
                for (const ws of wss.clients) ws.send(wire, { binary: false })
              }
              for (const s of sockets) s.uncork()
            }
          : kind === 'ws'
          ? (n) => {
              for (let i = 0; i < n; i++) {
                // Encoded once: a string would be UTF-8 encoded again for every socket.
                const wire = Buffer.from(mooringWire(i))
                for (const ws of wss.clients) ws.send(wire, { binary: false })
              }
            }
          : (n) => {
              for (let i = 0; i < n; i++) {
                const frame = Sender.frame(Buffer.from(mooringWire(i)), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false })
                for (const ws of wss.clients) (ws as unknown as RawSocket)._sender.sendFrame(frame)
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
      for (let i = 0; i < n; i++) io.to('bench').emit('tick', { i, pad: SIO_PAD })
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
interface ClientSet {
  closers: Array<() => void>
  seen: number[]
  expected: number
  problem: string | undefined
  waiter: (() => void) | undefined
}

async function runClients(): Promise<void> {
  const { io } = await import('socket.io-client')
  const sets = new Map<Kind, ClientSet>()
  const complete = (s: ClientSet) => s.seen.every((n) => n === s.expected)
  const onMessage = (s: ClientSet, k: number, i: number) => {
    if (i !== s.seen[k]) s.problem ??= `client ${k} got message ${i}, expected ${s.seen[k]}`
    s.seen[k] = i + 1
    if (s.waiter && (s.problem || complete(s))) s.waiter()
  }

  process.on('message', async (msg: { id: number; cmd: string; kind: Kind; url?: string; n?: number; messages?: number }) => {
    const reply = (v: unknown = {}) => process.send!({ id: msg.id, value: v })
    if (msg.cmd === 'connect') {
      const set: ClientSet = { closers: [], seen: new Array(msg.n).fill(0), expected: 0, problem: undefined, waiter: undefined }
      sets.set(msg.kind, set)
      // In slices, so the accept queue is never the thing measured.
      for (let start = 0; start < msg.n!; start += 100) {
        await Promise.all(Array.from({ length: Math.min(100, msg.n! - start) }, (_, j) => connectOne(set, msg.kind, msg.url!, start + j)))
      }
      reply()
    } else if (msg.cmd === 'arm') {
      const set = sets.get(msg.kind)!
      set.seen.fill(0)
      set.expected = msg.messages!
      set.problem = undefined
      reply()
    } else if (msg.cmd === 'wait') {
      const set = sets.get(msg.kind)!
      const cpu0 = process.cpuUsage()
      const timer = setTimeout(() => set.waiter?.(), ROUND_TIMEOUT_MS)
      await new Promise<void>((resolve) => {
        set.waiter = resolve
        if (set.problem || complete(set)) resolve()
      })
      const cpu = process.cpuUsage(cpu0)
      clearTimeout(timer)
      set.waiter = undefined
      const ok = !set.problem && complete(set)
      reply({ ok, problem: set.problem ?? (ok ? undefined : 'timed out'), clientCpuMs: (cpu.user + cpu.system) / 1000 })
    } else if (msg.cmd === 'disconnect') {
      for (const c of sets.get(msg.kind)!.closers) c()
      reply()
    }
  })

  async function connectOne(set: ClientSet, kind: Kind, url: string, k: number): Promise<void> {
    if (kind === 'socket.io') {
      const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true })
      set.closers.push(() => socket.close())
      await new Promise<void>((r) => socket.once('connect', () => r()))
      socket.on('tick', (d: { i: number }) => onMessage(set, k, d.i))
      await new Promise<void>((r) => socket.emit('join', 'bench', () => r()))
      return
    }
    const ws = new WebSocket(url, kind === 'mooring' ? ['mooring.v1'] : [])
    set.closers.push(() => ws.terminate())
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
    // The same parse for Mooring and both raw loops: they carry byte-identical frames.
    ws.on('message', (data) => {
      const text = data.toString()
      if (!text.startsWith('{"t":"msg"')) {
        // Answer heartbeats as a real client does, or the server drops the socket as a zombie mid-run.
        if (text.startsWith('{"t":"ping"')) ws.send(`{"t":"pong","n":${(JSON.parse(text) as { n: number }).n}}`)
        return
      }
      onMessage(set, k, (JSON.parse(text) as { data: { i: number } }).data.i)
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
