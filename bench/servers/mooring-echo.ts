// @mooring/server with an `echo` handler: a `send` is acked, a `req` is answered with its data.
import { createServer } from '@mooring/server'

// A benchmark floods on purpose: no rate limit.
const server = createServer({ port: 0, host: '127.0.0.1', maxConnections: 100_000, rateLimit: false })
server.handle('echo', (_ctx, data) => data)
const { url } = await server.ready()
console.log(`listening on ${url}`)

// Exit normally on SIGINT, so a --cpu-prof profile gets written.
process.on('SIGINT', () => process.exit(0))
