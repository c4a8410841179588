import type { ClientFrame, Frame, ServerFrame } from './frames.js'

/**
 * Encoding and decoding of frames. Text frames are one JSON object each. A frame whose
 * `data` is binary (`Uint8Array`/`ArrayBuffer`) travels as a binary WebSocket frame:
 *
 *   [u32 big-endian header length][header: JSON of the frame without `data`][payload bytes]
 *
 * so nothing is base64-inflated. Decoding never throws: it returns a result whose error
 * carries a stable code and a message, because the bytes come from an untrusted peer.
 */

export type DecodeResult<F> = { ok: true; frame: F } | { ok: false; code: 'PROTOCOL' | 'TOO_BIG'; message: string }

export type Wire = string | Uint8Array

const encoder = /* @__PURE__ */ new TextEncoder()
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true })

/** True for payloads that travel in a binary frame. */
export function isBinary(value: unknown): value is Uint8Array | ArrayBuffer {
  return value instanceof Uint8Array || value instanceof ArrayBuffer
}

/** Encode a frame for the wire: a string for text frames, bytes for binary ones. */
export function encode(frame: Frame): Wire {
  const data = (frame as { data?: unknown }).data
  if (!isBinary(data)) return JSON.stringify(frame)
  const payload = data instanceof Uint8Array ? data : new Uint8Array(data)
  const header = encoder.encode(JSON.stringify({ ...frame, data: undefined }))
  const out = new Uint8Array(4 + header.length + payload.length)
  new DataView(out.buffer).setUint32(0, header.length)
  out.set(header, 4)
  out.set(payload, 4 + header.length)
  return out
}

/**
 * Turn what a WebSocket delivered into a `Wire`: strings stay, bytes (Buffer, Uint8Array,
 * ArrayBuffer) become a Uint8Array view. Anything else (a Blob from a socket whose
 * `binaryType` was not set) is not a frame we can read.
 */
export function toWire(raw: unknown): Wire | undefined {
  if (typeof raw === 'string' || raw instanceof Uint8Array) return raw
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw)
  return undefined
}

/** Size of a wire value in bytes (UTF-16 length is a cheap upper bound we do not want). */
export function byteLength(wire: Wire): number {
  return typeof wire === 'string' ? encoder.encode(wire).length : wire.length
}

function fail(message: string): { ok: false; code: 'PROTOCOL'; message: string } {
  return { ok: false, code: 'PROTOCOL', message }
}

/** The frame as a plain object (a binary frame's payload becomes its `data`), or why it is not one. */
function parse(wire: Wire): Record<string, unknown> | string {
  let value: unknown
  let payload: Uint8Array | undefined
  try {
    if (typeof wire === 'string') {
      value = JSON.parse(wire)
    } else {
      const headerLength = wire.length < 4 ? -1 : new DataView(wire.buffer, wire.byteOffset, wire.byteLength).getUint32(0)
      if (headerLength < 0 || headerLength > wire.length - 4) return 'bad binary header length'
      value = JSON.parse(decoder.decode(wire.subarray(4, 4 + headerLength)))
      // Copy so the payload does not pin (or alias) the socket's receive buffer.
      payload = wire.slice(4 + headerLength)
    }
  } catch {
    return 'not JSON'
  }
  if (!isObject(value) || Array.isArray(value)) return 'not a JSON object'
  if (payload) value.data = payload
  return value
}

type Check = (v: unknown) => boolean
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const str: Check = (v) => typeof v === 'string'
const int: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0
const bool: Check = (v) => typeof v === 'boolean'
/** A finite positive number (rates may be fractional). */
const positive: Check = (v) => typeof v === 'number' && v > 0 && Number.isFinite(v)
const any: Check = () => true
const opt =
  (c: Check): Check =>
  (v) =>
    v === undefined || c(v)
const arrayOf =
  (c: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(c)
/** The key of `shape` whose value fails its check, if any. */
const badKey = (shape: Shape, v: Record<string, unknown>): string | undefined => Object.keys(shape).find((k) => !shape[k]!(v[k]))
const obj =
  (shape: Shape): Check =>
  (v) =>
    isObject(v) && !badKey(shape, v)
const member = obj({ id: str, joinedAt: int, user: opt(str) })

type Shape = Record<string, Check>
type Shapes = Record<string, Shape>
const liveness = { ping: { n: int }, pong: { n: int } }

/** Field checks per frame kind a server accepts. `data` is the contract's to check. */
const clientShapes: Shapes = {
  hello: { v: int, clientId: str, token: any, resume: opt(str) },
  join: { ref: int, room: str, since: opt(int), epoch: opt(str), meta: any },
  leave: { ref: int, room: str },
  pub: { id: int, room: str, type: str, data: any },
  send: { id: int, type: str, data: any },
  req: { id: int, type: str, data: any },
  ...liveness,
}

/** Field checks per frame kind a client accepts; kept apart so a browser bundle carries only these. */
const serverShapes: Shapes = {
  welcome: {
    v: int,
    sessionId: str,
    resumed: bool,
    heartbeat: obj({ intervalMs: int, timeoutMs: int }),
    limits: obj({ maxPayloadBytes: int, messagesPerSecond: opt(positive), burst: opt(positive) }),
  },
  joined: { ref: int, room: str, epoch: str, seq: int, recovered: bool, presence: arrayOf(member) },
  left: { ref: int, room: str },
  ack: { id: int, ids: opt(arrayOf(int)) },
  reply: { id: int, data: any },
  error: { id: opt(int), ref: opt(int), code: str, message: str, details: any },
  msg: { room: str, epoch: str, seq: int, type: str, data: any, from: opt(str), src: opt(str), mid: opt(int) },
  evt: { type: str, data: any },
  presence: { room: str, joins: arrayOf(member), leaves: arrayOf(str) },
  goaway: { retryAfterMs: int, reason: opt(str) },
  ...liveness,
}

function decodeAs<F extends Frame>(wire: Wire, shapes: Shapes, maxBytes: number): DecodeResult<F> {
  const size = wire.length
  // String length undercounts UTF-8 bytes by at most 3x; the exact check happens at the socket.
  if (size > maxBytes) return { ok: false, code: 'TOO_BIG', message: `frame of ${size} bytes exceeds ${maxBytes}` }
  const value = parse(wire)
  if (typeof value === 'string') return fail(value)
  const t = value.t
  const shape = typeof t === 'string' && Object.hasOwn(shapes, t) ? shapes[t]! : undefined
  if (!shape) return fail(`unknown frame kind ${JSON.stringify(String(t)).slice(0, 40)}`)
  const key = badKey(shape, value)
  return key ? fail(`${t}.${key} has the wrong type`) : { ok: true, frame: value as unknown as F }
}

/** Decode a frame sent by a client (what a server receives). */
export function decodeClientFrame(wire: Wire, maxBytes = Infinity): DecodeResult<ClientFrame> {
  return decodeAs<ClientFrame>(wire, clientShapes, maxBytes)
}

/** Decode a frame sent by a server (what a client receives). */
export function decodeServerFrame(wire: Wire, maxBytes = Infinity): DecodeResult<ServerFrame> {
  return decodeAs<ServerFrame>(wire, serverShapes, maxBytes)
}
