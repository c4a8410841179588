import { ErrorCode, type ErrorFrame, type JoinFrame, type PubFrame, type ReqFrame, type SendFrame, type ServerFrame } from '@mooring/protocol'
import type { Outcome } from './dedupe.js'
import { checkPayload, type HandlerContext } from './handlers.js'
import type { Hub } from './hub.js'
import { isThenable, type MaybePromise } from './maybe-async.js'
import type { AppFrame } from './middleware.js'
import { prepare } from './outbound.js'
import { msgFrame } from './rooms.js'
import type { Session } from './session.js'

/** What an authenticated connection lends the frame handlers. */
export interface DispatchLink {
  readonly hub: Hub
  readonly session: Session
  /** Aborted when the socket closes: handed to application handlers. */
  readonly signal: AbortSignal
  /** False once the socket is closing: an async step that finds it so sends nothing more. */
  isOpen(): boolean
  send(frame: ServerFrame): boolean
  /** Acknowledge a `send`/`pub` (coalesced with the other acks of this turn). */
  ack(id: number): void
}

/** Carry out one application frame that passed middleware: answer it with ack, reply, joined, left or error. */
export function dispatch(link: DispatchLink, frame: AppFrame): void {
  switch (frame.t) {
    case 'send':
      return void onSend(link, frame)
    case 'req':
      return void onReq(link, frame)
    case 'pub':
      return void onPub(link, frame)
    case 'join':
      return void onJoin(link, frame)
    case 'leave':
      if (link.hub.rooms.leave(link.session, frame.room)) {
        link.hub.logger.debug({ event: 'leave', session: link.session.id, room: frame.room }, 'left room')
      }
      return void link.send({ t: 'left', ref: frame.ref, room: frame.room })
  }
}

function context(link: DispatchLink, kind: 'send' | 'req', type: string): HandlerContext {
  const session = link.session
  return { session: session.info(), kind, type, send: eventSender(session), signal: link.signal }
}

/** `ctx.send` depends only on the session: one function per session, not one per frame. */
const eventSenders = new WeakMap<Session, HandlerContext['send']>()

function eventSender(session: Session): HandlerContext['send'] {
  let send = eventSenders.get(session)
  if (!send) {
    // Through the session, so a reply-time event follows the client to its resumed socket.
    send = (t, data) => {
      const out = prepare({ t: 'evt', type: t, data })
      return (out && session.socket?.sendWire(out)) ?? false
    }
    eventSenders.set(session, send)
  }
  return send
}

function onSend(link: DispatchLink, frame: SendFrame): void {
  const started = performance.now()
  const outcome = link.session.ledger.runOnce('send', frame.id, () => link.hub.handlers.run(context(link, 'send', frame.type), frame.data))
  settle(link, 'send', frame.id, started, outcome)
}

function onReq(link: DispatchLink, frame: ReqFrame): void {
  const started = performance.now()
  const outcome = link.hub.handlers.run(context(link, 'req', frame.type), frame.data)
  if (isThenable(outcome)) void outcome.then((o) => replied(link, frame.id, started, o))
  else replied(link, frame.id, started, outcome)
}

function replied(link: DispatchLink, id: number, started: number, outcome: Outcome): void {
  answer(link, id, outcome, true)
  link.hub.metrics.handler('req', (performance.now() - started) / 1000)
}

function onPub(link: DispatchLink, frame: PubFrame): void {
  const { hub, session } = link
  if (!hub.rooms.isMember(session, frame.room)) {
    return void link.send({ t: 'error', id: frame.id, code: ErrorCode.NOT_JOINED, message: `not joined to ${JSON.stringify(frame.room)}` })
  }
  const started = performance.now()
  const schema = hub.options.contract?.messages?.[frame.type]
  const publish = (checked: { ok: true; value: unknown } | Outcome): Outcome => {
    if (!checked.ok) return checked
    // Membership may have ended while an async schema ran.
    if (!hub.rooms.isMember(session, frame.room)) return { ok: false, code: ErrorCode.NOT_JOINED, message: 'left the room' }
    const origin = { from: session.id, src: session.src, mid: frame.id }
    const sent = hub.rooms.publish(frame.room, frame.type, (checked as { value: unknown }).value, { origin })
    return sent ? { ok: true } : { ok: false, code: ErrorCode.INVALID_PAYLOAD, message: 'message could not be encoded' }
  }
  const outcome = session.ledger.runOnce('pub', frame.id, () => {
    const checked = checkPayload(schema, frame.data)
    return isThenable(checked) ? checked.then(publish) : publish(checked)
  })
  settle(link, 'pub', frame.id, started, outcome)
}

/** Answer a deduplicated `send`/`pub` once its outcome is known. */
function settle(link: DispatchLink, kind: 'send' | 'pub', id: number, started: number, outcome: MaybePromise<Outcome & { duplicate: boolean }>): void {
  if (isThenable(outcome)) return void outcome.then((o) => settle(link, kind, id, started, o))
  if (outcome.duplicate) link.hub.metrics.dedupeHit()
  answer(link, id, outcome)
  link.hub.metrics.handler(kind, (performance.now() - started) / 1000)
}

async function onJoin(link: DispatchLink, frame: JoinFrame): Promise<void> {
  const { hub, session } = link
  const { ref, room } = frame
  const authorize = hub.options.authorizeJoin
  if (authorize) {
    let allowed = false
    try {
      allowed = await authorize(session.info(), room, frame.meta)
    } catch {
      allowed = false
    }
    if (!allowed) return void link.send({ t: 'error', ref, code: ErrorCode.FORBIDDEN, message: `may not join ${JSON.stringify(room)}` })
    if (!link.isOpen()) return
  }
  const result = hub.rooms.join(session, room, frame.meta, frame.since, frame.epoch)
  if (!result.ok) return void link.send({ t: 'error', ref, code: result.code, message: result.message })
  // Replay goes first: the client advances its last seq to `joined.seq` on receipt.
  for (const entry of result.replay) link.send(msgFrame(room, result.epoch, entry))
  const { epoch, seq, recovered, presence } = result
  link.send({ t: 'joined', ref, room, epoch, seq, recovered, presence })
  hub.logger.debug({ event: 'join', session: session.id, room, recovered }, 'joined room')
}

/** Answer message `id`: an ack (or, for a request, a reply carrying the result) or an error. */
function answer(link: DispatchLink, id: number, outcome: Outcome, reply = false): void {
  if (outcome.ok) return void (reply ? link.send({ t: 'reply', id, data: outcome.data }) : link.ack(id))
  const frame: ErrorFrame = { t: 'error', id, code: outcome.code, message: outcome.message }
  if (outcome.details !== undefined) frame.details = outcome.details
  link.send(frame)
}
