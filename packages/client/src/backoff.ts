/**
 * Reconnect delays. Pure: the same inputs give the same delay, randomness comes in as an
 * argument. Full jitter by default (AWS architecture blog, "Exponential Backoff And
 * Jitter"): uniform in [0, min(maxDelayMs, minDelayMs·factor^attempt)], which stays spread
 * out at the cap — unlike jitter applied before clamping, where every client at the cap
 * returns in lockstep.
 */

export type JitterStrategy = 'full' | 'equal' | 'decorrelated' | 'none'

export interface BackoffOptions {
  /** Base delay of the first retry, in ms. @default 500 */
  minDelayMs: number
  /** Cap on any single delay, in ms. @default 30000 */
  maxDelayMs: number
  /** Growth per attempt. @default 2 */
  factor: number
  /** How randomness spreads the delay. @default 'full' */
  jitter: JitterStrategy
}

export const backoffDefaults: Readonly<BackoffOptions> = Object.freeze({
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 'full',
})

/**
 * Delay before retry number `attempt` (0 for the first retry).
 * `previousMs` is only read by decorrelated jitter.
 */
export function backoffDelay(options: BackoffOptions, attempt: number, random: number, previousMs = 0): number {
  const { minDelayMs, maxDelayMs, factor, jitter } = options
  // Cap the exponent before it overflows to Infinity on very long outages.
  const ceiling = Math.min(maxDelayMs, minDelayMs * factor ** Math.min(attempt, 64))
  switch (jitter) {
    case 'none':
      return ceiling
    case 'equal':
      return ceiling / 2 + random * (ceiling / 2)
    case 'decorrelated': {
      // min(cap, random(base, prev·3)) — "Decorrelated jitter", same AWS article.
      const upper = Math.max(minDelayMs, previousMs * 3)
      return Math.min(maxDelayMs, minDelayMs + random * (upper - minDelayMs))
    }
    default:
      return random * ceiling
  }
}
