import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import * as v from 'valibot'
import { type } from 'arktype'
import { createServer } from '@mooring/server'
import { createClient, defineContract, type MessageMeta, type MooringClient, type Room } from '../src/index.js'

// Type-level only: nothing here runs, so no client ever connects.
const contract = defineContract({
  events: {
    'chat.say': z.object({ text: z.string() }),
    'chat.echo': z.object({ text: z.string(), at: z.number() }),
  },
  messages: {
    'chat.message': z.object({ text: z.string(), mentions: z.array(z.string()).optional() }),
    cursor: z.object({ x: z.number(), y: z.number() }),
  },
  requests: {
    add: { request: z.object({ a: z.number(), b: z.number() }), reply: z.number() },
    history: { request: z.object({ room: z.string(), since: z.number() }), reply: z.array(z.object({ seq: z.number(), text: z.string() })) },
  },
})
declare const client: MooringClient<typeof contract>
declare const room: Room<typeof contract>

describe('client.send', () => {
  it('accepts a declared event with its payload and resolves to void', () => {
    expectTypeOf(client.send('chat.say', { text: 'hi' })).toEqualTypeOf<Promise<void>>()
  })

  it('rejects an event name the contract does not declare', () => {
    // @ts-expect-error 'chat.sya' is not an event of the contract
    void client.send('chat.sya', { text: 'hi' })
    // @ts-expect-error a room message is not a direct event
    void client.send('cursor', { x: 1, y: 2 })
  })

  it('rejects a wrong payload: wrong field type, missing field, no payload', () => {
    // @ts-expect-error text is a string
    void client.send('chat.say', { text: 42 })
    // @ts-expect-error text is required
    void client.send('chat.say', {})
    // @ts-expect-error the payload is required
    void client.send('chat.say')
  })
})

describe('client.onMessage', () => {
  it('infers the payload of each event', () => {
    client.onMessage('chat.echo', (data) => expectTypeOf(data).toEqualTypeOf<{ text: string; at: number }>())
    client.onMessage('chat.say', (data) => expectTypeOf(data).toEqualTypeOf<{ text: string }>())
  })

  it('rejects an undeclared name and a handler expecting the wrong payload', () => {
    // @ts-expect-error not an event of the contract
    client.onMessage('chat.gone', () => {})
    // @ts-expect-error at is a number
    client.onMessage('chat.echo', (data: { text: string; at: string }) => void data)
  })
})

describe('client.request', () => {
  it('infers the reply type from the contract', async () => {
    expectTypeOf(client.request('add', { a: 1, b: 2 })).toEqualTypeOf<Promise<number>>()
    const history = await client.request('history', { room: 'general', since: 3 })
    expectTypeOf(history).toEqualTypeOf<{ seq: number; text: string }[]>()
  })

  it('rejects a wrong request payload and an undeclared request', () => {
    // @ts-expect-error a is a number
    void client.request('add', { a: '1', b: 2 })
    // @ts-expect-error b is missing
    void client.request('add', { a: 1 })
    // @ts-expect-error not a request of the contract
    void client.request('subtract', { a: 1, b: 2 })
  })

  it('rejects a wrong assumption about the reply', async () => {
    // @ts-expect-error the reply of add is a number, not a string
    const wrong: string = await client.request('add', { a: 1, b: 2 })
    // @ts-expect-error history entries have no `body`
    ;(await client.request('history', { room: 'general', since: 0 }))[0]?.body
    void wrong
  })

  it('takes timeoutMs and signal options, and rejects unknown ones', () => {
    void client.request('add', { a: 1, b: 2 }, { timeoutMs: 1000, signal: new AbortController().signal })
    // @ts-expect-error no such option
    void client.request('add', { a: 1, b: 2 }, { timeout: 1000 })
  })
})

describe('room.publish and room.onMessage', () => {
  it('client.room returns a room typed by the same contract', () => {
    expectTypeOf(client.room('general')).toEqualTypeOf<Room<typeof contract>>()
  })

  it('publish accepts declared messages, with optional fields optional', () => {
    expectTypeOf(room.publish('chat.message', { text: 'hi' })).toEqualTypeOf<Promise<void>>()
    void room.publish('chat.message', { text: 'hi', mentions: ['ada'] })
    void room.publish('cursor', { x: 1, y: 2 }, { delivery: 'volatile' })
  })

  it('publish rejects an undeclared name and a wrong payload', () => {
    // @ts-expect-error not a message of the contract
    void room.publish('chat.msg', { text: 'hi' })
    // @ts-expect-error a direct event is not a room message
    void room.publish('chat.say', { text: 'hi' })
    // @ts-expect-error mentions are strings
    void room.publish('chat.message', { text: 'hi', mentions: [1] })
    // @ts-expect-error y is missing
    void room.publish('cursor', { x: 1 })
  })

  it('onMessage infers the data and the meta', () => {
    room.onMessage('chat.message', (data, meta) => {
      expectTypeOf(data).toEqualTypeOf<{ text: string; mentions?: string[] | undefined }>()
      expectTypeOf(meta).toEqualTypeOf<MessageMeta>()
      expectTypeOf(meta.seq).toEqualTypeOf<number>()
      expectTypeOf(meta.epoch).toEqualTypeOf<string>()
      expectTypeOf(meta.from).toEqualTypeOf<string | undefined>()
    })
    room.onMessage('cursor', (data) => expectTypeOf(data).toEqualTypeOf<{ x: number; y: number }>())
  })

  it('onMessage rejects an undeclared name and a handler expecting the wrong data', () => {
    // @ts-expect-error not a message of the contract
    room.onMessage('chat.say', () => {})
    // @ts-expect-error x is a number
    room.onMessage('cursor', (data: { x: string; y: number }) => void data)
  })
})

describe('a loose client (no contract)', () => {
  const loose = createClient({ url: 'ws://example.test/', autoConnect: false })

  it('accepts any name and any payload everywhere', async () => {
    void loose.send('anything', { at: 1 })
    void loose.send('anything.else', 42)
    void loose.send('bytes', new Uint8Array(4))
    void loose.room('r').publish('whatever', [1, 'two'])
    loose.onMessage('x', (data) => expectTypeOf(data).toBeAny())
    loose.room('r').onMessage('y', (data, meta) => {
      expectTypeOf(data).toBeAny()
      expectTypeOf(meta).toEqualTypeOf<MessageMeta>()
    })
    const reply = await loose.request('any', { q: 1 })
    expectTypeOf(reply).toBeAny()
  })
})

describe('other Standard Schema libraries in one contract', () => {
  const mixed = defineContract({
    events: {
      // valibot
      'v.ping': v.object({ n: v.number() }),
      // arktype
      'a.ping': type({ n: 'number', label: 'string' }),
    },
    messages: {
      'v.note': v.object({ text: v.pipe(v.string(), v.minLength(1)), tags: v.optional(v.array(v.string())) }),
      'a.note': type({ text: 'string', 'pinned?': 'boolean' }),
    },
    requests: {
      'v.double': { request: v.object({ n: v.number() }), reply: v.number() },
      'a.upper': { request: type({ text: 'string' }), reply: type('string') },
      // zod and valibot mixed in one entry
      'mixed.len': { request: z.object({ text: z.string() }), reply: v.object({ length: v.number() }) },
    },
  })
  const typed = createClient({ url: 'ws://example.test/', contract: mixed, autoConnect: false })
  const r = typed.room('notes')

  it('valibot schemas type send, onMessage, publish and request', async () => {
    void typed.send('v.ping', { n: 1 })
    // @ts-expect-error n is a number
    void typed.send('v.ping', { n: '1' })
    typed.onMessage('v.ping', (data) => expectTypeOf(data).toEqualTypeOf<{ n: number }>())
    void r.publish('v.note', { text: 'x' })
    // @ts-expect-error text is a string
    void r.publish('v.note', { text: 1 })
    r.onMessage('v.note', (data) => expectTypeOf(data).toEqualTypeOf<{ text: string; tags?: string[] | undefined }>())
    expectTypeOf(await typed.request('v.double', { n: 2 })).toEqualTypeOf<number>()
    // @ts-expect-error the reply is a number
    const s: string = await typed.request('v.double', { n: 2 })
    void s
  })

  it('arktype schemas type send, onMessage, publish and request', async () => {
    void typed.send('a.ping', { n: 1, label: 'x' })
    // @ts-expect-error label is missing
    void typed.send('a.ping', { n: 1 })
    typed.onMessage('a.ping', (data) => expectTypeOf(data).toEqualTypeOf<{ n: number; label: string }>())
    void r.publish('a.note', { text: 'x', pinned: true })
    // @ts-expect-error pinned is a boolean
    void r.publish('a.note', { text: 'x', pinned: 'yes' })
    r.onMessage('a.note', (data) => {
      expectTypeOf(data.text).toEqualTypeOf<string>()
      expectTypeOf(data.pinned).toEqualTypeOf<boolean | undefined>()
    })
    expectTypeOf(await typed.request('a.upper', { text: 'x' })).toEqualTypeOf<string>()
    // @ts-expect-error text is a string
    void typed.request('a.upper', { text: 1 })
  })

  it('a contract mixing libraries in one request types both halves', async () => {
    expectTypeOf(await typed.request('mixed.len', { text: 'abc' })).toEqualTypeOf<{ length: number }>()
    // @ts-expect-error the request is zod's { text: string }
    void typed.request('mixed.len', { txt: 'abc' })
  })

  it('names from one library do not leak into another group', () => {
    // @ts-expect-error v.note is a room message, not an event
    void typed.send('v.note', { text: 'x' })
    // @ts-expect-error v.ping is an event, not a room message
    void r.publish('v.ping', { n: 1 })
  })
})

describe('the server side', () => {
  // The same contract object types the server: handler names and payloads, replies, and
  // everything the server sends (ctx.send, to(room).publish, toUser, broadcast).
  const server = createServer({ contract, port: 0 })

  it('handle infers the payload of events and requests, and the reply of requests', () => {
    server.handle('add', (ctx, data) => {
      expectTypeOf(data).toEqualTypeOf<{ a: number; b: number }>()
      expectTypeOf(ctx.session.id).toEqualTypeOf<string>()
      return data.a + data.b
    })
    server.handle('chat.say', (_ctx, data) => {
      expectTypeOf(data).toEqualTypeOf<{ text: string }>()
    })
    // An async handler may return the reply through a promise.
    server.handle('add', async (_ctx, { a, b }) => a + b)
    // @ts-expect-error the contract says the reply of add is a number
    server.handle('add', (_ctx, data) => `${data.a}`)
    // @ts-expect-error not a name in the contract
    server.handle('not-in-the-contract', () => {})
  })

  it('ctx.send, to(room).publish, toUser and broadcast are typed by the contract', () => {
    server.handle('chat.say', (ctx, data) => {
      ctx.send('chat.echo', { text: data.text, at: 1 })
      // @ts-expect-error chat.echo needs `at`
      ctx.send('chat.echo', { text: data.text })
    })
    expectTypeOf(server.to('general').publish('chat.message', { text: 'hi' })).toEqualTypeOf<{ epoch: string; seq: number }>()
    // @ts-expect-error not a room message of the contract
    server.to('general').publish('no.such.message', 123)
    expectTypeOf(server.toUser('ada').send('chat.echo', { text: 'hi', at: 1 })).toEqualTypeOf<number>()
    // @ts-expect-error wrong payload for chat.echo
    server.broadcast('chat.echo', { text: 1 })
  })

  it('a server without a contract takes any name and payload', () => {
    const loose = createServer({ port: 0 })
    loose.handle('anything', (_ctx, data: { whatever: true }) => data)
    loose.to('room').publish('any', 123)
    loose.broadcast('x', null)
  })
})
