import { useEffect } from 'react'
import type { Contract, MooringClient } from '@mooring/client'
import type { EventData, EventName } from '@mooring/client'
import { useClient } from './use-client.js'
import { useLatest } from './latest.js'
import type { RegisteredContract } from './register.js'

/**
 * Call `handler` for every direct message of `type` from the server, typed by the
 * contract like `client.onMessage`. One subscription per mounted component, made after
 * commit and removed on unmount; a new `handler` each render is picked up without
 * resubscribing. Changing `type` or the client resubscribes.
 */
export function useMessage<K extends EventName<C>, C extends Contract = RegisteredContract>(
  type: K,
  handler: (data: EventData<C, K>) => void,
  client?: MooringClient<C>,
): void {
  const resolved = useClient(client)
  const latest = useLatest(handler)
  useEffect(() => resolved.onMessage(type, (data) => latest.current(data)), [resolved, type, latest])
}
