// @mooring/server with an `echo` handler: a `send` is acked, a `req` is answered with its data.
import { createServer } from '@mooring/server'

const server = createServer({ port: 0, host: '127.0.0.1', maxConnections: 100_000 })
server.handle('echo', (_ctx, data) => data)
const { url } = await server.ready()
console.log(`listening on ${url}`)
