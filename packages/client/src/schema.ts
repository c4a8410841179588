import { validate, type AnySchema, type Contract, type StandardIssue } from '@mooring/protocol'
import { MooringError } from './errors.js'

export type SchemaKind = 'event' | 'message' | 'request' | 'reply'

/** The schema the contract declares for `type`, if any. A loose contract declares none. */
export function schemaFor(contract: Partial<Contract> | undefined, kind: SchemaKind, type: string): AnySchema | undefined {
  const group: Record<string, any> | undefined =
    kind === 'event' ? contract?.events : kind === 'message' ? contract?.messages : contract?.requests
  // Own keys only: a type named `constructor` or `__proto__` must not find Object's.
  const entry = group && Object.hasOwn(group, type) ? group[type] : undefined
  return kind === 'request' || kind === 'reply' ? entry?.[kind] : entry
}

function invalid(kind: SchemaKind, type: string, issues: ReadonlyArray<StandardIssue>, op: string): MooringError {
  return new MooringError('INVALID_PAYLOAD', `invalid ${kind} ${type}: ${issues[0]?.message}`, { op, details: { type, kind, issues } })
}

/**
 * Check `value` against the contract. Calls `onValid` with the (possibly transformed)
 * value or `onInvalid` with a typed error; synchronously when the schema is synchronous,
 * so message order is kept for the common case.
 */
export function checkPayload(
  contract: Partial<Contract> | undefined,
  kind: SchemaKind,
  type: string,
  value: unknown,
  op: string,
  onValid: (value: unknown) => void,
  onInvalid: (error: MooringError) => void,
): void {
  const result = validate(schemaFor(contract, kind, type), value)
  const settle = (r: Awaited<typeof result>) => (r.ok ? onValid(r.value) : onInvalid(invalid(kind, type, r.issues, op)))
  if (result instanceof Promise) result.then(settle, (error) => onInvalid(MooringError.from(error, 'INVALID_PAYLOAD', op)))
  else settle(result)
}

/** Promise form of `checkPayload`, for the outbound paths that return promises anyway. */
export function parsePayload(
  contract: Partial<Contract> | undefined,
  kind: SchemaKind,
  type: string,
  value: unknown,
  op: string,
): Promise<unknown> {
  return new Promise((resolve, reject) => checkPayload(contract, kind, type, value, op, resolve, reject))
}
