import { useInsertionEffect, useRef, type RefObject } from 'react'

/**
 * A ref that always holds the latest committed `value`, so a subscription made once can
 * call the newest handler without resubscribing on every render. Written in an insertion
 * effect rather than during render: a render React throws away (concurrent mode) must not
 * leak its handler, and insertion effects run before any layout or passive effect.
 */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value)
  useInsertionEffect(() => {
    ref.current = value
  })
  return ref
}
