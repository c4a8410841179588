import net from 'node:net'
import { performance } from 'node:perf_hooks'

// Internals of FaultProxy: one relayed connection and its two directions.

export type Direction = 'toServer' | 'toClient'
type LaneItem = Buffer | 'end' | 'reset'

export interface RelayHost {
  latencyMs(): number
  discards(direction: Direction): boolean
  count(direction: Direction, bytes: number, dropped: boolean): void
  hold(bytes: number): void
}

/**
 * One direction of a connection: a FIFO that delays items by the current latency and applies
 * faults at delivery time. A lane that ever discarded anything stays silent for good, because
 * the byte stream now has a hole and resuming it would hand the peer garbage.
 */
class Lane {
  poisoned = false
  blocked = false
  private readonly queue: Array<{ at: number; item: LaneItem }> = []
  private timer: NodeJS.Timeout | undefined
  private lastAt = 0
  private awaitingDrain = false

  constructor(
    private readonly direction: Direction,
    private readonly host: RelayHost,
    private readonly source: () => net.Socket | undefined,
    private readonly target: () => net.Socket | undefined,
  ) {}

  push(item: LaneItem): void {
    const now = performance.now()
    // Never earlier than the previous item, so a latency change cannot reorder the stream.
    const at = Math.max(now + this.host.latencyMs(), this.lastAt)
    this.lastAt = at
    if (this.queue.length === 0 && !this.blocked && at <= now) {
      this.deliver(item)
      return
    }
    this.queue.push({ at, item })
    this.host.hold(sizeOf(item))
    this.schedule()
  }

  unblock(): void {
    this.blocked = false
    this.schedule()
  }

  clear(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    for (const { item } of this.queue) this.host.hold(-sizeOf(item))
    this.queue.length = 0
  }

  private schedule(): void {
    if (this.blocked || this.timer !== undefined) return
    const head = this.queue[0]
    if (!head) return
    // Node timers may fire a fraction of a millisecond before performance.now() says they are due;
    // pump() re-arms in that case, so the configured latency is a strict lower bound.
    this.timer = setTimeout(() => this.pump(), Math.max(0, Math.ceil(head.at - performance.now())))
  }

  private pump(): void {
    this.timer = undefined
    const now = performance.now()
    while (!this.blocked && this.queue.length > 0 && this.queue[0]!.at <= now) {
      const { item } = this.queue.shift()!
      this.host.hold(-sizeOf(item))
      this.deliver(item)
    }
    this.schedule()
  }

  private deliver(item: LaneItem): void {
    const size = sizeOf(item)
    if (this.poisoned || this.host.discards(this.direction)) {
      this.poisoned = true
      this.host.count(this.direction, size, true)
      return
    }
    const target = this.target()
    if (!target || target.destroyed) return
    if (item === 'end') {
      target.end()
    } else if (item === 'reset') {
      target.resetAndDestroy()
    } else {
      this.host.count(this.direction, size, false)
      if (!target.write(item) && !this.awaitingDrain) {
        const source = this.source()
        source?.pause()
        this.awaitingDrain = true
        target.once('drain', () => {
          this.awaitingDrain = false
          source?.resume()
        })
      }
    }
  }
}

function sizeOf(item: LaneItem): number {
  return typeof item === 'string' ? 0 : item.length
}

/** A client socket and its upstream socket, relayed through two lanes. */
export class RelayLink {
  upstream: net.Socket | undefined
  readonly toServer: Lane
  readonly toClient: Lane
  private clientClosed = false
  private upstreamClosed = false

  constructor(
    readonly client: net.Socket,
    host: RelayHost,
    private readonly onGone: (link: RelayLink) => void,
  ) {
    this.toServer = new Lane('toServer', host, () => this.client, () => this.upstream)
    this.toClient = new Lane('toClient', host, () => this.upstream, () => this.client)
    client.setNoDelay(true)
    this.wire(client, this.toServer, () => {
      this.clientClosed = true
    })
  }

  connect(target: { host: string; port: number }): void {
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true })
    upstream.setNoDelay(true)
    this.upstream = upstream
    this.wire(upstream, this.toClient, () => {
      this.upstreamClosed = true
    })
    this.toServer.unblock()
  }

  destroy(reset: boolean): void {
    this.toServer.clear()
    this.toClient.clear()
    for (const socket of [this.client, this.upstream]) {
      if (!socket || socket.destroyed) continue
      if (reset) socket.resetAndDestroy()
      else socket.destroy()
    }
  }

  private wire(socket: net.Socket, lane: Lane, markClosed: () => void): void {
    socket.on('data', (chunk: Buffer) => lane.push(chunk))
    socket.on('end', () => lane.push('end'))
    // Errors surface through 'close' (hadError) as a reset on the other side.
    socket.on('error', () => {})
    socket.on('close', (hadError) => {
      markClosed()
      if (hadError) lane.push('reset')
      if (this.clientClosed && (this.upstreamClosed || this.upstream === undefined)) {
        // Nobody is left to deliver to; held bytes must not linger in bytesInFlight.
        this.toServer.clear()
        this.toClient.clear()
        this.onGone(this)
      }
    })
  }
}
