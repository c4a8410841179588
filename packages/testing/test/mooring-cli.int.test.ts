import { existsSync } from 'node:fs'
import { describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { FaultProxy, MOORING_SERVER_CLI, ServerProcess, waitForEvent } from '../src/index.js'

// Raw protocol frames on purpose: this proves the process tooling, not the client SDK.
async function handshake(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, ['mooring.v1'])
  ws.on('error', () => {})
  onTestFinished(() => ws.terminate())
  await waitForEvent(ws, 'open', { timeoutMs: 5_000, rejectOnError: true })
  const welcome = waitForEvent<[Buffer]>(ws, 'message', {
    timeoutMs: 5_000,
    filter: (data) => JSON.parse(data.toString()).t === 'welcome',
  })
  ws.send(JSON.stringify({ t: 'hello', v: 1, clientId: `cli-test-${Math.random().toString(36).slice(2)}` }))
  await welcome
  return ws
}

async function request(ws: WebSocket, id: number, data: unknown): Promise<unknown> {
  const reply = waitForEvent<[Buffer]>(ws, 'message', {
    timeoutMs: 5_000,
    filter: (raw) => {
      const frame = JSON.parse(raw.toString())
      return frame.t === 'reply' && frame.id === id
    },
  })
  ws.send(JSON.stringify({ t: 'req', id, type: 'echo', data }))
  return JSON.parse((await reply)[0].toString()).data
}

describe.skipIf(!existsSync(MOORING_SERVER_CLI))('the real mooring-server CLI', () => {
  test('survives SIGKILL and restarts on the same port, behind a fault proxy', async () => {
    await using server = await ServerProcess.start({ args: ['--echo', '--drain-ms', '200'] })
    await using proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } })
    const ws = await handshake(proxy.url())
    expect(await request(ws, 1, { hello: 'world' })).toEqual({ hello: 'world' })
    const closed = waitForEvent<[number]>(ws, 'close', { timeoutMs: 5_000 })

    await server.kill('SIGKILL')

    expect((await closed)[0]).toBe(1006)
    await server.restart()
    const again = await handshake(proxy.url())
    expect(await request(again, 2, 'again')).toBe('again')

    await server.stop()
    expect(server.exitCode).toBe(0)
  })
})
