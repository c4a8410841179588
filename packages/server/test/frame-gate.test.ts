import { describe, expect, it } from 'vitest'
import { FrameGate, forKinds, MiddlewareStack, type AppFrame, type Middleware, type MiddlewareContext } from '../src/middleware.js'

const send = (id: number): AppFrame => ({ t: 'send', id, type: 'n', data: null })
const join = (ref: number): AppFrame => ({ t: 'join', ref, room: 'r' })
const label = (f: AppFrame) => (f.t === 'join' ? `join${f.ref}` : `${f.t}${(f as { id: number }).id}`)

function gate(middleware: Middleware[]): { gate: FrameGate; stack: MiddlewareStack; handled: string[]; contexts: string[] } {
  const stack = new MiddlewareStack(middleware)
  const handled: string[] = []
  const contexts: string[] = []
  const g = new FrameGate(
    stack,
    (frame) => (contexts.push(label(frame)), { kind: frame.t } as MiddlewareContext),
    (frame) => handled.push(label(frame)),
    (frame) => handled.push(`failed:${label(frame)}`),
    16,
  )
  return { gate: g, stack, handled, contexts }
}

describe('FrameGate', () => {
  it('hands a frame no middleware acts on straight to its handler, building no context for it', () => {
    const stack = [forKinds(['join'], (_ctx, _frame, next) => next())]
    const { gate: g, handled, contexts } = gate(stack)
    g.push(send(1))
    g.push(join(1))
    expect(handled).toEqual(['send1', 'join1'])
    expect(contexts).toEqual(['join1'])
  })

  it('keeps arrival order: a frame no middleware acts on waits behind one still in asynchronous middleware', async () => {
    let release!: () => void
    const slowJoins = forKinds(['join'], async (_ctx, _frame, next) => {
      await new Promise<void>((r) => (release = r))
      await next()
    })
    const { gate: g, handled } = gate([slowJoins])
    g.push(send(1))
    g.push(join(1))
    g.push(send(2))
    g.push(send(3))
    expect(handled).toEqual(['send1'])
    release()
    await new Promise((r) => setImmediate(r))
    expect(handled).toEqual(['send1', 'join1', 'send2', 'send3'])
    g.push(send(4)) // the gate is idle again: straight through
    expect(handled).toEqual(['send1', 'join1', 'send2', 'send3', 'send4'])
  })

  it('applies middleware added after frames went through to the frames that follow', () => {
    const { gate: g, stack, handled } = gate([forKinds(['join'], (_ctx, _frame, next) => next())])
    g.push(send(1))
    stack.add((_ctx, frame, next) => (frame.t === 'send' && frame.id === 2 ? undefined : next()))
    g.push(send(2)) // stopped: the new middleware does not call next
    g.push(send(3))
    expect(handled).toEqual(['send1', 'send3'])
  })
})
