import { useContext } from 'react'
import type { Contract, MooringClient } from '@mooring/client'
import { MooringContext } from './context.js'
import type { RegisteredContract } from './register.js'

/** Thrown by hooks used with neither a `MooringProvider` above them nor a client argument. */
export const NO_PROVIDER = 'NO_PROVIDER'

/**
 * The client from the nearest `MooringProvider`, or `client` when one is passed (it wins,
 * so a component can talk to a second client without a second provider).
 */
export function useClient<C extends Contract = RegisteredContract>(client?: MooringClient<C>): MooringClient<C> {
  const fromContext = useContext(MooringContext)
  const resolved = client ?? fromContext
  if (!resolved) {
    throw Object.assign(
      new Error('useClient: no Mooring client. Wrap the tree in <MooringProvider client={client}> or pass a client to the hook.'),
      { code: NO_PROVIDER },
    )
  }
  return resolved as MooringClient<C>
}
