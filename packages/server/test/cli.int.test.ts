import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { httpGet, TestClient, upgradeStatus, within } from './helpers.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
let child: ChildProcess | undefined
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  child = undefined
})

function startCli(
  args: string[],
  env: Record<string, string> = {},
): { proc: ChildProcess; line: Promise<string>; lines: Promise<string[]>; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'packages/server/src/cli.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let out = ''
  let err = ''
  proc.stderr!.on('data', (d) => (err += d))
  const line = new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    proc.once('exit', (code) => reject(new Error(`cli exited ${code} before printing: ${err}`)))
  })
  const lines = new Promise<string[]>((resolve) => {
    proc.stdout!.on('data', () => {
      if (out.split('\n').length >= 3) resolve(out.split('\n').slice(0, 2))
    })
  })
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  return { proc, line, lines, exit }
}

describe('mooring-server CLI', () => {
  it('prints its listening line, serves --echo, and exits 0 on SIGTERM', async () => {
    const cli = startCli(['--port', '0', '--host', '127.0.0.1', '--echo'])
    child = cli.proc
    const line = await within(cli.line, 20_000, 'listening line')
    const match = /^mooring-server listening on (ws:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(line)
    expect(match).not.toBeNull()
    expect(Number(match![2])).toBeGreaterThan(0)

    const { client } = await TestClient.connect(match![1]!)
    client.send({ t: 'req', id: 1, type: 'echo', data: { hi: 1 } })
    expect(await client.next('reply')).toEqual({ t: 'reply', id: 1, data: { hi: 1 } })
    expect(await client.next('evt')).toEqual({ t: 'evt', type: 'echo', data: { hi: 1 } })

    cli.proc.kill('SIGTERM')
    expect((await client.closedWithin(5000)).code).toBe(1012)
    expect(await within(cli.exit, 10_000, 'cli exit')).toBe(0)
  })

  it('prints usage for --help', async () => {
    const cli = startCli(['--help'])
    child = cli.proc
    expect(await within(cli.line, 20_000, 'help output')).toMatch(/^Usage: mooring-server/)
    expect(await within(cli.exit, 10_000, 'cli exit')).toBe(0)
  })

  it('serves /metrics and /healthz with --metrics and prints the metrics URL on a second line', async () => {
    const cli = startCli(['--port', '0', '--host', '127.0.0.1', '--metrics'])
    child = cli.proc
    const [first, second] = await within(cli.lines, 20_000, 'two lines')
    const port = Number(/^mooring-server listening on ws:\/\/127\.0\.0\.1:(\d+)\/$/.exec(first!)![1])
    expect(second).toBe(`metrics on http://127.0.0.1:${port}/metrics`)
    expect((await httpGet(port, '/metrics')).body).toContain('mooring_connections_active 0')
    expect((await httpGet(port, '/healthz')).status).toBe(200)
  })

  it('reads --config and the MOORING_* environment, flags winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-cli-'))
    const config = join(dir, 'server.json')
    writeFileSync(config, JSON.stringify({ path: '/from-config', maxConnectionsPerIp: 1 }))
    const cli = startCli(['--config', config, '--port', '0'], { MOORING_HOST: '127.0.0.1', MOORING_ORIGINS: '*.example.com' })
    child = cli.proc
    const url = /listening on (\S+)$/.exec(await within(cli.line, 20_000, 'listening line'))![1]!
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/from-config$/)
    const status = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, ['mooring.v1'], { headers: { origin } })
        ws.once('open', () => (resolve(101), ws.terminate()))
        ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0))
        ws.once('error', () => {})
      })
    expect(await status('https://evil.com')).toBe(403)
    expect(await status('https://app.example.com')).toBe(101)
    const { client } = await TestClient.connect(url)
    expect(await upgradeStatus(url)).toBe(429) // maxConnectionsPerIp: 1 from the config file
    client.close()
  })

  it('drains on SIGTERM under load: goaway and 1012 for every client within 100 ms, 503 for new upgrades', async () => {
    const cli = startCli(['--port', '0', '--host', '127.0.0.1', '--echo', '--drain-ms', '3000'])
    child = cli.proc
    const url = /listening on (\S+)$/.exec(await within(cli.line, 20_000, 'listening line'))![1]!
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => TestClient.connect(url, { clientId: `load${i}` })))
    // Keep them busy: every client has requests in flight when the signal lands.
    let id = 0
    const load = setInterval(() => {
      for (const { client } of clients) if (client.ws.readyState === WebSocket.OPEN) client.send({ t: 'req', id: ++id, type: 'echo', data: id })
    }, 5)
    // A paused straggler holds the drain open so the 503 window can be observed.
    const straggler = await TestClient.connect(url, { clientId: 'straggler' })
    ;(straggler.client.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    await new Promise((r) => setTimeout(r, 50))
    const signalledAt = performance.now()
    cli.proc.kill('SIGTERM')
    try {
      const closes = await Promise.all(
        clients.map(async ({ client }) => {
          const goaway = await client.next('goaway', 5000)
          const close = await client.closedWithin(5000)
          return { goaway, close, ms: performance.now() - signalledAt }
        }),
      )
      for (const c of closes) {
        expect(c.goaway).toMatchObject({ t: 'goaway' })
        expect(c.close.code).toBe(1012)
      }
      const slowest = Math.max(...closes.map((c) => c.ms))
      expect(slowest).toBeLessThan(100)
      expect(await upgradeStatus(url)).toBe(503)
    } finally {
      clearInterval(load)
    }
    straggler.client.close()
    expect(await within(cli.exit, 10_000, 'cli exit')).toBe(0)
  })
})
