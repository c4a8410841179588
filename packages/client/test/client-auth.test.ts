import { describe, expect, it } from 'vitest'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

describe('auth provider', () => {
  it('is called once per attempt and its token travels in hello', async () => {
    let calls = 0
    const { client, server } = setup({ auth: async () => ({ jwt: `t${++calls}` }) })
    await advanceUntil(() => client.ready)
    server.last.drop(1006)
    await advanceUntil(() => server.sockets.length === 2 && client.ready, 5000)
    expect(calls).toBe(2)
    expect(server.sockets[1]!.received[0]).toMatchObject({ t: 'hello', token: { jwt: 't2' } })
  })

  it('can send the token as a Sec-WebSocket-Protocol entry instead', async () => {
    const { client, server } = setup({ auth: () => 'secret token', authVia: 'subprotocol' })
    await advanceUntil(() => client.ready)
    expect(server.last.protocols).toEqual(['mooring.v1', 'mooring.auth.c2VjcmV0IHRva2Vu'])
    expect(server.last.received[0]).not.toHaveProperty('token')
  })

  it('a provider that throws on 2 of 5 calls follows backoff with no unhandled rejection', async () => {
    let calls = 0
    const { client, server, states } = setup({
      auth: async () => {
        calls++
        if (calls === 2 || calls === 4) throw new Error('token service down')
        return 'ok'
      },
    })
    for (let i = 0; i < 2; i++) {
      await advanceUntil(() => client.ready, 30_000)
      server.last.drop(1011)
      await advanceUntil(() => !client.ready)
    }
    await advanceUntil(() => calls === 5 && client.ready, 30_000)
    const authFailures = states.filter((s) => s.reason === 'auth')
    expect(authFailures).toHaveLength(2)
    for (const failure of authFailures) expect(failure).toMatchObject({ state: 'reconnecting' })
    expect(server.sockets).toHaveLength(3)
  })

  it('a provider that never answers counts as a failed attempt after authTimeoutMs', async () => {
    const { states } = setup({ auth: () => new Promise<string>(() => {}), authTimeoutMs: 2000 })
    const took = await advanceUntil(() => states.some((s) => s.state === 'reconnecting'), 5000, 50)
    expect(took).toBeGreaterThanOrEqual(1950)
    expect(states.at(-1)).toMatchObject({ reason: 'auth' })
  })
})
