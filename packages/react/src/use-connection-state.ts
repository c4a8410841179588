import { useCallback, useSyncExternalStore } from 'react'
import type { ConnectionState, Contract, MooringClient } from '@mooring/client'
import { useClient } from './use-client.js'
import type { RegisteredContract } from './register.js'

/**
 * The connection state (`status`, `attempt`, `reason`, …), re-rendering on every change.
 * The client replaces the state object only on change, so it is a valid snapshot as is.
 */
export function useConnectionState<C extends Contract = RegisteredContract>(client?: MooringClient<C>): ConnectionState {
  const resolved = useClient(client)
  // The client's methods are not bound (private fields need `this`), and stable
  // callbacks keep React from resubscribing on every render.
  const subscribe = useCallback((onChange: () => void) => resolved.subscribe(onChange), [resolved])
  const getState = useCallback(() => resolved.getState(), [resolved])
  return useSyncExternalStore(subscribe, getState, getState)
}
