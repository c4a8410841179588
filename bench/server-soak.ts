// Soak: many connections in a few rooms for a while, with churn (sockets closing and new ones
// joining), the server publishing timestamped messages to every room. Prints memory per
// connection, delivery latency (p50/p99), errors, and memory and handles after churn stops.
//
//   node --import tsx --conditions=source --expose-gc bench/server-soak.ts
//   SOAK_SECONDS=60 SOAK_CONNECTIONS=2000 SOAK_ROOMS=10 SOAK_CHURN_PER_SEC=20 SOAK_MSGS_PER_ROOM_PER_SEC=5
//   The bar: SOAK_SECONDS=300 (2,000 connections in 10 rooms for 5 minutes).
//   After the clients leave it waits out the session TTL (resumable sessions are held that long)
//   and measures again, to tell a leak from memory held by design; SOAK_SETTLE=0 skips that.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { createServer } from '@mooring/server'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60)
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 2000)
const ROOMS = Number(process.env.SOAK_ROOMS ?? 10)
const CHURN = Number(process.env.SOAK_CHURN_PER_SEC ?? 20)
const RATE = Number(process.env.SOAK_MSGS_PER_ROOM_PER_SEC ?? 5)

if (process.env.SOAK_ROLE === 'clients') runClients()
else await runParent()

async function runParent(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
  const server = createServer({ host: '127.0.0.1', port: 0, heartbeat: { intervalMs: 10_000, timeoutMs: 5_000 } })
  let serverErrors = 0
  server.on('error', () => serverErrors++)
  const { url } = await server.ready()
  gc()
  const base = process.memoryUsage()
  const handlesBefore = activeHandles()

  const child = fork(fileURLToPath(import.meta.url), [], { execArgv: ['--import', 'tsx', '--conditions=source'], env: { ...process.env, SOAK_ROLE: 'clients', SOAK_URL: url } })
  const fromChild = (cmd: string) => new Promise<any>((resolve) => child.once('message', (m: any) => m.cmd === cmd && resolve(m)))
  await fromChild('connected')
  gc()
  const loaded = process.memoryUsage()
  const perConn = (loaded.heapUsed - base.heapUsed) / CONNECTIONS
  const perConnRss = (loaded.rss - base.rss) / CONNECTIONS
  console.log(`soak: ${CONNECTIONS} connections in ${ROOMS} rooms; heap ${(perConn / 1024).toFixed(1)} KiB/connection, rss ${(perConnRss / 1024).toFixed(1)} KiB/connection`)

  const started = Date.now()
  let published = 0
  // Heap each minute under load (no forced GC, so as not to disturb the latency figures).
  const heapSamples: number[] = []
  const sampler = setInterval(() => heapSamples.push(process.memoryUsage().heapUsed), 60_000)
  const publisher = setInterval(() => {
    for (let r = 0; r < ROOMS; r++) server.to(`room${r}`).publish('tick', { sentAt: Date.now(), pad: 'x'.repeat(60) })
    published += ROOMS
  }, 1000 / RATE)
  child.send({ cmd: 'churn', perSec: CHURN })
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  clearInterval(publisher)
  clearInterval(sampler)
  child.send({ cmd: 'report' })
  const report = await fromChild('report')
  const duringRss = process.memoryUsage().rss

  await new Promise((r) => setTimeout(r, 2000))
  child.kill()
  await new Promise((r) => child.once('exit', r))
  await new Promise((r) => setTimeout(r, 1000))
  gc()
  const after = process.memoryUsage()
  console.log(`soak: ran ${((Date.now() - started) / 1000).toFixed(0)} s, ${published} messages published, ${report.delivered} delivered, ${report.churned} sockets churned`)
  console.log(`soak: delivery latency p50 ${report.p50} ms, p99 ${report.p99} ms, max ${report.max} ms`)
  console.log(`soak: errors: server ${serverErrors}, client ${report.errors}, unexpected closes ${report.unexpectedCloses}, gaps ${report.gaps}`)
  console.log(`soak: rss at end of load ${(duringRss / 1048576).toFixed(0)} MiB; after all clients left heap ${((after.heapUsed - base.heapUsed) / 1048576).toFixed(1)} MiB above baseline, open connections ${server.connections().length}, active handles ${activeHandles()} (baseline ${handlesBefore})`)
  console.log(`soak: heap under load each minute (MiB): ${heapSamples.map((b) => (b / 1048576).toFixed(0)).join(', ')}`)
  if (process.env.SOAK_SETTLE !== '0') {
    const waitMs = server.options.sessionTtlMs + server.options.heartbeat.intervalMs
    await new Promise((r) => setTimeout(r, waitMs))
    gc()
    const settled = process.memoryUsage()
    const sessions = /^mooring_sessions_held (\d+)/m.exec(await server.metrics())?.[1] ?? '?'
    console.log(`soak: ${(waitMs / 1000).toFixed(0)} s later (past the session TTL): heap ${((settled.heapUsed - base.heapUsed) / 1048576).toFixed(1)} MiB above baseline, sessions held ${sessions}, active handles ${activeHandles()}`)
  }
  await server.close({ drainMs: 0 })
  process.exit(0)
}

function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length
}

function runClients(): void {
  const url = process.env.SOAK_URL!
  const latencies: number[] = []
  let delivered = 0
  let errors = 0
  let unexpectedCloses = 0
  let gaps = 0
  let churned = 0
  let serial = 0
  const live = new Set<WebSocket>()
  const leaving = new WeakSet<WebSocket>()

  function open(): Promise<void> {
    const id = serial++
    const ws = new WebSocket(url, ['mooring.v1'])
    let lastSeq: number | undefined
    return new Promise((resolve) => {
      ws.on('open', () => {
        ws.send(JSON.stringify({ t: 'hello', v: 1, clientId: `soak-${id}` }))
        ws.send(JSON.stringify({ t: 'join', ref: 1, room: `room${id % ROOMS}` }))
      })
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString())
        if (f.t === 'joined') {
          lastSeq = f.seq
          live.add(ws)
          resolve()
        } else if (f.t === 'msg') {
          if (lastSeq !== undefined && f.seq !== lastSeq + 1) gaps++
          lastSeq = f.seq
          delivered++
          if (delivered % 7 === 0) latencies.push(Date.now() - f.data.sentAt) // sampled
        } else if (f.t === 'ping') ws.send(JSON.stringify({ t: 'pong', n: f.n }))
        else if (f.t === 'error') errors++
      })
      ws.on('error', () => errors++)
      ws.on('close', () => {
        live.delete(ws)
        if (!leaving.has(ws)) unexpectedCloses++
        resolve()
      })
    })
  }

  void (async () => {
    for (let i = 0; i < CONNECTIONS; i += 100) await Promise.all(Array.from({ length: Math.min(100, CONNECTIONS - i) }, open))
    process.send!({ cmd: 'connected' })
  })()

  let churnTimer: ReturnType<typeof setInterval> | undefined
  process.on('message', (m: { cmd: string; perSec?: number }) => {
    if (m.cmd === 'churn' && m.perSec! > 0) {
      churnTimer = setInterval(() => {
        const victims = [...live].slice(0, Math.max(1, Math.round(m.perSec! / 10)))
        for (const ws of victims) {
          leaving.add(ws)
          ws.close(1000)
          churned++
          void open()
        }
      }, 100)
    } else if (m.cmd === 'report') {
      clearInterval(churnTimer)
      latencies.sort((a, b) => a - b)
      const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
      process.send!({ cmd: 'report', delivered, errors, unexpectedCloses, gaps, churned, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? 0 })
    }
  })
}
