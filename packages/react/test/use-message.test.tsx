// @vitest-environment happy-dom
import { StrictMode, type ReactNode } from 'react'
import { act, render, renderHook } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import type { MooringClient } from '@mooring/client'
import { MooringProvider, useMessage } from '../src/index.js'
import { setupClient, useHarness } from './harness.js'
import type { FakeServer } from '../../client/test/fake-socket.js'

useHarness()

async function connected(): Promise<{ client: MooringClient; server: FakeServer }> {
  const setup = setupClient()
  await vi.advanceTimersByTimeAsync(10)
  expect(setup.client.ready).toBe(true)
  return setup
}

function chat(server: FakeServer, text: string): void {
  act(() => server.last.push({ t: 'evt', type: 'chat', data: { text } }))
}

function provider(client: MooringClient) {
  return ({ children }: { children: ReactNode }) => <MooringProvider client={client}>{children}</MooringProvider>
}

describe('useMessage', () => {
  it('calls the handler with the payload of each pushed message of its type', async () => {
    const { client, server } = await connected()
    const received: unknown[] = []
    renderHook(() => useMessage('chat', (data) => received.push(data)), { wrapper: provider(client) })
    chat(server, 'hello')
    act(() => server.last.push({ t: 'evt', type: 'other', data: 1 }))
    chat(server, 'again')
    expect(received).toEqual([{ text: 'hello' }, { text: 'again' }])
  })

  it('keeps exactly one subscription under StrictMode’s double effect run', async () => {
    const { client, server } = await connected()
    const handler = vi.fn()
    function Chat() {
      useMessage('chat', handler)
      return null
    }
    // At the root: React double-runs effects only for a StrictMode that is not nested
    // under a non-strict component (such as Testing Library's wrapper).
    render(
      <StrictMode>
        <MooringProvider client={client}>
          <Chat />
        </MooringProvider>
      </StrictMode>,
    )
    chat(server, 'once')
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('uses the latest handler after a re-render without resubscribing', async () => {
    const { client, server } = await connected()
    const subscribe = vi.spyOn(client, 'onMessage')
    const seen: string[] = []
    const { rerender } = renderHook(
      ({ label }) => useMessage('chat', (data: { text: string }) => seen.push(`${label}:${data.text}`)),
      { wrapper: provider(client), initialProps: { label: 'first' } },
    )
    chat(server, 'a')
    rerender({ label: 'second' })
    chat(server, 'b')
    expect(seen).toEqual(['first:a', 'second:b'])
    expect(subscribe).toHaveBeenCalledTimes(1)
  })

  it('resubscribes when the message type changes', async () => {
    const { client, server } = await connected()
    const seen: unknown[] = []
    const { rerender } = renderHook(({ type }) => useMessage(type, (data) => seen.push(data)), {
      wrapper: provider(client),
      initialProps: { type: 'chat' },
    })
    rerender({ type: 'news' })
    chat(server, 'ignored')
    act(() => server.last.push({ t: 'evt', type: 'news', data: 'headline' }))
    expect(seen).toEqual(['headline'])
  })

  it('stops calling the handler once the component unmounts', async () => {
    const { client, server } = await connected()
    const handler = vi.fn()
    const { unmount } = renderHook(() => useMessage('chat', handler, client))
    chat(server, 'before')
    unmount()
    chat(server, 'after')
    expect(handler).toHaveBeenCalledTimes(1)
    expect(handler).toHaveBeenCalledWith({ text: 'before' })
  })
})
