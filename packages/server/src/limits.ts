import { CloseCode, ErrorCode } from '@mooring/protocol'
import { forKinds, type Middleware } from './middleware.js'
import type { RateLimitOptions } from './options.js'
import { TokenBucket } from './token-bucket.js'

const BUCKET = Symbol('mooring.rateLimit')

/**
 * Token-bucket rate limit per socket, as middleware. A refused frame gets `RATE_LIMITED`
 * (with `details.retryAfterMs`); once refusals pile up to `closeAfterRefused` the socket is
 * closed 1008. Plain (non-async) so a flood is refused without a promise per frame.
 */
export function rateLimit(options: Required<RateLimitOptions>, now: () => number = Date.now): Middleware {
  const { perSecond, burst, closeAfterRefused } = options
  return (ctx, _frame, next) => {
    let bucket = ctx.state.get(BUCKET) as TokenBucket | undefined
    if (!bucket) ctx.state.set(BUCKET, (bucket = new TokenBucket(perSecond, burst, now)))
    if (bucket.take()) return next()
    if (bucket.strikes >= closeAfterRefused) return ctx.close(CloseCode.POLICY, 'rate limit exceeded')
    ctx.reject(ErrorCode.RATE_LIMITED, `more than ${perSecond} frames per second`, { retryAfterMs: bucket.retryAfterMs })
  }
}

/** Bound the rooms one connection is in; a join beyond it answers `FORBIDDEN`. */
export function roomLimit(maxRooms: number): Middleware {
  return forKinds(['join'], (ctx, frame, next) => {
    if (frame.t !== 'join' || ctx.rooms.has(frame.room) || ctx.rooms.size < maxRooms) return next()
    ctx.reject(ErrorCode.FORBIDDEN, `room limit reached: a connection may be in at most ${maxRooms} rooms`, { maxRooms })
  })
}
