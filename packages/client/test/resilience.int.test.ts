import { describe, expect, it } from 'vitest'
import { createServer } from '@mooring/server'
import { FaultProxy, ServerProcess, waitForEvent, waitUntil } from '@mooring/testing'
import { createClient, type StateChange } from '../src/index.js'
import { seeded } from './fake-socket.js'

const fast = { intervalMs: 400, timeoutMs: 300 }

function record(client: { on(e: 'state', f: (s: StateChange) => void): unknown }) {
  const states: Array<StateChange & { at: number }> = []
  client.on('state', (s) => states.push({ ...s, at: performance.now() }))
  return states
}

describe('resilience over real sockets', () => {
  it('detects a half-open link within interval + timeout + 0.5 s and reconnects without waiting for onclose', async () => {
    await using server = createServer({ port: 0, host: '127.0.0.1', heartbeat: fast })
    const { port } = await server.ready()
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    // Attempts made while blackholed stall: a short connect timeout moves past them after heal().
    await using client = createClient({ url: proxy.url(), connectTimeoutMs: 1000, reconnect: { minDelayMs: 50, maxDelayMs: 200 } })
    const states = record(client)
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    proxy.blackhole()
    const silentAt = performance.now()
    await waitUntil(() => states.find((s) => s.reason === 'heartbeat-timeout'), { timeoutMs: 5000 })
    const detectedMs = states.find((s) => s.reason === 'heartbeat-timeout')!.at - silentAt
    expect(detectedMs).toBeLessThanOrEqual(fast.intervalMs + fast.timeoutMs + 500)
    console.log(`half-open detected after ${detectedMs.toFixed(0)} ms (budget ${fast.intervalMs + fast.timeoutMs} ms + 500)`)
    // The next attempt starts while the dead socket never closed.
    await waitUntil(() => states.some((s) => s.state === 'connecting' && s.reason === 'retry'), {
      timeoutMs: 2000,
      description: `a new attempt; states were ${JSON.stringify(states)}`,
    })
    proxy.heal()
    await waitUntil(() => client.ready, { timeoutMs: 5000 })
  })

  it('crash: a SIGKILLed server restarted after 2 s has the client open again within one backoff step', async () => {
    await using server = await ServerProcess.start({ args: ['--heartbeat-interval-ms', '1000'] })
    const maxDelayMs = 1000
    await using client = createClient({ url: server.url, reconnect: { minDelayMs: 100, maxDelayMs } })
    const states = record(client)
    await waitForEvent(client, 'ready', { timeoutMs: 10_000 })
    await server.kill('SIGKILL')
    await waitUntil(() => client.getState().status === 'reconnecting', { timeoutMs: 5000 })
    const killedAt = performance.now()
    await new Promise((resolve) => setTimeout(resolve, 2000)) // the outage itself, not a wait-and-see
    await server.restart()
    const readyAt = performance.now()
    await waitUntil(() => client.getState().status === 'open', { timeoutMs: maxDelayMs + 5000 })
    const back = states.findLast((s) => s.state === 'open')!.at - readyAt
    console.log(`crash: down ${(readyAt - killedAt).toFixed(0)} ms, client open ${back.toFixed(0)} ms after the server was ready`)
    expect(back).toBeLessThanOrEqual(maxDelayMs + 300)
  })

  it('a stalled handshake fails after connectTimeoutMs ±10 % and the next attempt is scheduled', async () => {
    await using server = createServer({ port: 0, host: '127.0.0.1' })
    const { port } = await server.ready()
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    proxy.stallHandshake()
    const started = performance.now()
    await using client = createClient({ url: proxy.url(), connectTimeoutMs: 2000 })
    const states = record(client)
    await waitUntil(() => states.find((s) => s.reason === 'connect-timeout'), { timeoutMs: 5000 })
    const took = states.find((s) => s.reason === 'connect-timeout')!.at - started
    expect(took).toBeGreaterThanOrEqual(1800)
    expect(took).toBeLessThanOrEqual(2200)
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 1 })
    expect(states.at(-1)!.nextDelayMs).toBeGreaterThanOrEqual(0)
  })

  it('token expiry: 4401 at expiry asks the provider again, once per attempt, with no unhandled rejection', async () => {
    const issued: number[] = []
    await using server = createServer({
      port: 0,
      host: '127.0.0.1',
      authenticate: ({ token }) => {
        const expiresAt = Number(String(token).split(':')[1])
        if (!(expiresAt > Date.now())) throw Object.assign(new Error('expired'), { code: 'UNAUTHORIZED' })
        return { user: 'u', expiresAt }
      },
    })
    const { url } = await server.ready()
    let calls = 0
    await using client = createClient({
      url,
      reconnect: { minDelayMs: 50, maxDelayMs: 200 },
      auth: () => {
        calls++
        if (calls === 2 || calls === 4) throw new Error('token service hiccup')
        const expiresAt = Date.now() + 3000
        issued.push(expiresAt)
        return `token:${expiresAt}`
      },
    })
    const states = record(client)
    const attempts = () => states.filter((s) => s.state === 'connecting').length
    await waitUntil(() => calls >= 5 && client.ready, { timeoutMs: 20_000 })
    expect(calls).toBe(attempts())
    expect(states.filter((s) => s.code === 4401).length).toBeGreaterThanOrEqual(2)
    expect(states.filter((s) => s.reason === 'auth' && s.state === 'reconnecting').length).toBe(2)
  })

  it('a draining server spreads its clients back out after goaway', async () => {
    const server = createServer({ port: 0, host: '127.0.0.1' })
    const { port } = await server.ready()
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    await using client = createClient({ url: proxy.url(), reconnect: { restartSpreadMs: 500 } })
    const states = record(client)
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    await server.close({ drainMs: 1000, retryAfterMs: 300 })
    const lost = await waitUntil(() => states.find((s) => s.prev === 'open'), { timeoutMs: 5000 })
    expect(lost).toMatchObject({ state: 'reconnecting', code: 1012 })
    expect(lost.nextDelayMs).toBeGreaterThanOrEqual(300)
    expect(lost.nextDelayMs).toBeLessThanOrEqual(800)
    await using next = createServer({ port: 0, host: '127.0.0.1' })
    proxy.setTarget({ host: '127.0.0.1', port: (await next.ready()).port })
    await waitUntil(() => client.ready, { timeoutMs: 5000 })
  })

  it('never gives the server two concurrent sockets for one client under random operations', async () => {
    let live = 0
    let maxLive = 0
    await using server = createServer({ port: 0, host: '127.0.0.1' })
    server.on('connection', () => (maxLive = Math.max(maxLive, ++live)))
    server.on('disconnect', () => live--)
    const { port } = await server.ready()
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
    await using client = createClient({ url: proxy.url(), reconnect: { minDelayMs: 1, maxDelayMs: 20 } })
    const random = seeded(99)
    for (let i = 0; i < 300; i++) {
      const op = Math.floor(random() * 5)
      if (op === 0) client.reconnect()
      else if (op === 1) proxy.dropAll()
      else if (op === 2) void client.close()
      else if (op === 3) client.connect()
      else await new Promise((resolve) => setTimeout(resolve, random() * 10))
    }
    client.connect()
    await waitUntil(() => client.ready, { timeoutMs: 5000 })
    await waitUntil(() => live === 1, { timeoutMs: 5000 })
    expect(maxLive).toBe(1)
  })
})
