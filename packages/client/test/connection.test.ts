import { describe, expect, it } from 'vitest'
import { initialState, signalAction, transition, type ConnectionState } from '../src/index.js'

const open: ConnectionState = { status: 'open', attempt: 2, reason: 'welcome' }
const connecting: ConnectionState = { status: 'connecting', attempt: 1, reason: 'retry' }
const reconnecting: ConnectionState = { status: 'reconnecting', attempt: 1, reason: 'network', nextDelayMs: 800 }

describe('connection state machine', () => {
  it('connects from idle and from closed, and ignores connect while busy', () => {
    expect(transition(initialState, { type: 'connect' })).toMatchObject({ status: 'connecting', attempt: 0, reason: 'user' })
    expect(transition({ status: 'closed', attempt: 3, reason: 'giveup' }, { type: 'connect' }).status).toBe('connecting')
    expect(transition(open, { type: 'connect' })).toBe(open)
    expect(transition(connecting, { type: 'connect' })).toBe(connecting)
  })

  it('reconnect works from every state and resets the attempt count', () => {
    for (const state of [initialState, open, connecting, reconnecting, { status: 'closed', attempt: 9, reason: 'giveup' } as const]) {
      expect(transition(state, { type: 'reconnect' })).toMatchObject({ status: 'connecting', attempt: 0 })
    }
  })

  it('a lost socket backs off with the attempt counted, or closes when the policy says stop', () => {
    const lost = transition(open, { type: 'lost', reason: 'network', code: 1006, retry: { delayMs: 700, offline: false } })
    expect(lost).toEqual({ status: 'reconnecting', attempt: 3, reason: 'network', code: 1006, nextDelayMs: 700 })
    const stopped = transition(open, { type: 'lost', reason: 'server-close', code: 4403, retry: false })
    expect(stopped).toMatchObject({ status: 'closed', reason: 'server-close', code: 4403 })
    const offline = transition(connecting, { type: 'lost', reason: 'network', retry: { delayMs: 1, offline: true } })
    expect(offline.status).toBe('offline')
    const immediate = transition(open, { type: 'lost', reason: 'auth', code: 4401, retry: { delayMs: 0, offline: false, immediate: true } })
    expect(immediate).toMatchObject({ status: 'connecting', reason: 'auth' })
  })

  it('ignores a loss when no socket can exist (late event from an old socket)', () => {
    expect(transition(reconnecting, { type: 'lost', reason: 'network', retry: false })).toBe(reconnecting)
    expect(transition(initialState, { type: 'lost', reason: 'network', retry: false })).toBe(initialState)
  })

  it('opened only counts while connecting; stable resets the attempt count of an open link', () => {
    expect(transition(connecting, { type: 'opened' })).toMatchObject({ status: 'open', attempt: 1 })
    expect(transition(reconnecting, { type: 'opened' })).toBe(reconnecting)
    expect(transition(open, { type: 'stable' })).toMatchObject({ status: 'open', attempt: 0 })
  })

  it('online skips the wait; offline marks a waiting client offline', () => {
    expect(transition(reconnecting, { type: 'online' })).toMatchObject({ status: 'connecting', attempt: 0, reason: 'online' })
    expect(transition(reconnecting, { type: 'offline' })).toMatchObject({ status: 'offline', nextDelayMs: 800 })
    expect(transition(open, { type: 'offline' })).toBe(open)
  })

  it('close stops from anywhere and is idempotent', () => {
    const closed = transition(open, { type: 'close', reason: 'user' })
    expect(closed).toMatchObject({ status: 'closed', reason: 'user' })
    expect(transition(closed, { type: 'close', reason: 'user' })).toBe(closed)
    expect(transition(closed, { type: 'retry' })).toBe(closed)
  })
})

describe('browser signals', () => {
  const closedByPagehide: ConnectionState = { status: 'closed', attempt: 0, reason: 'pagehide' }
  it('probe a live link instead of trusting the browser', () => {
    for (const signal of ['online', 'offline', 'visible', 'resume'] as const) expect(signalAction(open, signal)).toBe('probe')
  })
  it('online and offline move a waiting client; visible and resume retry it now', () => {
    expect(signalAction(reconnecting, 'online')).toEqual({ type: 'online' })
    expect(signalAction(reconnecting, 'offline')).toEqual({ type: 'offline' })
    expect(signalAction(reconnecting, 'visible')).toEqual({ type: 'retry' })
    expect(signalAction(connecting, 'resume')).toBeUndefined()
  })
  it('pagehide closes anything live; pageshow reopens only what pagehide closed', () => {
    expect(signalAction(open, 'pagehide')).toEqual({ type: 'close', reason: 'pagehide' })
    expect(signalAction(initialState, 'pagehide')).toBeUndefined()
    expect(signalAction(closedByPagehide, 'pageshow')).toEqual({ type: 'connect' })
    expect(signalAction({ status: 'closed', attempt: 0, reason: 'user' }, 'pageshow')).toBeUndefined()
    expect(signalAction(open, 'pageshow')).toBeUndefined()
  })
})
