import { createContext } from 'react'
import type { AnyClient } from './register.js'

/** Internal: the client the nearest `MooringProvider` supplies. */
export const MooringContext = createContext<AnyClient | undefined>(undefined)
MooringContext.displayName = 'MooringContext'
