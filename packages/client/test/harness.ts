import { afterEach, beforeEach, vi } from 'vitest'
import { createClient, systemClock, type ClientOptions, type Environment, type LifecycleSignal, type MooringClient, type StateChange } from '../src/index.js'
import { FakeServer, seeded, type FakeServerOptions } from './fake-socket.js'

/** Fake time for every test in the file that calls it. */
export function useFakeTime(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })
}

/** An environment whose signals the test fires by hand. */
export class ManualEnvironment implements Environment {
  online = true
  readonly listeners = new Set<(signal: LifecycleSignal) => void>()
  subscribe(listener: (signal: LifecycleSignal) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  isOnline(): boolean {
    return this.online
  }
  fire(signal: LifecycleSignal): void {
    if (signal === 'online') this.online = true
    if (signal === 'offline') this.online = false
    for (const listener of [...this.listeners]) listener(signal)
  }
}

export interface Setup {
  client: MooringClient
  server: FakeServer
  env: ManualEnvironment
  states: StateChange[]
}

const open: MooringClient[] = []
afterEach(async () => {
  for (const client of open.splice(0)) client.close()
})

export function setup(options: Partial<ClientOptions> = {}, serverOptions: FakeServerOptions = {}, seed = 1): Setup {
  const server = new FakeServer(serverOptions)
  const env = new ManualEnvironment()
  const client = createClient({
    url: 'ws://fake.test/',
    WebSocket: server.WebSocket,
    environment: env,
    clock: { ...systemClock, random: seeded(seed) },
    ...options,
  })
  open.push(client)
  const states: StateChange[] = []
  client.on('state', (change) => states.push(change))
  return { client, server, env, states }
}

/** Advance fake time in small steps until `predicate` holds, failing after `limitMs` of fake time. */
export async function advanceUntil(predicate: () => boolean, limitMs = 60_000, stepMs = 10): Promise<number> {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms of fake time`)
    await vi.advanceTimersByTimeAsync(stepMs)
  }
  return Date.now() - start
}
