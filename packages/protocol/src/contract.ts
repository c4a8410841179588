/**
 * One contract types both ends. Each entry is a Standard Schema
 * (https://standardschema.dev): zod, valibot and arktype all implement `~standard`,
 * and only that interface is used, so no schema library is bundled.
 */

/** The Standard Schema v1 interface, inlined as its spec invites (types only). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> }
export interface StandardIssue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

export type AnySchema = StandardSchemaV1<any, any>
export type Infer<S> = S extends StandardSchemaV1<any, infer O> ? O : unknown
export type InferIn<S> = S extends StandardSchemaV1<infer I, any> ? I : unknown

export interface RequestSchemas {
  request: AnySchema
  reply: AnySchema
}

/**
 * - `events`: direct messages, either way: `client.send` to the server, `ctx.send` /
 *   `server.toUser` / `server.broadcast` to clients.
 * - `messages`: room messages: `room.publish`, `room.onMessage`, `server.to(room).publish`.
 * - `requests`: `client.request` and `server.handle`, with a reply schema each.
 */
export interface Contract {
  events: Record<string, AnySchema>
  messages: Record<string, AnySchema>
  requests: Record<string, RequestSchemas>
}

export interface ContractInput {
  events?: Record<string, AnySchema>
  messages?: Record<string, AnySchema>
  requests?: Record<string, RequestSchemas>
}

export type ContractOf<C extends ContractInput> = {
  events: C['events'] extends Record<string, AnySchema> ? C['events'] : {}
  messages: C['messages'] extends Record<string, AnySchema> ? C['messages'] : {}
  requests: C['requests'] extends Record<string, RequestSchemas> ? C['requests'] : {}
}

/** A contract that types nothing: any name, any payload. The default when none is given. */
export interface LooseContract {
  events: Record<string, StandardSchemaV1<unknown, any>>
  messages: Record<string, StandardSchemaV1<unknown, any>>
  requests: Record<string, { request: StandardSchemaV1<unknown, any>; reply: StandardSchemaV1<unknown, any> }>
}

/** Declare the contract both ends share. Identity at run time; its value is the types. */
export function defineContract<const C extends ContractInput>(contract: C): ContractOf<C> {
  return { events: {}, messages: {}, requests: {}, ...contract } as ContractOf<C>
}

export type EventName<C extends Contract> = Extract<keyof C['events'], string>
export type MessageName<C extends Contract> = Extract<keyof C['messages'], string>
export type RequestName<C extends Contract> = Extract<keyof C['requests'], string>
export type EventData<C extends Contract, K extends EventName<C>> = Infer<C['events'][K]>
export type EventInput<C extends Contract, K extends EventName<C>> = InferIn<C['events'][K]>
export type MessageData<C extends Contract, K extends MessageName<C>> = Infer<C['messages'][K]>
export type MessageInput<C extends Contract, K extends MessageName<C>> = InferIn<C['messages'][K]>
export type RequestData<C extends Contract, K extends RequestName<C>> = Infer<C['requests'][K]['request']>
export type RequestInput<C extends Contract, K extends RequestName<C>> = InferIn<C['requests'][K]['request']>
export type ReplyData<C extends Contract, K extends RequestName<C>> = Infer<C['requests'][K]['reply']>
export type ReplyInput<C extends Contract, K extends RequestName<C>> = InferIn<C['requests'][K]['reply']>

export type ValidationResult = { ok: true; value: unknown } | { ok: false; issues: ReadonlyArray<StandardIssue> }

/**
 * Validate a value against a schema, if there is one. Unknown types pass through untouched
 * when the contract has no entry (a loose contract), so the check is opt-in per type.
 * Synchronous schemas stay synchronous: the hot path never awaits a resolved promise.
 */
export function validate(
  schema: AnySchema | undefined,
  value: unknown,
): ValidationResult | Promise<ValidationResult> {
  if (!schema) return { ok: true, value }
  const result = schema['~standard'].validate(value)
  return result instanceof Promise ? result.then(toValidation) : toValidation(result)
}

function toValidation(result: StandardResult<unknown>): ValidationResult {
  return result.issues ? { ok: false, issues: result.issues } : { ok: true, value: result.value }
}
