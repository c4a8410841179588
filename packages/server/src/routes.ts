import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerMetrics } from './metrics.js'

/** What `/healthz` and `/metrics` report on. */
export interface RouteSources {
  /** Shutting down: `/healthz` answers 503 so a load balancer stops sending clients. */
  draining(): boolean
  connections(): number
  /** Undefined when metrics are off: `/metrics` is then not served. */
  readonly prom: ServerMetrics | undefined
  report(err: unknown): void
}

/**
 * Answer `GET /metrics` and `GET /healthz`; false (and nothing written) for any other request,
 * so an app routing HTTP itself can fall through to its own handlers.
 */
export function serveRoute(req: IncomingMessage, res: ServerResponse, sources: RouteSources): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const path = pathOf(req)
  if (path === '/healthz') {
    const draining = sources.draining()
    const body = JSON.stringify({ status: draining ? 'draining' : 'ok', connections: sources.connections() })
    res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : body)
    return true
  }
  const prom = sources.prom
  if (path === '/metrics' && prom) {
    prom.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': prom.contentType, 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (err: unknown) => {
        sources.report(err)
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end('metrics unavailable\n')
      },
    )
    return true
  }
  return false
}

/** A plain HTTP request to a server this package owns: 426 on the socket's path, 404 elsewhere. */
export function refuseRequest(req: IncomingMessage, res: ServerResponse, socketPath: string): void {
  const onPath = pathOf(req) === socketPath
  res.writeHead(onPath ? 426 : 404, { 'content-type': 'text/plain', connection: 'close' })
  res.end(onPath ? 'WebSocket upgrade required\n' : 'not found\n')
}

/** The request's path without its query; `''` counts as `/`. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  return path === '' ? '/' : path
}
