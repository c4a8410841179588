// App-level catch-up after a `gap`. The server's own room history is short (3 messages), so a
// reader that is away longer gets `gap` on rejoin instead of a replay. The app keeps its own
// log (here an array; in production a database), serves `history` requests from it, and the
// reader asks for exactly the range it missed. Run from the repo root:
//   node --import tsx --conditions=source examples/node-service/history-catch-up.ts
import { z } from 'zod'
import { createServer } from '@mooring/server'
import { createClient, defineContract, type GapEvent } from '@mooring/client'

const Item = z.object({ seq: z.number(), text: z.string() })
const contract = defineContract({
  messages: { 'news.item': z.object({ text: z.string() }) },
  requests: {
    // `to` is absent when the server lost the old epoch (a restart): "everything since `from`".
    history: { request: z.object({ room: z.string(), from: z.number(), to: z.number().optional() }), reply: z.array(Item) },
  },
})
type Item = z.infer<typeof Item>

setTimeout(() => {
  console.error('history-catch-up: timed out')
  process.exit(1)
}, 10_000).unref()

// ---- server: Mooring's replay buffer is small on purpose; the app's log is the source of truth.
const server = createServer({ port: 0, host: '127.0.0.1', contract, history: { size: 3 } })
const appLog = new Map<string, Item[]>()

function publish(room: string, text: string): void {
  const { seq } = server.to(room).publish('news.item', { text })
  let items = appLog.get(room)
  if (!items) appLog.set(room, (items = []))
  items.push({ seq, text })
}

server.handle('history', (_ctx, { room, from, to }: { room: string; from: number; to?: number }) =>
  (appLog.get(room) ?? []).filter((item) => item.seq >= from && (to === undefined || item.seq <= to)),
)
const { url } = await server.ready()

// ---- reader: live messages and caught-up ones land in one seq-ordered view.
const reader = createClient({ url, contract })
const room = reader.room('news')
const seen = new Map<number, string>()
room.onMessage('news.item', (data, meta) => {
  seen.set(meta.seq, data.text)
  console.log(`[reader] live #${meta.seq} ${data.text}`)
})

let caughtUp: Promise<void> = Promise.resolve()
room.on('gap', (gap: GapEvent) => {
  console.log(`[reader] gap: missed #${gap.from}..${gap.to ?? 'end'} (${gap.reason}), asking the app's history`)
  caughtUp = reader.request('history', { room: gap.room, from: gap.from, to: gap.to }, { timeoutMs: 5000 }).then((items) => {
    for (const item of items) seen.set(item.seq, item.text)
    console.log(`[reader] caught up ${items.length} from history: ${items.map((i) => `#${i.seq}`).join(' ')}`)
  })
})

await room.ready(5000)
publish('news', 'first')
publish('news', 'second')
await until(() => seen.size === 2)

// The reader goes away; ten items go out meanwhile, far more than the server's replay buffer.
await reader.close()
console.log('[reader] offline')
for (let i = 3; i <= 12; i++) publish('news', `item ${i}`)

// Back: the rejoin says `gap` (history no longer reaches back), then live traffic resumes.
reader.connect()
await room.ready(5000)
publish('news', 'after the return')
await until(() => seen.has(13))
await caughtUp

const seqs = [...seen.keys()].sort((a, b) => a - b)
const holes = seqs.filter((seq, i) => seq !== i + 1)
console.log(`[reader] has #${seqs[0]}..#${seqs.at(-1)}, ${seqs.length} items, ${holes.length ? `holes at ${holes.join(',')}` : 'no holes'}`)
await reader.close()
await server.close({ drainMs: 0 })
console.log('done')

/** A bounded wait for a condition that live traffic will make true. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
