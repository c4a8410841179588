/**
 * A typed event emitter, as small as it can be: the client's bundle has a size budget,
 * and eventemitter3 alone was a third of it. Listeners run in subscription order; one
 * that throws does not stop the others (the error is rethrown asynchronously, so it is
 * still reported, but cannot corrupt the client's state machine mid-transition).
 */
type Listener = (...args: any[]) => void
type Listeners<Events> = { [K in keyof Events]?: Listener[] }

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  // Created on the first `on`: an idle client with no listeners pays nothing for it. Plain
  // object keyed by the (closed, typed) event names; emptied lists become undefined rather
  // than deleted, so V8 keeps it a small fast-properties object.
  #listeners: Listeners<Events> | undefined

  /** Listen to `event`; returns the unsubscribe. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const all = (this.#listeners ??= {} as Listeners<Events>)
    all[event] = [...(all[event] ?? []), listener]
    return () => this.off(event, listener)
  }

  /** Listen once. */
  once<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const off = this.on(event, ((...args: unknown[]) => {
      off()
      listener(...args)
    }) as Events[E])
    return off
  }

  /** Stop listening (the first registration of `listener` for `event`). */
  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    const list = this.#listeners?.[event]
    const at = list ? list.indexOf(listener) : -1
    if (at < 0) return
    const next = list!.filter((_, i) => i !== at)
    this.#listeners![event] = next.length ? next : undefined
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners?.[event]?.length ?? 0
  }

  eventNames(): Array<keyof Events> {
    return (Object.keys(this.#listeners ?? {}) as Array<keyof Events>).filter((event) => this.listenerCount(event))
  }

  removeAllListeners(event?: keyof Events): void {
    if (event === undefined) this.#listeners = undefined
    else if (this.#listeners) this.#listeners[event] = undefined
  }

  /** Call every listener of `event`; true when there was at least one. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    const list = this.#listeners?.[event]
    if (!list) return false
    // The array is replaced, never mutated, on (un)subscribe: iterating it is safe.
    for (const listener of list) {
      try {
        listener(...args)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
    return true
  }
}
