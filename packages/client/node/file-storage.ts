/**
 * `@mooring/client/node`: keep the outbox in a file, so a Node process that crashes or
 * restarts resends what was not acked (and the server dedupes it by the stored client id).
 * Node-only, and so outside the client's core (which imports no Node API).
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { OutboxStorage, StoredOutbox } from '../src/storage.js'

/** JSON has no bytes and no Infinity; payloads and TTLs need both. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') }
  if (value === Infinity) return { $infinity: true }
  return value
}
function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object') {
    const v = value as { $bytes?: string; $infinity?: boolean }
    if (typeof v.$bytes === 'string') return new Uint8Array(Buffer.from(v.$bytes, 'base64'))
    if (v.$infinity === true) return Infinity
  }
  return value
}

/**
 * Store the outbox at `path`. Each save writes a temporary file, fsyncs it and renames it
 * over the old one: a crash at any point leaves either the old state or the new one.
 */
export function fileStorage(path: string): OutboxStorage {
  let saves = 0
  return {
    async load() {
      try {
        return JSON.parse(await readFile(path, 'utf8'), reviver) as StoredOutbox
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
    },
    async save(state) {
      await mkdir(dirname(path), { recursive: true })
      const temporary = `${path}.${process.pid}.${++saves}.tmp`
      const file = await open(temporary, 'w')
      try {
        await file.writeFile(JSON.stringify(state, replacer))
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temporary, path)
    },
  }
}
