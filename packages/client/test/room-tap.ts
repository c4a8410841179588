import WebSocket from 'ws'
import { decodeServerFrame, encode, SUBPROTOCOL, toWire, type MsgFrame } from '@mooring/protocol'

/**
 * A bare protocol socket joined to one room that records every `msg` the server sends, as
 * the server sent it. Unlike a Mooring client it drops nothing (no seq or `src`/`mid`
 * dedupe), so a duplicate or reordering made by the server side shows up here.
 */
export class RoomTap implements AsyncDisposable {
  readonly messages: MsgFrame[] = []
  private constructor(private readonly socket: WebSocket) {}

  /** Connect to `url`, join `room` and resolve once `joined` arrived (bounded by `timeoutMs`). */
  static open(url: string, room: string, timeoutMs = 5000): Promise<RoomTap> {
    const socket = new WebSocket(url, SUBPROTOCOL)
    const tap = new RoomTap(socket)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate()
        reject(new Error(`tap: no joined for ${room} within ${timeoutMs} ms`))
      }, timeoutMs)
      socket.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      socket.on('open', () => socket.send(encode({ t: 'hello', v: 1, clientId: `tap-${Math.random()}` })))
      socket.on('message', (raw, isBinary) => {
        const wire = isBinary ? toWire(Buffer.isBuffer(raw) ? new Uint8Array(raw) : raw) : String(raw)
        const decoded = decodeServerFrame(wire!)
        if (!decoded.ok) return
        const frame = decoded.frame
        if (frame.t === 'welcome') socket.send(encode({ t: 'join', ref: 1, room }))
        else if (frame.t === 'ping') socket.send(encode({ t: 'pong', n: frame.n }))
        else if (frame.t === 'msg') tap.messages.push(frame)
        else if (frame.t === 'joined') {
          clearTimeout(timer)
          resolve(tap)
        }
      })
    })
  }

  /** Payloads of the recorded messages of `type`, in arrival order. */
  data<T = unknown>(type: string): T[] {
    return this.messages.filter((m) => m.type === type).map((m) => m.data as T)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.terminate()
  }
}

/** Duplicates and out-of-order entries of a sequence of counters (expected: 0, 1, 2, …). */
export function tally(sequence: number[], expected: number[]): { lost: number; duplicated: number; outOfOrder: number } {
  const seen = new Set<number>()
  let duplicated = 0
  let outOfOrder = 0
  let last = -Infinity
  for (const n of sequence) {
    if (seen.has(n)) duplicated++
    else if (n < last) outOfOrder++
    seen.add(n)
    last = Math.max(last, n)
  }
  const lost = expected.filter((n) => !seen.has(n)).length
  return { lost, duplicated, outOfOrder }
}
