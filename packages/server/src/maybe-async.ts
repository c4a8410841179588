/**
 * A value now, or a promise of it. Handlers and schemas are mostly synchronous; passing their
 * results along as plain values keeps a frame's path free of promises and microtask hops,
 * and only work that really is asynchronous pays for them.
 */
export type MaybePromise<T> = T | Promise<T>

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function'
}
