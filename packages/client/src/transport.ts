import IsomorphicWebSocket from 'isomorphic-ws'

/**
 * The slice of the WebSocket interface Mooring needs. The browser's WebSocket, Node's
 * `ws`, undici's and msw's interceptor all fit; `terminate`, `ping` and `on` exist only
 * on `ws` and are used when present.
 */
export interface SocketLike {
  readonly readyState: number
  readonly protocol: string
  readonly bufferedAmount: number
  binaryType: string
  send(data: string | Uint8Array): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null
  onerror: ((event: unknown) => void) | null
  terminate?(): void
  ping?(): void
  on?(event: string, listener: (...args: any[]) => void): unknown
  removeAllListeners?(event?: string): unknown
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: object) => SocketLike

export interface TransportOptions {
  url: string
  protocols: string[]
  /** Node only: extra handshake headers (e.g. `authorization`). Passed to `ws`. */
  headers?: Record<string, string> | undefined
  /** Node only: further `ws` client options (`agent`, TLS `ca`/`cert`/`rejectUnauthorized`, …). */
  wsOptions?: object | undefined
  /** An explicit constructor wins over any lookup. */
  WebSocket?: WebSocketConstructor | undefined
}

const OPEN = 1
export const NOOP = (): void => {}

/**
 * Which constructor to use, decided per attempt (not at import) so a WebSocket installed
 * later — msw's interceptor, a polyfill — is picked up: the explicit one, else the
 * global (browsers, Node ≥ 22), else `ws` through isomorphic-ws. Node-only options
 * (headers, agent) need `ws`, so they skip the global.
 */
export function resolveWebSocket(options: TransportOptions): WebSocketConstructor {
  if (options.WebSocket) return options.WebSocket
  const wantsNodeOptions = options.headers !== undefined || options.wsOptions !== undefined
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  const iso = IsomorphicWebSocket as unknown as WebSocketConstructor | null
  if (wantsNodeOptions && iso && iso !== global) return iso
  const ctor = global ?? iso
  if (!ctor) throw new TypeError('no WebSocket: pass `WebSocket` in the options')
  return ctor
}

export function openSocket(options: TransportOptions): SocketLike {
  const Ctor = resolveWebSocket(options)
  const nodeOptions = options.headers || options.wsOptions ? { ...options.wsOptions, headers: options.headers } : undefined
  const socket = nodeOptions ? new Ctor(options.url, options.protocols, nodeOptions) : new Ctor(options.url, options.protocols)
  // Binary frames arrive as ArrayBuffer on every runtime (ws defaults to Buffer); set on
  // every new socket, since the setting does not carry over between sockets.
  socket.binaryType = 'arraybuffer'
  return socket
}

/**
 * Let go of a socket without waiting for it: detach every handler, swallow late errors
 * (ws emits 'error' on an aborted handshake, and an unhandled one would crash Node), then
 * close (`ws`: terminate outright — a closing handshake would wait on a peer that may not
 * be there). Resolves at once, for callers that return it as their own completion.
 */
export function abandonSocket(socket: SocketLike, code: number, reason: string): Promise<void> {
  detach(socket)
  try {
    if (socket.terminate) socket.terminate()
    else socket.close(code, reason)
  } catch {
    // Closing an already closed or failed socket may throw on some runtimes; it is gone either way.
  }
  return Promise.resolve()
}

export function isOpen(socket: SocketLike): boolean {
  return socket.readyState === OPEN
}

/** What a Link hears from its socket. `message` gets `binary: false` for a `ws` text frame (a Buffer). */
export interface SocketListeners {
  open(): void
  message(data: unknown, binary?: boolean): void
  close(code: number, reason: unknown): void
  pong(): void
}

/**
 * Listen to a socket. `ws` (Node) gets its own emitter events: its `on*` setters wrap each
 * handler in a closure with a property bag of its own, about 0.4 KB per idle connection.
 * `pong` exists only there (browsers answer pings themselves).
 */
export function listen(socket: SocketLike, on: Partial<SocketListeners>): void {
  if (socket.on) {
    for (const [event, listener] of Object.entries(on)) socket.on(event, listener)
    socket.on('error', NOOP)
  } else {
    if (on.open) socket.onopen = on.open
    if (on.message) socket.onmessage = (event) => on.message!(event.data)
    if (on.close) socket.onclose = (event) => on.close!(event.code, event.reason)
    // A close event always follows an error event; the close carries the code.
    socket.onerror = NOOP
  }
}

/** Stop hearing a socket; an error it emits later is swallowed (an unhandled one would crash Node). */
export function detach(socket: SocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = null
  if (socket.removeAllListeners) {
    socket.removeAllListeners()
    socket.on!('error', NOOP)
  } else socket.onerror = NOOP
}
