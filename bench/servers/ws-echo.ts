// A plain `ws` echo server: the ceiling every client is measured against.
import { WebSocketServer } from 'ws'

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
})
wss.on('listening', () => {
  const { port } = wss.address() as { port: number }
  console.log(`listening on ws://127.0.0.1:${port}/`)
})

// Exit normally on SIGINT, so a --cpu-prof profile gets written.
process.on('SIGINT', () => process.exit(0))
