/**
 * Every WebSocket close code the server uses, with the reason sent alongside.
 * One table, so the server, the page and docs/operations.md agree on what each means.
 */

export const CloseCode = {
  /** Server shutting down (SIGTERM): reconnect elsewhere and resume. */
  GoingAway: 1001,
  /** A binary frame: the protocol is text JSON only. */
  UnsupportedData: 1003,
  /** Policy: repeated abuse (malformed frames over and over). */
  Policy: 1008,
  /** A frame larger than the limit (default 64 KiB). */
  TooBig: 1009,
  /** A bug on the server. */
  Internal: 1011,
  /** Try again later: overload or a slow consumer whose buffer passed the limit. */
  TryAgainLater: 1013,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** The reason of a 1008 close of a connection whose account session was revoked (the page signs out on it). */
export const SIGNED_OUT_REASON = 'signed out';

export const CLOSE_REASONS: Record<CloseCodeValue, string> = {
  1001: 'server going away',
  1003: 'binary frames are not supported',
  1008: 'policy violation',
  1009: 'frame too big',
  1011: 'internal error',
  1013: 'try again later',
};
