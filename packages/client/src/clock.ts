/**
 * Time and randomness behind one interface, so every timing decision can be tested with
 * fake time. The system clock reads the globals at call time, not import time, so
 * `vi.useFakeTimers()` installed after import still takes effect.
 */
export type TimerHandle = unknown

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  /** A number in [0, 1). Jitter uses it; tests seed it. */
  random(): number
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
}

/**
 * A single-shot timer owned by one component: starting it again replaces the previous
 * schedule, so a component can never leak a second live timer.
 */
export class Timer {
  #handle: TimerHandle | undefined
  constructor(private readonly clock: Clock) {}

  start(ms: number, fn: () => void): void {
    this.stop()
    this.#handle = this.clock.setTimeout(() => {
      this.#handle = undefined
      fn()
    }, ms)
  }

  stop(): void {
    if (this.#handle !== undefined) {
      this.clock.clearTimeout(this.#handle)
      this.#handle = undefined
    }
  }

  get active(): boolean {
    return this.#handle !== undefined
  }
}
