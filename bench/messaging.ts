// Throughput, latency and memory of four clients, measured in one run against servers in
// child processes, with interleaved repetitions and medians:
//   ws          raw `ws` client ↔ raw `ws` echo server (the ceiling)
//   raw         Mooring raw mode ↔ the same `ws` echo server
//   protocol    Mooring protocol mode ↔ @mooring/server with an echo handler (send → ack, request → reply)
//   socket.io   socket.io-client ↔ socket.io server, websocket transport only (emit with ack)
//
//   pnpm build && node --expose-gc --import tsx bench/messaging.ts
//
// It measures the built packages (dist/), which is what users run. With
// `--conditions=source` it runs src/ through tsx instead, handy while profiling, but tsx
// keeps function names by wrapping every closure, which adds ~5 KB of heap per idle client
// and per-message allocations on the server: not a figure to publish. The servers inherit
// the parent's conditions.
//   env: REPS (5), MESSAGES (100000), WINDOW (1000), ROUND_TRIPS (5000), IDLE (1000), ONLY (all)
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { io as socketIo, type Socket } from 'socket.io-client'
import WebSocket from 'ws'
import { createClient, type MooringClient } from '@mooring/client'

const REPS = Number(process.env.REPS ?? 5)
const MESSAGES = Number(process.env.MESSAGES ?? 100_000)
const WINDOW = Number(process.env.WINDOW ?? 1000)
const ROUND_TRIPS = Number(process.env.ROUND_TRIPS ?? 5000)
const IDLE = Number(process.env.IDLE ?? 1000)
const HERE = dirname(fileURLToPath(import.meta.url))
// The tsx loader in this process (not the tsx CLI, which would put the server in a grandchild).
const tsxLoader = import.meta.resolve('tsx')
const payload = (n: number) => ({ text: 'the quick brown fox jumps over', n }) // ~60 bytes as JSON

function startServer(file: string): Promise<{ child: ChildProcess; url: string }> {
  // PROFILE_DIR=/tmp/prof writes a CPU profile of each server (open it in Chrome DevTools).
  const profile = process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []
  const conditions = process.execArgv.filter((arg) => arg.startsWith('--conditions'))
  const child = spawn(process.execPath, [...profile, '--import', tsxLoader, ...conditions, join(HERE, 'servers', file)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start`)), 20_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (\S+)/.exec(chunk.toString())
      if (match) clearTimeout(timer), resolve({ child, url: match[1]! })
    })
  })
}

/** One way to do a round trip with a connection; `send` calls `done` when the answer is back. */
interface Peer {
  send(n: number, done: () => void): void
  close(): Promise<void> | void
}

async function wsPeer(url: string): Promise<Peer> {
  const socket = new WebSocket(url)
  await new Promise((resolve) => socket.once('open', resolve))
  const waiting: Array<() => void> = []
  socket.on('message', () => waiting.shift()!())
  return {
    send: (n, done) => (waiting.push(done), socket.send(JSON.stringify(payload(n)))),
    close: () => socket.close(),
  }
}

async function mooringReady(client: MooringClient): Promise<MooringClient> {
  if (!client.ready) await new Promise<void>((resolve) => client.once('ready', () => resolve()))
  return client
}

async function rawPeer(url: string): Promise<Peer> {
  const client = await mooringReady(createClient({ url, mode: 'raw' }))
  const waiting: Array<() => void> = []
  client.onMessage('echo', () => waiting.shift()!())
  return {
    send: (n, done) => (waiting.push(done), void client.send('echo', payload(n))),
    close: () => client.close(),
  }
}

async function protocolPeer(url: string, sequential: boolean): Promise<Peer> {
  const client = await mooringReady(createClient({ url }))
  return {
    // Throughput: reliable sends resolved by acks. Latency: requests answered by replies.
    send: (n, done) => void (sequential ? client.request('echo', payload(n)) : client.send('echo', payload(n))).then(done),
    close: () => client.close(),
  }
}

async function socketIoPeer(url: string): Promise<Peer> {
  const socket: Socket = socketIo(url, { transports: ['websocket'], reconnection: false })
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return {
    send: (n, done) => socket.emit('echo', payload(n), () => done()),
    close: () => void socket.close(),
  }
}

async function throughput(peer: Peer): Promise<number> {
  const started = performance.now()
  await new Promise<void>((finish) => {
    let sent = 0
    let received = 0
    const pump = () => {
      while (sent < MESSAGES && sent - received < WINDOW) peer.send(sent++, onReply)
    }
    const onReply = () => {
      if (++received === MESSAGES) finish()
      else pump()
    }
    pump()
  })
  return MESSAGES / ((performance.now() - started) / 1000)
}

async function latency(peer: Peer): Promise<{ p50: number; p99: number }> {
  const samples: number[] = []
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t0 = performance.now()
    await new Promise<void>((done) => peer.send(i, done))
    samples.push((performance.now() - t0) * 1000)
  }
  samples.sort((a, b) => a - b)
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! }
}

const gc = (globalThis as { gc?: () => void }).gc
async function idleMemory(open: () => Promise<Peer>): Promise<{ heapKB: number; rssKB: number }> {
  gc?.()
  const before = process.memoryUsage()
  const peers: Peer[] = []
  for (let i = 0; i < IDLE; i++) peers.push(await open())
  gc?.()
  const after = process.memoryUsage()
  await Promise.all(peers.map((p) => p.close()))
  return { heapKB: (after.heapUsed - before.heapUsed) / IDLE / 1024, rssKB: (after.rss - before.rss) / IDLE / 1024 }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const wsServer = await startServer('ws-echo.ts')
const mooringServer = await startServer('mooring-echo.ts')
const ioServer = await startServer('socketio-echo.ts')
const contenders = {
  ws: (sequential: boolean) => wsPeer(wsServer.url),
  raw: (sequential: boolean) => rawPeer(wsServer.url),
  protocol: (sequential: boolean) => protocolPeer(mooringServer.url, sequential),
  'socket.io': (sequential: boolean) => socketIoPeer(ioServer.url),
} satisfies Record<string, (sequential: boolean) => Promise<Peer>>
type Name = keyof typeof contenders
// ONLY=protocol,ws runs a subset (for profiling); the ratios need `ws` in it.
const only = process.env.ONLY?.split(',')
const names = (Object.keys(contenders) as Name[]).filter((n) => !only || only.includes(n) || n === 'ws')
const results = Object.fromEntries(names.map((n) => [n, { rate: [] as number[], p50: [] as number[], p99: [] as number[] }]))

console.log(`messaging bench: ${MESSAGES} messages (window ${WINDOW}), ${ROUND_TRIPS} round trips, ${REPS} interleaved reps`)
for (let rep = 1; rep <= REPS; rep++) {
  for (const name of names) {
    const fast = await contenders[name](false)
    results[name]!.rate.push(await throughput(fast))
    await fast.close()
    const seq = await contenders[name](true)
    const { p50, p99 } = await latency(seq)
    results[name]!.p50.push(p50)
    results[name]!.p99.push(p99)
    await seq.close()
  }
  process.stdout.write(`  rep ${rep}/${REPS} done\n`)
}

const memory: Record<string, { heapKB: number; rssKB: number }> = {}
for (const name of names) memory[name] = await idleMemory(() => contenders[name](false))

const base = { rate: median(results.ws!.rate), p99: median(results.ws!.p99) }
console.log('\n| client | msg/s | × ws | RTT p50 µs | RTT p99 µs | p99 × ws | heap KB/idle conn | RSS KB/idle conn |')
console.log('|---|---|---|---|---|---|---|---|')
for (const name of names) {
  const r = results[name]!
  const rate = median(r.rate)
  const p99 = median(r.p99)
  console.log(
    `| ${name} | ${Math.round(rate).toLocaleString('en-US')} | ${(rate / base.rate).toFixed(2)} | ${median(r.p50).toFixed(0)} | ${p99.toFixed(0)} | ${(p99 / base.p99).toFixed(2)} | ${memory[name]!.heapKB.toFixed(1)} | ${memory[name]!.rssKB.toFixed(1)} |`,
  )
}
const rate = (n: Name) => median(results[n]?.rate ?? [NaN])
if (names.length === 4) console.log(
  `\ntargets: raw ≥ 0.95× ws → ${(rate('raw') / base.rate).toFixed(2)}; protocol ≥ 0.85× ws → ${(rate('protocol') / base.rate).toFixed(2)};` +
    ` protocol ≥ 1.3× socket.io → ${(rate('protocol') / rate('socket.io')).toFixed(2)}; p99 ≤ 1.3× ws → protocol ${(median(results.protocol!.p99) / base.p99).toFixed(2)};` +
    ` ≤ 6 KB heap per idle protocol connection → ${memory.protocol!.heapKB.toFixed(1)}`,
)
// SIGINT lets a profiled server write its profile on the way out.
for (const server of [wsServer, mooringServer, ioServer]) server.child.kill('SIGINT')
await new Promise((resolve) => setTimeout(resolve, process.env.PROFILE_DIR ? 2000 : 0))
process.exit(0)
