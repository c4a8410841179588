import {
  ErrorCode,
  validate,
  type AnySchema,
  type Contract,
  type EventData,
  type EventInput,
  type EventName,
  type LooseContract,
  type ReplyInput,
  type RequestData,
  type RequestName,
  type ValidationResult,
} from '@mooring/protocol'
import type { Outcome } from './dedupe.js'
import { errorCodeOf, errorMessageOf } from './errors.js'
import { isThenable, type MaybePromise } from './maybe-async.js'
import type { SessionInfo } from './session.js'

/** What a handler gets besides the payload. */
export interface HandlerContext<C extends Contract = LooseContract> {
  session: SessionInfo
  /** `send` (answered with `ack`) or `req` (answered with `reply` carrying the return value). */
  kind: 'send' | 'req'
  type: string
  /** Send an `evt` frame to this client's current socket. False when it is not connected. */
  send<K extends EventName<C>>(type: K, data: EventInput<C, K>): boolean
  /** Aborts when the socket the frame came on closes. */
  signal: AbortSignal
}

export type Handler<T = any, R = unknown> = (ctx: HandlerContext<any>, data: T) => R | Promise<R>

/** Names `handle` accepts: the contract's events (`send`, acked) and requests (`req`, replied). */
export type HandlerName<C extends Contract> = EventName<C> | RequestName<C>
/** The payload a handler for `K` receives, as the contract's schema outputs it. */
export type HandlerData<C extends Contract, K> = K extends RequestName<C> ? RequestData<C, K> : K extends EventName<C> ? EventData<C, K> : never
/** What a handler for `K` returns: the reply for a request; anything (ignored) for an event. */
export type HandlerReply<C extends Contract, K> = K extends RequestName<C> ? ReplyInput<C, K> : unknown
/** A handler typed by the contract. */
export type ContractHandler<C extends Contract, K extends HandlerName<C>> = (
  ctx: HandlerContext<C>,
  data: HandlerData<C, K>,
) => HandlerReply<C, K> | Promise<HandlerReply<C, K>>

/** Validate `data` against `schema` (when there is one) and turn a failure into an `Outcome`. */
export function checkPayload(schema: AnySchema | undefined, data: unknown): MaybePromise<{ ok: true; value: unknown } | Outcome> {
  const result = validate(schema, data)
  return isThenable(result) ? result.then(toOutcome) : toOutcome(result)
}

function toOutcome(result: ValidationResult): { ok: true; value: unknown } | Outcome {
  if (result.ok) return result
  return { ok: false, code: ErrorCode.INVALID_PAYLOAD, message: 'payload failed validation', details: result.issues }
}

export class HandlerRegistry {
  private readonly handlers = new Map<string, Handler>()

  constructor(
    private readonly contract: Partial<Contract> | undefined,
    /** Told about unexpected handler failures (those without a known `code`). */
    private readonly onFailure: (err: unknown, ctx: HandlerContext<any>) => void = () => {},
  ) {}

  set(type: string, handler: Handler): void {
    this.handlers.set(type, handler)
  }

  has(type: string): boolean {
    return this.handlers.has(type)
  }

  /**
   * Run the handler for `ctx.type`; never throws or rejects. Synchronous schema and handler
   * give a synchronous outcome.
   */
  run(ctx: HandlerContext<any>, data: unknown): MaybePromise<Outcome> {
    const handler = this.handlers.get(ctx.type)
    if (!handler) return { ok: false, code: ErrorCode.NOT_FOUND, message: `no handler for ${JSON.stringify(ctx.type)}` }
    const schema = ctx.kind === 'req' ? this.contract?.requests?.[ctx.type]?.request : this.contract?.events?.[ctx.type]
    try {
      const checked = checkPayload(schema, data)
      if (!isThenable(checked)) return this.call(handler, ctx, checked)
      return checked.then(
        (c) => this.call(handler, ctx, c),
        (err: unknown) => this.failed(err, ctx),
      )
    } catch (err) {
      return this.failed(err, ctx)
    }
  }

  private call(handler: Handler, ctx: HandlerContext<any>, checked: { ok: true; value: unknown } | Outcome): MaybePromise<Outcome> {
    if (!checked.ok) return checked
    try {
      const value = handler(ctx, (checked as { value: unknown }).value)
      if (!isThenable(value)) return { ok: true, data: value }
      return Promise.resolve(value).then(
        (data): Outcome => ({ ok: true, data }),
        (err: unknown) => this.failed(err, ctx),
      )
    } catch (err) {
      return this.failed(err, ctx)
    }
  }

  private failed(err: unknown, ctx: HandlerContext<any>): Outcome {
    const code = errorCodeOf(err)
    if (code === ErrorCode.HANDLER_ERROR) this.onFailure(err, ctx)
    const details = (err as { details?: unknown } | null)?.details
    const outcome: Outcome = { ok: false, code, message: errorMessageOf(err) }
    if (details !== undefined) outcome.details = details
    return outcome
  }
}
