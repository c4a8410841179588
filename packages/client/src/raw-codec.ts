import type { Wire } from '@mooring/protocol'
import type { RawModeOptions } from './options.js'

const textDecoder = /* @__PURE__ */ new TextDecoder()

/**
 * Raw mode's mapping between typed messages and frames. The default speaks JSON
 * `{ "type": …, "data": … }`, the shape most hand-written WebSocket servers use.
 */
export class RawCodec {
  readonly #options: RawModeOptions | undefined

  constructor(options: RawModeOptions | undefined) {
    this.#options = options
  }

  encode(type: string, data: unknown): Wire {
    if (this.#options?.encode) return this.#options.encode(type, data)
    if (data instanceof Uint8Array) return data
    return JSON.stringify({ type, data })
  }

  decode(wire: Wire): { type: string; data: unknown } | undefined {
    if (this.#options?.isPong?.(wire)) return undefined
    if (this.#options?.decode) return this.#options.decode(wire)
    try {
      const value = JSON.parse(typeof wire === 'string' ? wire : textDecoder.decode(wire)) as { type?: unknown; data?: unknown }
      return typeof value?.type === 'string' ? { type: value.type, data: value.data } : undefined
    } catch {
      return undefined
    }
  }
}
