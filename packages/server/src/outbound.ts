import { encode, type ServerFrame } from '@mooring/protocol'

/**
 * A server frame encoded once for any number of sockets: fan-out pays for JSON and UTF-8
 * a single time, and metrics learn its kind and size without looking inside.
 */
export interface Outbound {
  readonly wire: string | Uint8Array
  readonly binary: boolean
  readonly kind: ServerFrame['t']
  readonly bytes: number
  /** May be dropped for a socket whose backlog is past `slowConsumer.highWaterBytes`. */
  readonly volatile: boolean
}

/**
 * Encode `frame`. Returns undefined when it cannot be encoded (a cycle, or nesting deeper
 * than the JSON encoder's stack), so one hostile payload never throws through a fan-out.
 */
export function prepare(frame: ServerFrame, volatile = false): Outbound | undefined {
  let encoded
  try {
    encoded = encode(frame)
  } catch {
    return undefined
  }
  const binary = typeof encoded !== 'string'
  // One UTF-8 encoding for all recipients: ws would otherwise re-encode the string per socket.
  const wire = binary ? encoded : Buffer.from(encoded)
  return { wire, binary, kind: frame.t, bytes: wire.length, volatile }
}
