/** WebSocket close codes Mooring uses, and what a client does on each. */
export const CloseCode = {
  /** Normal close by the application: stop. */
  NORMAL: 1000,
  /** Going away (page hidden, server shutting down without restart hint): back off and reconnect. */
  GOING_AWAY: 1001,
  /** Policy violation (e.g. sustained rate-limit abuse): stop. */
  POLICY: 1008,
  /** Frame larger than the server accepts. */
  TOO_BIG: 1009,
  /** Server error: back off and reconnect. */
  INTERNAL: 1011,
  /** Service restart: honour `retryAfterMs`, then reconnect. */
  RESTART: 1012,
  /** Try again later (overload, slow consumer): back off and reconnect. */
  TRY_AGAIN: 1013,
  /** Unsupported protocol version, or a peer that keeps breaking the protocol: stop. */
  PROTOCOL: 4400,
  /** Token missing or expired: ask the auth provider again and reconnect at once. */
  UNAUTHORIZED: 4401,
  /** Authenticated but not allowed: stop. */
  FORBIDDEN: 4403,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** Stable error codes, shared by `error` frames and `MooringError.code`. */
export const ErrorCode = {
  TIMEOUT: 'TIMEOUT',
  ABORTED: 'ABORTED',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
  QUEUE_FULL: 'QUEUE_FULL',
  EXPIRED: 'EXPIRED',
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  ROOM_FULL: 'ROOM_FULL',
  NOT_JOINED: 'NOT_JOINED',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_BIG: 'TOO_BIG',
  PROTOCOL: 'PROTOCOL',
  HANDLER_ERROR: 'HANDLER_ERROR',
  INTERNAL: 'INTERNAL',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]
