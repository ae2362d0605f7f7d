/**
 * The catalogue of client-visible errors: each code with its default human message.
 * Builders return plain protocol objects; nothing here throws.
 */
import type { ErrorCode, ErrorResponse } from './messages.js';

export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  bad_request: 'the request is malformed',
  not_identified: 'say hello first',
  not_joined: 'join the room first',
  rate_limited: 'too many requests, slow down',
  unavailable: 'the message store is unavailable; nothing was stored, retry later with the same cid',
  forbidden: 'you are not allowed to do that here',
  auth_failed: 'wrong username or password',
  name_taken: 'that name is a registered username',
};

/** Builds an `error` answer; `message` defaults to the catalogue's text for `code`. */
export function protocolError(
  code: ErrorCode,
  message: string = ERROR_MESSAGES[code],
  extra: { cid?: string; rid?: string; retryAfterMs?: number } = {},
): ErrorResponse {
  const err: ErrorResponse = { type: 'error', code, message };
  if (extra.cid !== undefined) err.cid = extra.cid;
  if (extra.rid !== undefined) err.rid = extra.rid;
  if (extra.retryAfterMs !== undefined) err.retryAfterMs = extra.retryAfterMs;
  return err;
}
