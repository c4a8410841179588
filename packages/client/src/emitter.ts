/**
 * A typed event emitter, as small as it can be: the client's bundle has a size budget,
 * and eventemitter3 alone was a third of it. Listeners run in subscription order; one
 * that throws does not stop the others (the error is rethrown asynchronously, so it is
 * still reported, but cannot corrupt the client's state machine mid-transition).
 */
type Listener = (...args: any[]) => void

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  #listeners = new Map<keyof Events, Listener[]>()

  /** Listen to `event`; returns the unsubscribe. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener])
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

  /** Stop listening (the first registration of `listener`). */
  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    const list = this.#listeners.get(event)
    const at = list ? list.indexOf(listener) : -1
    if (at < 0) return
    const next = list!.filter((_, i) => i !== at)
    if (next.length) this.#listeners.set(event, next)
    else this.#listeners.delete(event)
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0
  }

  eventNames(): Array<keyof Events> {
    return [...this.#listeners.keys()]
  }

  removeAllListeners(event?: keyof Events): void {
    if (event === undefined) this.#listeners.clear()
    else this.#listeners.delete(event)
  }

  /** Call every listener of `event`; true if there was any. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    const list = this.#listeners.get(event)
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
