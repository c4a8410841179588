/**
 * Browser lifecycle signals behind an interface, so the core never touches the DOM
 * itself and tests can fire signals by hand. Node gets a quiet environment.
 */
export type LifecycleSignal =
  /** The browser says the network is back. */
  | 'online'
  /** The browser says the network is gone (often wrong; never trusted alone). */
  | 'offline'
  /** The page became visible again. */
  | 'visible'
  /** The page is being hidden and may enter the bfcache. */
  | 'pagehide'
  /** The page was restored from the bfcache. */
  | 'pageshow'
  /** The system woke up or something else suggests the link may be stale. */
  | 'resume'

export interface Environment {
  /** Start listening; returns the function that stops listening. */
  subscribe(listener: (signal: LifecycleSignal) => void): () => void
  /** Best-effort online flag. Never used to suppress an attempt. */
  isOnline(): boolean
}

const NOOP = (): void => {}

export const quietEnvironment: Environment = {
  subscribe: () => NOOP,
  isOnline: () => true,
}

interface EventTargetLike {
  addEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void
  removeEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void
}

/** Signals from `window` and `document`, when the runtime has them. */
export function browserEnvironment(
  win: EventTargetLike & { navigator?: { onLine?: boolean } },
  doc?: EventTargetLike & { visibilityState?: string },
): Environment {
  return {
    isOnline: () => win.navigator?.onLine !== false,
    subscribe(listener) {
      const on: Array<[EventTargetLike, string, (event: { persisted?: boolean }) => void]> = [
        [win, 'online', () => listener('online')],
        [win, 'offline', () => listener('offline')],
        // An open socket makes the page ineligible for the bfcache, so every pagehide closes.
        [win, 'pagehide', () => listener('pagehide')],
        [win, 'pageshow', (e) => e.persisted && listener('pageshow')],
      ]
      if (doc) on.push([doc, 'visibilitychange', () => doc.visibilityState === 'visible' && listener('visible')])
      for (const [target, type, fn] of on) target.addEventListener(type, fn)
      return () => {
        for (const [target, type, fn] of on) target.removeEventListener(type, fn)
      }
    },
  }
}

/** The browser environment where there is a window, else the quiet one. */
export function defaultEnvironment(): Environment {
  const g = globalThis as { window?: EventTargetLike; document?: EventTargetLike }
  return g.window && typeof g.window.addEventListener === 'function'
    ? browserEnvironment(g.window, g.document)
    : quietEnvironment
}
