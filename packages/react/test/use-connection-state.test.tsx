// @vitest-environment happy-dom
import { act, render, renderHook, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { MooringProvider, useConnectionState } from '../src/index.js'
import { setupClient, useHarness } from './harness.js'

useHarness()

function Status() {
  const state = useConnectionState()
  return <output data-testid="status">{state.status}</output>
}

describe('useConnectionState', () => {
  it('re-renders connecting → open → reconnecting as the socket opens and drops', async () => {
    const { client, server } = setupClient()
    render(
      <MooringProvider client={client}>
        <Status />
      </MooringProvider>,
    )
    const status = () => screen.getByTestId('status').textContent
    // The client connects on the microtask after creation.
    await act(() => vi.advanceTimersByTimeAsync(0))
    expect(status()).toBe('connecting')
    await act(() => vi.advanceTimersByTimeAsync(10))
    expect(status()).toBe('open')
    await act(async () => {
      server.last.drop(1006)
      await vi.advanceTimersByTimeAsync(0)
    })
    expect(status()).toBe('reconnecting')
  })

  it('returns the client’s own state object, unchanged between changes', async () => {
    const { client } = setupClient()
    await vi.advanceTimersByTimeAsync(10)
    const { result, rerender } = renderHook(() => useConnectionState(client))
    const first = result.current
    expect(first).toBe(client.getState())
    expect(first).toMatchObject({ status: 'open', attempt: 0, reason: 'welcome' })
    rerender()
    expect(result.current).toBe(first)
  })
})
