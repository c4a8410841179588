import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from './logger.js'
import type { MetricsSink, RefusalReason } from './metrics.js'
import type { ResolvedOptions } from './options.js'
import { originMatcher } from './origins.js'
import { pathOf } from './routes.js'

/** What the gate asks of its server at each upgrade. */
export interface UpgradeHost {
  readonly options: ResolvedOptions
  readonly metrics: MetricsSink
  readonly logger: Required<Logger>
  /** Shutting down: every upgrade is refused with 503. */
  draining(): boolean
  /** Sent as `Retry-After` on 503 and 429 refusals. */
  retryAfterMs(): number
  /**
   * Whether a request for another path gets a 404 here. On a shared server another 'upgrade'
   * listener may own that path, so only answer when nobody else can.
   */
  answersForeignPaths(): boolean
  /** The upgrade passed: hand the socket to the WebSocket server. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, origin: string | undefined): void
}

/**
 * Admission at the HTTP upgrade, before any WebSocket exists: path, draining, the connection
 * limits (total and per IP, counted until the TCP socket is gone) and the origin allowlist.
 */
export class UpgradeGate {
  /** Sockets past the upgrade, counted until their TCP socket closes: the figure the connection limits use. */
  private sockets = 0
  private readonly perIp = new Map<string, number>()
  private readonly originAllowed: (origin: string) => boolean

  constructor(private readonly host: UpgradeHost) {
    const allow = host.options.origins
    this.originAllowed = !allow ? () => true : typeof allow === 'function' ? allow : originMatcher(allow)
  }

  /** The HTTP server's 'upgrade' listener. */
  readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { options, metrics, logger } = this.host
    if (pathOf(req) !== options.path) {
      if (this.host.answersForeignPaths()) refuse(socket, 404, 'Not Found')
      return
    }
    const retryAfter = { 'Retry-After': String(Math.ceil(this.host.retryAfterMs() / 1000)) }
    const ip = req.socket.remoteAddress ?? ''
    const no = (status: number, text: string, reason: RefusalReason, headers: Record<string, string> = {}): void => {
      metrics.refused(reason)
      logger.warn({ event: 'upgrade_refused', status, reason, ip }, 'upgrade refused')
      refuse(socket, status, text, headers)
    }
    if (this.host.draining()) return no(503, 'Service Unavailable', 'draining', retryAfter)
    if (this.sockets >= options.maxConnections) return no(503, 'Service Unavailable', 'max_connections', retryAfter)
    const fromIp = this.perIp.get(ip) ?? 0
    if (fromIp >= options.maxConnectionsPerIp) return no(429, 'Too Many Requests', 'max_connections_per_ip', retryAfter)
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined
    let allowed = true
    try {
      allowed = origin === undefined || this.originAllowed(origin)
    } catch {
      allowed = false
    }
    if (!allowed) return no(403, 'Forbidden', 'origin')
    this.sockets++
    this.perIp.set(ip, fromIp + 1)
    // Counted until the TCP socket is gone, whether or not the upgrade completes.
    socket.once('close', () => {
      this.sockets--
      const n = (this.perIp.get(ip) ?? 1) - 1
      if (n <= 0) this.perIp.delete(ip)
      else this.perIp.set(ip, n)
    })
    socket.on('error', () => {})
    this.host.accept(req, socket, head, origin)
  }
}

/** Answer an upgrade request with a bare HTTP status and hang up. */
function refuse(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${text}`, 'Connection: close', 'Content-Length: 0', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  socket.once('finish', () => socket.destroy())
  socket.on('error', () => {})
  socket.end(`${lines.join('\r\n')}\r\n\r\n`)
}
