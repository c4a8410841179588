import net from 'node:net'
import { RelayLink, type RelayHost } from './relay-link.js'
import { TestingError } from './testing-error.js'

/** Where the proxy forwards to. */
export interface ProxyTarget {
  host: string
  port: number
}

export interface FaultProxyOptions {
  /** The server behind the proxy; change it later with `setTarget`. */
  target: ProxyTarget
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Port to listen on; 0 picks a free one (read it back from `proxy.port`).
   * @default 0
   */
  port?: number
  /**
   * Delay applied to every chunk in each direction from the start.
   * @default 0
   */
  latencyMs?: number
}

export const FAULT_PROXY_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  latencyMs: 0,
} as const satisfies Omit<FaultProxyOptions, 'target'>

/** Counters since the proxy started. Bytes count what was delivered; dropped bytes count separately. */
export interface FaultProxyStats {
  connectionsAccepted: number
  connectionsRefused: number
  bytesClientToServer: number
  bytesServerToClient: number
  bytesDropped: number
  /** Bytes held right now by latency or a stalled handshake, not yet delivered. */
  bytesInFlight: number
}

/** The faults currently switched on. */
export interface FaultProxyFaults {
  blackholed: boolean
  stalled: boolean
  refusing: boolean
  droppingClientToServer: boolean
  droppingServerToClient: boolean
  latencyMs: number
}

/**
 * A TCP relay on 127.0.0.1 that can misbehave on command: blackhole (half-open sockets), drop,
 * refuse, delay, stall handshakes, or lose one direction. Put it between a client and a server
 * and point the client at `proxy.url()`.
 *
 * @example
 * await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } })
 * const client = createClient({ url: proxy.url('/') })
 * proxy.blackhole()   // the client still thinks it is connected
 */
export class FaultProxy implements AsyncDisposable {
  readonly host: string
  private target: ProxyTarget
  private readonly server: net.Server
  private readonly links = new Set<RelayLink>()
  private readonly counters: FaultProxyStats = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    bytesClientToServer: 0,
    bytesServerToClient: 0,
    bytesDropped: 0,
    bytesInFlight: 0,
  }
  private latencyMs: number
  private blackholed = false
  private stalled = false
  private refusing = false
  private droppingToServer = false
  private droppingToClient = false
  private closing: Promise<void> | undefined
  private readonly relayHost: RelayHost

  /** Starts a proxy listening on `host:port` (port 0 by default) and resolves once it listens. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options)
    await proxy.listen(options.port ?? FAULT_PROXY_DEFAULTS.port)
    return proxy
  }

  private constructor(options: FaultProxyOptions) {
    this.host = options.host ?? FAULT_PROXY_DEFAULTS.host
    this.target = { ...options.target }
    this.latencyMs = options.latencyMs ?? FAULT_PROXY_DEFAULTS.latencyMs
    this.relayHost = {
      latencyMs: () => this.latencyMs,
      discards: (direction) =>
        this.blackholed || (direction === 'toServer' ? this.droppingToServer : this.droppingToClient),
      count: (direction, bytes, dropped) => {
        if (dropped) this.counters.bytesDropped += bytes
        else if (direction === 'toServer') this.counters.bytesClientToServer += bytes
        else this.counters.bytesServerToClient += bytes
      },
      hold: (bytes) => {
        this.counters.bytesInFlight += bytes
      },
    }
    // allowHalfOpen: FIN is relayed like data, so a blackhole can swallow it too.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket))
  }

  /** The port the proxy listens on. */
  get port(): number {
    const address = this.server.address()
    if (!address || typeof address === 'string') throw new TestingError('PROXY_CLOSED', 'FaultProxy is not listening')
    return address.port
  }

  /** `ws://HOST:PORT/path` through the proxy. */
  url(path = '/'): string {
    const host = net.isIPv6(this.host) ? `[${this.host}]` : this.host
    return `ws://${host}:${this.port}${path.startsWith('/') ? path : `/${path}`}`
  }

  /** Live connection pairs: those with at least one socket still open, including dead (blackholed) ones. */
  get connections(): number {
    return this.links.size
  }

  /** A snapshot of the counters. */
  get stats(): FaultProxyStats {
    return { ...this.counters }
  }

  /** A snapshot of the faults currently switched on. */
  get faults(): FaultProxyFaults {
    return {
      blackholed: this.blackholed,
      stalled: this.stalled,
      refusing: this.refusing,
      droppingClientToServer: this.droppingToServer,
      droppingServerToClient: this.droppingToClient,
      latencyMs: this.latencyMs,
    }
  }

  /**
   * Stops forwarding in both directions, FIN and RST included, for current and new connections,
   * without closing anything: each side believes the connection is up (a half-open socket).
   * Bytes arriving meanwhile are discarded, so an affected connection stays dead after `heal()`;
   * connections opened during the blackhole never reach the server.
   */
  blackhole(): void {
    this.blackholed = true
  }

  /**
   * Back to normal forwarding: clears blackhole, stallHandshake, both one-way drops and refuse.
   * Latency stays (use `latency(0)`). Connections stalled by `stallHandshake()` now reach the
   * server with their held bytes; connections that lost bytes stay dead.
   */
  heal(): void {
    this.blackholed = false
    this.droppingToServer = false
    this.droppingToClient = false
    this.refusing = false
    if (this.stalled) {
      this.stalled = false
      for (const link of this.links) {
        if (link.upstream === undefined && !link.toServer.poisoned && !link.client.destroyed) link.connect(this.target)
      }
    }
  }

  /** Destroys every live connection abruptly with a TCP RST on both sides. */
  dropAll(): void {
    for (const link of [...this.links]) {
      link.destroy(true)
      this.links.delete(link)
    }
  }

  /** New connections are reset as soon as they arrive (like a refused connection). Undo with `accept()`. */
  refuse(): void {
    this.refusing = true
  }

  /** Accept new connections again after `refuse()`. */
  accept(): void {
    this.refusing = false
  }

  /** Delays every chunk by `ms` in both directions, preserving order; 0 turns it off. */
  latency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a finite number >= 0, got ${ms}`)
    this.latencyMs = ms
  }

  /**
   * New connections are accepted but nothing reaches the server (and so nothing comes back), so a
   * WebSocket upgrade never completes. The client's bytes are held: `heal()` connects them upstream.
   */
  stallHandshake(): void {
    this.stalled = true
  }

  /** Discards server→client bytes on every connection while keeping sockets open ("lost ack"). */
  dropServerToClient(): void {
    this.droppingToClient = true
  }

  /** Discards client→server bytes on every connection while keeping sockets open ("lost send"). */
  dropClientToServer(): void {
    this.droppingToServer = true
  }

  /** Points new connections at another server; live connections keep their upstream. */
  setTarget(target: ProxyTarget): void {
    this.target = { ...target }
  }

  /** Stops listening and destroys every connection. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const link of this.links) link.destroy(false)
      this.links.clear()
      this.server.close(() => resolve())
    })
    return this.closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  private onConnection(socket: net.Socket): void {
    if (this.refusing || this.closing) {
      this.counters.connectionsRefused++
      socket.on('error', () => {})
      socket.resetAndDestroy()
      return
    }
    this.counters.connectionsAccepted++
    const link = new RelayLink(socket, this.relayHost, (gone) => this.links.delete(gone))
    this.links.add(link)
    if (this.blackholed) {
      // The SYN never got through: the client sees a connection, the server sees nothing, ever.
      link.toServer.poisoned = true
      link.toClient.poisoned = true
    } else if (this.stalled) {
      link.toServer.blocked = true
    } else {
      link.connect(this.target)
    }
  }
}

/** Same as `FaultProxy.start(options)`. */
export function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  return FaultProxy.start(options)
}
