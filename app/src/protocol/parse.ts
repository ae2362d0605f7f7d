/**
 * Untrusted frame text -> a validated Request, or a ProtocolError saying what is wrong.
 * Never throws, whatever the input (a property-based test holds it to that).
 * Normalises as it validates: names are NFKC-normalised, lose invisible characters and are trimmed;
 * text is trimmed. Control characters and lone surrogates are refused, not stripped.
 */
import { LIMITS, type Request } from './messages.js';
import { cleanFileName, cleanMime, fileNameProblem, isFileKey } from './files.js';
import { cleanName, emojiProblem, nameProblem, passwordProblem, textProblem } from './text.js';

export interface ParseError {
  /** What was wrong, for people. */
  message: string;
  /** The request's `cid`, when it was a `send` with a usable one, so the error can name it. */
  cid?: string;
  /** The request's `rid`, when it had a usable one: the error answers it (shared/PROTOCOL.md "Request ids"). */
  rid?: string;
}

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

const ok = <T>(value: T): Result<T, ParseError> => ({ ok: true, value });
const fail = (message: string, cid?: string): Result<never, ParseError> =>
  ({ ok: false, error: cid === undefined ? { message } : { message, cid } });

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

function memberId(obj: Record<string, unknown>, key: string): Result<string, ParseError> {
  const v = obj[key];
  if (typeof v !== 'string' || v.length < 1 || v.length > LIMITS.memberIdMax) {
    return fail(`${key} must be a member id (1-${LIMITS.memberIdMax} characters)`);
  }
  return ok(v);
}

/** A usable `cid`: a string of 1-64 characters. */
function cidOf(obj: Record<string, unknown>): string | undefined {
  const cid = obj.cid;
  return typeof cid === 'string' && cid.length >= 1 && cid.length <= LIMITS.cidMax ? cid : undefined;
}

/** A message's `text`, trimmed, or what is wrong with it (naming the request's cid). */
function messageText(obj: Record<string, unknown>, cid: string): Result<string, ParseError> {
  if (typeof obj.text !== 'string') return fail('text must be a string', cid);
  const problem = textProblem(obj.text);
  return problem === null ? ok(obj.text.trim()) : fail(problem, cid);
}

/** A `send`'s `attachments`: absent, or 1-10 `{key}` with distinct keys. */
function attachmentRefs(obj: Record<string, unknown>, cid: string): Result<{ key: string }[] | undefined, ParseError> {
  const a = obj.attachments;
  if (a === undefined) return ok(undefined);
  if (!Array.isArray(a) || a.length < 1 || a.length > LIMITS.attachmentsMax) {
    return fail(`attachments must be a list of 1-${LIMITS.attachmentsMax} {key}`, cid);
  }
  const keys: { key: string }[] = [];
  for (const x of a) {
    if (!isObject(x) || !isFileKey(x.key)) return fail('each attachment must be {key} with a key from upload', cid);
    if (keys.some((k) => k.key === x.key)) return fail('attachments must not name a key twice', cid);
    keys.push({ key: x.key });
  }
  return ok(keys);
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

/** A usable `rid`: a string of 1-64 characters. */
const isRid = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= LIMITS.ridMax;

/**
 * Validates an already-decoded value as a Request. A usable `rid` is kept on the request and on its
 * error, so every answer names it; an unusable one is itself the error.
 */
export function validateRequest(data: unknown): Result<Request, ParseError> {
  if (!isObject(data)) return fail('a request is a JSON object');
  const rid = data.rid;
  if (rid === undefined) return validateBody(data);
  if (!isRid(rid)) return fail(`rid must be a string of 1-${LIMITS.ridMax} characters`);
  const r = validateBody(data);
  if (r.ok) r.value.rid = rid;
  else r.error.rid = rid;
  return r;
}

function validateBody(data: Record<string, unknown>): Result<Request, ParseError> {
  const type = data.type;
  if (typeof type !== 'string') return fail('type must be a string');
  switch (type) {
    case 'hello': {
      if (typeof data.name !== 'string') return fail('name must be a string');
      const problem = nameProblem(data.name);
      if (problem !== null) return fail(problem);
      const name = cleanName(data.name);
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
      const e = data.epoch; // (extension) the history epoch `after` is of: kept only with `after`
      if (e !== undefined && !(typeof e === 'string' && e.length >= 1 && e.length <= 64)) return fail('epoch must be a string of 1-64 characters');
      return ok({ type, room: r.value, ...(after.value === undefined ? {} : { after: after.value, ...(e === undefined ? {} : { epoch: e as string }) }) });
    }
    case 'leave': {
      const r = room(data);
      return r.ok ? ok({ type, room: r.value }) : r;
    }
    case 'send': {
      const cid = cidOf(data);
      if (cid === undefined) return fail(`cid must be a string of 1-${LIMITS.cidMax} characters`);
      const r = room(data);
      if (!r.ok) return fail(r.error.message, cid);
      const files = attachmentRefs(data, cid);
      if (!files.ok) return files;
      // With files, the text may be empty (a picture alone).
      const text = files.value !== undefined && typeof data.text === 'string' && data.text.trim() === '' ? ok('') : messageText(data, cid);
      if (!text.ok) return text;
      if (data.replyTo !== undefined && !(isId(data.replyTo) && data.replyTo >= 1)) return fail('replyTo must be a message id (an integer >= 1)', cid);
      const req: Request = { type, room: r.value, text: text.value, cid };
      if (data.replyTo !== undefined) req.replyTo = data.replyTo as number;
      if (files.value !== undefined) req.attachments = files.value;
      return ok(req);
    }
    case 'upload': {
      const cid = cidOf(data);
      if (cid === undefined) return fail(`cid must be a string of 1-${LIMITS.cidMax} characters`);
      const r = room(data);
      if (!r.ok) return fail(r.error.message, cid);
      if (typeof data.name !== 'string') return fail('name must be a string', cid);
      const problem = fileNameProblem(data.name);
      if (problem !== null) return fail(problem, cid);
      const mime = cleanMime(data.mime);
      if (mime === null) return fail('mime must be a media type (type/subtype)', cid);
      if (!(isId(data.size) && data.size >= 1)) return fail('size must be the file\'s size in bytes (an integer >= 1)', cid);
      return ok({ type, room: r.value, name: cleanFileName(data.name), mime, size: data.size, cid });
    }
    case 'edit':
    case 'delete':
    case 'react': {
      const cid = cidOf(data);
      if (cid === undefined) return fail(`cid must be a string of 1-${LIMITS.cidMax} characters`);
      const r = room(data);
      if (!r.ok) return fail(r.error.message, cid);
      if (!(isId(data.id) && data.id >= 1)) return fail('id must be a message id (an integer >= 1)', cid);
      const id = data.id;
      if (type === 'delete') return ok({ type, room: r.value, id, cid });
      if (type === 'edit') {
        const text = messageText(data, cid);
        return text.ok ? ok({ type, room: r.value, id, text: text.value, cid }) : text;
      }
      if (typeof data.emoji !== 'string') return fail('emoji must be a string', cid);
      const problem = emojiProblem(data.emoji);
      if (problem !== null) return fail(problem, cid);
      if (typeof data.on !== 'boolean') return fail('on must be true or false', cid);
      return ok({ type, room: r.value, id, emoji: data.emoji, on: data.on, cid });
    }
    case 'typing': {
      const r = room(data);
      if (!r.ok) return r;
      if (data.stop !== undefined && typeof data.stop !== 'boolean') return fail('stop must be true or false');
      return ok(data.stop === true ? { type, room: r.value, stop: true } : { type, room: r.value });
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
    case 'sessions':
    case 'rooms':
      return ok({ type });
    case 'signup':
    case 'signin': {
      if (typeof data.username !== 'string') return fail('username must be a string');
      const problem = nameProblem(data.username, 'username');
      if (problem !== null) return fail(problem);
      if (typeof data.password !== 'string') return fail('password must be a string');
      const pw = passwordProblem(data.password);
      if (pw !== null) return fail(pw);
      return ok({ type, username: cleanName(data.username), password: data.password });
    }
    case 'password': {
      const problem = typeof data.old !== 'string' || typeof data.new !== 'string' ? 'old and new must be strings' : passwordProblem(data.old) ?? passwordProblem(data.new);
      return problem === null ? ok({ type, old: data.old as string, new: data.new as string }) : fail(problem);
    }
    case 'revoke': {
      const session = data.session;
      if (session === undefined) return ok({ type });
      if (typeof session !== 'string' || session.length < 1 || session.length > LIMITS.sessionIdMax) {
        return fail(`session must be a session id (1-${LIMITS.sessionIdMax} characters)`);
      }
      return ok({ type, session });
    }
    case 'create': {
      if (typeof data.title !== 'string') return fail('title must be a string');
      const problem = nameProblem(data.title, 'title', LIMITS.titleMax);
      if (problem !== null) return fail(problem);
      return ok({ type, title: cleanName(data.title) });
    }
    case 'room':
    case 'accept':
    case 'decline':
    case 'part': {
      const r = room(data);
      return r.ok ? ok({ type, room: r.value }) : r;
    }
    case 'invite': {
      const r = room(data);
      if (!r.ok) return r;
      if (typeof data.username !== 'string') return fail('username must be a string');
      const problem = nameProblem(data.username, 'username');
      if (problem !== null) return fail(problem);
      return ok({ type, room: r.value, username: cleanName(data.username) });
    }
    case 'remove': {
      const r = room(data);
      if (!r.ok) return r;
      const m = memberId(data, 'member');
      return m.ok ? ok({ type, room: r.value, member: m.value }) : m;
    }
    case 'dm': {
      const m = memberId(data, 'member');
      return m.ok ? ok({ type, member: m.value }) : m;
    }
    case 'read': {
      const r = room(data);
      if (!r.ok) return r;
      if (!isId(data.id)) return fail('id must be an integer >= 0');
      return ok({ type, room: r.value, id: data.id });
    }
    default:
      return fail(`unknown request type`);
  }
}
