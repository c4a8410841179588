import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createServer } from '@mooring/server'
import { waitForEvent, waitUntil } from '@mooring/testing'
import { createClient, defineContract } from '../src/index.js'

const contract = defineContract({
  events: {
    'chat.say': z.object({ text: z.string() }),
    'chat.echo': z.object({ text: z.string(), at: z.number() }),
  },
  requests: {
    add: { request: z.object({ a: z.number(), b: z.number() }), reply: z.number() },
  },
})

describe('client ↔ server over real sockets', () => {
  it('connects, shakes hands, sends a typed message, receives one back and closes cleanly', async () => {
    await using server = createServer({ port: 0, host: '127.0.0.1', contract })
    server.handle('chat.say', (ctx, data: { text: string }) => {
      ctx.send('chat.echo', { text: data.text.toUpperCase(), at: 1 })
    })
    const { url } = await server.ready()
    const client = createClient({ url, contract })
    const echoed = new Promise<{ text: string; at: number }>((resolve) => client.onMessage('chat.echo', resolve))
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    expect(server.connections()).toHaveLength(1)
    await client.send('chat.say', { text: 'hello' })
    await expect(echoed).resolves.toEqual({ text: 'HELLO', at: 1 })
    await client.close()
    expect(client.getState()).toMatchObject({ status: 'closed', reason: 'user' })
    await waitUntil(() => server.connections().length === 0, { timeoutMs: 5000 })
  })

  it('round-trips a request with a typed reply, and rejects an invalid payload before sending', async () => {
    await using server = createServer({ port: 0, host: '127.0.0.1', contract })
    server.handle('add', (_ctx, { a, b }: { a: number; b: number }) => a + b)
    const { url } = await server.ready()
    await using client = createClient({ url, contract })
    await expect(client.request('add', { a: 2, b: 3 })).resolves.toBe(5)
    // @ts-expect-error — the contract says numbers
    await expect(client.request('add', { a: 'two', b: 3 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' })
    // Only the valid request went out: the invalid one never reached the wire.
    expect(client.stats().messagesOut).toBe(1)
  })

  it('sends Node handshake headers when asked', async () => {
    let seen: string | undefined
    await using server = createServer({
      port: 0,
      host: '127.0.0.1',
      authenticate: ({ headers }) => {
        seen = headers['x-service'] as string
        return { user: 'svc' }
      },
    })
    const { url } = await server.ready()
    await using client = createClient({ url, headers: { 'x-service': 'billing' } })
    await waitForEvent(client, 'ready', { timeoutMs: 5000 })
    expect(seen).toBe('billing')
  })
})
