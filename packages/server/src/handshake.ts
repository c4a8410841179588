import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { AUTH_SUBPROTOCOL_PREFIX, ErrorCode, type HelloFrame } from '@mooring/protocol'
import { errorCodeOf, errorMessageOf } from './errors.js'
import type { Authenticate } from './options.js'

/** What the handshake knows about the peer before any frame arrives. */
export interface PeerInfo {
  headers: IncomingHttpHeaders
  ip: string | undefined
  origin: string | undefined
  /** Token carried in a `mooring.auth.<base64url>` subprotocol entry. */
  subprotocolToken: string | undefined
}

/** The verdict on a `hello`: who the peer is, or why it may not stay. */
export type Admission =
  | { ok: true; user: string | undefined; meta: unknown; expiresAt: number | undefined }
  | { ok: false; code: typeof ErrorCode.UNAUTHORIZED | typeof ErrorCode.FORBIDDEN; message: string }

/** Everyone is admitted, anonymously, when the server has no `authenticate` hook. */
export const ANONYMOUS: Admission = { ok: true, user: undefined, meta: undefined, expiresAt: undefined }

/**
 * Run the `authenticate` hook for a `hello`. The token comes from the hello, else the auth
 * subprotocol, else `Authorization: Bearer`. Never throws: a throwing hook rejects, as
 * `FORBIDDEN` only when it says so (anything else is `UNAUTHORIZED`, so clients retry auth).
 */
export async function authenticatePeer(hook: Authenticate, hello: HelloFrame, peer: PeerInfo): Promise<Admission> {
  try {
    const answer = await hook({
      token: hello.token ?? peer.subprotocolToken ?? bearer(peer.headers),
      headers: peer.headers,
      ip: peer.ip,
      origin: peer.origin,
      clientId: hello.clientId,
    })
    if (answer === false) return { ok: false, code: ErrorCode.UNAUTHORIZED, message: 'authentication rejected' }
    const result = answer && typeof answer === 'object' ? answer : {}
    return {
      ok: true,
      user: result.user === undefined ? undefined : String(result.user),
      meta: result.meta,
      expiresAt: typeof result.expiresAt === 'number' ? result.expiresAt : undefined,
    }
  } catch (err) {
    const code = errorCodeOf(err, ErrorCode.UNAUTHORIZED) === ErrorCode.FORBIDDEN ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHORIZED
    return { ok: false, code, message: errorMessageOf(err) }
  }
}

/** Milliseconds until a credential's `expiresAt`, clamped to what `setTimeout` can wait. */
export function expiryDelayMs(expiresAt: number, now = Date.now()): number {
  // setTimeout overflows past 2^31-1 ms (~24.8 days); such tokens outlive any socket anyway.
  return Math.min(Math.max(0, expiresAt - now), 2 ** 31 - 1)
}

/** The token of a `mooring.auth.<base64url>` entry in the upgrade's `Sec-WebSocket-Protocol`. */
export function subprotocolToken(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol']
  if (typeof header !== 'string') return undefined
  for (const entry of header.split(',')) {
    const p = entry.trim()
    if (p.startsWith(AUTH_SUBPROTOCOL_PREFIX)) {
      try {
        return Buffer.from(p.slice(AUTH_SUBPROTOCOL_PREFIX.length), 'base64url').toString('utf8')
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization
  const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h) : null
  return m?.[1]
}
