import type { Writable } from 'node:stream'

/**
 * Bytes a socket holds back before it writes early. Keeps the slow-consumer figures honest: the
 * backlog a check sees differs from an unbatched socket's by at most this much.
 */
const MAX_HELD_BYTES = 64 * 1024

const IDLE = 0 // nothing written this tick
const WROTE = 1 // one write this tick, sent straight away
const HELD = 2 // corked: later writes of this tick wait for one writev

/**
 * Coalesces one socket's writes within a tick, so that a burst of N messages to a socket costs
 * two `writev` system calls instead of N. On loopback and in VMs the system call, not the JSON
 * or the framing, is most of a fan-out's cost.
 *
 * The first write of a tick always goes straight out: a socket that gets one message per tick
 * (the common case) sees no added latency, and only the messages that follow it in the same
 * tick wait, for at most the rest of that tick.
 */
export class WriteBatch {
  /** Bytes held back this tick: counted in ws's `bufferedAmount`, not yet offered to the kernel. */
  heldBytes = 0
  private state: typeof IDLE | typeof WROTE | typeof HELD = IDLE

  /** `socket` is ws's TCP socket; without one (or without `cork`) every write goes straight out. */
  constructor(private readonly socket: Writable | undefined) {
    if (typeof socket?.cork !== 'function') this.socket = undefined
  }

  /** Call before each write. */
  hold(): void {
    if (!this.socket || this.state === HELD) return
    if (this.state === IDLE) {
      this.state = WROTE
      if (pending.push(this) === 1) process.nextTick(endTick)
      return
    }
    this.state = HELD
    this.socket.cork()
  }

  /** Call after each write, with its size: a large batch goes out early. */
  wrote(bytes: number): void {
    if (this.state !== HELD) return
    this.heldBytes += bytes
    if (this.heldBytes >= MAX_HELD_BYTES) {
      this.state = WROTE
      this.heldBytes = 0
      this.socket!.uncork()
    }
  }

  /** The tick is over: send what is held. */
  release(): void {
    const held = this.state === HELD
    this.state = IDLE
    this.heldBytes = 0
    // A no-op when ws already ended or destroyed the socket (end() uncorks on its own).
    if (held) this.socket!.uncork()
  }
}

let pending: WriteBatch[] = []

function endTick(): void {
  const batches = pending
  pending = []
  for (const batch of batches) batch.release()
}
