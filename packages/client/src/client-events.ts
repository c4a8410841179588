import type { Wire } from '@mooring/protocol'
import type { ConnectionState, Reason } from './connection.js'
import type { DropEvent } from './delivery.js'
import type { MooringError } from './errors.js'

/** Payload of every `state` event: where the connection is, where it was, and why. */
export interface StateChange {
  state: ConnectionState['status']
  prev: ConnectionState['status']
  reason: Reason
  /** Close code behind the change, when there was one. */
  code?: number
  /** Consecutive failed attempts so far. */
  attempt: number
  /** Delay before the next attempt, when one is scheduled. */
  nextDelayMs?: number
}

export interface ClientEvents {
  state: (change: StateChange) => void
  /** Connected, authenticated, rooms rejoined and outbox flushed. */
  ready: () => void
  error: (error: MooringError) => void
  drop: (event: DropEvent) => void
  /** `maxAttempts` reached with no slow-retry phase: the client stopped. */
  giveup: (error: MooringError | undefined) => void
  /** Raw mode: every inbound frame as it arrived. */
  raw: (data: Wire) => void
}
