import { createHash, randomUUID } from 'node:crypto'
import { ClientLedger } from './dedupe.js'
import type { Outbound } from './outbound.js'

/** What handlers and hooks see of a session. */
export interface SessionInfo {
  /** Stable across reconnects that resume it (`hello.resume`). */
  readonly id: string
  readonly clientId: string
  readonly user: string | undefined
  readonly meta: unknown
  /** Server time (ms) the current socket authenticated. */
  readonly connectedAt: number
}

/** The part of a connection a session needs: somewhere to send bytes. */
export interface SessionSocket {
  sendWire(out: Outbound): boolean
  /** End this socket because another one took the session over. */
  replaced(): void
}

export class Session implements SessionInfo {
  readonly id = randomUUID()
  connectedAt = Date.now()
  socket: SessionSocket | undefined
  readonly rooms = new Set<string>()
  expiry: ReturnType<typeof setTimeout> | undefined

  /**
   * Stable, opaque key of this client for room receivers (`msg.src`): the same across its
   * sessions and across server restarts, without revealing the client id dedupe relies on.
   */
  readonly src: string

  constructor(
    readonly clientId: string,
    readonly user: string | undefined,
    public meta: unknown,
    readonly ledger: ClientLedger,
  ) {
    this.src = createHash('sha256').update(`${user ?? ''}\u0000${clientId}`).digest('base64url').slice(0, 16)
  }

  info(): SessionInfo {
    return { id: this.id, clientId: this.clientId, user: this.user, meta: this.meta, connectedAt: this.connectedAt }
  }
}

/**
 * Sessions by id, held `ttlMs` after their socket closes so a client can resume them,
 * and the dedupe ledgers of their clients, which live as long as any session using them.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>()
  private readonly ledgers = new Map<string, ClientLedger>()

  constructor(
    private readonly ttlMs: number,
    private readonly dedupeWindow: number,
    /** Called when a session expires for good (its rooms are already left). */
    private readonly onExpire: (session: Session) => void = () => {},
  ) {}

  /** Resume `id` when it exists, belongs to the same client and user; else start a new session. */
  open(clientId: string, user: string | undefined, meta: unknown, resume?: string): { session: Session; resumed: boolean } {
    const held = resume === undefined ? undefined : this.sessions.get(resume)
    if (held && held.clientId === clientId && held.user === user) {
      if (held.expiry) clearTimeout(held.expiry)
      held.expiry = undefined
      held.meta = meta
      held.connectedAt = Date.now()
      // A resume while the old socket still looks open means that socket is half-open.
      held.socket?.replaced()
      return { session: held, resumed: true }
    }
    const key = `${user ?? ''}\u0000${clientId}`
    let ledger = this.ledgers.get(key)
    if (!ledger) this.ledgers.set(key, (ledger = new ClientLedger(this.dedupeWindow)))
    ledger.refs++
    const session = new Session(clientId, user, meta, ledger)
    this.sessions.set(session.id, session)
    return { session, resumed: false }
  }

  /** The socket of `session` closed: hold the session for resume. */
  detach(session: Session, socket: SessionSocket): void {
    if (session.socket !== socket) return
    session.socket = undefined
    const expiry = setTimeout(() => this.expire(session), this.ttlMs)
    expiry.unref()
    session.expiry = expiry
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id)
  }

  get size(): number {
    return this.sessions.size
  }

  clear(): void {
    for (const s of this.sessions.values()) if (s.expiry) clearTimeout(s.expiry)
    this.sessions.clear()
    this.ledgers.clear()
  }

  private expire(session: Session): void {
    if (this.sessions.get(session.id) !== session) return
    this.sessions.delete(session.id)
    const key = `${session.user ?? ''}\u0000${session.clientId}`
    const ledger = this.ledgers.get(key)
    if (ledger && --ledger.refs <= 0) this.ledgers.delete(key)
    this.onExpire(session)
  }
}
