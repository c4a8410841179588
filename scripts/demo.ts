// `pnpm demo`: the promise, live. A real mooring-server process, two Node clients in a
// room publishing every 20 ms, a SIGKILL of the server mid-stream, a restart on the same
// port, and a tally of what arrived. A browser can join the same room while it runs.
// Exits by itself (or on Ctrl-C).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient, type MooringClient } from '@mooring/client'
import { ServerProcess, waitUntil } from '@mooring/testing'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const PUBLISH_EVERY_MS = 20
const BEFORE_CRASH_MS = 1500
const OUTAGE_MS = 2000
const AFTER_RESTART_MS = 1500
const BROWSER_GRACE_MS = Number(process.env.DEMO_LINGER_MS ?? (process.stdout.isTTY ? 15_000 : 0))

const started = performance.now()
const stamp = () => `+${((performance.now() - started) / 1000).toFixed(2)}s`.padStart(7)
const say = (who: string, text: string) => console.log(`${stamp()} ${who.padEnd(7)} ${text}`)

// History deep enough for everything queued during the outage: after the restart the first
// client back floods the new epoch with its backlog before the second one rejoins.
const config = join(mkdtempSync(join(tmpdir(), 'mooring-demo-')), 'server.json')
writeFileSync(config, JSON.stringify({ history: { size: 5000 } }))
const server = await ServerProcess.start({ args: ['--echo', '--heartbeat-interval-ms', '2000', '--config', config] })
say('server', `mooring-server pid ${server.pid} listening on ${server.url}`)

// The browser side: the CDN chat example, pointed at the same server.
const page = createHttpServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  const file = path === '/mooring.min.js' ? join(ROOT, 'packages/client/dist/mooring.min.js') : join(ROOT, 'examples/cdn/index.html')
  res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(readFileSync(file))
}).listen(0, '127.0.0.1')
await new Promise((ready) => page.once('listening', ready))
const pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/?ws=${encodeURIComponent(server.url)}`
say('browser', `open ${pageUrl} to chat in room "lobby" while the demo runs`)

let stopping = false
async function shutdown(code: number) {
  if (stopping) return
  stopping = true
  await Promise.allSettled(clients.map((c) => c.close()))
  await server.stop().catch(() => server.kill())
  page.close()
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(130))

// ---- 1. The slice: hello/welcome, a request, a typed message and its echo.
const probe = createClient({ url: server.url })
await new Promise<void>((ready) => probe.once('ready', ready))
say('probe', `connected (client id ${probe.clientId.slice(0, 8)}…)`)
const echoed = new Promise((got) => probe.onMessage('echo', got))
const reply = await probe.request('echo', { text: 'ping from Node' })
say('probe', `request echo → reply ${JSON.stringify(reply)}`)
say('probe', `message echo → ${JSON.stringify(await echoed)}`)
await probe.close()

// ---- 2. The promise: two publishers in a room, a crash in the middle.
interface Received {
  from: string
  n: number
}
const names = ['alice', 'bob'] as const
const clients: MooringClient[] = []
const sent: Record<string, number> = { alice: 0, bob: 0 }
const acked: Record<string, number> = { alice: 0, bob: 0 }
const received: Record<string, Received[]> = { alice: [], bob: [] }

for (const name of names) {
  const client = createClient({ url: server.url, reconnect: { minDelayMs: 100, maxDelayMs: 1000 } })
  client.on('state', ({ state, reason, attempt, nextDelayMs, code }) => {
    const next = nextDelayMs === undefined ? '' : `, next try in ${Math.round(nextDelayMs)} ms`
    say(name, `${state} (${reason}${code ? ` ${code}` : ''}, attempt ${attempt}${next})`)
  })
  const room = client.room('demo', { meta: { name } })
  room.onMessage('count', (data: Received) => received[name]!.push(data))
  room.on('gap', ({ from, to, reason }) => say(name, `gap in room "demo": seq ${from}–${to ?? 'end of the old epoch'} (${reason}) — told, not silent`))
  clients.push(client)
  await room.ready()
}
say('demo', `alice and bob joined room "demo"; both publish every ${PUBLISH_EVERY_MS} ms`)

let publishing = true
const publishers = names.map(async (name, i) => {
  const room = clients[i]!.room('demo')
  while (publishing) {
    const n = ++sent[name]!
    room.publish('count', { from: name, n }).then(
      () => acked[name]!++,
      (error) => say(name, `publish ${n} failed: ${error.code}`),
    )
    await new Promise((tick) => setTimeout(tick, PUBLISH_EVERY_MS))
  }
  room.leave()
})

await new Promise((wait) => setTimeout(wait, BEFORE_CRASH_MS))
await server.kill('SIGKILL')
say('server', `SIGKILL — queued while down: alice ${clients[0]!.outbox.size}, bob ${clients[1]!.outbox.size}`)
await new Promise((wait) => setTimeout(wait, OUTAGE_MS))
say('server', `restarting on the same port (queued now: alice ${clients[0]!.outbox.size}, bob ${clients[1]!.outbox.size})`)
await server.restart()
say('server', 'ready again (in-memory: new epoch, history gone)')
await new Promise((wait) => setTimeout(wait, AFTER_RESTART_MS))
publishing = false
await Promise.all(publishers)

const total = () => sent.alice! + sent.bob!
await waitUntil(() => acked.alice! + acked.bob! === total() && names.every((n) => received[n]!.length >= total()), {
  timeoutMs: 15_000,
  description: 'every message acked and delivered',
}).catch(() => say('demo', 'not everything settled within 15 s — the tally below shows what is missing'))

// ---- 3. The tally, from each receiver's point of view.
let lost = 0
let duplicated = 0
let outOfOrder = 0
for (const receiver of names) {
  for (const publisher of names) {
    const seen = received[receiver]!.filter((m) => m.from === publisher).map((m) => m.n)
    const unique = new Set(seen)
    duplicated += seen.length - unique.size
    lost += sent[publisher]! - unique.size
    outOfOrder += seen.filter((n, i) => i > 0 && n < seen[i - 1]!).length
  }
}
const delivered = Math.min(...names.map((r) => new Set(received[r]!.map((m) => `${m.from}:${m.n}`)).size))
console.log(
  `\nsent ${total()}, delivered ${delivered}, lost ${lost}, duplicated ${duplicated}, out of order ${outOfOrder}` +
    `  (each of ${names.length} members received every message; ${acked.alice! + acked.bob!} acks)`,
)
if (BROWSER_GRACE_MS > 0) {
  say('demo', `the server stays up ${BROWSER_GRACE_MS / 1000} s more for a browser — Ctrl-C to leave now`)
  await new Promise((wait) => setTimeout(wait, BROWSER_GRACE_MS))
}
await shutdown(lost === 0 && duplicated === 0 && outOfOrder === 0 ? 0 : 1)
