import { describe, expect, it, vi } from 'vitest'
import { MooringError } from '../src/index.js'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

describe('sending', () => {
  it('queues reliable sends while disconnected and flushes them in order after the welcome', async () => {
    const { client, server } = setup({ autoConnect: false })
    const results = [1, 2, 3].map((n) => client.send('note', { n }))
    expect(client.outbox.size).toBe(3)
    client.connect()
    await advanceUntil(() => client.ready)
    const frames = server.last.received
    expect(frames.map((f) => f.t)).toEqual(['hello', 'send', 'send', 'send'])
    expect(frames.slice(1).map((f) => (f as { data: { n: number } }).data.n)).toEqual([1, 2, 3])
    for (const f of frames.slice(1)) server.last.push({ t: 'ack', id: (f as { id: number }).id })
    await expect(Promise.all(results)).resolves.toEqual([undefined, undefined, undefined])
    expect(client.outbox.size).toBe(0)
  })

  it('resends unacked messages with the same ids after a reconnect', async () => {
    const { client, server } = setup()
    await advanceUntil(() => client.ready)
    const sent = client.send('note', { n: 1 })
    const first = server.last.received.at(-1) as { id: number }
    server.last.drop(1006)
    await advanceUntil(() => server.sockets.length === 2 && client.ready, 5000)
    const resent = server.last.received.at(-1) as { id: number; t: string }
    expect(resent).toMatchObject({ t: 'send', id: first.id })
    server.last.push({ t: 'ack', id: first.id })
    await expect(sent).resolves.toBeUndefined()
  })

  it('volatile messages are dropped with an event when not connected', async () => {
    const { client } = setup({ autoConnect: false })
    const drops: string[] = []
    client.on('drop', (e) => drops.push(e.reason))
    await expect(client.send('typing', { on: true }, { delivery: 'volatile' })).resolves.toBeUndefined()
    expect(drops).toEqual(['volatile'])
    expect(client.outbox.size).toBe(0)
  })

  it('connected-only messages are rejected with CONNECTION_CLOSED when not connected', async () => {
    const { client } = setup({ autoConnect: false })
    await expect(client.send('x', 1, { delivery: 'connected' })).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
  })

  it('rejects with QUEUE_FULL under the reject policy, and drops the oldest by default', async () => {
    const strict = setup({ autoConnect: false, outbox: { maxMessages: 2, overflow: 'reject' } }).client
    void strict.send('a', 1).catch(() => {})
    void strict.send('a', 2).catch(() => {})
    await expect(strict.send('a', 3)).rejects.toMatchObject({ code: 'QUEUE_FULL' })
    const lenient = setup({ autoConnect: false, outbox: { maxMessages: 2 } }).client
    const oldest = lenient.send('a', 1)
    void lenient.send('a', 2)
    void lenient.send('a', 3)
    await expect(oldest).rejects.toMatchObject({ code: 'QUEUE_FULL' })
    expect(lenient.outbox.list().map((m) => m.data)).toEqual([2, 3])
  })

  it('expires queued messages after their ttlMs with an event', async () => {
    const { client } = setup({ autoConnect: false })
    const drops: string[] = []
    client.on('drop', (e) => drops.push(e.reason))
    const short = client.send('a', 1, { ttlMs: 1000 })
    const long = client.send('a', 2)
    await vi.advanceTimersByTimeAsync(1001)
    await expect(short).rejects.toMatchObject({ code: 'EXPIRED' })
    expect(drops).toEqual(['expired'])
    expect(client.outbox.size).toBe(1)
    void long.catch(() => {})
  })

  it('a server error for a send rejects that send only', async () => {
    const { client, server } = setup()
    await advanceUntil(() => client.ready)
    const sent = client.send('nope', {})
    const { id } = server.last.received.at(-1) as { id: number }
    server.last.push({ t: 'error', id, code: 'NOT_FOUND', message: 'no handler for nope' })
    const error = await sent.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MooringError)
    expect(error).toMatchObject({ code: 'NOT_FOUND', op: 'server' })
    expect(client.getState().status).toBe('open')
  })

  it('close() rejects what is still queued, so no promise hangs', async () => {
    const { client } = setup({ autoConnect: false })
    const sent = client.send('a', 1)
    await client.close()
    await expect(sent).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
  })
})

describe('receiving', () => {
  it('delivers server events to onMessage handlers until unsubscribed', async () => {
    const { client, server } = setup()
    await advanceUntil(() => client.ready)
    const seen: unknown[] = []
    const off = client.onMessage('news', (data) => seen.push(data))
    server.last.push({ t: 'evt', type: 'news', data: { n: 1 } })
    off()
    server.last.push({ t: 'evt', type: 'news', data: { n: 2 } })
    expect(seen).toEqual([{ n: 1 }])
    expect(client.stats()).toMatchObject({ messagesIn: 2 })
  })

  it('a malformed frame from the server is a PROTOCOL error event and the link stays up', async () => {
    const { client, server } = setup()
    await advanceUntil(() => client.ready)
    const errors: MooringError[] = []
    client.on('error', (e) => errors.push(e))
    server.last.pushRaw('{not json')
    server.last.pushRaw(JSON.stringify({ t: 'msg', room: 5 }))
    server.last.pushRaw(new Uint8Array([0, 0, 0, 99, 1]).buffer)
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL', 'PROTOCOL', 'PROTOCOL'])
    expect(client.getState().status).toBe('open')
    expect(client.stats().invalidIn).toBe(3)
  })
})

describe('requests', () => {
  it('resolves with the reply and leaves nothing pending', async () => {
    const { client, server } = setup()
    await advanceUntil(() => client.ready)
    const reply = client.request('sum', [1, 2])
    const { id } = server.last.received.at(-1) as { id: number }
    server.last.push({ t: 'reply', id, data: 3 })
    await expect(reply).resolves.toBe(3)
    expect(vi.getTimerCount()).toBeLessThanOrEqual(3)
  })

  it('times out with TIMEOUT and clears its timer', async () => {
    const { client } = setup()
    await advanceUntil(() => client.ready)
    const timers = vi.getTimerCount()
    const reply = client.request('slow', null, { timeoutMs: 500 })
    expect(vi.getTimerCount()).toBe(timers + 1)
    const settled = reply.catch((e: MooringError) => e.code)
    await vi.advanceTimersByTimeAsync(501)
    await expect(settled).resolves.toBe('TIMEOUT')
    expect(vi.getTimerCount()).toBe(timers)
  })

  it('aborts with ABORTED through an AbortSignal', async () => {
    const { client } = setup()
    await advanceUntil(() => client.ready)
    const controller = new AbortController()
    const reply = client.request('slow', null, { signal: controller.signal })
    controller.abort()
    await expect(reply).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('rejects with CONNECTION_CLOSED when the link drops, unless retryable', async () => {
    const { client, server } = setup()
    await advanceUntil(() => client.ready)
    const plain = client.request('op', 1)
    const retryable = client.request('op', 2, { retryable: true })
    const retryId = (server.last.received.at(-1) as { id: number }).id
    server.last.drop(1006)
    await vi.advanceTimersByTimeAsync(1)
    await expect(plain).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    await advanceUntil(() => server.sockets.length === 2 && client.ready, 5000)
    expect(server.last.received.at(-1)).toMatchObject({ t: 'req', id: retryId })
    server.last.push({ t: 'reply', id: retryId, data: 'done' })
    await expect(retryable).resolves.toBe('done')
  })

  it('waits for the connection when asked before it is ready', async () => {
    const { client, server } = setup({ autoConnect: false })
    const reply = client.request('op', 1)
    client.connect()
    await advanceUntil(() => client.ready)
    const { id } = server.last.received.at(-1) as { id: number }
    server.last.push({ t: 'reply', id, data: 'ok' })
    await expect(reply).resolves.toBe('ok')
  })
})
