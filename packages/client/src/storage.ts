import type { OutboxMessage } from './outbox.js'

/** What survives a page reload or a process restart: who we are and what is not yet acked. */
export interface StoredOutbox {
  /** The client id the messages were sent under; the server dedupes by it. */
  clientId: string
  /** The next message id, so new messages never reuse a stored one's id. */
  nextId: number
  /** Unacked reliable messages, oldest first. */
  messages: OutboxMessage[]
}

/**
 * Where the outbox is kept between runs. `save` receives the whole state and must replace
 * the previous one atomically (write-then-rename, one IndexedDB put), so a crash mid-save
 * leaves the old state, never half of the new one.
 */
export interface OutboxStorage {
  load(): Promise<StoredOutbox | undefined>
  save(state: StoredOutbox): Promise<void>
}

/**
 * Writes the latest state, one save at a time: changes made while a save runs are folded
 * into the next one, so a burst of sends costs two writes, not one per message.
 */
export class Persister {
  #running: Promise<void> | undefined
  #dirty = false

  constructor(
    private readonly storage: OutboxStorage,
    private readonly state: () => StoredOutbox,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Something changed: save soon. */
  changed(): void {
    this.#dirty = true
    this.#running ??= this.#drain()
  }

  /** Resolves once everything changed so far is saved. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve()
  }

  async #drain(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false
      try {
        await this.storage.save(this.state())
      } catch (error) {
        this.failed(error)
      }
    }
    this.#running = undefined
  }
}

/**
 * Load the stored outbox into `delivery`. The stored client id wins over a random one, so
 * the server dedupes what is resent; an explicit `clientId` option that differs means the
 * stored messages belong to another client and are left alone. Never rejects.
 */
export async function restoreOutbox(
  storage: OutboxStorage,
  delivery: { restore(messages: OutboxMessage[], nextId: number): void },
  explicitClientId: string | undefined,
  on: { adopt(clientId: string): void; failed(error: unknown): void },
): Promise<void> {
  try {
    const stored = await storage.load()
    if (stored && (explicitClientId === undefined || explicitClientId === stored.clientId)) {
      on.adopt(stored.clientId)
      delivery.restore(stored.messages, stored.nextId)
    }
  } catch (error) {
    on.failed(error)
  }
}
