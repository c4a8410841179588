/**
 * `@mooring/client/indexeddb`: keep the outbox in IndexedDB, so messages queued in a tab
 * survive a reload and are resent (and deduped by the server) when the page comes back.
 * A separate entry point: apps that do not import it do not pay for it.
 */
import type { OutboxStorage, StoredOutbox } from './storage.js'

export interface IndexedDBStorageOptions {
  /** Database name. @default 'mooring' */
  database?: string
  /** Key of this client's record; use one per client when a page has several. @default 'outbox' */
  key?: string
  /** The IndexedDB factory; tests and workers may pass their own. @default globalThis.indexedDB */
  indexedDB?: IDBFactory
}

const STORE = 'outbox'

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

export function indexedDBStorage(options: IndexedDBStorageOptions = {}): OutboxStorage {
  const { database = 'mooring', key = 'outbox' } = options
  let db: Promise<IDBDatabase> | undefined
  const open = () => {
    if (db) return db
    const factory = options.indexedDB ?? globalThis.indexedDB
    if (!factory) return Promise.reject(new Error('IndexedDB is not available here'))
    const req = factory.open(database, 1)
    req.onupgradeneeded = () => req.result.createObjectStore(STORE)
    return (db = request(req))
  }
  const store = async (mode: IDBTransactionMode) => (await open()).transaction(STORE, mode).objectStore(STORE)
  return {
    // Structured clone keeps Uint8Array payloads and Infinity TTLs as they are.
    load: async () => (await request((await store('readonly')).get(key))) as StoredOutbox | undefined,
    save: async (state) => {
      // One put in one transaction: IndexedDB commits it whole or not at all.
      await request((await store('readwrite')).put(state, key))
    },
  }
}
