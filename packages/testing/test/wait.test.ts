import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { TestingError, waitForEvent, waitUntil } from '../src/index.js'

/** The eventemitter3 shape: `on`/`off`, no `removeListener` needed. */
class TinyEmitter {
  private listeners = new Map<string, Set<(...args: unknown[]) => void>>()
  on(name: string, listener: (...args: unknown[]) => void): this {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set())
    this.listeners.get(name)!.add(listener)
    return this
  }
  off(name: string, listener: (...args: unknown[]) => void): this {
    this.listeners.get(name)?.delete(listener)
    return this
  }
  emit(name: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(name) ?? [])]) listener(...args)
  }
  count(name: string): number {
    return this.listeners.get(name)?.size ?? 0
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('waitForEvent', () => {
  test('resolves with the arguments of a Node EventEmitter emission and removes its listener', async () => {
    const emitter = new EventEmitter()
    const waiting = waitForEvent<[number, string]>(emitter, 'close', { timeoutMs: 1_000 })

    emitter.emit('close', 1006, 'gone')

    await expect(waiting).resolves.toEqual([1006, 'gone'])
    expect(emitter.listenerCount('close')).toBe(0)
  })

  test('works with an on/off emitter and skips emissions the filter rejects', async () => {
    const emitter = new TinyEmitter()
    const waiting = waitForEvent<[{ status: string }]>(emitter, 'state', {
      timeoutMs: 1_000,
      filter: (state) => state.status === 'open',
    })

    emitter.emit('state', { status: 'connecting' })
    emitter.emit('state', { status: 'open' })

    await expect(waiting).resolves.toEqual([{ status: 'open' }])
    expect(emitter.count('state')).toBe(0)
  })

  test('works with an EventTarget', async () => {
    const target = new EventTarget()
    const waiting = waitForEvent<[Event]>(target, 'ping', { timeoutMs: 1_000 })

    target.dispatchEvent(new Event('ping'))

    const [event] = await waiting
    expect(event.type).toBe('ping')
  })

  test('rejects with WAIT_TIMEOUT naming the event once timeoutMs has passed', async () => {
    vi.useFakeTimers()
    const emitter = new EventEmitter()
    const waiting = waitForEvent(emitter, 'open', { timeoutMs: 250 })
    const assertion = expect(waiting).rejects.toMatchObject({
      name: 'TestingError',
      code: 'WAIT_TIMEOUT',
      message: expect.stringContaining('waiting for event "open"'),
    })

    await vi.advanceTimersByTimeAsync(250)

    await assertion
    expect(emitter.listenerCount('open')).toBe(0)
  })

  test('rejectOnError rejects with the emitted error instead of waiting out the timeout', async () => {
    const emitter = new EventEmitter()
    const waiting = waitForEvent(emitter, 'open', { timeoutMs: 1_000, rejectOnError: true })
    const failure = new Error('ECONNREFUSED')

    emitter.emit('error', failure)

    await expect(waiting).rejects.toBe(failure)
    expect(emitter.listenerCount('error')).toBe(0)
  })

  test('a throwing filter rejects the wait with that error', async () => {
    const emitter = new EventEmitter()
    const waiting = waitForEvent(emitter, 'message', {
      timeoutMs: 1_000,
      filter: () => {
        throw new SyntaxError('bad frame')
      },
    })

    emitter.emit('message', 'x')

    await expect(waiting).rejects.toBeInstanceOf(SyntaxError)
  })
})

describe('waitUntil', () => {
  test('resolves with the first truthy value of the predicate', async () => {
    let calls = 0
    await expect(waitUntil(() => (++calls >= 3 ? `after ${calls}` : null), { intervalMs: 1 })).resolves.toBe('after 3')
  })

  test('awaits an async predicate', async () => {
    let ready = false
    setTimeout(() => (ready = true), 5)
    await expect(waitUntil(async () => ready, { timeoutMs: 1_000, intervalMs: 1 })).resolves.toBe(true)
  })

  test('times out with WAIT_TIMEOUT, the description, and the last predicate error as cause', async () => {
    vi.useFakeTimers()
    const waiting = waitUntil(
      () => {
        throw new Error('not yet')
      },
      { timeoutMs: 100, intervalMs: 10, description: 'the proxy to drain' },
    )
    const assertion = expect(waiting).rejects.toSatisfy((error: unknown) => {
      return (
        error instanceof TestingError &&
        error.code === 'WAIT_TIMEOUT' &&
        error.message.includes('the proxy to drain') &&
        error.message.includes('not yet') &&
        (error.cause as Error).message === 'not yet'
      )
    })

    await vi.advanceTimersByTimeAsync(100)

    await assertion
  })

  test('a predicate that never settles still times out on time', async () => {
    vi.useFakeTimers()
    const waiting = waitUntil(() => new Promise<boolean>(() => {}), { timeoutMs: 200 })
    const assertion = expect(waiting).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' })

    await vi.advanceTimersByTimeAsync(200)

    await assertion
  })
})
