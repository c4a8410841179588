// socket.io with the websocket transport only, acknowledging every `echo` with its payload.
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const http = createServer()
const io = new Server(http, { transports: ['websocket'], serveClient: false })
io.on('connection', (socket) => {
  socket.on('echo', (data: unknown, ack?: (reply: unknown) => void) => ack?.(data))
})
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as { port: number }
  console.log(`listening on http://127.0.0.1:${port}`)
})

// Exit normally on SIGINT, so a --cpu-prof profile gets written.
process.on('SIGINT', () => process.exit(0))
