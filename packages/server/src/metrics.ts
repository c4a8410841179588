import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { CloseCode } from '@mooring/protocol'
import type { MetricsOptions } from './options.js'
import { TalliedCounter } from './tallied-counter.js'
import { TalliedHistogram } from './tallied-histogram.js'

/** Live figures read at scrape time rather than tracked on every change. */
export interface MetricSources {
  connections(): number
  rooms(): number
  roomMembers(): number
  sessions(): number
}

/** Why an upgrade was answered with an HTTP error instead of a socket. */
export type RefusalReason = 'origin' | 'max_connections' | 'max_connections_per_ip' | 'draining' | 'path'

/** Everything the server counts. Labels are frame kinds and codes, never rooms or users (unbounded). */
export interface MetricsSink {
  accepted(): void
  refused(reason: RefusalReason): void
  closed(code: number, durationMs: number): void
  inbound(kind: string, bytes: number): void
  outbound(kind: string, bytes: number, count?: number): void
  dropped(reason: 'slow_consumer'): void
  error(code: string): void
  dedupeHit(): void
  authFailure(code: string): void
  handler(kind: string, seconds: number): void
}

export const noopMetrics: MetricsSink = {
  accepted() {},
  refused() {},
  closed() {},
  inbound() {},
  outbound() {},
  dropped() {},
  error() {},
  dedupeHit() {},
  authFailure() {},
  handler() {},
}

// A peer picks its own close code; unknown ones share a label so they cannot blow up cardinality.
const KNOWN_CLOSE_CODES = new Set<number>([...Object.values(CloseCode), 1005, 1006, 1002, 1003, 1007, 1010])

/** prom-client metrics of one server, on its own registry unless given one. */
export class ServerMetrics implements MetricsSink {
  readonly registry: Registry
  // Tallied: counted as plain numbers per frame, handed to prom-client when scraped.
  private readonly c: {
    connections: TalliedCounter
    refused: TalliedCounter
    closes: TalliedCounter
    messagesIn: TalliedCounter
    bytesIn: TalliedCounter
    messagesOut: TalliedCounter
    bytesOut: TalliedCounter
    dropped: TalliedCounter
    errors: TalliedCounter
    dedupe: TalliedCounter
    authFailures: TalliedCounter
  }
  private readonly handlerSeconds: TalliedHistogram
  private readonly connectionSeconds: Histogram

  constructor(options: Required<Omit<MetricsOptions, 'registry'>> & { registry: Registry | undefined }, sources: MetricSources) {
    const registry = (this.registry = options.registry ?? new Registry())
    const p = options.prefix
    const counter = (name: string, help: string, labelNames: string[] = []): TalliedCounter =>
      new TalliedCounter({ name: p + name, help, labelNames, registers: [registry] })
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name: p + name,
        help,
        registers: [registry],
        collect() {
          this.set(read())
        },
      })
    }
    gauge('connections_active', 'Open WebSocket connections (authenticated or still in the handshake).', sources.connections)
    gauge('rooms_active', 'Rooms held (with members, or kept for history replay).', sources.rooms)
    gauge('room_members', 'Room memberships across all rooms.', sources.roomMembers)
    gauge('sessions_held', 'Sessions held, connected or waiting to be resumed.', sources.sessions)
    this.c = {
      connections: counter('connections_total', 'WebSocket upgrades accepted.'),
      refused: counter('connections_refused_total', 'Upgrades refused with an HTTP error, by reason.', ['reason']),
      closes: counter('closes_total', 'Closed connections by WebSocket close code.', ['code']),
      messagesIn: counter('messages_in_total', 'Frames received, by frame kind ("invalid" when undecodable).', ['kind']),
      bytesIn: counter('bytes_in_total', 'Bytes received in frames, by frame kind.', ['kind']),
      messagesOut: counter('messages_out_total', 'Frames sent (one per recipient), by frame kind.', ['kind']),
      bytesOut: counter('bytes_out_total', 'Bytes sent in frames (per recipient), by frame kind.', ['kind']),
      dropped: counter('messages_dropped_total', 'Volatile frames not sent, by reason.', ['reason']),
      errors: counter('errors_total', 'Error frames sent, by error code.', ['code']),
      dedupe: counter('dedupe_hits_total', 'Reliable send/pub frames recognised as duplicates and not run again.'),
      authFailures: counter('auth_failures_total', 'Handshakes refused after the socket opened, by error code.', ['code']),
    }
    this.handlerSeconds = new TalliedHistogram({
      name: `${p}handler_duration_seconds`,
      help: 'Time from a send/req/pub frame to its answer, by frame kind.',
      labelName: 'kind',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    })
    this.connectionSeconds = new Histogram({
      name: `${p}connection_duration_seconds`,
      help: 'Lifetime of closed connections.',
      buckets: [1, 10, 60, 300, 1800, 3600, 14400, 86400],
      registers: [registry],
    })
    if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p })
  }

  /** The Prometheus text exposition of the registry. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  accepted(): void {
    this.c.connections.add('')
  }
  refused(reason: RefusalReason): void {
    this.c.refused.add(reason)
  }
  closed(code: number, durationMs: number): void {
    this.c.closes.add(KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other')
    this.connectionSeconds.observe(durationMs / 1000)
  }
  inbound(kind: string, bytes: number): void {
    this.c.messagesIn.add(kind)
    this.c.bytesIn.add(kind, bytes)
  }
  outbound(kind: string, bytes: number, count = 1): void {
    this.c.messagesOut.add(kind, count)
    this.c.bytesOut.add(kind, bytes * count)
  }
  dropped(reason: 'slow_consumer'): void {
    this.c.dropped.add(reason)
  }
  error(code: string): void {
    this.c.errors.add(code)
  }
  dedupeHit(): void {
    this.c.dedupe.add('')
  }
  authFailure(code: string): void {
    this.c.authFailures.add(code)
  }
  handler(kind: string, seconds: number): void {
    this.handlerSeconds.record(kind, seconds)
  }
}
