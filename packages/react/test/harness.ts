import { cleanup } from '@testing-library/react'
import { afterEach, beforeEach, vi } from 'vitest'
import { createClient, type MooringClient } from '@mooring/client'
import { FakeServer } from '../../client/test/fake-socket.js'

/**
 * A real client on an in-memory socket, driven by fake time. The environment is quiet
 * and online, so only the test moves the connection.
 */
export function setupClient(): { client: MooringClient; server: FakeServer } {
  const server = new FakeServer()
  const client = createClient({
    url: 'ws://fake.test/',
    WebSocket: server.WebSocket,
    environment: { subscribe: () => () => {}, isOnline: () => true },
  })
  clients.push(client)
  return { client, server }
}

const clients: MooringClient[] = []

/** Fake time, and no client or rendered tree outliving its test. */
export function useHarness(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  })
  afterEach(() => {
    // Vitest runs without globals, so Testing Library cannot register its own cleanup.
    cleanup()
    for (const client of clients.splice(0)) void client.close()
    vi.useRealTimers()
  })
}
