import { decodeServerFrame, encode, PROTOCOL_VERSION, toWire, type ClientFrame, type ServerFrame } from '@mooring/protocol'
import { afterEach } from 'vitest'
import WebSocket from 'ws'
import { createServer, type MooringServer, type ServerOptions } from '../src/index.js'

// Every server and TestClient a test opens through these helpers is closed after it:
// clients first, then the servers with a short drain.
const openClients = new Set<TestClient>()
const openServers = new Set<MooringServer>()
afterEach(async () => {
  for (const client of openClients) client.close()
  openClients.clear()
  const servers = [...openServers]
  openServers.clear()
  await Promise.all(servers.map((server) => server.close({ drainMs: 100 })))
})

/** Close `server` after the test, like the ones `startServer` makes (for servers made with `createServer`). */
export function closeAfterTest<S extends MooringServer>(server: S): S {
  openServers.add(server)
  return server
}

export async function startServer(options: ServerOptions = {}): Promise<{ server: MooringServer; url: string }> {
  const server = closeAfterTest(createServer({ host: '127.0.0.1', port: 0, ...options }))
  const { url } = await server.ready()
  return { server, url }
}

type Pred = (f: ServerFrame) => boolean

/** A raw protocol client: every inbound frame is queued; `next` takes the first match within a deadline. */
export class TestClient {
  readonly frames: ServerFrame[] = []
  private waiters: Array<{ pred: Pred; resolve: (f: ServerFrame) => void }> = []
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw, isBinary) => {
      const wire = isBinary ? toWire(raw)! : raw.toString()
      const decoded = decodeServerFrame(wire)
      if (!decoded.ok) throw new Error(`bad server frame: ${decoded.message}`)
      // A coalesced `ack {id, ids}` is, to a test, one ack per id.
      const frames: ServerFrame[] =
        decoded.frame.t === 'ack' ? [decoded.frame.id, ...(decoded.frame.ids ?? [])].map((id) => ({ t: 'ack', id })) : [decoded.frame]
      for (const frame of frames) {
        const i = this.waiters.findIndex((w) => w.pred(frame))
        if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame)
        else this.frames.push(frame)
      }
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  static open(url: string, protocols: string[] = ['mooring.v1'], options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, protocols, options)
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        const client = new TestClient(ws)
        openClients.add(client)
        resolve(client)
      })
      ws.once('error', reject)
    })
  }

  /** Open and authenticate; resolves with the client and its welcome. */
  static async connect(url: string, hello: Partial<Extract<ClientFrame, { t: 'hello' }>> = {}) {
    const client = await TestClient.open(url)
    client.send({ t: 'hello', v: PROTOCOL_VERSION, clientId: 'test-client', ...hello })
    const welcome = await client.next('welcome')
    return { client, welcome: welcome as Extract<ServerFrame, { t: 'welcome' }> }
  }

  send(frame: ClientFrame | Record<string, unknown>): void {
    this.ws.send(encode(frame as ClientFrame))
  }

  next<T extends ServerFrame['t']>(t: T | Pred, timeoutMs = 3000): Promise<Extract<ServerFrame, { t: T }>> {
    const pred: Pred = typeof t === 'function' ? t : (f) => f.t === t
    const i = this.frames.findIndex(pred)
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0] as Extract<ServerFrame, { t: T }>)
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: (f: ServerFrame) => (clearTimeout(timer), resolve(f as Extract<ServerFrame, { t: T }>)) }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new Error(`no ${typeof t === 'string' ? t : 'matching'} frame within ${timeoutMs}ms; got ${JSON.stringify(this.frames)}`))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  closedWithin(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    return within(this.closed, timeoutMs, 'socket close')
  }

  close(): void {
    this.ws.terminate()
  }
}

export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs}ms`)), timeoutMs)
    }),
  ])
}

/** Resolve with the HTTP status of a refused upgrade (or 101 when it was accepted). */
export function upgradeStatus(url: string, timeoutMs = 3000): Promise<number> {
  const ws = new WebSocket(url, ['mooring.v1'])
  return within(
    new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        ws.terminate()
      })
      ws.once('open', () => {
        resolve(101)
        ws.terminate()
      })
      ws.once('error', () => {})
    }),
    timeoutMs,
    'upgrade answer',
  )
}

/** Poll `check` until it holds; reject after `timeoutMs` with `what` in the message. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs}ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Value of one sample in Prometheus text (`name{a="b"} 3`); 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',')
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const got = (m[2] ?? '').split(',').filter(Boolean).sort().join(',')
    if (got === want) return Number(m[3])
  }
  return 0
}

/** GET a path on 127.0.0.1:port; resolves status, content type and body. */
export async function httpGet(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}
