import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { WriteBatch } from '../src/write-batch.js'

/** A socket stand-in that records each system-call-sized write: one entry per `_write`/`_writev`. */
function recordingSocket(): { socket: Writable; calls: number[] } {
  const calls: number[] = []
  const socket = new Writable({
    write(_chunk, _enc, cb) {
      calls.push(1)
      cb()
    },
    writev(chunks, cb) {
      calls.push(chunks.length)
      cb()
    },
  })
  return { socket, calls }
}

const tick = () => new Promise<void>((r) => process.nextTick(r))

describe('WriteBatch', () => {
  it('sends a lone write at once: a socket that gets one message per tick waits for nothing', () => {
    const { socket, calls } = recordingSocket()
    const batch = new WriteBatch(socket)
    batch.hold()
    socket.write('only')
    batch.wrote(4)
    expect(calls).toEqual([1])
    expect(batch.heldBytes).toBe(0)
  })

  it('sends the first write of a burst at once and the rest of the tick in one writev', async () => {
    const { socket, calls } = recordingSocket()
    const batch = new WriteBatch(socket)
    for (let i = 0; i < 50; i++) {
      batch.hold()
      socket.write(Buffer.from(`message ${i}`))
      batch.wrote(10)
    }
    expect(calls).toEqual([1])
    expect(batch.heldBytes).toBe(490)
    await tick()
    expect(calls).toEqual([1, 49])
    expect(batch.heldBytes).toBe(0)
  })

  it('lets a batch past 64 KiB out early, so a large burst is not held whole', async () => {
    const { socket, calls } = recordingSocket()
    const batch = new WriteBatch(socket)
    for (let i = 0; i < 20; i++) {
      batch.hold()
      socket.write(Buffer.alloc(16 * 1024))
      batch.wrote(16 * 1024)
    }
    expect(calls).toEqual([1, 4, 4, 4, 4])
    await tick()
    expect(calls).toEqual([1, 4, 4, 4, 4, 3])
  })

  it('releases every socket held in the tick, and starts afresh in the next', async () => {
    const a = recordingSocket()
    const b = recordingSocket()
    const batches = [new WriteBatch(a.socket), new WriteBatch(b.socket)]
    for (let i = 0; i < 3; i++) {
      for (const [j, batch] of batches.entries()) {
        batch.hold()
        ;[a, b][j]!.socket.write('x')
        batch.wrote(1)
      }
    }
    await tick()
    expect(a.calls).toEqual([1, 2])
    expect(b.calls).toEqual([1, 2])
    batches[0]!.hold()
    a.socket.write('next tick')
    expect(a.calls).toEqual([1, 2, 1])
  })

  it('writes straight through when there is no socket to cork', () => {
    const batch = new WriteBatch(undefined)
    batch.hold()
    batch.wrote(100)
    expect(batch.heldBytes).toBe(0)
  })
})
