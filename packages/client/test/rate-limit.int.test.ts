import { describe, expect, it } from 'vitest'
import { createServer } from '@mooring/server'
import { waitForEvent, waitUntil } from '@mooring/testing'
import { createClient, type DropEvent } from '../src/index.js'
import { RoomTap } from './room-tap.js'

describe('a rate-limited client', () => {
  it('slows down instead of dropping: 150 publishes against a 50/s limit all arrive once, in order', async () => {
    const server = createServer({ port: 0, host: '127.0.0.1', rateLimit: { perSecond: 50, burst: 20 } })
    await using _s = server
    const { url } = await server.ready()
    await using tap = await RoomTap.open(url, 'busy')
    await using client = createClient({ url })
    const drops: DropEvent[] = []
    client.on('drop', (event) => drops.push(event))
    let refusals = 0
    client.on('error', () => refusals++)
    const room = client.room('busy')
    await room.ready()
    await waitForEvent(client, 'ready', { timeoutMs: 5000 }).catch(() => {})

    const sent = Array.from({ length: 150 }, (_, n) => room.publish('n', n))
    await Promise.all(sent)
    await waitUntil(() => tap.data('n').length >= 150, { timeoutMs: 20_000 })

    expect(tap.data<number>('n')).toEqual(Array.from({ length: 150 }, (_, n) => n))
    expect(drops).toEqual([])
    // RATE_LIMITED answers were absorbed by the outbox, not surfaced as errors or rejections.
    expect(refusals).toBe(0)
    expect(client.getState().status).toBe('open')
  })
})
