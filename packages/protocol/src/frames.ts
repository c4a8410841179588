/**
 * The frames of the Mooring wire protocol, version 1.
 * `packages/protocol/README.md` is the prose specification; this file is its type form.
 */

export const PROTOCOL_VERSION = 1 as const

/** The WebSocket subprotocol a client offers and a server selects. */
export const SUBPROTOCOL = `mooring.v${PROTOCOL_VERSION}` as const

/** Prefix of the optional subprotocol entry that carries an auth token (base64url). */
export const AUTH_SUBPROTOCOL_PREFIX = 'mooring.auth.' as const

/** A member of a room as presence reports it. */
export interface Member {
  /** Session id of the connection (stable across its reconnects within the session TTL). */
  id: string
  /** User id that `authenticate` returned, if any. */
  user?: string
  /** Metadata the member joined with. */
  meta?: unknown
  /** Server time (ms since epoch) the member joined. */
  joinedAt: number
}

export interface HeartbeatSettings {
  /** How often the server pings. */
  intervalMs: number
  /** How long after a missed ping the peer is considered dead. */
  timeoutMs: number
}

export interface Limits {
  /** Largest frame the server accepts, in bytes. */
  maxPayloadBytes: number
  /** Sustained application frames per second the server accepts from one connection (absent: no limit). */
  messagesPerSecond?: number
  /** Frames it accepts in a burst above that rate. */
  burst?: number
}

// ---- client → server ----
export interface HelloFrame {
  t: 'hello'
  v: number
  /** Stable id of the client instance: the key for dedupe of reliable sends. */
  clientId: string
  token?: unknown
  /** Session id from an earlier `welcome`, to resume that session's state. */
  resume?: string
}
export interface JoinFrame {
  t: 'join'
  ref: number
  room: string
  /** Last seq the client saw in this room; asks the server to replay what came after. */
  since?: number
  /** Epoch the `since` belongs to. */
  epoch?: string
  meta?: unknown
}
export interface LeaveFrame {
  t: 'leave'
  ref: number
  room: string
}
export interface PubFrame {
  t: 'pub'
  id: number
  room: string
  type: string
  data: unknown
}
export interface SendFrame {
  t: 'send'
  id: number
  type: string
  data: unknown
}
export interface ReqFrame {
  t: 'req'
  id: number
  type: string
  data: unknown
}

// ---- server → client ----
export interface WelcomeFrame {
  t: 'welcome'
  v: number
  sessionId: string
  /** True when `hello.resume` named a session the server still held. */
  resumed: boolean
  heartbeat: HeartbeatSettings
  limits: Limits
}
export interface JoinedFrame {
  t: 'joined'
  ref: number
  room: string
  epoch: string
  /** Last seq of the room at the moment of joining (after any replay). */
  seq: number
  /** False when the server could not replay everything after `since`: the client has a gap. */
  recovered: boolean
  presence: Member[]
}
export interface LeftFrame {
  t: 'left'
  ref: number
  room: string
}
export interface AckFrame {
  t: 'ack'
  id: number
  /** More acked ids: a server may coalesce the acks of one moment into one frame. */
  ids?: number[]
}
export interface ReplyFrame {
  t: 'reply'
  id: number
  data: unknown
}
export interface ErrorFrame {
  t: 'error'
  /** Id of the `send`/`pub`/`req` the error answers. */
  id?: number
  /** Ref of the `join`/`leave` the error answers. */
  ref?: number
  code: string
  message: string
  details?: unknown
}
export interface MsgFrame {
  t: 'msg'
  room: string
  epoch: string
  seq: number
  type: string
  data: unknown
  /** Session id of the publisher; absent when the server published. */
  from?: string
  /**
   * Stable, opaque key of the publishing client (a hash of its user and client id) and
   * the id it gave the message. Together they name the message across reconnects and
   * server restarts, so a receiver can drop a resend the server could no longer dedupe.
   */
  src?: string
  mid?: number
}
export interface EvtFrame {
  t: 'evt'
  type: string
  data: unknown
}
export interface PresenceFrame {
  t: 'presence'
  room: string
  joins: Member[]
  leaves: string[]
}
export interface GoawayFrame {
  t: 'goaway'
  retryAfterMs: number
  reason?: string
}

// ---- both ----
export interface PingFrame {
  t: 'ping'
  n: number
}
export interface PongFrame {
  t: 'pong'
  n: number
}

export type ClientFrame = HelloFrame | JoinFrame | LeaveFrame | PubFrame | SendFrame | ReqFrame | PingFrame | PongFrame
export type ServerFrame =
  | WelcomeFrame
  | JoinedFrame
  | LeftFrame
  | AckFrame
  | ReplyFrame
  | ErrorFrame
  | MsgFrame
  | EvtFrame
  | PresenceFrame
  | GoawayFrame
  | PingFrame
  | PongFrame
export type Frame = ClientFrame | ServerFrame
export type FrameKind = Frame['t']
