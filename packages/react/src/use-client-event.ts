import { useEffect } from 'react'
import type { ClientEvents, Contract, MooringClient } from '@mooring/client'
import { useClient } from './use-client.js'
import { useLatest } from './latest.js'
import type { RegisteredContract } from './register.js'

/** The client's lifecycle events: `state`, `ready`, `error`, `drop` (and `giveup`, `raw`). */
export type ClientEventName = keyof ClientEvents

/**
 * Listen to one of the client's own events (`ready`, `error`, `drop`, `state`, …) for as
 * long as the component is mounted. Like `useMessage`, the latest `handler` is called
 * without resubscribing. For rendering the state, prefer `useConnectionState`.
 */
export function useClientEvent<E extends ClientEventName, C extends Contract = RegisteredContract>(
  event: E,
  handler: ClientEvents[E],
  client?: MooringClient<C>,
): void {
  const resolved = useClient(client)
  const latest = useLatest(handler)
  useEffect(() => {
    const listener = (...args: unknown[]) => (latest.current as (...a: unknown[]) => void)(...args)
    // The public signature already ties `handler` to `event`; eventemitter3's mapped
    // listener type cannot be related to a generic `E`, hence the casts.
    resolved.on(event, listener as never)
    return () => {
      resolved.off(event, listener as never)
    }
  }, [resolved, event, latest])
}
