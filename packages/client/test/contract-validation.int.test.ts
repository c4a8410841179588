import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as v from 'valibot'
import { type } from 'arktype'
import { createServer } from '@mooring/server'
import { waitForEvent, waitUntil } from '@mooring/testing'
import { createClient, defineContract, type MooringError } from '../src/index.js'

const contract = defineContract({
  events: { 'chat.say': z.object({ text: z.string() }), 'chat.echo': z.object({ text: z.string() }) },
  messages: { 'chat.message': z.object({ text: z.string() }) },
})

const WAIT = { timeoutMs: 5000 }

describe('contract validation over real sockets', () => {
  it('validateOutbound: false lets an invalid send and publish out; a server with the contract refuses both, the link stays up', async () => {
    await using server = createServer({ port: 0, host: '127.0.0.1', contract })
    const handled: unknown[] = []
    server.handle('chat.say', (_ctx, data) => void handled.push(data))
    const { url } = await server.ready()
    await using client = createClient({ url, contract, validateOutbound: false })
    const room = client.room('general')
    await room.ready(5000)
    const heard: unknown[] = []
    room.onMessage('chat.message', (data) => heard.push(data))

    // @ts-expect-error deliberately invalid: the point is that the client lets it through
    const refusedSend = client.send('chat.say', { text: 1 })
    await expect(refusedSend).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'server' })
    // @ts-expect-error deliberately invalid
    await expect(room.publish('chat.message', { text: false })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'server' })
    expect(handled).toEqual([])
    expect(heard).toEqual([])
    expect(client.getState().status).toBe('open')

    // The same link still carries valid traffic.
    await client.send('chat.say', { text: 'fine' })
    await room.publish('chat.message', { text: 'fine' })
    await waitUntil(() => heard.length === 1, WAIT)
    expect(handled).toEqual([{ text: 'fine' }])
    expect(heard).toEqual([{ text: 'fine' }])
    expect(client.stats().reconnects).toBe(0)
  })

  it('with validateOutbound (the default) the invalid send never reaches the wire', async () => {
    await using server = createServer({ port: 0, host: '127.0.0.1', contract })
    const { url } = await server.ready()
    await using client = createClient({ url, contract })
    await waitForEvent(client, 'ready', WAIT)
    const out = client.stats().messagesOut
    // @ts-expect-error deliberately invalid
    await expect(client.send('chat.say', { text: 1 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'send' })
    expect(client.stats().messagesOut).toBe(out)
  })

  it('a server without the contract sends an invalid evt and msg: the client drops both, reports them, stays connected', async () => {
    await using server = createServer({ port: 0, host: '127.0.0.1' })
    const { url } = await server.ready()
    await using client = createClient({ url, contract })
    const errors: MooringError[] = []
    client.on('error', (e) => errors.push(e))
    const room = client.room('general')
    await room.ready(5000)
    const events: unknown[] = []
    const messages: unknown[] = []
    client.onMessage('chat.echo', (data) => events.push(data))
    room.onMessage('chat.message', (data) => messages.push(data))

    server.broadcast('chat.echo', { text: 404 })
    server.to('general').publish('chat.message', { txt: 'typo' })
    await waitUntil(() => errors.length === 2, WAIT)
    expect(errors.map((e) => [e.code, (e.details as { type: string }).type])).toEqual([
      ['INVALID_PAYLOAD', 'chat.echo'],
      ['INVALID_PAYLOAD', 'chat.message'],
    ])
    expect(client.stats().invalidIn).toBe(2)

    server.broadcast('chat.echo', { text: 'ok' })
    server.to('general').publish('chat.message', { text: 'ok' })
    await waitUntil(() => events.length === 1 && messages.length === 1, WAIT)
    expect(events).toEqual([{ text: 'ok' }])
    expect(messages).toEqual([{ text: 'ok' }])
    expect(client.getState().status).toBe('open')
    expect(client.stats().reconnects).toBe(0)
  })

  it.each([
    ['valibot', defineContract({ events: { 'chat.say': v.object({ text: v.string() }) }, requests: { len: { request: v.string(), reply: v.number() } } })],
    ['arktype', defineContract({ events: { 'chat.say': type({ text: 'string' }) }, requests: { len: { request: type('string'), reply: type('number') } } })],
  ])('a %s contract validates on both ends at run time', async (_name, schemaContract) => {
    await using server = createServer({ port: 0, host: '127.0.0.1', contract: schemaContract })
    const said: unknown[] = []
    server.handle('chat.say', (_ctx, data) => void said.push(data))
    server.handle('len', (_ctx, text: string) => text.length)
    const { url } = await server.ready()
    await using strict = createClient({ url, contract: schemaContract })
    await using lax = createClient({ url, contract: schemaContract, validateOutbound: false })

    await strict.send('chat.say', { text: 'hi' })
    await expect(strict.request('len', 'four')).resolves.toBe(4)
    // @ts-expect-error deliberately invalid
    await expect(strict.send('chat.say', { text: 1 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'send' })
    // @ts-expect-error deliberately invalid
    await expect(lax.request('len', 4)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'server' })
    expect(said).toEqual([{ text: 'hi' }])
  })
})
