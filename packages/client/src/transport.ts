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

/*
 * This file is what browsers get for `#transport` (package.json `imports`); Node gets
 * transport.node.ts, which builds on it with `ws`. A browser bundle so never carries
 * isomorphic-ws, socket corking or `ws` event wiring.
 */

/** The explicit constructor, else the global one (browsers, Deno, Node ≥ 22). */
export function openSocket(options: TransportOptions): SocketLike {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (!Ctor) throw new TypeError('no WebSocket: pass `WebSocket` in the options')
  return prepared(new Ctor(options.url, options.protocols))
}

/**
 * Binary frames arrive as ArrayBuffer on every runtime (ws defaults to Buffer); set on
 * every new socket, since the setting does not carry over between sockets.
 */
export function prepared(socket: SocketLike): SocketLike {
  socket.binaryType = 'arraybuffer'
  return socket
}

/** Write a frame to an open socket. */
export function write(socket: SocketLike, wire: string | Uint8Array): void {
  socket.send(wire)
}

/**
 * Let go of a socket without waiting for it: detach every handler, swallow late errors,
 * then close (`ws`: terminate outright — a closing handshake would wait on a peer that may
 * not be there). Resolves at once, for callers that return it as their own completion.
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
  /** `ws` only: browsers answer pings themselves and never say so. */
  pong(): void
}

export function listen(socket: SocketLike, on: Partial<SocketListeners>): void {
  if (on.open) socket.onopen = on.open
  if (on.message) socket.onmessage = (event) => on.message!(event.data)
  if (on.close) socket.onclose = (event) => on.close!(event.code, event.reason)
  // A close event always follows an error event; the close carries the code.
  socket.onerror = NOOP
}

/** Stop hearing a socket; an error it reports later is swallowed. */
export function detach(socket: SocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = null
  socket.onerror = NOOP
}
