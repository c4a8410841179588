import { describe, expect, it, vi } from 'vitest'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

const rawPing = { ping: () => '{"type":"ping"}', isPong: (d: string | Uint8Array) => d === '{"type":"pong"}' }

describe('raw mode (fake time)', () => {
  it('opens without a hello, and sends typed messages as JSON {type, data}', async () => {
    const { client, server } = setup({ mode: 'raw' }, { raw: true })
    await advanceUntil(() => client.ready)
    expect(server.last.protocols).not.toContain('mooring.v1')
    await client.send('greet', { hi: 1 })
    expect(server.last.rawReceived).toEqual(['{"type":"greet","data":{"hi":1}}'])
  })

  it('uses an app-level ping where the socket has no ping frames, and abandons a link that stops answering', async () => {
    const heartbeat = { intervalMs: 1000, timeoutMs: 500 }
    const { client, server, states } = setup({ mode: 'raw', raw: rawPing, heartbeat }, { raw: true })
    server.onRaw = (socket, data) => {
      if (data === '{"type":"ping"}') setTimeout(() => socket.pushRaw('{"type":"pong"}'), 0)
    }
    await advanceUntil(() => client.ready)
    await vi.advanceTimersByTimeAsync(5000)
    expect(server.last.rawReceived.filter((d) => d === '{"type":"ping"}').length).toBeGreaterThanOrEqual(4)
    expect(states.filter((s) => s.prev === 'open')).toEqual([])
    server.last.blackholed = true
    const silentAt = Date.now()
    await advanceUntil(() => states.some((s) => s.reason === 'heartbeat-timeout'), 5000)
    expect(Date.now() - silentAt).toBeLessThanOrEqual(heartbeat.intervalMs + heartbeat.timeoutMs + 1000)
  })

  it('pongs are not delivered as messages; other frames reach onMessage and the raw event', async () => {
    const { client, server } = setup({ mode: 'raw', raw: rawPing }, { raw: true })
    await advanceUntil(() => client.ready)
    const got: unknown[] = []
    const raw: unknown[] = []
    client.onMessage('tick', (data) => got.push(data))
    client.on('raw', (data) => raw.push(data))
    server.last.pushRaw('{"type":"pong"}')
    server.last.pushRaw('{"type":"tick","data":7}')
    server.last.pushRaw('not json at all')
    expect(got).toEqual([7])
    expect(raw).toEqual(['{"type":"pong"}', '{"type":"tick","data":7}', 'not json at all'])
  })

  it('custom encode/decode map messages to any wire format', async () => {
    const { client, server } = setup(
      {
        mode: 'raw',
        raw: {
          encode: (type, data) => `${type}|${JSON.stringify(data)}`,
          decode: (wire) => {
            const [type, body] = String(wire).split('|')
            return { type: type!, data: JSON.parse(body!) }
          },
        },
      },
      { raw: true },
    )
    await advanceUntil(() => client.ready)
    const got: unknown[] = []
    client.onMessage('price', (data) => got.push(data))
    server.last.pushRaw('price|{"eur":3}')
    await client.send('order', [1, 2])
    expect(got).toEqual([{ eur: 3 }])
    expect(server.last.rawReceived).toEqual(['order|[1,2]'])
  })

  it('rooms and requests need protocol mode and say so', async () => {
    const { client } = setup({ mode: 'raw' }, { raw: true })
    expect(() => client.room('x')).toThrow(expect.objectContaining({ code: 'PROTOCOL' }))
    await expect(client.request('x', 1)).rejects.toMatchObject({ code: 'PROTOCOL' })
  })
})
