/**
 * A token bucket with an abuse meter. `take()` spends a token when one is there; refusals
 * feed `strikes`, which drain at the same sustained rate, so only a peer that keeps sending
 * well above the rate (roughly twice or more) ever reaches a strike limit.
 */
export class TokenBucket {
  private tokens: number
  private strikeLevel = 0
  private last: number

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst
    this.last = now()
  }

  /** True when the frame may pass. */
  take(): boolean {
    this.refill()
    if (this.tokens >= 1) {
      this.tokens -= 1
      return true
    }
    this.strikeLevel += 1
    return false
  }

  /** Refusals not yet drained; one partly drained still counts whole. */
  get strikes(): number {
    this.refill()
    return Math.max(0, Math.ceil(this.strikeLevel - 1e-9))
  }

  /** Milliseconds until the next token. */
  get retryAfterMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond)
  }

  private refill(): void {
    const t = this.now()
    const elapsed = Math.max(0, t - this.last)
    this.last = t
    const gained = (elapsed * this.perSecond) / 1000
    this.tokens = Math.min(this.burst, this.tokens + gained)
    this.strikeLevel = Math.max(0, this.strikeLevel - gained)
  }
}
