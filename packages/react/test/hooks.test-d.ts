import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { createClient, defineContract, type ConnectionState, type MooringError, type StateChange } from '@mooring/client'
import { useClient, useClientEvent, useConnectionState, useMessage } from '../src/index.js'

const contract = defineContract({
  events: {
    chat: z.object({ text: z.string(), at: z.number() }),
    typing: z.object({ on: z.boolean() }),
  },
})
const client = createClient({ url: 'ws://example.test/', contract })

describe('hook types', () => {
  it('useMessage infers each payload from the contract of the client it is given', () => {
    useMessage('chat', (data) => expectTypeOf(data).toEqualTypeOf<{ text: string; at: number }>(), client)
    useMessage('typing', (data) => expectTypeOf(data).toEqualTypeOf<{ on: boolean }>(), client)
  })

  it('useMessage rejects a message name the contract does not declare', () => {
    // @ts-expect-error 'chta' is not an event of the contract
    useMessage('chta', () => {}, client)
  })

  it('useMessage rejects a handler expecting the wrong payload', () => {
    // @ts-expect-error chat's text is a string
    useMessage('chat', (data: { text: number }) => void data, client)
  })

  it('without a client the contract is loose: any name, payload unknown', () => {
    useMessage('anything', (data) => expectTypeOf(data).toBeAny(), undefined)
  })

  it('useClient returns the typed client it is given, and useConnectionState the state', () => {
    expectTypeOf(useClient(client)).toEqualTypeOf(client)
    expectTypeOf(useConnectionState(client)).toEqualTypeOf<ConnectionState>()
  })

  it('useClientEvent types the handler by event name', () => {
    useClientEvent('state', (change) => expectTypeOf(change).toEqualTypeOf<StateChange>())
    useClientEvent('error', (error) => expectTypeOf(error).toEqualTypeOf<MooringError>())
    // @ts-expect-error not an event of the client
    useClientEvent('gone', () => {})
  })
})
