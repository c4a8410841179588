import { describe, expect, it, vi } from 'vitest'
import type { MooringError, OutboxStorage, StoredOutbox } from '../src/index.js'
import { advanceUntil, setup, useFakeTime } from './harness.js'

useFakeTime()

/** An OutboxStorage in memory whose load the test releases by hand and whose saves it records. */
class MemoryStorage implements OutboxStorage {
  readonly saves: StoredOutbox[] = []
  failSave: Error | undefined
  #release!: () => void
  readonly #gate = new Promise<void>((resolve) => (this.#release = resolve))

  constructor(
    private readonly stored: StoredOutbox | undefined,
    private readonly failLoad?: Error,
  ) {}

  release(): void {
    this.#release()
  }

  async load(): Promise<StoredOutbox | undefined> {
    await this.#gate
    if (this.failLoad) throw this.failLoad
    return this.stored
  }

  async save(state: StoredOutbox): Promise<void> {
    // A save takes a moment, as a disk or IndexedDB write does.
    await new Promise((resolve) => setTimeout(resolve, 5))
    if (this.failSave) throw this.failSave
    this.saves.push(structuredClone(state))
  }
}

const storedBy = (clientId: string, ids: number[]): StoredOutbox => ({
  clientId,
  nextId: Math.max(...ids) + 1,
  messages: ids.map((id) => ({ id, type: 'n', data: `old-${id}`, bytes: 40, enqueuedAt: 0, expiresAt: Infinity })),
})

/** Await a promise while fake time runs, as the fake server answers through timers. */
async function settled<T>(promise: Promise<T>): Promise<T> {
  let done = false
  const tracked = promise.finally(() => (done = true))
  await advanceUntil(() => done)
  return tracked
}

const sentFrames = (server: ReturnType<typeof setup>['server']) =>
  server.last.received.filter((f) => f.t === 'send') as Array<{ id: number; data: unknown }>

describe('a stored outbox (fake time, in-memory storage)', () => {
  it('sends made while the stored outbox loads go out after the stored messages, with later ids, in call order', async () => {
    const storage = new MemoryStorage(storedBy('c-1', [4, 5]))
    const { client, server } = setup({ storage }, { autoAck: true })
    const sends = [client.send('n', 'new-a'), client.send('n', 'new-b')]
    await vi.advanceTimersByTimeAsync(50)
    expect(server.sockets).toHaveLength(0) // the first socket waits for the load
    storage.release()
    await advanceUntil(() => client.ready)
    await settled(Promise.all(sends))
    expect(client.clientId).toBe('c-1')
    expect(sentFrames(server).map((f) => [f.id, f.data])).toEqual([
      [4, 'old-4'],
      [5, 'old-5'],
      [6, 'new-a'],
      [7, 'new-b'],
    ])
  })

  it('an explicit clientId that differs from the stored one leaves the stored messages alone', async () => {
    const storage = new MemoryStorage(storedBy('someone-else', [1, 2]))
    storage.release()
    const { client, server } = setup({ storage, clientId: 'me' }, { autoAck: true })
    await advanceUntil(() => client.ready)
    await settled(client.send('n', 'mine'))
    expect(client.clientId).toBe('me')
    expect(sentFrames(server).map((f) => [f.id, f.data])).toEqual([[1, 'mine']])
  })

  it('a load that fails is reported as a storage error and the client carries on with an empty outbox', async () => {
    const storage = new MemoryStorage(storedBy('c-1', [1]), new Error('disk gone'))
    storage.release()
    const { client } = setup({ storage }, { autoAck: true })
    const errors: MooringError[] = []
    client.on('error', (error) => errors.push(error))
    await advanceUntil(() => client.ready)
    expect(errors.map((e) => [e.code, e.op, e.message])).toEqual([['INTERNAL', 'storage', 'disk gone']])
    await settled(client.send('n', 'fresh'))
    expect(client.outbox.size).toBe(0)
  })

  it('a burst of 100 sends while a save runs costs two saves, and persisted() resolves with the last state saved', async () => {
    const storage = new MemoryStorage(undefined)
    storage.release()
    const { client } = setup({ storage, autoConnect: false })
    for (let i = 0; i < 100; i++) void client.send('n', i)
    const persisted = client.persisted()
    await vi.advanceTimersByTimeAsync(50)
    await persisted
    expect(storage.saves).toHaveLength(2)
    expect(storage.saves.at(-1)!.messages.map((m) => m.data)).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  it('a save that fails is reported and the next change saves again', async () => {
    const storage = new MemoryStorage(undefined)
    storage.release()
    storage.failSave = new Error('quota')
    const { client } = setup({ storage, autoConnect: false })
    const errors: string[] = []
    client.on('error', (error) => errors.push(`${error.code}/${error.op}: ${error.message}`))
    void client.send('n', 1)
    await vi.advanceTimersByTimeAsync(50)
    expect(errors).toEqual(['INTERNAL/storage: quota'])
    storage.failSave = undefined
    void client.send('n', 2)
    await vi.advanceTimersByTimeAsync(50)
    expect(storage.saves.at(-1)!.messages.map((m) => m.data)).toEqual([1, 2])
  })
})
