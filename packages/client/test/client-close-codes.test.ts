import { describe, expect, it, vi } from 'vitest'
import { closeVerdict } from '../src/index.js'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

async function closedWith(code: number, reason = '', options = {}) {
  const s = setup(options)
  await advanceUntil(() => s.client.ready)
  const from = s.states.length
  s.server.last.drop(code, reason)
  await advanceUntil(() => s.states.length > from)
  return { ...s, after: s.states[from]! }
}

const backsOff = [1001, 1006, 1011, 1012, 1013, 3999, 4999]
const stops = [1000, 1008, 4400, 4403]

describe('close codes', () => {
  for (const code of backsOff) {
    it(`${code} backs off and reconnects`, async () => {
      const { client, server, after } = await closedWith(code)
      expect(after).toMatchObject({ state: 'reconnecting', code, attempt: 1 })
      await advanceUntil(() => client.ready, 15_000)
      expect(server.sockets).toHaveLength(2)
    })
  }

  for (const code of stops) {
    it(`${code} stops for good, says why, and makes no attempt for 60 s`, async () => {
      const { client, server, after } = await closedWith(code)
      expect(after).toMatchObject({ state: 'closed', code, reason: 'server-close' })
      expect(client.getState()).toMatchObject({ status: 'closed', code })
      await vi.advanceTimersByTimeAsync(60_000)
      expect(server.sockets).toHaveLength(1)
    })
  }

  it('4401 asks the auth provider again and reconnects at once', async () => {
    let calls = 0
    const { client, server, after } = await closedWith(4401, 'token expired', { auth: () => `token-${++calls}` })
    expect(after).toMatchObject({ state: 'connecting', reason: 'auth', code: 4401 })
    await advanceUntil(() => client.ready, 1000)
    expect(calls).toBe(2)
    expect(server.last.received[0]).toMatchObject({ t: 'hello', token: 'token-2' })
  })

  it('a second 4401 in a row backs off instead of hammering the server', async () => {
    const { client, server, states } = setup({ auth: () => 'bad' })
    await advanceUntil(() => client.ready)
    server.last.drop(4401)
    await advanceUntil(() => server.sockets.length === 2 && client.ready)
    const from = states.length
    server.last.drop(4401)
    await advanceUntil(() => states.length > from)
    expect(states[from]).toMatchObject({ state: 'reconnecting', reason: 'auth', code: 4401, attempt: 2 })
  })

  it('shouldReconnect overrides the table both ways', async () => {
    const stop = await closedWith(1011, '', { shouldReconnect: () => false })
    expect(stop.client.getState().status).toBe('closed')
    const go = await closedWith(4403, '', { shouldReconnect: ({ code }: { code: number }) => (code === 4403 ? true : undefined) })
    expect(go.client.getState().status).toBe('reconnecting')
  })

  it('a goaway hint delays the next attempt by the hint plus jitter', async () => {
    const { client, server, states } = setup()
    await advanceUntil(() => client.ready)
    server.last.push({ t: 'goaway', retryAfterMs: 3000 })
    server.last.drop(1012)
    await advanceUntil(() => states.at(-1)!.state === 'reconnecting')
    const delay = states.at(-1)!.nextDelayMs!
    expect(delay).toBeGreaterThanOrEqual(3000)
    expect(delay).toBeLessThanOrEqual(3000 + 5000)
  })

  it('a 1013 close with a retryAfterMs hint in its reason is honoured', async () => {
    const { after } = await closedWith(1013, 'slow consumer; retryAfterMs=4000')
    expect(after.nextDelayMs).toBeGreaterThanOrEqual(4000)
  })

  it('the verdict table is a pure function', () => {
    expect(backsOff.map(closeVerdict)).toEqual(backsOff.map(() => 'retry'))
    expect(stops.map(closeVerdict)).toEqual(stops.map(() => 'stop'))
    expect(closeVerdict(4401)).toBe('reauth')
  })
})
