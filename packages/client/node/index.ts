export { fileStorage } from './file-storage.js'
export type { OutboxStorage, StoredOutbox } from '../src/storage.js'
