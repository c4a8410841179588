import { decodeClientFrame, encode, type ClientFrame, type ServerFrame } from '@mooring/protocol'
import type { SocketLike, WebSocketConstructor } from '../src/index.js'

/**
 * An in-memory WebSocket and the "server" behind it, for unit tests under fake time.
 * Everything is asynchronous through `setTimeout(0)` like a real socket, so fake timers
 * drive it. Integration tests use real sockets instead.
 */
export interface FakeServerOptions {
  /** Answer `hello` with `welcome` automatically. @default true */
  autoWelcome?: boolean
  /** Accept the TCP/upgrade stage automatically. @default true */
  autoOpen?: boolean
  heartbeat?: { intervalMs: number; timeoutMs: number }
  /** Raw mode: frames are not the Mooring protocol; record them as they are. @default false */
  raw?: boolean
  /** Ack every `send` and `pub` as the real server would. @default false */
  autoAck?: boolean
}

export class FakeSocket implements SocketLike {
  readyState = 0
  protocol = ''
  bufferedAmount = 0
  binaryType = 'blob'
  onopen: SocketLike['onopen'] = null
  onmessage: SocketLike['onmessage'] = null
  onclose: SocketLike['onclose'] = null
  onerror: SocketLike['onerror'] = null
  /** Frames the client wrote, decoded. */
  readonly received: ClientFrame[] = []
  /** Raw mode: frames the client wrote, as written. */
  readonly rawReceived: Array<string | Uint8Array> = []
  /** When true the "network" swallows everything both ways (half-open). */
  blackholed = false
  closedBy: { code?: number; reason?: string } | undefined

  constructor(
    readonly server: FakeServer,
    readonly url: string,
    readonly protocols: string[],
  ) {}

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open')
    if (this.blackholed) return
    if (this.server.options.raw) {
      this.rawReceived.push(data)
      this.server.onRaw?.(this, data)
      return
    }
    const decoded = decodeClientFrame(data)
    if (!decoded.ok) throw new Error(`client sent an invalid frame: ${decoded.message}`)
    this.received.push(decoded.frame)
    this.server.onFrame(this, decoded.frame)
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return
    this.closedBy = { code, reason }
    this.readyState = 2
    setTimeout(() => this.#finish(code ?? 1005, reason ?? ''), 0)
  }

  terminate(): void {
    this.closedBy ??= { code: 1006, reason: 'terminated' }
    this.readyState = 3
  }

  // ---- server-side controls
  accept(): void {
    if (this.readyState !== 0) return
    this.readyState = 1
    this.protocol = this.protocols[0] ?? ''
    this.onopen?.({})
  }

  push(frame: ServerFrame): void {
    if (this.readyState !== 1 || this.blackholed) return
    this.onmessage?.({ data: encode(frame) })
  }

  pushRaw(data: unknown): void {
    if (this.readyState === 1 && !this.blackholed) this.onmessage?.({ data })
  }

  /** The server closes the connection with `code`. */
  drop(code = 1006, reason = ''): void {
    if (this.readyState === 3) return
    this.readyState = 3
    setTimeout(() => this.onclose?.({ code, reason }), 0)
  }

  #finish(code: number, reason: string): void {
    if (this.readyState === 3) return
    this.readyState = 3
    this.onclose?.({ code, reason })
  }

  get live(): boolean {
    return this.readyState === 0 || this.readyState === 1
  }
}

export class FakeServer {
  readonly sockets: FakeSocket[] = []
  options: Required<FakeServerOptions>
  #sessions = 0
  /** Most sockets ever live at the same moment. */
  maxConcurrent = 0
  onHello: ((socket: FakeSocket, frame: ClientFrame & { t: 'hello' }) => boolean | void) | undefined
  /** Raw mode: called for every frame the client writes. */
  onRaw: ((socket: FakeSocket, data: string | Uint8Array) => void) | undefined

  constructor(options: FakeServerOptions = {}) {
    this.options = { autoWelcome: true, autoOpen: true, heartbeat: { intervalMs: 25_000, timeoutMs: 10_000 }, raw: false, autoAck: false, ...options }
  }

  get WebSocket(): WebSocketConstructor {
    const server = this
    return class extends FakeSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(server, url, typeof protocols === 'string' ? [protocols] : (protocols ?? []))
        server.sockets.push(this)
        server.maxConcurrent = Math.max(server.maxConcurrent, server.live.length)
        if (server.options.autoOpen) setTimeout(() => this.accept(), 0)
      }
    } as unknown as WebSocketConstructor
  }

  get live(): FakeSocket[] {
    return this.sockets.filter((s) => s.live)
  }

  get last(): FakeSocket {
    const socket = this.sockets.at(-1)
    if (!socket) throw new Error('no socket was opened')
    return socket
  }

  onFrame(socket: FakeSocket, frame: ClientFrame): void {
    if (frame.t === 'hello') {
      if (this.onHello?.(socket, frame) === false) return
      if (this.options.autoWelcome)
        setTimeout(
          () =>
            socket.push({
              t: 'welcome',
              v: 1,
              sessionId: frame.resume ?? `s${++this.#sessions}`,
              resumed: frame.resume !== undefined,
              heartbeat: this.options.heartbeat,
              limits: { maxPayloadBytes: 1 << 20 },
            }),
          0,
        )
    } else if (frame.t === 'ping') {
      setTimeout(() => socket.push({ t: 'pong', n: frame.n }), 0)
    } else if ((frame.t === 'send' || frame.t === 'pub') && this.options.autoAck) {
      setTimeout(() => socket.push({ t: 'ack', id: frame.id }), 0)
    }
  }
}

/** A seeded PRNG (mulberry32) so random-looking tests replay exactly. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
