import type { JoinFrame, LeaveFrame, PubFrame, ReqFrame, SendFrame } from '@mooring/protocol'
import { isThenable } from './maybe-async.js'
import type { SessionInfo } from './session.js'

/** Inbound frames that middleware sees: everything after `welcome` except `ping`/`pong`. */
export type AppFrame = SendFrame | ReqFrame | PubFrame | JoinFrame | LeaveFrame

export interface MiddlewareContext {
  readonly session: SessionInfo
  /** Frame kind: `send`, `req`, `pub`, `join` or `leave`. */
  readonly kind: AppFrame['t']
  /** Message type of `send`/`req`/`pub`; undefined for `join`/`leave`. */
  readonly type: string | undefined
  /** Room of `pub`/`join`/`leave`; undefined for `send`/`req`. */
  readonly room: string | undefined
  /** Rooms the session is in right now (before this frame). */
  readonly rooms: ReadonlySet<string>
  readonly ip: string | undefined
  /** Per-socket scratch space shared by all middleware, e.g. a rate limiter's bucket. Dies with the socket. */
  readonly state: Map<unknown, unknown>
  /** Refuse the frame: the client gets `error {id | ref, code, message}` and no handler runs. */
  reject(code: string, message: string, details?: unknown): void
  /** Close the socket (e.g. 1008 for abuse). */
  close(code: number, reason: string): void
}

/**
 * `server.use(async (ctx, frame, next) => { … await next() })`. Not calling `next` stops the
 * frame (call `ctx.reject` so the client hears why). Throwing rejects it with the error's
 * `code` when it is an `ErrorCode`, else `INTERNAL`.
 */
export type Middleware = (ctx: MiddlewareContext, frame: AppFrame, next: () => Promise<void>) => unknown

/**
 * Run `stack` in order around `final`. Returns undefined when every middleware finished
 * synchronously (plain functions that call `next` or reject without awaiting), so a flood of
 * refused frames costs no promise each; otherwise a promise of the chain. May throw.
 */
export function runMiddleware(
  stack: readonly Middleware[],
  ctx: MiddlewareContext,
  frame: AppFrame,
  final: () => void,
): Promise<void> | undefined {
  let index = -1
  const step = (i: number): Promise<void> | undefined => {
    if (i <= index) throw new Error('next() called twice')
    index = i
    if (i === stack.length) {
      final()
      return undefined
    }
    const result = stack[i]!(ctx, frame, () => {
      try {
        return step(i + 1) ?? Promise.resolve()
      } catch (err) {
        return Promise.reject(err)
      }
    })
    return isThenable(result) ? Promise.resolve(result).then(() => {}) : undefined
  }
  return step(0)
}

const KINDS = Symbol('mooring.middlewareKinds')

/**
 * Mark built-in middleware that only acts on some frame kinds. Frames of other kinds skip it
 * outright (no context, no `next` closure): a room limit costs a `send` nothing.
 */
export function forKinds(kinds: readonly AppFrame['t'][], middleware: Middleware): Middleware {
  return Object.assign(middleware, { [KINDS]: kinds })
}

function appliesTo(middleware: Middleware, kind: AppFrame['t']): boolean {
  const kinds = (middleware as { [KINDS]?: readonly AppFrame['t'][] })[KINDS]
  return !kinds || kinds.includes(kind)
}

/**
 * A server's middleware, in `use` order, with the per-kind views its sockets read cached:
 * one filter per kind after each `use`, not one per frame.
 */
export class MiddlewareStack {
  private readonly all: Middleware[]
  private byKind: Partial<Record<AppFrame['t'], readonly Middleware[]>> = {}

  constructor(middleware: Middleware[] = []) {
    this.all = [...middleware]
  }

  add(middleware: Middleware): void {
    this.all.push(middleware)
    this.byKind = {}
  }

  /** The middleware that acts on frames of `kind`. */
  for(kind: AppFrame['t']): readonly Middleware[] {
    return (this.byKind[kind] ??= this.all.filter((m) => appliesTo(m, kind)))
  }
}

/**
 * Keeps a socket's frames in arrival order through asynchronous middleware: a frame enters
 * the chain only after the one before it reached its handler (or was stopped). With
 * synchronous middleware nothing waits.
 */
export class FrameGate {
  private readonly backlog: AppFrame[] = []
  private busy = false
  constructor(
    private readonly stack: MiddlewareStack,
    private readonly contextOf: (frame: AppFrame) => MiddlewareContext,
    private readonly dispatch: (frame: AppFrame) => void,
    private readonly failed: (frame: AppFrame, err: unknown) => void,
    /** Most frames waiting behind a slow middleware; `push` returns false beyond it. */
    private readonly maxBacklog: number,
  ) {}

  push(frame: AppFrame): boolean {
    // Nothing to run and nothing ahead of it: straight to the handler.
    if (!this.busy && this.backlog.length === 0 && this.stack.for(frame.t).length === 0) {
      this.dispatch(frame)
      return true
    }
    if (this.backlog.length >= this.maxBacklog) return false
    this.backlog.push(frame)
    this.pump()
    return true
  }

  private pump(): void {
    while (!this.busy && this.backlog.length > 0) {
      const frame = this.backlog.shift()!
      const stack = this.stack.for(frame.t)
      if (stack.length === 0) {
        this.dispatch(frame)
        continue
      }
      this.busy = true
      let released = false
      const release = (): void => {
        if (released) return
        released = true
        this.busy = false
      }
      let pending: Promise<void> | undefined
      try {
        pending = runMiddleware(stack, this.contextOf(frame), frame, () => {
          release()
          this.dispatch(frame)
        })
      } catch (err) {
        if (!released) this.failed(frame, err)
      }
      if (!pending) {
        release()
        continue
      }
      pending.then(
        () => {
          release()
          this.pump()
        },
        (err: unknown) => {
          const reachedHandler = released
          release()
          if (!reachedHandler) this.failed(frame, err)
          this.pump()
        },
      )
      if (!released) return
    }
  }
}
