import type { LifecycleSignal } from './environment.js'

/**
 * The connection state machine. States are data, `transition` is a pure function of the
 * current state and an event, and it returns the same object when the event does not
 * apply — so the client can tell "nothing happened" by identity. Effects (open a socket,
 * arm a timer) are derived by the client from the change, after the transition.
 *
 *   idle ──connect──▶ connecting ──opened──▶ open
 *                        ▲   │                 │
 *                  retry │   └──lost(retry)────┤──lost(retry)──▶ reconnecting ⇄ offline
 *                        └─────────────────────────────────────────────┘
 *   any ──close──▶ closed        any ──reconnect──▶ connecting (attempt 0)
 *   connecting/open ──lost(no retry)──▶ closed
 */

export type Status = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed'

/** Why the state changed. Stable strings, meant for logs and UI. */
export type Reason =
  | 'initial'
  | 'user'
  | 'welcome'
  | 'retry'
  | 'online'
  | 'offline'
  | 'resume'
  | 'pagehide'
  | 'network'
  | 'server-close'
  | 'heartbeat-timeout'
  | 'connect-timeout'
  | 'auth'
  | 'goaway'
  | 'protocol'
  | 'giveup'

export type ConnectionState =
  | { status: 'idle'; attempt: 0; reason: 'initial' }
  | { status: 'connecting'; attempt: number; reason: Reason; code?: number }
  | { status: 'open'; attempt: number; reason: Reason }
  | { status: 'reconnecting' | 'offline'; attempt: number; reason: Reason; code?: number; nextDelayMs: number }
  | { status: 'closed'; attempt: number; reason: Reason; code?: number; error?: unknown }

export type ConnectionEvent =
  /** The app asked to connect; a no-op unless idle or closed. */
  | { type: 'connect' }
  /** The app asked to reconnect now: from any state, with the attempt count reset. */
  | { type: 'reconnect'; reason?: Reason }
  /** The handshake finished (`welcome`, or `open` in raw mode). */
  | { type: 'opened' }
  /** The connection stayed up for `minUptimeMs`: backoff starts over next time. */
  | { type: 'stable' }
  /** The socket or the attempt failed. `retry` is the policy's decision. */
  | {
      type: 'lost'
      reason: Reason
      code?: number
      error?: unknown
      retry: false | { delayMs: number; offline: boolean; immediate?: boolean }
    }
  /** The retry timer fired. */
  | { type: 'retry' }
  /** The app closed the client, or the page is being hidden for the bfcache. */
  | { type: 'close'; reason: 'user' | 'pagehide' }
  /** The browser reports the network gone / back. */
  | { type: 'offline' }
  | { type: 'online' }

export const initialState: ConnectionState = { status: 'idle', attempt: 0, reason: 'initial' }

/** True while a socket may exist for the current attempt. */
export function hasSocket(state: ConnectionState): boolean {
  return state.status === 'connecting' || state.status === 'open'
}

export function transition(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event.type) {
    case 'connect':
      if (state.status === 'idle' || state.status === 'closed') return { status: 'connecting', attempt: 0, reason: 'user' }
      return state
    case 'reconnect':
      return { status: 'connecting', attempt: 0, reason: event.reason ?? 'user' }
    case 'opened':
      return state.status === 'connecting' ? { status: 'open', attempt: state.attempt, reason: 'welcome' } : state
    case 'stable':
      return state.status === 'open' && state.attempt !== 0 ? { ...state, attempt: 0 } : state
    case 'lost': {
      if (!hasSocket(state)) return state
      const code = event.code === undefined ? {} : { code: event.code }
      if (!event.retry) return { status: 'closed', attempt: state.attempt, reason: event.reason, ...code, error: event.error }
      const attempt = state.attempt + 1
      if (event.retry.immediate) return { status: 'connecting', attempt, reason: event.reason, ...code }
      return {
        status: event.retry.offline ? 'offline' : 'reconnecting',
        attempt,
        reason: event.reason,
        ...code,
        nextDelayMs: event.retry.delayMs,
      }
    }
    case 'retry':
      if (state.status === 'reconnecting' || state.status === 'offline')
        return { status: 'connecting', attempt: state.attempt, reason: 'retry' }
      return state
    case 'close':
      if (state.status === 'closed' && state.reason === event.reason) return state
      if (state.status === 'idle' && event.reason === 'pagehide') return state
      return { status: 'closed', attempt: state.attempt, reason: event.reason }
    case 'offline':
      return state.status === 'reconnecting' ? { ...state, status: 'offline', reason: 'offline' } : state
    case 'online':
      // The network is back: waiting out a long backoff now only delays the user.
      if (state.status === 'offline' || state.status === 'reconnecting')
        return { status: 'connecting', attempt: 0, reason: 'online' }
      return state
  }
}

/**
 * What a browser lifecycle signal means in `state`: probe the live link, an event for the
 * machine, or nothing. Pure, like `transition`.
 */
export function signalAction(state: ConnectionState, signal: LifecycleSignal): 'probe' | ConnectionEvent | undefined {
  const { status, reason } = state
  if (status === 'open') return signal === 'pagehide' ? { type: 'close', reason: 'pagehide' } : signal === 'pageshow' ? undefined : 'probe'
  if (signal === 'online' || signal === 'offline') return { type: signal }
  if (signal === 'visible' || signal === 'resume') return status === 'reconnecting' || status === 'offline' ? { type: 'retry' } : undefined
  if (signal === 'pagehide') return status === 'idle' || status === 'closed' ? undefined : { type: 'close', reason: 'pagehide' }
  return status === 'closed' && reason === 'pagehide' ? { type: 'connect' } : undefined
}
