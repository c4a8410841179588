import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { ClientFrame } from '@mooring/protocol'
import { defineContract, type MooringError } from '../src/index.js'
import { advanceUntil, setup, useFakeTime, type Setup } from './harness.js'
import { seeded } from './fake-socket.js'

useFakeTime()

/**
 * Every frame generated here is malformed by construction: the decoder must refuse it
 * (PROTOCOL), or — for well-formed frames whose payload breaks the contract — the schema
 * must (INVALID_PAYLOAD). Either way exactly one typed `error` event per frame, nothing
 * thrown, the link kept. Replay a failure with FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed)
const FRAMES = 10_000
const ROOM = 'fuzz'

const contract = defineContract({
  events: { news: z.object({ n: z.number() }) },
  messages: { chat: z.object({ text: z.string() }) },
})

type Rand = () => number
type Gen = (r: Rand, ctx: GenContext) => { wire: unknown; expect: 'PROTOCOL' | 'INVALID_PAYLOAD'; what: string }
interface GenContext {
  /** Next seq for a well-formed room message, so it is not dropped as a replay. */
  nextSeq(): number
}

const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!
const int = (r: Rand, max: number) => Math.floor(r() * max)
const enc = new TextEncoder()

/** Marks a value to be written into the JSON text verbatim (numbers JSON.stringify cannot produce). */
const RAW = '\u0000raw:'
const raw = (text: string) => RAW + text
const HUGE = [raw('1e400'), raw('-1e400'), raw('123456789012345678901234567890')]
function toJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'undefined').replace(/"\\u0000raw:([^"]*)"/g, '$1')
}

// Wrong values per field check of the decoder (packages/protocol/src/codec.ts).
const NOT_STR = [1, 0, -1, null, true, [], {}, ['a'], { s: 'a' }, raw('1e400')]
const NOT_INT = ['1', '', -1, 1.5, -0.5, 2 ** 53, 2 ** 64, null, true, false, [], {}, [1], ...HUGE]
const NOT_OPT_INT = NOT_INT // undefined is allowed, null is not
const NOT_BOOL = [0, 1, 'true', 'false', null, [], {}]
const NOT_POSITIVE = [0, -1, '1', null, true, [], raw('1e400'), raw('-1e400')]
const BAD_MEMBERS = [
  'nobody',
  null,
  {},
  [null],
  [1],
  ['s1'],
  [{ id: 1, joinedAt: 0 }],
  [{ id: 's1' }],
  [{ id: 's1', joinedAt: -1 }],
  [{ id: 's1', joinedAt: 1.5 }],
  [{ id: 's1', joinedAt: 0, user: 7 }],
  [{ id: 's1', joinedAt: 0 }, { id: 's2', joinedAt: '0' }],
]
const NOT_STR_ARRAY = ['s1', null, {}, [1], ['s1', 2], [null], [['s1']]]
const NOT_OBJ = ['x', 1, null, true, [], [1, 2]]

/** A valid frame of every kind a client accepts, and for each checked field the values that break it. */
const KINDS: Record<string, { valid: () => Record<string, unknown>; wrong: Record<string, unknown[]> }> = {
  welcome: {
    valid: () => ({ t: 'welcome', v: 1, sessionId: 's', resumed: false, heartbeat: { intervalMs: 1, timeoutMs: 1 }, limits: { maxPayloadBytes: 1 } }),
    wrong: {
      v: NOT_INT,
      sessionId: NOT_STR,
      resumed: NOT_BOOL,
      heartbeat: [...NOT_OBJ, {}, { intervalMs: -1, timeoutMs: 1 }, { intervalMs: 1, timeoutMs: '1' }],
      limits: [...NOT_OBJ, {}, { maxPayloadBytes: 1.5 }, { maxPayloadBytes: 1, messagesPerSecond: 0 }, ...NOT_POSITIVE.map((p) => ({ maxPayloadBytes: 1, burst: p }))],
    },
  },
  joined: {
    valid: () => ({ t: 'joined', ref: 999_999, room: 'r', epoch: 'e', seq: 0, recovered: true, presence: [] }),
    wrong: { ref: NOT_INT, room: NOT_STR, epoch: NOT_STR, seq: NOT_INT, recovered: NOT_BOOL, presence: BAD_MEMBERS },
  },
  left: { valid: () => ({ t: 'left', ref: 999_999, room: 'r' }), wrong: { ref: NOT_INT, room: NOT_STR } },
  ack: { valid: () => ({ t: 'ack', id: 999_999 }), wrong: { id: NOT_INT } },
  reply: { valid: () => ({ t: 'reply', id: 999_999, data: null }), wrong: { id: NOT_INT } },
  error: {
    valid: () => ({ t: 'error', code: 'INTERNAL', message: 'm' }),
    wrong: { id: NOT_OPT_INT, ref: NOT_OPT_INT, code: NOT_STR, message: NOT_STR },
  },
  msg: {
    valid: () => ({ t: 'msg', room: ROOM, epoch: 'e1', seq: 1, type: 'chat', data: { text: 'x' } }),
    wrong: { room: NOT_STR, epoch: NOT_STR, seq: NOT_INT, type: NOT_STR, from: NOT_STR, src: NOT_STR, mid: NOT_OPT_INT },
  },
  evt: { valid: () => ({ t: 'evt', type: 'news', data: { n: 1 } }), wrong: { type: NOT_STR } },
  presence: {
    valid: () => ({ t: 'presence', room: ROOM, joins: [], leaves: [] }),
    wrong: { room: NOT_STR, joins: BAD_MEMBERS, leaves: NOT_STR_ARRAY },
  },
  goaway: { valid: () => ({ t: 'goaway', retryAfterMs: 1 }), wrong: { retryAfterMs: NOT_INT, reason: NOT_STR } },
  ping: { valid: () => ({ t: 'ping', n: 1 }), wrong: { n: NOT_INT } },
  pong: { valid: () => ({ t: 'pong', n: 1 }), wrong: { n: NOT_INT } },
}
const KIND_NAMES = Object.keys(KINDS)

/** One valid frame of some kind with one checked field broken (or removed when required). */
function brokenFrame(r: Rand): { frame: Record<string, unknown>; what: string } {
  const kind = pick(r, KIND_NAMES)
  const { valid, wrong } = KINDS[kind]!
  const frame = valid()
  const field = pick(r, Object.keys(wrong))
  const optional = !(field in frame)
  if (!optional && r() < 0.15) {
    delete frame[field]
    return { frame, what: `${kind} without ${field}` }
  }
  frame[field] = pick(r, wrong[field]!)
  return { frame, what: `${kind}.${field} = ${toJson(frame[field]).slice(0, 40)}` }
}

function randomText(r: Rand, length: number): string {
  const alphabet = '{}[]":,\\ tnulrfae0123456789.-+eE\u00e9\u2028\ud83d'
  let s = ''
  for (let i = 0; i < length; i++) s += alphabet[int(r, alphabet.length)]
  return s
}

function randomBytes(r: Rand, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = int(r, 256)
  return bytes
}

function binary(headerLength: number, header: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + header.length + payload.length)
  new DataView(out.buffer).setUint32(0, headerLength >>> 0)
  out.set(header, 4)
  out.set(payload, 4 + header.length)
  return out
}

/** Bytes that can never complete a JSON text: trailing garbage that is not whitespace. */
const notWhitespace = (r: Rand, n: number) => randomBytes(r, n).map((b) => (b <= 0x20 ? 0x7f : b))

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth)
}

const GENERATORS: Array<[weight: number, gen: Gen]> = [
  // Not JSON at all: random text, truncated frames, JSON with trailing junk.
  [6, (r) => ({ wire: randomText(r, 1 + int(r, 60)), expect: 'PROTOCOL', what: 'random text' })],
  [
    6,
    (r) => {
      const text = toJson(KINDS[pick(r, KIND_NAMES)]!.valid())
      return { wire: text.slice(0, int(r, text.length)), expect: 'PROTOCOL', what: 'truncated frame' }
    },
  ],
  [2, (r) => ({ wire: toJson(KINDS.evt!.valid()) + pick(r, ['}', ']', 'x', ',{}', '{}']), expect: 'PROTOCOL', what: 'trailing junk' })],
  [2, (r) => ({ wire: pick(r, ['', ' ', 'undefined', 'NaN', "{'t':'ack'}", '{t:"ack"}', '\ufeff{"t":"ping","n":1}']), expect: 'PROTOCOL', what: 'not JSON' })],
  // JSON, but not an object.
  [3, (r) => ({ wire: pick(r, ['null', 'true', '0', '-1', '"evt"', '[]', '[{"t":"ping","n":1}]', '1e400', '[1,2,3]']), expect: 'PROTOCOL', what: 'not an object' })],
  // Unknown kinds, missing kinds, kinds only a server accepts, prototype names.
  [
    5,
    (r) => {
      const t = pick(r, [undefined, null, 1, true, [], {}, '', 'EVT', 'evt ', 'hello', 'send', 'pub', 'req', 'join', 'leave', '__proto__', 'constructor', 'toString', 'hasOwnProperty', randomText(r, 5)])
      const frame: Record<string, unknown> = { type: 'news', data: { n: 1 }, id: 1, n: 1 }
      if (t !== undefined) frame.t = t
      return { wire: toJson(frame), expect: 'PROTOCOL', what: `kind ${toJson(t)}` }
    },
  ],
  // The main course: every field of every server frame kind, with a wrong type.
  [40, (r) => {
    const { frame, what } = brokenFrame(r)
    return { wire: toJson(frame), expect: 'PROTOCOL', what }
  }],
  // The same broken frames as binary frames (data travels as the payload).
  [8, (r) => {
    const { frame, what } = brokenFrame(r)
    delete frame.data
    const header = enc.encode(toJson(frame))
    return { wire: binary(header.length, header, randomBytes(r, int(r, 16))), expect: 'PROTOCOL', what: `binary ${what}` }
  }],
  // Binary frames that lie about their header.
  [4, (r) => ({ wire: randomBytes(r, int(r, 4)), expect: 'PROTOCOL', what: 'binary shorter than its length field' })],
  [
    6,
    (r) => {
      const header = enc.encode(toJson(KINDS.evt!.valid()))
      const payload = randomBytes(r, int(r, 8))
      const claimed = pick(r, [header.length + payload.length + 1, header.length + payload.length + 1 + int(r, 1000), 0xffffffff, 0x80000000])
      return { wire: binary(claimed, header, payload), expect: 'PROTOCOL', what: `binary header length ${claimed} past the end` }
    },
  ],
  [
    6,
    (r) => {
      const header = enc.encode(toJson(KINDS.ack!.valid()))
      const claimed = int(r, header.length) // shorter: the JSON is cut
      return { wire: binary(claimed, header, randomBytes(r, int(r, 8))), expect: 'PROTOCOL', what: `binary header truncated to ${claimed}` }
    },
  ],
  [
    4,
    (r) => {
      // Longer than the JSON: the payload's first bytes become part of the header.
      const header = enc.encode(toJson(KINDS.evt!.valid()))
      const payload = notWhitespace(r, 1 + int(r, 8))
      return { wire: binary(header.length + 1 + int(r, payload.length), header, payload), expect: 'PROTOCOL', what: 'binary header swallows the payload' }
    },
  ],
  [3, (r) => {
    const header = randomBytes(r, 1 + int(r, 20))
    header[0] = 0xff // never valid UTF-8 / JSON
    return { wire: binary(header.length, header, randomBytes(r, int(r, 8))), expect: 'PROTOCOL', what: 'binary header of random bytes' }
  }],
  [2, (r) => {
    const header = enc.encode(pick(r, ['null', '[]', '7', '"evt"', '{"t":"nope"}']))
    return { wire: binary(header.length, header, randomBytes(r, 4)), expect: 'PROTOCOL', what: 'binary header not a frame' }
  }],
  // Deep nesting, in the whole frame or in a checked field.
  [2, (r) => ({ wire: nested(1000 + int(r, 100_000), '[', ']'), expect: 'PROTOCOL', what: 'deeply nested array' })],
  [2, (r) => ({ wire: nested(1000 + int(r, 50_000), '{"a":', '}'), expect: 'PROTOCOL', what: 'deeply nested object without t' })],
  [2, (r) => ({ wire: `{"t":"evt","type":${nested(500 + int(r, 5000), '[', ']', '"news"')},"data":1}`, expect: 'PROTOCOL', what: 'deeply nested type' })],
  [1, (r) => ({ wire: `{"t":"evt","type":"news","data":${nested(1 + int(r, 200_000), '[', ']')}`, expect: 'PROTOCOL', what: 'unclosed deep data' })],
  // Well-formed frames whose payload breaks the contract.
  [3, (r) => ({ wire: toJson({ t: 'evt', type: 'news', data: pick(r, [null, {}, { n: 'x' }, [1], 'n', { n: null }]) }), expect: 'INVALID_PAYLOAD', what: 'evt breaking the contract' })],
  [3, (r, ctx) => ({
    wire: toJson({ t: 'msg', room: ROOM, epoch: 'e1', seq: ctx.nextSeq(), type: 'chat', data: pick(r, [null, { text: 1 }, { txt: 'x' }, 'x', [{ text: 'x' }]]) }),
    expect: 'INVALID_PAYLOAD',
    what: 'msg breaking the contract',
  })],
]

function generator(r: Rand): Gen {
  const total = GENERATORS.reduce((sum, [w]) => sum + w, 0)
  let x = r() * total
  for (const [weight, gen] of GENERATORS) if ((x -= weight) < 0) return gen
  return GENERATORS.at(-1)![1]
}

async function joinedRoom(s: Setup): Promise<void> {
  const room = s.client.room(ROOM)
  const join = s.server.last.received.find((f): f is ClientFrame & { t: 'join' } => f.t === 'join')!
  s.server.last.push({ t: 'joined', ref: join.ref, room: ROOM, epoch: 'e1', seq: 0, recovered: true, presence: [] })
  await advanceUntil(() => room.state === 'joined', 1000)
}

describe('client decoder fuzz', () => {
  it(`${FRAMES} malformed frames each give one typed error event; the client never throws, stays open, and still delivers (seed ${SEED})`, async () => {
    const s = setup({ contract })
    await advanceUntil(() => s.client.ready)
    await joinedRoom(s)
    const socket = s.server.last
    const errors: MooringError[] = []
    s.client.on('error', (e) => errors.push(e))
    const news: unknown[] = []
    const chats: unknown[] = []
    s.client.onMessage('news', (data) => news.push(data))
    s.client.room(ROOM).onMessage('chat', (data) => chats.push(data))
    let seq = 0
    const ctx: GenContext = { nextSeq: () => ++seq }
    const r = seeded(SEED)
    const tally: Record<string, number> = {}

    for (let i = 0; i < FRAMES; i++) {
      const { wire, expect: code, what } = generator(r)(r, ctx)
      const before = errors.length
      try {
        socket.pushRaw(typeof wire === 'string' ? wire : (wire as Uint8Array).buffer)
      } catch (error) {
        throw new Error(`frame #${i} (${what}) made the client throw: ${String(error)}`)
      }
      const got = errors.slice(before)
      if (got.length !== 1 || got[0]!.code !== code)
        throw new Error(`frame #${i} (${what}): expected one ${code} error, got [${got.map((e) => `${e.code}: ${e.message}`).join('; ')}]`)
      tally[code] = (tally[code] ?? 0) + 1
      // Now and then let time pass, so timers (heartbeat) get their say mid-storm.
      if (i % 1000 === 999) {
        await advanceUntil(() => true)
        expect(s.client.getState().status).toBe('open')
      }
    }

    expect(errors).toHaveLength(FRAMES)
    expect(errors.every((e) => e.name === 'MooringError' && typeof e.message === 'string')).toBe(true)
    expect(tally.PROTOCOL).toBeGreaterThan(FRAMES * 0.8)
    expect(tally.INVALID_PAYLOAD).toBeGreaterThan(0)
    expect(s.client.stats().invalidIn).toBe(FRAMES)
    expect(news).toEqual([])
    expect(chats).toEqual([])
    expect(s.client.getState().status).toBe('open')
    expect(s.server.sockets).toHaveLength(1)

    // Still a working client: a well-formed evt and room msg arrive, a send is acked.
    socket.push({ t: 'evt', type: 'news', data: { n: 1 } })
    socket.push({ t: 'msg', room: ROOM, epoch: 'e1', seq: ++seq, type: 'chat', data: { text: 'after the storm' } })
    expect(news).toEqual([{ n: 1 }])
    expect(chats).toEqual([{ text: 'after the storm' }])
    const sent = s.client.send('news', { n: 2 })
    const frame = socket.received.at(-1) as { t: string; id: number }
    expect(frame.t).toBe('send')
    socket.push({ t: 'ack', id: frame.id })
    await expect(sent).resolves.toBeUndefined()
    expect(errors).toHaveLength(FRAMES)
  })

  it('a fresh handler set and a huge text frame: one PROTOCOL error each, no throw', async () => {
    const s = setup({ contract })
    await advanceUntil(() => s.client.ready)
    const errors: MooringError[] = []
    s.client.on('error', (e) => errors.push(e))
    // 4 MiB of almost-JSON, and 4 MiB of binary whose header claims all of it.
    s.server.last.pushRaw(`{"t":"evt","type":"news","data":"${'x'.repeat(4 << 20)}"`)
    const big = new Uint8Array(4 << 20)
    new DataView(big.buffer).setUint32(0, big.length - 4)
    s.server.last.pushRaw(big.buffer)
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL', 'PROTOCOL'])
    expect(s.client.getState().status).toBe('open')
  })
})
