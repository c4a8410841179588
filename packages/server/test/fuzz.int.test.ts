import { CloseCode, ErrorCode, PROTOCOL_VERSION } from '@mooring/protocol'
import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { MooringServer } from '../src/index.js'
import { sample, startServer, TestClient, waitUntil, within } from './helpers.js'

let server: MooringServer | undefined
afterEach(async () => {
  await server?.close({ drainMs: 100 })
  server = undefined
})

const TOTAL_FRAMES = 100_000
const SOCKETS = 6
const BATCH = 100
const MAX_PAYLOAD = 64 * 1024

/** Deterministic, so a failure replays. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Wire = { data: string | Buffer; binary: boolean }

function hostileFrames(rand: () => number): Array<() => Wire> {
  const int = (n: number) => Math.floor(rand() * n)
  const text = (v: unknown): Wire => ({ data: typeof v === 'string' ? v : JSON.stringify(v), binary: false })
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)))
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
  let id = 1
  return [
    () => ({ data: bytes(1 + int(64)), binary: true }), // random bytes
    () => ({ data: bytes(1 + int(64)).toString('latin1'), binary: false }), // random text
    () => text('{"t":"send","id":1,'), // truncated JSON
    () => text(['not', 'an', 'object']),
    () => text(int(2) ? null : 42),
    () => text({ t: `bogus${int(5)}`, id: id++ }), // unknown kinds
    () => text({ t: 'send', id: 'seven', type: 1, data: null }), // wrong field types
    () => text({ t: 'join', ref: -1, room: 5 }),
    () => text({ t: 'pub', id: 1e308, room: 'x', type: 't', data: 1 }), // huge numbers
    () => text(`{"t":"send","id":${'9'.repeat(400)},"type":"x","data":1}`),
    () => text({ t: 'ping', n: Number.MAX_SAFE_INTEGER + 2 }),
    () => text(`{"t":"req","id":${id++},"type":"echo","data":${deep(2000 + int(20_000))}}`), // deep nesting
    () => text({ t: 'req', id: id++, type: 'echo', data: { nested: JSON.parse(deep(50)) } }),
    () => {
      // Binary frame whose header length lies about the header.
      const b = Buffer.alloc(16)
      b.writeUInt32BE(int(2) ? 0xffffffff : 9)
      b.write('{"t":"send"', 4)
      return { data: b, binary: true }
    },
    () => {
      const header = Buffer.from(JSON.stringify({ t: 'req', id: id++, type: 'echo' }))
      const b = Buffer.alloc(4 + header.length + 8)
      b.writeUInt32BE(header.length)
      header.copy(b, 4)
      return { data: b, binary: true } // a well-formed binary frame
    },
    () => text({ t: 'send', id: id++, type: `unknown.${int(3)}`, data: {} }), // NOT_FOUND
    () => text({ t: 'pub', id: id++, room: `r${int(3)}`, type: 'x', data: int(100) }), // NOT_JOINED or published
    () => text({ t: 'join', ref: id++, room: `r${int(3)}` }),
    () => text({ t: 'leave', ref: id++, room: `r${int(3)}` }),
    () => text({ t: 'hello', v: PROTOCOL_VERSION, clientId: 'again' }),
    () => text({ t: 'hello', v: 99, clientId: 'future' }),
    () => text({ t: 'req', id: id++, type: 'echo', data: 'x'.repeat(int(10) === 0 ? MAX_PAYLOAD + 10 : 100) }), // sometimes too big
  ]
}

const DOCUMENTED_CLOSES = new Set<number>([CloseCode.POLICY, CloseCode.TOO_BIG, CloseCode.TRY_AGAIN, CloseCode.PROTOCOL, CloseCode.UNAUTHORIZED])
const ERROR_CODES = new Set<string>(Object.values(ErrorCode))

describe('hostile input', () => {
  it('survives 100,000 hostile frames on a handful of sockets while a calm room member gets every message in order', async () => {
    let url: string
    ;({ server, url } = await startServer({ rateLimit: false, maxPayloadBytes: MAX_PAYLOAD, authTimeoutMs: 2000 }))
    server.handle('echo', (_ctx, data) => data)
    const crashes: unknown[] = []
    server.on('error', (err) => crashes.push(err))

    const { client: calm } = await TestClient.connect(url, { clientId: 'calm' })
    calm.send({ t: 'join', ref: 1, room: 'calm' })
    await calm.next('joined')
    let published = 0
    const publisher = setInterval(() => server!.to('calm').publish('tick', { i: published++ }), 5)

    const rand = prng(0xc0ffee)
    const gens = hostileFrames(rand)
    const closes = new Map<number, number>()
    const errors = new Map<string, number>()
    let sent = 0
    let connections = 0
    let unexpectedServerFrames = 0

    /** One hostile socket: open (with or without hello), spray a batch, fence it with a ping, repeat; reopen when closed. */
    async function fuzzer(index: number): Promise<void> {
      let n = 0
      while (sent < TOTAL_FRAMES) {
        const ws = new WebSocket(url, ['mooring.v1'])
        connections++
        let open = true
        const closed = new Promise<void>((resolve) =>
          ws.once('close', (code) => {
            open = false
            closes.set(code, (closes.get(code) ?? 0) + 1)
            resolve()
          }),
        )
        ws.on('error', () => {})
        let pong: (() => void) | undefined
        ws.on('message', (raw, isBinary) => {
          if (isBinary) return
          let f: { t?: string; code?: string }
          try {
            f = JSON.parse(raw.toString())
          } catch {
            unexpectedServerFrames++
            return
          }
          if (f.t === 'error') errors.set(f.code!, (errors.get(f.code!) ?? 0) + 1)
          if (f.t === 'pong') pong?.()
        })
        await within(new Promise((r) => ws.once('open', r)), 5000, 'fuzzer open')
        // Most sockets authenticate first; some spray before hello.
        if (rand() < 0.8) ws.send(JSON.stringify({ t: 'hello', v: PROTOCOL_VERSION, clientId: `fuzz${index}` }))
        while (open && sent < TOTAL_FRAMES) {
          for (let i = 0; i < BATCH && open && sent < TOTAL_FRAMES; i++) {
            const frame = gens[Math.floor(rand() * gens.length)]!()
            ws.send(frame.data, { binary: frame.binary })
            sent++
          }
          const fenced = new Promise<void>((resolve) => (pong = resolve))
          ws.send(JSON.stringify({ t: 'ping', n: ++n }))
          await within(Promise.race([fenced, closed]), 10_000, 'batch fence')
        }
        ws.terminate()
        await closed
      }
    }

    const started = Date.now()
    try {
      await Promise.all(Array.from({ length: SOCKETS }, (_, i) => fuzzer(i)))
    } finally {
      clearInterval(publisher)
    }
    const elapsed = Date.now() - started

    // The calm member saw every message, in order, and was never disturbed.
    await waitUntil(() => calm.frames.filter((f) => f.t === 'msg').length === published, 10_000, 'every calm message')
    const msgs = calm.frames.filter((f) => f.t === 'msg') as Array<{ seq: number; data: { i: number } }>
    expect(msgs.map((m) => m.data.i)).toEqual(Array.from({ length: published }, (_, i) => i))
    expect(msgs.map((m) => m.seq)).toEqual(Array.from({ length: published }, (_, i) => i + 1))
    expect(calm.ws.readyState).toBe(WebSocket.OPEN)

    // Every offender heard why: a typed error code, or a documented close code (1005/1006 only from our own terminate()).
    for (const code of errors.keys()) expect(ERROR_CODES.has(code)).toBe(true)
    const serverCloses = [...closes.entries()].filter(([code]) => code !== 1005 && code !== 1006)
    for (const [code] of serverCloses) expect(DOCUMENTED_CLOSES.has(code)).toBe(true)
    expect(unexpectedServerFrames).toBe(0)
    expect(crashes).toEqual([])

    // Still serving.
    const { client: after } = await TestClient.connect(url, { clientId: 'after' })
    after.send({ t: 'req', id: 1, type: 'echo', data: 'still here' })
    expect(await after.next('reply')).toMatchObject({ data: 'still here' })
    after.close()

    const text = await server.metrics()
    const summary = {
      frames: sent,
      connections,
      elapsedMs: elapsed,
      calmMessages: published,
      closes: Object.fromEntries(closes),
      errors: Object.fromEntries(errors),
      serverInvalidFrames: sample(text, 'mooring_messages_in_total', { kind: 'invalid' }),
    }
    console.log(`fuzz summary ${JSON.stringify(summary)}`)
    expect(sent).toBe(TOTAL_FRAMES)
    expect(serverCloses.length).toBeGreaterThan(0)
    expect(errors.get('PROTOCOL') ?? 0).toBeGreaterThan(0)
    calm.close()
  }, 90_000)
})
