// Reconnect storm: N Node clients on one server; the server is drained (SIGTERM → goaway +
// 1012) and restarted on the same port. Prints when the clients came back, as a histogram
// of 100 ms windows, and whether the spread meets the bar: no window holds more than 5 %
// of the clients, and all are back within maxDelayMs + 5 s.
//
//   node --import tsx --conditions=source bench/storm.ts        (STORM_CLIENTS=1000 by default)
import { createClient, reconnectDefaults, type MooringClient } from '@mooring/client'
import { ServerProcess, waitUntil } from '@mooring/testing'

const CLIENTS = Number(process.env.STORM_CLIENTS ?? 1000)
const WINDOW_MS = 100
const LIMIT_SHARE = 0.05
const RETRY_AFTER_MS = 1000

const server = await ServerProcess.start({ args: ['--heartbeat-interval-ms', '10000', '--drain-ms', '3000'] })
const clients: MooringClient[] = []
const backAt = new Map<MooringClient, number>()
let drainedAt = 0

for (let i = 0; i < CLIENTS; i++) {
  const client = createClient({ url: server.url })
  client.on('ready', () => {
    if (drainedAt) backAt.set(client, performance.now() - drainedAt)
  })
  clients.push(client)
}
await waitUntil(() => clients.every((c) => c.ready), { timeoutMs: 60_000, description: `${CLIENTS} clients connected` })
console.log(`storm: ${CLIENTS} clients connected to ${server.url}`)

drainedAt = performance.now()
await server.stop() // SIGTERM: goaway {retryAfterMs} then 1012 to every socket
const downMs = performance.now() - drainedAt
await server.restart()
const upMs = performance.now() - drainedAt
console.log(`storm: server drained in ${downMs.toFixed(0)} ms, back ${upMs.toFixed(0)} ms after the drain began`)

const capMs = reconnectDefaults.maxDelayMs + 5000
await waitUntil(() => backAt.size === CLIENTS, { timeoutMs: capMs + 5000, description: 'every client back' }).catch(() => {})

const times = [...backAt.values()].sort((a, b) => a - b)
const windows = new Map<number, number>()
for (const t of times) windows.set(Math.floor(t / WINDOW_MS), (windows.get(Math.floor(t / WINDOW_MS)) ?? 0) + 1)
const peak = Math.max(...windows.values())
const lastMs = times.at(-1) ?? Infinity

// A compact histogram: one row per 500 ms, the bar scaled to the busiest 100 ms window within it.
console.log('\nms since drain   clients back (per 500 ms; # = 1 % of clients)')
for (let from = 0; from <= lastMs; from += 500) {
  const inRow = times.filter((t) => t >= from && t < from + 500).length
  if (inRow === 0) continue
  console.log(`${String(from).padStart(6)}–${String(from + 500).padEnd(6)} ${String(inRow).padStart(5)} ${'#'.repeat(Math.round((inRow / CLIENTS) * 100))}`)
}
const peakShare = peak / CLIENTS
console.log(
  `\nstorm: ${backAt.size}/${CLIENTS} back; busiest ${WINDOW_MS} ms window held ${peak} (${(peakShare * 100).toFixed(1)} %, bar ${LIMIT_SHARE * 100} %);` +
    ` last back after ${lastMs.toFixed(0)} ms (bar ${capMs} ms); retryAfterMs ${RETRY_AFTER_MS}, spread ${reconnectDefaults.restartSpreadMs} ms`,
)
const pass = backAt.size === CLIENTS && peakShare <= LIMIT_SHARE && lastMs <= capMs
console.log(`storm: ${pass ? 'PASS' : 'FAIL'}`)

await Promise.all(clients.map((c) => c.close()))
await server.stop()
process.exit(pass ? 0 : 1)
