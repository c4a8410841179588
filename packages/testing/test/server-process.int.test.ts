import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, onTestFinished, test } from 'vitest'
import { ServerProcess, waitForEvent, waitUntil, type ServerProcessOptions } from '../src/index.js'
import { echo, wsClient } from './support/servers.js'

const fixture = fileURLToPath(new URL('./fixtures/echo-server.ts', import.meta.url))

async function startFixture(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const server = await ServerProcess.start({ script: fixture, ...options })
  onTestFinished(() => server[Symbol.asyncDispose]())
  return server
}

async function listenOn(port: number): Promise<net.Server> {
  const server = net.createServer()
  server.listen(port, '127.0.0.1')
  await waitForEvent(server, 'listening', { timeoutMs: 2_000, rejectOnError: true })
  return server
}

describe('ServerProcess', () => {
  test('starts on a free port and reports it from the ready line', async () => {
    const server = await startFixture()

    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/`)
    expect(server.running).toBe(true)
    expect(server.output('stdout')).toContain('mooring-server listening on')
    const ws = wsClient(server.url)
    await waitForEvent(ws, 'open', { timeoutMs: 5_000, rejectOnError: true })
    await echo(ws, 'hi')
  })

  test('kill(SIGKILL) drops clients with 1006 and restart comes back on the same port', async () => {
    const server = await startFixture({ args: ['--path', '/ws'] })
    const { port, url } = server
    const ws = wsClient(url)
    await waitForEvent(ws, 'open', { timeoutMs: 5_000, rejectOnError: true })
    const closed = waitForEvent<[number]>(ws, 'close', { timeoutMs: 5_000 })

    await server.kill()

    expect((await closed)[0]).toBe(1006)
    expect(server.running).toBe(false)
    expect(server.signalCode).toBe('SIGKILL')
    expect(server.exitCode).toBeNull()

    await server.restart()

    expect(server.port).toBe(port)
    expect(server.url).toBe(url)
    const again = wsClient(url)
    await waitForEvent(again, 'open', { timeoutMs: 5_000, rejectOnError: true })
    await echo(again, 'back on the same port')
  })

  test('restart kills a still-running process first', async () => {
    const server = await startFixture()
    const firstPid = server.pid

    await server.restart()

    expect(server.pid).not.toBe(firstPid)
    expect(server.running).toBe(true)
    expect(server.output()).toContain('--- restart')
  })

  test('stop sends SIGTERM and waits for a clean exit', async () => {
    const server = await startFixture()

    await server.stop()

    expect(server.running).toBe(false)
    expect(server.exitCode).toBe(0)
  })

  test('stop of a server that ignores SIGTERM kills it and says so', async () => {
    const server = await startFixture({ args: ['--ignore-sigterm'], exitTimeoutMs: 300 })

    await expect(server.stop()).rejects.toMatchObject({ code: 'SERVER_STOP_TIMEOUT' })
    expect(server.running).toBe(false)
  })

  test('a script that exits before it is ready rejects with its exit code and stderr', async () => {
    const started = ServerProcess.start({ script: fixture, args: ['--fail'] })

    await expect(started).rejects.toMatchObject({
      code: 'SERVER_EXITED',
      message: expect.stringMatching(/exited with code 3[\s\S]*failing on purpose/),
    })
  })

  test('a script that never prints the ready line times out with its stderr, and is killed', async () => {
    const started = ServerProcess.start({ script: fixture, args: ['--never-ready'], readyTimeoutMs: 3_000 })

    await expect(started).rejects.toMatchObject({
      code: 'SERVER_START_TIMEOUT',
      message: expect.stringMatching(/within 3000 ms[\s\S]*booting forever/),
    })
  })

  test('restart retries while the port is still taken and succeeds once it is free', async () => {
    const server = await startFixture({ portRetryMs: 10_000 })
    const { port } = server
    await server.kill()
    const squatter = await listenOn(port)

    const restarted = server.restart()
    await waitUntil(() => server.output().includes('EADDRINUSE'), { timeoutMs: 10_000 })
    await new Promise((resolve) => squatter.close(resolve))
    await restarted

    expect(server.port).toBe(port)
    expect(server.running).toBe(true)
  })

  test('restart gives up with EADDRINUSE in the error once portRetryMs has passed', async () => {
    const server = await startFixture({ portRetryMs: 300 })
    await server.kill()
    const squatter = await listenOn(server.port)
    onTestFinished(() => new Promise<void>((resolve) => squatter.close(() => resolve())))

    await expect(server.restart()).rejects.toMatchObject({
      code: 'SERVER_EXITED',
      message: expect.stringContaining('EADDRINUSE'),
    })
  })

  test('await using kills the process at the end of the block', async () => {
    let pidGone: ServerProcess
    {
      await using server = await ServerProcess.start({ script: fixture })
      pidGone = server
      expect(server.running).toBe(true)
    }
    expect(pidGone.running).toBe(false)
    expect(pidGone.signalCode).toBe('SIGKILL')
  })
})
