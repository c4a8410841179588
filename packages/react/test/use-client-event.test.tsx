// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import type { StateChange } from '@mooring/client'
import { useClientEvent } from '../src/index.js'
import { setupClient, useHarness } from './harness.js'

useHarness()

describe('useClientEvent', () => {
  it('reports state changes and ready while mounted, and nothing after unmount', async () => {
    const { client, server } = setupClient()
    const states: string[] = []
    const ready = vi.fn()
    const { unmount } = renderHook(() => {
      useClientEvent('state', (change: StateChange) => states.push(change.state), client)
      useClientEvent('ready', ready, client)
    })
    await act(() => vi.advanceTimersByTimeAsync(10))
    expect(states).toEqual(['connecting', 'open'])
    expect(ready).toHaveBeenCalledTimes(1)
    unmount()
    server.last.drop(1006)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(states).toEqual(['connecting', 'open'])
    expect(ready).toHaveBeenCalledTimes(1)
  })

  it('calls the latest handler after a re-render', async () => {
    const { client } = setupClient()
    const calls: string[] = []
    const { rerender } = renderHook(({ label }) => useClientEvent('ready', () => calls.push(label), client), {
      initialProps: { label: 'first' },
    })
    rerender({ label: 'second' })
    await act(() => vi.advanceTimersByTimeAsync(10))
    expect(calls).toEqual(['second'])
  })
})
