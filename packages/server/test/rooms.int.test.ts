import { describe, expect, it } from 'vitest'
import type { MooringServer, ServerOptions } from '../src/index.js'
import { startServer, TestClient, within } from './helpers.js'

let server: MooringServer | undefined
let url: string

async function setup(options: ServerOptions = {}) {
  ;({ server, url } = await startServer({ authenticate: ({ token }) => ({ user: String(token) }), ...options }))
}

async function member(name: string, room = 'general', extra: Record<string, unknown> = {}) {
  const { client, welcome } = await TestClient.connect(url, { clientId: name, token: name })
  client.send({ t: 'join', ref: 1, room, ...extra })
  const joined = await client.next('joined')
  return { client, welcome, joined }
}

describe('rooms', () => {
  it('joins with presence including the joiner and tells existing members', async () => {
    await setup()
    const ann = await member('ann')
    expect(ann.joined).toMatchObject({ ref: 1, room: 'general', seq: 0, recovered: true })
    expect(ann.joined.presence).toMatchObject([{ id: ann.welcome.sessionId, user: 'ann' }])
    const bob = await member('bob', 'general', { meta: { color: 'blue' } })
    expect(bob.joined.presence.map((m) => m.user).sort()).toEqual(['ann', 'bob'])
    expect(await ann.client.next('presence')).toMatchObject({ room: 'general', joins: [{ user: 'bob', meta: { color: 'blue' } }], leaves: [] })
    expect(server!.to('general').members()).toHaveLength(2)
  })

  it('refuses a pub to a room the client has not joined', async () => {
    await setup()
    const { client } = await TestClient.connect(url, { clientId: 'x', token: 'x' })
    client.send({ t: 'pub', id: 1, room: 'general', type: 'chat', data: 'hi' })
    expect(await client.next('error')).toMatchObject({ id: 1, code: 'NOT_JOINED' })
  })

  it('acks a pub and delivers msg to every member with seq strictly +1, once per id', async () => {
    await setup()
    const ann = await member('ann')
    const bob = await member('bob')
    ann.client.send({ t: 'pub', id: 1, room: 'general', type: 'chat', data: 'one' })
    ann.client.send({ t: 'pub', id: 1, room: 'general', type: 'chat', data: 'one' }) // retry of the same id
    ann.client.send({ t: 'pub', id: 2, room: 'general', type: 'chat', data: 'two' })
    expect((await ann.client.next('ack')).id).toBe(1)
    expect((await ann.client.next('ack')).id).toBe(1)
    expect((await ann.client.next('ack')).id).toBe(2)
    for (const c of [ann.client, bob.client]) {
      const m1 = await c.next('msg')
      const m2 = await c.next('msg')
      expect([m1.seq, m2.seq]).toEqual([1, 2])
      expect([m1.data, m2.data]).toEqual(['one', 'two'])
      expect(m1).toMatchObject({ room: 'general', type: 'chat', from: ann.welcome.sessionId, epoch: ann.joined.epoch })
    }
    expect(bob.client.frames.filter((f) => f.t === 'msg')).toEqual([])
  })

  it('replays what a rejoining client missed before joined, and flags a gap when it cannot', async () => {
    await setup({ history: { size: 3 } })
    const ann = await member('ann')
    for (let i = 1; i <= 2; i++) server!.to('general').publish('chat', i)
    const late = await TestClient.connect(url, { clientId: 'late', token: 'late' })
    late.client.send({ t: 'join', ref: 7, room: 'general', since: 0, epoch: ann.joined.epoch })
    const replayed = [await late.client.next('msg'), await late.client.next('msg')]
    expect(replayed.map((m) => m.seq)).toEqual([1, 2])
    expect(await late.client.next('joined')).toMatchObject({ ref: 7, seq: 2, recovered: true })
    expect(late.client.frames.filter((f) => f.t === 'msg')).toEqual([])

    for (let i = 3; i <= 6; i++) server!.to('general').publish('chat', i)
    const gap = await TestClient.connect(url, { clientId: 'gap', token: 'gap' })
    gap.client.send({ t: 'join', ref: 8, room: 'general', since: 1, epoch: ann.joined.epoch })
    expect(await gap.client.next('joined')).toMatchObject({ ref: 8, seq: 6, recovered: false })

    const stale = await TestClient.connect(url, { clientId: 'stale', token: 'stale' })
    stale.client.send({ t: 'join', ref: 9, room: 'general', since: 6, epoch: 'another-epoch' })
    expect(await stale.client.next('joined')).toMatchObject({ ref: 9, recovered: false })
    expect(gap.client.frames.filter((f) => f.t === 'msg' && f.seq < 6)).toEqual([])
  })

  it('after an epoch change replays the whole new epoch when the history holds it, still flagging the old gap', async () => {
    await setup({ history: { size: 10 } })
    const ann = await member('ann')
    ann.client.send({ t: 'pub', id: 41, room: 'general', type: 'chat', data: 'first' })
    await ann.client.next('ack')
    server!.to('general').publish('chat', 'second')
    const back = await TestClient.connect(url, { clientId: 'back', token: 'back' })
    back.client.send({ t: 'join', ref: 3, room: 'general', since: 99, epoch: 'epoch-before-a-restart' })
    const replayed = [await back.client.next('msg'), await back.client.next('msg')]
    expect(replayed.map((m) => [m.seq, m.data])).toEqual([
      [1, 'first'],
      [2, 'second'],
    ])
    // A client's message names its publisher stably (src) and by its own id (mid).
    expect(replayed[0]).toMatchObject({ from: ann.welcome.sessionId, mid: 41 })
    expect(replayed[0]!.src).toMatch(/^[\w-]{16}$/)
    expect(replayed[1]!.src).toBeUndefined()
    expect(await back.client.next('joined')).toMatchObject({ ref: 3, seq: 2, recovered: false })
  })

  it('recovers messages published while a client was away when it resumes and rejoins', async () => {
    await setup()
    const ann = await member('ann')
    const gone = new Promise((r) => server!.once('disconnect', r))
    ann.client.close()
    await within(gone, 2000, 'server noticing the drop')
    expect(server!.to('general').members()).toEqual([])
    server!.to('general').publish('chat', 'while away')
    const back = await TestClient.connect(url, { clientId: 'ann', token: 'ann', resume: ann.welcome.sessionId })
    expect(back.welcome.resumed).toBe(true)
    back.client.send({ t: 'join', ref: 2, room: 'general', since: ann.joined.seq, epoch: ann.joined.epoch })
    expect(await back.client.next('msg')).toMatchObject({ seq: 1, data: 'while away' })
    expect(await back.client.next('joined')).toMatchObject({ recovered: true, seq: 1 })
  })

  it('answers FORBIDDEN when authorizeJoin says no and ROOM_FULL at capacity', async () => {
    await setup({ authorizeJoin: (_s, room) => room !== 'secret', rooms: { maxMembers: 1 } })
    const { client } = await TestClient.connect(url, { clientId: 'a', token: 'a' })
    client.send({ t: 'join', ref: 3, room: 'secret' })
    expect(await client.next('error')).toMatchObject({ ref: 3, code: 'FORBIDDEN' })
    await member('first', 'small')
    client.send({ t: 'join', ref: 4, room: 'small' })
    expect(await client.next('error')).toMatchObject({ ref: 4, code: 'ROOM_FULL' })
  })

  it('leaves on request or on disconnect, telling the others', async () => {
    await setup()
    const ann = await member('ann')
    const bob = await member('bob')
    const cat = await member('cat')
    await ann.client.next('presence')
    await ann.client.next('presence')
    bob.client.send({ t: 'leave', ref: 5, room: 'general' })
    expect(await bob.client.next('left')).toEqual({ t: 'left', ref: 5, room: 'general' })
    expect(await ann.client.next('presence')).toMatchObject({ joins: [], leaves: [bob.welcome.sessionId] })
    cat.client.close()
    expect(await ann.client.next('presence')).toMatchObject({ joins: [], leaves: [cat.welcome.sessionId] })
    expect(server!.connections().find((c) => c.id === ann.welcome.sessionId)?.rooms).toEqual(['general'])
  })

  it('lets the server publish to a room, skipping an excepted session', async () => {
    await setup()
    const ann = await member('ann')
    const bob = await member('bob')
    expect(server!.to('general').publish('news', 'x', { except: bob.welcome.sessionId }).seq).toBe(1)
    const msg = await ann.client.next('msg')
    expect(msg).toMatchObject({ seq: 1, type: 'news', data: 'x' })
    expect(msg.from).toBeUndefined()
    bob.client.send({ t: 'ping', n: 1 })
    await bob.client.next('pong')
    expect(bob.client.frames.filter((f) => f.t === 'msg')).toEqual([])
  })
})
