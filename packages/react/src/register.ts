import type { Contract, LooseContract, MooringClient } from '@mooring/client'

/**
 * Register your contract once so hooks that read the client from context are typed
 * without a type argument at every call site (the TanStack Router pattern):
 *
 * ```ts
 * declare module '@mooring/react' {
 *   interface Register { contract: typeof contract }
 * }
 * ```
 */
export interface Register {}

/** The registered contract, or the loose one (any name, any payload) when none is. */
export type RegisteredContract = Register extends { contract: infer C extends Contract } ? C : LooseContract

/** A client of any contract: what the provider holds, since context cannot carry a type. */
export type AnyClient = MooringClient<any>
