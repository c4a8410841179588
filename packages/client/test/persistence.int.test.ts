import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createServer } from '@mooring/server'
import { FaultProxy, waitUntil } from '@mooring/testing'

const FIXTURE = fileURLToPath(new URL('./fixtures/outbox-child.ts', import.meta.url))
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

interface Child {
  process: ChildProcess
  lines: string[]
  exited: Promise<number | null>
  output(): string
}

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

/** Run the outbox fixture as a separate Node process, the way an app would run. */
function run(...args: string[]): Child {
  const child = spawn(process.execPath, ['--import', TSX, '--conditions=source', FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const lines: string[] = []
  let text = ''
  let partial = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { process: child, lines, exited, output: () => text }
}

async function line(child: Child, prefix: string, timeoutMs = 15_000): Promise<string[]> {
  const found = await waitUntil(() => child.lines.find((l) => l.startsWith(prefix)), {
    timeoutMs,
    description: `"${prefix}" from the child; output so far:\n${child.output()}`,
  })
  return found.split(' ').slice(1)
}

/**
 * A server that records each `record` send twice: as it arrives (middleware, so resends
 * count) and as its handler runs (once per message, thanks to dedupe).
 */
async function recordingServer(onRecord?: (i: number) => void) {
  const server = createServer({ port: 0, host: '127.0.0.1' })
  const { port, url } = await server.ready()
  const handled: Array<{ clientId: string; i: number }> = []
  const arrivals: number[] = []
  server.use(async (ctx, frame, next) => {
    if (ctx.kind === 'send') arrivals.push((frame as { data: { i: number } }).data.i)
    await next()
  })
  server.handle('record', (ctx, data: { i: number }) => {
    handled.push({ clientId: ctx.session.clientId, i: data.i })
    onRecord?.(data.i)
  })
  return { port, url, handled, arrivals, [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() }
}

describe('outbox persistence in Node (fileStorage)', () => {
  it('50 messages queued by a process that is SIGKILLed reach the server exactly once from the next process, and never again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mooring-outbox-'))
    const storage = join(dir, 'outbox.json')
    try {
      await using recording = await recordingServer()
      const { port, url, handled, arrivals } = recording
      // Unreachable: every connection attempt is refused.
      await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
      proxy.refuse()

      const first = run('queue', proxy.url(), storage, '50')
      const [clientId, queued] = await line(first, 'persisted')
      expect(queued).toBe('50')
      first.process.kill('SIGKILL')
      await first.exited
      expect(handled).toEqual([])
      const stored = JSON.parse(await readFile(storage, 'utf8')) as { clientId: string; messages: unknown[] }
      expect(stored.clientId).toBe(clientId)
      expect(stored.messages).toHaveLength(50)

      const second = run('deliver', url, storage)
      expect(await line(second, 'delivered')).toEqual([clientId, '50'])
      expect(await second.exited).toBe(0)
      expect(handled.map((h) => h.i)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      expect(new Set(handled.map((h) => h.clientId))).toEqual(new Set([clientId]))

      // A repeated restart finds nothing left to send.
      const third = run('deliver', url, storage)
      expect(await line(third, 'delivered')).toEqual([clientId, '0'])
      expect(await third.exited).toBe(0)
      expect(handled).toHaveLength(50)
      expect(arrivals).toHaveLength(50)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a process killed mid-delivery leaves acked-but-unsaved messages; the next one resends them and the server dedupes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mooring-outbox-'))
    const storage = join(dir, 'outbox.json')
    try {
      let victim: Child | undefined
      // Kill the delivering process while its acks are in flight: it cannot have saved them all.
      await using recording = await recordingServer((i) => i === 25 && victim?.process.kill('SIGKILL'))
      const { port, url, handled, arrivals } = recording
      await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } })
      proxy.refuse()
      const first = run('queue', proxy.url(), storage, '50')
      const [clientId] = await line(first, 'persisted')
      first.process.kill('SIGKILL')
      await first.exited

      victim = run('deliver', url, storage)
      await victim.exited
      expect(victim.lines.some((l) => l.startsWith('delivered'))).toBe(false)
      const stored = JSON.parse(await readFile(storage, 'utf8')) as { messages: Array<{ data: { i: number } }> }
      const left = stored.messages.length
      victim = undefined

      const last = run('deliver', url, storage)
      expect(await line(last, 'delivered')).toEqual([clientId, String(left)])
      expect(await last.exited).toBe(0)
      const resent = arrivals.length - 50
      console.log(`killed mid-delivery: ${left} stored after the kill, ${resent} resends the server deduped`)
      expect(left).toBeGreaterThan(0)
      expect(handled.map((h) => h.i)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      expect(new Set(handled.map((h) => h.clientId))).toEqual(new Set([clientId]))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
