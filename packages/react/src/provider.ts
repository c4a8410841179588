import { createElement, type ReactNode } from 'react'
import { MooringContext } from './context.js'
import type { AnyClient } from './register.js'

export interface MooringProviderProps {
  /**
   * The client the hooks below use. Create it once, outside render (module scope or a
   * `useState` initializer): the provider never creates, connects or closes it, so the
   * app decides its lifetime and StrictMode's double mount cannot open two sockets.
   */
  client: AnyClient
  children?: ReactNode
}

/** Makes `client` available to `useClient` and every hook below it. */
export function MooringProvider({ client, children }: MooringProviderProps): ReactNode {
  // createElement rather than JSX keeps the source plain `.ts` for every build tool.
  return createElement(MooringContext.Provider, { value: client }, children)
}
