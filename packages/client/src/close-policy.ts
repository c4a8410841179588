import { CloseCode } from '@mooring/protocol'
import { backoffDelay } from './backoff.js'
import type { Reason } from './connection.js'
import type { ReconnectOptions } from './options.js'

/** What the client knows when a socket (or an attempt) ends. */
export interface CloseInfo {
  /** WebSocket close code; 1006 when the socket died without one. */
  code: number
  /** Close reason text from the peer, if any. */
  closeReason: string
  /** The client-side classification. */
  reason: Reason
  /** Consecutive failed attempts before this one. */
  attempt: number
  error?: unknown
}

export type CloseVerdict =
  /** Back off, then try again. */
  | 'retry'
  /** Fetch a fresh token and try again at once. */
  | 'reauth'
  /** Stop for good and say why. */
  | 'stop'

/**
 * The close-code table of DESIGN.md. Codes a client cannot fix by trying again stop it;
 * everything else, including codes we have never heard of, backs off and retries —
 * a client that stops on an unknown code strands users after every server upgrade.
 */
export function closeVerdict(code: number): CloseVerdict {
  switch (code) {
    case CloseCode.UNAUTHORIZED:
      return 'reauth'
    case CloseCode.NORMAL:
    case CloseCode.POLICY:
    case CloseCode.FORBIDDEN:
    case CloseCode.PROTOCOL:
      return 'stop'
    default:
      return 'retry'
  }
}

/**
 * A retry hint in a close reason (`retryAfterMs=2000`), which the server adds to 1012 and
 * 1013 closes (see packages/protocol/README.md).
 */
export function retryHintMs(closeReason: string): number | undefined {
  const match = /retryAfterMs=(\d{1,9})/.exec(closeReason)
  return match ? Number(match[1]) : undefined
}

export interface RetryContext {
  info: CloseInfo
  /** A fresh token was already tried at once since the link was last stable. */
  reauthed: boolean
  /** The server's `goaway.retryAfterMs`, if it sent one. */
  restartHintMs: number | undefined
  options: ReconnectOptions
  /** The delay chosen last time (decorrelated jitter grows from it). */
  lastDelayMs: number
  random: number
  shouldReconnect: ((info: CloseInfo) => boolean | undefined) | undefined
}

export type RetryPlan =
  | { kind: 'stop'; reason: Reason }
  /** Try again at once (a fresh token after 4401). */
  | { kind: 'now'; reason: Reason }
  | { kind: 'later'; reason: Reason; delayMs: number }

/** What to do after a lost link. Pure: every input is an argument. */
export function planRetry(ctx: RetryContext): RetryPlan {
  const { info, options } = ctx
  // Only a close code from the server can be a verdict; timeouts and auth failures retry.
  let verdict: CloseVerdict = info.reason === 'server-close' || info.reason === 'network' ? closeVerdict(info.code) : 'retry'
  const override = ctx.shouldReconnect?.(info)
  if (override === false) verdict = 'stop'
  else if (override === true && verdict === 'stop') verdict = 'retry'
  const stoppedByServer = info.code === CloseCode.NORMAL || info.code === CloseCode.FORBIDDEN
  const reason: Reason = verdict === 'reauth' ? 'auth' : stoppedByServer ? 'server-close' : info.reason
  if (verdict === 'stop') return { kind: 'stop', reason }
  // A fresh token usually fixes 4401 at once; a second 4401 in a row backs off.
  if (verdict === 'reauth' && !ctx.reauthed) return { kind: 'now', reason }
  const exhausted = info.attempt + 1 > options.maxAttempts
  if (exhausted && options.slowRetryMs <= 0) return { kind: 'stop', reason: 'giveup' }
  const restartish = info.code === CloseCode.RESTART || info.code === CloseCode.TRY_AGAIN
  const hint = ctx.restartHintMs ?? (restartish ? retryHintMs(info.closeReason) : undefined)
  if (hint !== undefined) {
    // A restarting server asks everyone back later: spread the return so a thousand
    // clients do not arrive in the same 100 ms.
    return { kind: 'later', reason, delayMs: hint + ctx.random * Math.max(hint, options.restartSpreadMs) }
  }
  if (exhausted) return { kind: 'later', reason, delayMs: options.slowRetryMs * (0.5 + ctx.random / 2) }
  return { kind: 'later', reason, delayMs: backoffDelay(options, info.attempt, ctx.random, ctx.lastDelayMs) }
}
