// Playwright fixtures: one e2e server process per worker (e2e/server.ts under tsx), torn down
// when the worker ends. Tests get its base URL and never a fixed port.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test as base, expect } from '@playwright/test'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SERVER_ENTRY = join(ROOT, 'e2e/server.ts')
const START_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000
const LISTENING = /listening on (http:\/\/\S+)/

/** Files the pages load; without them every test would fail with a confusing 404. */
const REQUIRED_BUILD = ['packages/client/dist/mooring.min.js', 'packages/client/dist/index.js', 'packages/protocol/dist/index.js']

export interface E2EServer {
  /** e.g. http://127.0.0.1:PORT, serving the pages in e2e/pages and /client/*, /protocol/*. */
  url: string
  /** The Mooring server on the same origin, e.g. ws://127.0.0.1:PORT/ws. */
  wsUrl: string
}

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const missing = REQUIRED_BUILD.filter((file) => !existsSync(join(ROOT, file)))
  if (missing.length > 0) {
    return Promise.reject(new Error(`e2e needs the build (run \`pnpm build\` first); missing: ${missing.join(', ')}`))
  }
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli')
  const child = spawn(process.execPath, [tsxCli, '--conditions=source', SERVER_ENTRY], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so teardown can take tsx and the server process it starts together.
    detached: true,
  })
  let output = ''
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      stopServer(child)
      fail(new Error(`e2e server did not report its URL within ${START_TIMEOUT_MS} ms:\n${output}`))
    }, START_TIMEOUT_MS)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = LISTENING.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        done({ child, url: match[1] })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      // Keep server errors visible in the test log after startup too.
      process.stderr.write(`[e2e server] ${chunk.toString()}`)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      fail(new Error(`e2e server exited (${code ?? signal}) before listening:\n${output}`))
    })
  })
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  child.kill('SIGTERM')
  const timer = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), STOP_TIMEOUT_MS).unref())
  if ((await Promise.race([exited, timer])) === 'timeout' && child.pid) {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
    await exited
  }
}

export const test = base.extend<{}, { e2eServer: E2EServer }>({
  e2eServer: [
    async ({}, use) => {
      const { child, url } = await startServer()
      try {
        await use({ url, wsUrl: `${url.replace(/^http/, 'ws')}/ws` })
      } finally {
        await stopServer(child)
      }
    },
    { scope: 'worker', timeout: START_TIMEOUT_MS + STOP_TIMEOUT_MS + 5_000 },
  ],
})

export { expect }
