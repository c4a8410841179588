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

/** What a Persister needs from its client. */
export interface PersisterHost {
  /** The state to save now. */
  snapshot(): StoredOutbox
  /** Take back what an earlier run stored (Delivery.restore). */
  restore(messages: OutboxMessage[], nextId: number): void
  /** The stored client id wins over a random one, so the server dedupes what is resent. */
  adopt(clientId: string): void
  failed(error: unknown): void
}

/**
 * The outbox's stored copy. It first loads what an earlier run left — the stored client id
 * wins over a random one, so the server dedupes what is resent; an explicit `clientId` that
 * differs means the messages belong to another client and are left alone. Then it writes
 * the latest state, one save at a time: changes made while a save runs are folded into the
 * next one, so a burst of sends costs two writes, not one per message.
 */
export class Persister {
  /**
   * Resolves once the stored outbox is loaded (never rejects). New messages chain on it even
   * after that, so they stay in call order across the moment loading ends.
   */
  readonly loading: Promise<void>
  #running: Promise<void> | undefined
  #dirty = false

  constructor(
    private readonly storage: OutboxStorage,
    private readonly host: PersisterHost,
    explicitClientId: string | undefined,
  ) {
    this.loading = this.#load(explicitClientId)
  }

  /** Something changed: save soon. */
  changed(): void {
    this.#dirty = true
    this.#running ??= this.#drain()
  }

  /** Resolves once loaded and everything changed so far is saved. */
  async idle(): Promise<void> {
    await this.loading
    await this.#running
  }

  async #load(explicitClientId: string | undefined): Promise<void> {
    try {
      const stored = await this.storage.load()
      if (stored && (explicitClientId === undefined || explicitClientId === stored.clientId)) {
        this.host.adopt(stored.clientId)
        this.host.restore(stored.messages, stored.nextId)
      }
    } catch (error) {
      this.host.failed(error)
    }
  }

  async #drain(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false
      try {
        await this.storage.save(this.host.snapshot())
      } catch (error) {
        this.host.failed(error)
      }
    }
    this.#running = undefined
  }
}
