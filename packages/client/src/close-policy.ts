import { CloseCode } from '@mooring/protocol'
import type { Reason } from './connection.js'

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
