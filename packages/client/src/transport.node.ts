import IsomorphicWebSocket from 'isomorphic-ws'
import * as web from './transport.js'
import type { SocketLike, SocketListeners, TransportOptions, WebSocketConstructor } from './transport.js'

// Node's `#transport` (package.json `imports`): the browser transport plus what only `ws`
// has — handshake headers and client options, emitter events, TCP corking.
export { isOpen, NOOP } from './transport.js'

/**
 * Which constructor to use, decided per attempt (not at import) so a WebSocket installed
 * later — msw's interceptor, a polyfill — is picked up: the explicit one, else the global
 * (Node ≥ 22), else `ws` through isomorphic-ws. Headers and `ws` options need `ws`, so they
 * skip the global.
 */
function resolveWebSocket(options: TransportOptions): WebSocketConstructor {
  if (options.WebSocket) return options.WebSocket
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  const ws = IsomorphicWebSocket as unknown as WebSocketConstructor
  return options.headers !== undefined || options.wsOptions !== undefined ? ws : (global ?? ws)
}

export function openSocket(options: TransportOptions): SocketLike {
  const Ctor = resolveWebSocket(options)
  const { headers, wsOptions } = options
  const nodeOptions = headers || wsOptions ? { ...wsOptions, headers } : undefined
  return web.prepared(nodeOptions ? new Ctor(options.url, options.protocols, nodeOptions) : new Ctor(options.url, options.protocols))
}

/**
 * `ws` writes every frame with its own syscall; corking its TCP socket until the end of
 * the tick sends a burst of frames in one writev (browsers batch on their own).
 */
export function write(socket: SocketLike, wire: string | Uint8Array): void {
  const tcp = (socket as { _socket?: { cork(): void; uncork(): void; writableCorked: number } })._socket
  if (tcp && !tcp.writableCorked) {
    tcp.cork()
    queueMicrotask(() => tcp.uncork())
  }
  socket.send(wire)
}

/** As in browsers, after taking off the `ws` emitter listeners too. */
export function abandonSocket(socket: SocketLike, code: number, reason: string): Promise<void> {
  detach(socket)
  return web.abandonSocket(socket, code, reason)
}

/**
 * `ws` gets its own emitter events: its `on*` setters wrap each handler in a closure with a
 * property bag of its own, about 0.4 KB per idle connection. `pong` exists only there.
 */
export function listen(socket: SocketLike, on: Partial<SocketListeners>): void {
  if (!socket.on) return web.listen(socket, on)
  for (const [event, listener] of Object.entries(on)) socket.on(event, listener)
  // An unhandled 'error' (an aborted handshake emits one) would crash Node; the close follows.
  socket.on('error', web.NOOP)
}

export function detach(socket: SocketLike): void {
  web.detach(socket)
  if (!socket.removeAllListeners) return
  socket.removeAllListeners()
  socket.on!('error', web.NOOP)
}
