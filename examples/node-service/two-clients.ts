// Two Node clients in one room of an in-process @mooring/server: presence, messages both ways,
// a typed request, then a clean exit. Run from the repo root:
//   node --import tsx --conditions=source examples/node-service/two-clients.ts
import { z } from 'zod'
import { createServer } from '@mooring/server'
import { createClient, defineContract, type Member, type MooringClient, type Room } from '@mooring/client'

// One contract, shared by both ends: it types the clients and validates on the server.
const contract = defineContract({
  messages: {
    'chat.message': z.object({ text: z.string() }),
  },
  requests: {
    'room.info': { request: z.object({ room: z.string() }), reply: z.object({ members: z.array(z.string()), seq: z.number() }) },
  },
})
type Contract = typeof contract

// A stuck example must not hang a terminal or a CI job.
setTimeout(() => {
  console.error('two-clients: timed out')
  process.exit(1)
}, 10_000).unref()

const server = createServer({ port: 0, host: '127.0.0.1', contract })
let lastSeq = 0
server.handle('room.info', (_ctx, { room }: { room: string }) => ({
  members: server.to(room).members().map(nameOf).sort(),
  seq: lastSeq,
}))
const { url } = await server.ready()
console.log(`server listening on ${url}`)

function nameOf(member: Member): string {
  return (member.meta as { name?: string } | undefined)?.name ?? member.id
}

/** Join `general` as `name`, logging what this client sees of the room. */
async function join(name: string): Promise<{ client: MooringClient<Contract>; room: Room<Contract> }> {
  const client = createClient({ url, contract })
  const room = client.room('general', { meta: { name } })
  room.on('join', (member) => console.log(`[${name}] presence: ${nameOf(member)} joined`))
  room.on('leave', (member) => console.log(`[${name}] presence: ${nameOf(member)} left`))
  room.onMessage('chat.message', (data, meta) => {
    lastSeq = meta.seq
    console.log(`[${name}] #${meta.seq} ${data.text}`)
  })
  await room.ready(5000)
  return { client, room }
}

/** Resolves once `room` holds exactly `names` (a bounded wait for presence to settle). */
function presenceIs(room: Room<Contract>, names: string[]): Promise<void> {
  const matches = () => room.presence().map(nameOf).sort().join() === [...names].sort().join()
  return new Promise((resolve, reject) => {
    if (matches()) return resolve()
    const timer = setTimeout(() => reject(new Error(`presence never became ${names.join(', ')}`)), 5000)
    const off = room.on('presence', () => {
      if (!matches()) return
      clearTimeout(timer)
      off()
      resolve()
    })
  })
}

/** Resolves with the next chat message `room` receives. */
function nextMessage(room: Room<Contract>): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message arrived')), 5000)
    const off = room.onMessage('chat.message', (data) => {
      clearTimeout(timer)
      off()
      resolve(data.text)
    })
  })
}

const ada = await join('ada')
const bob = await join('bob')
await presenceIs(ada.room, ['ada', 'bob'])
await presenceIs(bob.room, ['ada', 'bob'])
console.log(`[ada] members: ${ada.room.presence().map(nameOf).sort().join(', ')}`)
console.log(`[bob] members: ${bob.room.presence().map(nameOf).sort().join(', ')}`)

// publish() resolves on the server's ack; the other side gets it through onMessage.
let heard = nextMessage(bob.room)
await ada.room.publish('chat.message', { text: 'hello bob' })
await heard
heard = nextMessage(ada.room)
await bob.room.publish('chat.message', { text: 'hi ada' })
await heard
heard = nextMessage(bob.room)
await ada.room.publish('chat.message', { text: 'bye for now' })
await heard

// A request: the reply is typed by the contract ({ members: string[]; seq: number }).
const info = await ada.client.request('room.info', { room: 'general' }, { timeoutMs: 5000 })
console.log(`[ada] room.info -> members=${info.members.join(',')} seq=${info.seq}`)

// Bob leaves; Ada sees it.
bob.room.leave()
await presenceIs(ada.room, ['ada'])
await Promise.all([ada.client.close(), bob.client.close()])
await server.close({ drainMs: 0 })
console.log('done')
