import { TestingError } from './testing-error.js'

/**
 * Anything a test may want to wait on: Node's EventEmitter, eventemitter3 (`on`/`off`),
 * or a DOM-style EventTarget (`addEventListener`/`removeEventListener`).
 */
export type EventSource =
  | {
      on(name: string | symbol, listener: (...args: any[]) => void): unknown
      off?(name: string | symbol, listener: (...args: any[]) => void): unknown
      removeListener?(name: string | symbol, listener: (...args: any[]) => void): unknown
    }
  | {
      addEventListener(name: string, listener: (event: any) => void): unknown
      removeEventListener(name: string, listener: (event: any) => void): unknown
    }

/** Defaults shared by `waitForEvent` and `waitUntil`. */
export const WAIT_DEFAULTS = {
  timeoutMs: 5_000,
  intervalMs: 10,
} as const

export interface WaitForEventOptions<Args extends unknown[] = unknown[]> {
  /**
   * Hard bound on the wait; the promise rejects with code `WAIT_TIMEOUT` after it.
   * @default 5000
   */
  timeoutMs?: number
  /**
   * Only an emission whose arguments pass this resolves the wait; others are ignored.
   * @default undefined (the first emission wins)
   */
  filter?: (...args: Args) => boolean
  /**
   * Reject with the emitted error as soon as the source emits `error` (like `events.once`). Off by default because
   * Mooring's client emits informational `error` events while it keeps reconnecting.
   * @default false
   */
  rejectOnError?: boolean
  /**
   * What is being waited for, in words, for the timeout message.
   * @default `event "<name>"`
   */
  description?: string
}

/**
 * Resolves with the listener arguments of the first matching `name` emission (as an array,
 * like `events.once`), or rejects with `WAIT_TIMEOUT` after `timeoutMs`.
 *
 * @example const [code] = await waitForEvent<[number, Buffer]>(ws, 'close', { timeoutMs: 2000 })
 */
export function waitForEvent<Args extends unknown[] = unknown[]>(
  source: EventSource,
  name: string | symbol,
  options: WaitForEventOptions<Args> = {},
): Promise<Args> {
  const timeoutMs = options.timeoutMs ?? WAIT_DEFAULTS.timeoutMs
  const what = options.description ?? `event "${String(name)}"${options.filter ? ' matching the filter' : ''}`
  const started = Date.now()

  return new Promise<Args>((resolve, reject) => {
    const cleanups: Array<() => void> = []
    const finish = (settle: () => void) => {
      clearTimeout(timer)
      for (const cleanup of cleanups) cleanup()
      settle()
    }

    const onEvent = (...args: unknown[]) => {
      const typed = args as Args
      if (options.filter) {
        let matched: boolean
        try {
          matched = options.filter(...typed)
        } catch (error) {
          finish(() => reject(error))
          return
        }
        if (!matched) return
      }
      finish(() => resolve(typed))
    }
    cleanups.push(listen(source, name, onEvent))

    if (options.rejectOnError && name !== 'error') {
      const onError = (error: unknown) => finish(() => reject(error))
      cleanups.push(listen(source, 'error', onError))
    }

    const timer = setTimeout(() => {
      finish(() =>
        reject(new TestingError('WAIT_TIMEOUT', `Timed out after ${Date.now() - started} ms waiting for ${what}`)),
      )
    }, timeoutMs)
  })
}

export interface WaitUntilOptions {
  /**
   * Hard bound on the wait, including a predicate that never settles.
   * @default 5000
   */
  timeoutMs?: number
  /**
   * Pause between polls.
   * @default 10
   */
  intervalMs?: number
  /**
   * What is being waited for, in words, for the timeout message.
   * @default 'condition'
   */
  description?: string
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>

/**
 * Polls `predicate` until it returns (or resolves to) a truthy value and resolves with that value.
 * A throwing predicate counts as "not yet"; its last error is the timeout's `cause`.
 *
 * @example await waitUntil(() => proxy.connections === 0, { timeoutMs: 1000 })
 */
export async function waitUntil<T>(predicate: () => T | Promise<T>, options: WaitUntilOptions = {}): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? WAIT_DEFAULTS.timeoutMs
  const intervalMs = options.intervalMs ?? WAIT_DEFAULTS.intervalMs
  const what = options.description ?? 'condition'
  const started = Date.now()
  const deadline = started + timeoutMs
  let lastError: unknown
  let attempts = 0

  for (;;) {
    attempts++
    // At least 1 ms, so the last poll at the deadline still gets its chance.
    const remaining = Math.max(1, deadline - Date.now())
    try {
      const value = await withDeadline(Promise.resolve().then(predicate), remaining)
      if (value !== TIMED_OUT && value) return value as Truthy<T>
    } catch (error) {
      lastError = error
    }
    const left = deadline - Date.now()
    if (left <= 0) break
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)))
  }

  const suffix = lastError === undefined ? '' : `; last error: ${describe(lastError)}`
  throw new TestingError(
    'WAIT_TIMEOUT',
    `Timed out after ${Date.now() - started} ms (${attempts} checks) waiting for ${what}${suffix}`,
    lastError === undefined ? undefined : { cause: lastError },
  )
}

const TIMED_OUT = Symbol('timed out')

// A predicate that hangs must not stretch the bound, so every poll races the deadline.
function withDeadline<T>(promise: Promise<T>, remainingMs: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), remainingMs)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function listen(source: EventSource, name: string | symbol, listener: (...args: any[]) => void): () => void {
  if ('on' in source && typeof source.on === 'function') {
    source.on(name, listener)
    return () => {
      if (typeof source.off === 'function') source.off(name, listener)
      else source.removeListener?.(name, listener)
    }
  }
  const target = source as Extract<EventSource, { addEventListener: unknown }>
  if (typeof name === 'symbol') throw new TypeError('An EventTarget cannot emit symbol-named events')
  target.addEventListener(name, listener)
  return () => target.removeEventListener(name, listener)
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
