import { describe, expect, it, vi } from 'vitest'
import type { DropEvent, MooringError, OverflowPolicy } from '../src/index.js'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

/** Queue `count` sends while offline; record every outcome and drop. */
function queueOffline(policy: OverflowPolicy, count: number) {
  const ctx = setup({ autoConnect: false, outbox: { maxMessages: 80, overflow: policy } })
  const drops: DropEvent[] = []
  ctx.client.on('drop', (event) => drops.push(event))
  const rejected: number[] = []
  const codes = new Set<string>()
  for (let i = 0; i < count; i++)
    ctx.client.send('n', i).catch((error: MooringError) => {
      rejected.push(i)
      codes.add(error.code)
    })
  return { ...ctx, drops, rejected, codes }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

describe('outbox bounds and overflow policies (fake time)', () => {
  it('drop-oldest keeps the last 80 of 100 queued offline, fires 20 drops, and sends exactly those after connecting', async () => {
    const { client, server, drops, rejected, codes } = queueOffline('drop-oldest', 100)
    await vi.advanceTimersByTimeAsync(0)
    expect(client.outbox.list().map((m) => m.data)).toEqual(range(20, 100))
    expect(drops.map((d) => [d.reason, d.message.data])).toEqual(range(0, 20).map((i) => ['overflow', i]))
    expect(rejected).toEqual(range(0, 20))
    expect([...codes]).toEqual(['QUEUE_FULL'])

    client.connect()
    await advanceUntil(() => client.ready)
    await vi.advanceTimersByTimeAsync(0)
    const sent = server.last.received.filter((f) => f.t === 'send')
    expect(sent.map((f) => (f as { data: unknown }).data)).toEqual(range(20, 100))
    // Ids keep send order, so the server's dedupe window sees them ascending.
    const ids = sent.map((f) => (f as { id: number }).id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
  })

  for (const policy of ['reject', 'drop-newest'] as const) {
    it(`${policy} keeps the first 80 of 100 queued offline and refuses the other 20 with a drop event each`, async () => {
      const { client, server, drops, rejected, codes } = queueOffline(policy, 100)
      await vi.advanceTimersByTimeAsync(0)
      expect(client.outbox.list().map((m) => m.data)).toEqual(range(0, 80))
      expect(drops.map((d) => [d.reason, d.message.data])).toEqual(range(80, 100).map((i) => ['overflow', i]))
      expect(rejected).toEqual(range(80, 100))
      expect([...codes]).toEqual(['QUEUE_FULL'])

      client.connect()
      await advanceUntil(() => client.ready)
      await vi.advanceTimersByTimeAsync(0)
      expect(server.last.received.filter((f) => f.t === 'send').map((f) => (f as { data: unknown }).data)).toEqual(range(0, 80))
    })
  }

  it('a message whose ttlMs passes offline is dropped as expired and never sent; the others go out in order', async () => {
    const { client, server } = setup({ autoConnect: false })
    const drops: DropEvent[] = []
    client.on('drop', (event) => drops.push(event))
    const outcomes: string[] = []
    for (let i = 0; i < 5; i++)
      client.send('n', i, i % 2 ? { ttlMs: 1000 } : {}).then(
        () => outcomes.push(`${i} ok`),
        (error: MooringError) => outcomes.push(`${i} ${error.code}`),
      )
    await vi.advanceTimersByTimeAsync(999)
    expect(client.outbox.size).toBe(5)
    await vi.advanceTimersByTimeAsync(1)
    expect(drops.map((d) => [d.reason, d.message.data])).toEqual([
      ['expired', 1],
      ['expired', 3],
    ])
    expect(client.outbox.list().map((m) => m.data)).toEqual([0, 2, 4])

    server.onFrame = ((original) => (socket, frame) => {
      original.call(server, socket, frame)
      if (frame.t === 'send') setTimeout(() => socket.push({ t: 'ack', id: frame.id }), 0)
    })(server.onFrame)
    client.connect()
    await advanceUntil(() => client.outbox.size === 0)
    expect(server.last.received.filter((f) => f.t === 'send').map((f) => (f as { data: unknown }).data)).toEqual([0, 2, 4])
    expect(outcomes.sort()).toEqual(['0 ok', '1 EXPIRED', '2 ok', '3 EXPIRED', '4 ok'])
  })
})
