// The e2e server: one HTTP server on 127.0.0.1 that serves the test pages and the built client,
// with the Mooring server attached at /ws on the same origin. Run by e2e/fixtures.ts as
// `tsx --conditions=source e2e/server.ts`; prints `e2e server listening on http://HOST:PORT`.
import { createReadStream, statSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
// e2e/ is not a workspace package (the root declares no workspace dependencies), so the server
// is imported from its source entry, exactly what `@mooring/server`'s `source` condition names.
import { createServer } from '../packages/server/src/index.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** URL prefix → directory served under it. */
const MOUNTS: Record<string, string> = {
  '/client/': join(ROOT, 'packages/client/dist'),
  '/protocol/': join(ROOT, 'packages/protocol/dist'),
  '/': join(ROOT, 'e2e/pages'),
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
}

function fileFor(pathname: string): string | undefined {
  for (const [prefix, dir] of Object.entries(MOUNTS)) {
    if (!pathname.startsWith(prefix)) continue
    const file = resolve(dir, `.${sep}${decodeURIComponent(pathname.slice(prefix.length)) || 'index.html'}`)
    // Never serve anything outside the mounted directory.
    return file.startsWith(dir + sep) ? file : undefined
  }
  return undefined
}

/** What the `record` handler received, per `run` key, so a spec can ask the server side: GET /received?run=KEY. */
const received = new Map<string, Array<{ clientId: string; i: number }>>()

function serve(req: IncomingMessage, res: ServerResponse) {
  const { pathname, searchParams } = new URL(req.url ?? '/', 'http://localhost')
  if (pathname === '/received') {
    const body = JSON.stringify(received.get(searchParams.get('run') ?? '') ?? [])
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body)
    return
  }
  const file = fileFor(pathname)
  let size = -1
  try {
    if (file && statSync(file).isFile()) size = statSync(file).size
  } catch {
    // missing file: 404 below
  }
  if (!file || size < 0) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}\n`)
    return
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    // no-cache, not no-store: Chromium keeps no-store pages out of the back/forward cache.
    'cache-control': 'no-cache',
  })
  createReadStream(file).pipe(res)
}

const http = createHttpServer(serve)
const mooring = createServer({ server: http, path: '/ws' })
mooring.handle('echo', async (ctx, data) => {
  ctx.send('echo', data)
  return data
})

/**
 * A second Mooring server on the same HTTP server, at /ws-fast, with a short heartbeat: a page
 * that goes offline (DevTools network emulation keeps the TCP connection up, so no close ever
 * reaches the server) is noticed within ~2 s instead of the default 35 s. rooms.spec.ts uses it.
 */
const fast = createServer({ server: http, path: '/ws-fast', heartbeat: { intervalMs: 1000, timeoutMs: 1000 } })
fast.handle('echo', (_ctx, data) => data)

mooring.handle('record', (ctx, data: { run: string; i: number }) => {
  let list = received.get(data.run)
  if (!list) received.set(data.run, (list = []))
  list.push({ clientId: ctx.session.clientId, i: data.i })
})

await new Promise<void>((done, fail) => {
  http.once('error', fail)
  http.listen(0, '127.0.0.1', done)
})
await mooring.ready()
await fast.ready()
const { port } = http.address() as AddressInfo
console.log(`e2e server listening on http://127.0.0.1:${port}`)

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  await Promise.all([mooring.close({ drainMs: 0 }), fast.close({ drainMs: 0 })]).catch(() => {})
  http.closeAllConnections()
  http.close(() => process.exit(0))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
