/**
 * Untrusted frame text -> a validated Request, or a ProtocolError saying what is wrong.
 * Never throws, whatever the input (a property-based test holds it to that).
 * Normalises as it validates: names lose control characters and are trimmed, text is trimmed.
 */
import { LIMITS, type Request } from './messages.js';

export interface ParseError {
  /** What was wrong, for people. */
  message: string;
  /** The request's `cid`, when it was a `send` with a usable one, so the error can name it. */
  cid?: string;
}

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

const ok = <T>(value: T): Result<T, ParseError> => ({ ok: true, value });
const fail = (message: string, cid?: string): Result<never, ParseError> =>
  ({ ok: false, error: cid === undefined ? { message } : { message, cid } });

// C0, DEL, C1, plus the Unicode line/paragraph separators and bidi overrides that let a name spoof others.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Removes control characters and trims; the result is what a name is stored as. */
export function cleanName(raw: string): string {
  return raw.replace(CONTROL_CHARS, '').trim();
}

/** Length in Unicode code points, so an emoji counts as one character as a person would count it. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function optionalId(obj: Record<string, unknown>, key: string): Result<number | undefined, ParseError> {
  const v = obj[key];
  if (v === undefined) return ok(undefined);
  return isId(v) ? ok(v) : fail(`${key} must be an integer >= 0`);
}

function room(obj: Record<string, unknown>): Result<string, ParseError> {
  const r = obj.room;
  if (typeof r !== 'string' || !LIMITS.roomPattern.test(r)) {
    return fail('room must match ^[a-z0-9][a-z0-9_-]{0,31}$');
  }
  return ok(r);
}

/** Parses and validates one text frame. */
export function parseRequest(text: string): Result<Request, ParseError> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail('frame is not valid JSON');
  }
  return validateRequest(data);
}

/** Validates an already-decoded value as a Request. */
export function validateRequest(data: unknown): Result<Request, ParseError> {
  if (!isObject(data)) return fail('a request is a JSON object');
  const type = data.type;
  if (typeof type !== 'string') return fail('type must be a string');
  switch (type) {
    case 'hello': {
      if (typeof data.name !== 'string') return fail('name must be a string');
      const name = cleanName(data.name);
      const len = charLength(name);
      if (len < 1 || len > LIMITS.nameMax) return fail(`name must be 1-${LIMITS.nameMax} characters`);
      const session = data.session;
      if (session !== undefined && (typeof session !== 'string' || session.length > 200)) {
        return fail('session must be a string token');
      }
      return ok(session === undefined ? { type, name } : { type, name, session });
    }
    case 'join': {
      const r = room(data);
      if (!r.ok) return r;
      const after = optionalId(data, 'after');
      if (!after.ok) return after;
      return ok(after.value === undefined ? { type, room: r.value } : { type, room: r.value, after: after.value });
    }
    case 'leave': {
      const r = room(data);
      return r.ok ? ok({ type, room: r.value }) : r;
    }
    case 'send': {
      const cid = typeof data.cid === 'string' && data.cid.length >= 1 && data.cid.length <= LIMITS.cidMax
        ? data.cid : undefined;
      if (cid === undefined) return fail(`cid must be a string of 1-${LIMITS.cidMax} characters`);
      const r = room(data);
      if (!r.ok) return fail(r.error.message, cid);
      if (typeof data.text !== 'string') return fail('text must be a string', cid);
      const text = data.text.trim();
      const len = charLength(text);
      if (len < 1 || len > LIMITS.textMax) return fail(`text must be 1-${LIMITS.textMax} characters`, cid);
      return ok({ type, room: r.value, text, cid });
    }
    case 'history': {
      const r = room(data);
      if (!r.ok) return r;
      const before = optionalId(data, 'before');
      if (!before.ok) return before;
      const after = optionalId(data, 'after');
      if (!after.ok) return after;
      if (before.value !== undefined && after.value !== undefined) return fail('give before or after, not both');
      let limit: number | undefined;
      if (data.limit !== undefined) {
        const l = data.limit;
        if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > LIMITS.historyLimitMax) {
          return fail(`limit must be an integer 1-${LIMITS.historyLimitMax}`);
        }
        limit = l;
      }
      const req: Request = { type, room: r.value };
      if (before.value !== undefined) req.before = before.value;
      if (after.value !== undefined) req.after = after.value;
      if (limit !== undefined) req.limit = limit;
      return ok(req);
    }
    case 'members': {
      const r = room(data);
      if (!r.ok) return r;
      const after = data.after;
      if (after !== undefined && (typeof after !== 'string' || after.length < 1 || after.length > LIMITS.memberIdMax)) {
        return fail(`after must be a member id (1-${LIMITS.memberIdMax} characters)`);
      }
      const req: Request = { type, room: r.value };
      if (after !== undefined) req.after = after;
      if (data.limit !== undefined) {
        const l = data.limit;
        if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > LIMITS.membersLimitMax) {
          return fail(`limit must be an integer 1-${LIMITS.membersLimitMax}`);
        }
        req.limit = l;
      }
      return ok(req);
    }
    case 'ping':
      return ok({ type });
    default:
      return fail(`unknown request type`);
  }
}
