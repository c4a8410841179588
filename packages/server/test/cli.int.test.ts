import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { TestClient, within } from './helpers.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
let child: ChildProcess | undefined
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  child = undefined
})

function startCli(args: string[]): { proc: ChildProcess; line: Promise<string>; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'packages/server/src/cli.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
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
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  return { proc, line, exit }
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
})
