import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as v from 'valibot'
import { type } from 'arktype'
import type { ClientFrame } from '@mooring/protocol'
import { defineContract, MooringError, type LooseContract, type MessageMeta, type Room } from '../src/index.js'
import { advanceUntil, setup, useFakeTime, type Setup } from './harness.js'

useFakeTime()

const zodContract = defineContract({
  events: { news: z.object({ n: z.number() }) },
  messages: { chat: z.object({ text: z.string() }) },
  requests: { sum: { request: z.array(z.number()), reply: z.number() } },
})

/** The same shapes in valibot and arktype: only `~standard` is used, so each must behave the same. */
const libraries: Array<[string, LooseContract]> = [
  ['zod', zodContract],
  [
    'valibot',
    defineContract({
      events: { news: v.object({ n: v.number() }) },
      messages: { chat: v.object({ text: v.string() }) },
      requests: { sum: { request: v.array(v.number()), reply: v.number() } },
    }),
  ],
  [
    'arktype',
    defineContract({
      events: { news: type({ n: 'number' }) },
      messages: { chat: type({ text: 'string' }) },
      requests: { sum: { request: type('number[]'), reply: type('number') } },
    }),
  ],
]

function errorsOf(s: Setup): MooringError[] {
  const errors: MooringError[] = []
  s.client.on('error', (e) => errors.push(e))
  return errors
}

/** Join `name` against the fake server: answer the join frame with `joined` at seq 0. */
async function joinedRoom(s: Setup, name: string): Promise<Room<any>> {
  const room = s.client.room(name)
  const join = s.server.last.received.find((f): f is ClientFrame & { t: 'join' } => f.t === 'join' && f.room === name)
  if (!join) throw new Error('no join frame was written')
  s.server.last.push({ t: 'joined', ref: join.ref, room: name, epoch: 'e1', seq: 0, recovered: true, presence: [] })
  await advanceUntil(() => room.state === 'joined', 1000)
  return room
}

describe.each(libraries)('inbound payloads checked against a %s contract', (_name, contract) => {
  it('an evt that fails the contract reaches no handler, emits INVALID_PAYLOAD with the type and issues, and the link stays up', async () => {
    const s = setup({ contract })
    await advanceUntil(() => s.client.ready)
    const errors = errorsOf(s)
    const seen: unknown[] = []
    s.client.onMessage('news', (data) => seen.push(data))

    s.server.last.push({ t: 'evt', type: 'news', data: { n: 'not a number' } })
    expect(seen).toEqual([])
    expect(errors).toHaveLength(1)
    const [error] = errors
    expect(error).toBeInstanceOf(MooringError)
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', op: 'receive', details: { type: 'news', kind: 'event' } })
    const { issues } = error!.details as { issues: Array<{ message: string; path?: unknown[] }> }
    expect(issues.length).toBeGreaterThan(0)
    expect(typeof issues[0]!.message).toBe('string')
    // The issue points at the offending field, whatever the library's path shape.
    expect(JSON.stringify(issues[0]!.path)).toContain('n')
    expect(error!.message).toContain('news')
    expect(s.client.stats().invalidIn).toBe(1)
    expect(s.client.getState().status).toBe('open')

    s.server.last.push({ t: 'evt', type: 'news', data: { n: 7 } })
    expect(seen).toEqual([{ n: 7 }])
    expect(s.client.stats().invalidIn).toBe(1)
    expect(s.server.sockets).toHaveLength(1)
  })

  it('a room msg that fails the contract reaches no handler, emits INVALID_PAYLOAD, and the room goes on without a gap', async () => {
    const s = setup({ contract })
    await advanceUntil(() => s.client.ready)
    const room = await joinedRoom(s, 'general')
    const errors = errorsOf(s)
    const gaps: unknown[] = []
    room.on('gap', (g) => gaps.push(g))
    const seen: Array<[unknown, MessageMeta]> = []
    room.onMessage('chat', (data, meta) => seen.push([data, meta]))

    s.server.last.push({ t: 'msg', room: 'general', epoch: 'e1', seq: 1, type: 'chat', data: { text: 42 } })
    expect(seen).toEqual([])
    expect(errors.map((e) => [e.code, (e.details as { type: string; kind: string }).type, (e.details as { kind: string }).kind])).toEqual([
      ['INVALID_PAYLOAD', 'chat', 'message'],
    ])
    expect((errors[0]!.details as { issues: unknown[] }).issues.length).toBeGreaterThan(0)
    expect(s.client.stats().invalidIn).toBe(1)

    s.server.last.push({ t: 'msg', room: 'general', epoch: 'e1', seq: 2, type: 'chat', data: { text: 'ok' }, from: 's9' })
    expect(seen).toEqual([[{ text: 'ok' }, { room: 'general', seq: 2, epoch: 'e1', from: 's9' }]])
    // The invalid message still took its seq: nothing is missing, so no gap.
    expect(gaps).toEqual([])
    expect(room.state).toBe('joined')
    expect(s.client.getState().status).toBe('open')
  })

  it('a reply that fails the contract rejects the request with INVALID_PAYLOAD', async () => {
    const s = setup({ contract })
    await advanceUntil(() => s.client.ready)
    const reply = s.client.request('sum', [1, 2])
    const { id } = s.server.last.received.at(-1) as { id: number }
    s.server.last.push({ t: 'reply', id, data: 'three' })
    await expect(reply).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', details: { type: 'sum', kind: 'reply' } })
    expect(s.client.getState().status).toBe('open')
  })
})

describe.each(libraries)('outbound payloads checked against a %s contract', (_name, contract) => {
  it('rejects an invalid send, publish and request at the call site; nothing reaches the wire', async () => {
    const s = setup({ contract })
    await advanceUntil(() => s.client.ready)
    const room = await joinedRoom(s, 'general')
    const before = s.server.last.received.length
    await expect(s.client.send('news', { n: 'x' })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'send', details: { type: 'news' } })
    await expect(room.publish('chat', { text: 1 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'publish', details: { type: 'chat' } })
    await expect(s.client.request('sum', ['1'])).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', op: 'request', details: { type: 'sum' } })
    expect(s.server.last.received.length).toBe(before)
    expect(s.client.outbox.size).toBe(0)
    expect(s.client.stats().invalidIn).toBe(0)
  })

  it('validateOutbound: false lets an invalid payload go out as it is', async () => {
    const s = setup({ contract, validateOutbound: false })
    await advanceUntil(() => s.client.ready)
    const room = await joinedRoom(s, 'general')
    void s.client.send('news', { n: 'x' }).catch(() => {})
    void room.publish('chat', { text: 1 }).catch(() => {})
    const frames = s.server.last.received.filter((f) => f.t === 'send' || f.t === 'pub')
    expect(frames).toMatchObject([
      { t: 'send', type: 'news', data: { n: 'x' } },
      { t: 'pub', room: 'general', type: 'chat', data: { text: 1 } },
    ])
  })
})

describe('async schemas', () => {
  it('an async schema that rejects is not delivered and reports INVALID_PAYLOAD; later valid messages arrive', async () => {
    const contract = defineContract({ events: { news: z.object({ n: z.number() }).refine(async (x) => x.n > 0, 'n must be positive') } })
    const s = setup({ contract })
    await advanceUntil(() => s.client.ready)
    const errors = errorsOf(s)
    const seen: unknown[] = []
    s.client.onMessage('news', (data) => seen.push(data))
    s.server.last.push({ t: 'evt', type: 'news', data: { n: -1 } })
    s.server.last.push({ t: 'evt', type: 'news', data: { n: 2 } })
    await advanceUntil(() => seen.length === 1 && errors.length === 1, 1000)
    expect(seen).toEqual([{ n: 2 }])
    expect(errors[0]).toMatchObject({ code: 'INVALID_PAYLOAD', details: { type: 'news' } })
    expect(s.client.stats().invalidIn).toBe(1)
  })
})
