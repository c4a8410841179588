// @vitest-environment happy-dom
import { render, renderHook, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { MooringProvider, NO_PROVIDER, useClient } from '../src/index.js'
import { setupClient, useHarness } from './harness.js'

useHarness()

describe('MooringProvider and useClient', () => {
  it('gives components below the provider its client', () => {
    const { client } = setupClient()
    function Probe() {
      return <span>{useClient() === client ? 'same client' : 'other'}</span>
    }
    render(
      <MooringProvider client={client}>
        <Probe />
      </MooringProvider>,
    )
    expect(screen.getByText('same client')).toBeTruthy()
  })

  it('prefers a client passed as the argument over the provided one', () => {
    const provided = setupClient().client
    const explicit = setupClient().client
    const { result } = renderHook(() => useClient(explicit), {
      wrapper: ({ children }) => <MooringProvider client={provided}>{children}</MooringProvider>,
    })
    expect(result.current).toBe(explicit)
  })

  it('throws a clear NO_PROVIDER error when used outside a provider', () => {
    // React reports the render error on the console before rethrowing it.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    let thrown: unknown
    try {
      renderHook(() => useClient())
    } catch (error) {
      thrown = error
    } finally {
      quiet.mockRestore()
    }
    expect(thrown).toBeInstanceOf(Error)
    expect(thrown).toMatchObject({ code: NO_PROVIDER, message: expect.stringContaining('MooringProvider') })
  })
})
