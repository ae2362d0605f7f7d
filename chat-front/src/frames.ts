/**
 * The page's reader of server frames: untrusted text in, a well-formed ServerMessage out, or null.
 * Nothing a server (or anything in between) sends may make the page throw, so every field the page
 * reads is checked here, once, and rebuilt into a fresh object of exactly the protocol's shape:
 * strings are strings, ids are safe non-negative integers, timestamps are dates Intl can format,
 * lists keep only their well-formed entries, and a `retryAfterMs` cannot schedule a timer storm.
 * Any frame may carry the `rid` of the request it answers: kept when it is a string of 1-64
 * characters, left off otherwise (the frame itself still counts). A room's entries — messages,
 * updates — and the `typing` frame are read by entry-frames.ts, the checks all readers share are in
 * frame-checks.ts. The reducers in state.ts / roster.ts / outbox.ts then trust their input's types.
 */
import {
  LIMITS, roomKind,
  type Ack, type InviteSummary, type ErrorCode, type ErrorResponse, type HistoryResponse, type Joined, type Left,
  type MembersResponse, type PasswordResponse, type Presence, type ReadResponse, type RevokedResponse, type RoomKind,
  type RoomResponse, type RoomSummary, type RoomsResponse, type ServerMessage, type SessionInfo,
  type SessionsResponse, type Welcome,
} from '@livechat/protocol';
import { readEntry, readMessage, readTyping, readUpdate } from './entry-frames.js';
import { readUpload } from './file-frames.js';
import { isCount, isObj, isStr, isTs, list, optBool, readMember, readVia, type Obj } from './frame-checks.js';
import { TEXT } from './texts.js';

export { readMember } from './frame-checks.js';
export { readEntry, readMessage, readTyping, readUpdate } from './entry-frames.js';

/** A server's "retry after" is honoured up to a minute; anything longer (or negative) is clamped. */
export const MAX_RETRY_AFTER_MS = 60_000;

function welcome(f: Obj): Welcome | null {
  const member = readMember(f.member);
  if (!member || !isStr(f.session, 1024)) return null;
  const w: Welcome = { type: 'welcome', appId: readVia(f.appId), session: f.session, member };
  // An account's welcome: `account.username` (anything else there is not an account).
  if (isObj(f.account) && isStr(f.account.username, 256) && f.account.username.length > 0) w.account = { username: f.account.username };
  return w;
}

function left(f: Obj): Left {
  return f.reason === 'removed' ? { type: 'left', room: f.room as string, reason: 'removed' } : { type: 'left', room: f.room as string };
}

const KINDS = new Set<RoomKind>(['public', 'private', 'dm']);
/** A room's kind as the frame says, else as its name says (the name is what the server checks). */
const kindOf = (v: unknown, room: string): RoomKind => (KINDS.has(v as RoomKind) ? v as RoomKind : roomKind(room));
const isRoom = (v: unknown): v is string => isStr(v, 64) && v.length > 0;

/** One entry of `rooms`: a room name is required; counts default to 0, the title to the room's name. */
export function readRoomSummary(v: unknown): RoomSummary | null {
  if (!isObj(v) || !isRoom(v.room)) return null;
  const last = isCount(v.last) ? v.last : 0;
  const read = isCount(v.read) ? v.read : 0;
  const unread = isCount(v.unread) ? v.unread : Math.max(0, last - read);
  const title = isStr(v.title, 1024) && v.title.trim() ? v.title : v.room;
  const summary: RoomSummary = { room: v.room, kind: kindOf(v.kind, v.room), title, last, read, unread };
  if (isCount(v.mentions) && v.mentions > 0) summary.mentions = Math.min(v.mentions, unread);
  return summary;
}

/** One pending invite of `rooms`: room, who invited and when are required; a DM's title is who invited. */
export function readInvite(v: unknown): InviteSummary | null {
  if (!isObj(v) || !isRoom(v.room) || roomKind(v.room) === 'public') return null;
  const from = readMember(v.from);
  if (!from || !isTs(v.at)) return null;
  const kind = roomKind(v.room) === 'dm' ? 'dm' : 'private';
  const title = kind === 'private' && isStr(v.title, 1024) && v.title.trim() ? v.title : from.name;
  return { room: v.room, kind, title, from, at: v.at, expires: isTs(v.expires) ? v.expires : v.at };
}

function rooms(f: Obj): RoomsResponse | null {
  const rs = list(f.rooms, readRoomSummary);
  if (!rs) return null;
  const invites = list(f.invites, readInvite, 200);
  return invites ? { type: 'rooms', rooms: rs, invites } : { type: 'rooms', rooms: rs };
}

function room(f: Obj): RoomResponse | null {
  const ms = list(f.members, readMember);
  if (!ms) return null;
  const title = isStr(f.title, 1024) && f.title.trim() ? f.title : f.room as string;
  const r: RoomResponse = { type: 'room', room: f.room as string, kind: kindOf(f.kind, f.room as string), title, members: ms };
  if (isStr(f.owner, 256) && f.owner.length > 0) r.owner = f.owner;
  const invited = list(f.invited, readMember);
  if (invited) r.invited = invited;
  return r;
}

function read(f: Obj): ReadResponse | null {
  return isCount(f.id) ? { type: 'read', room: f.room as string, id: f.id } : null;
}

function readSession(v: unknown): SessionInfo | null {
  if (!isObj(v) || !isStr(v.id, 256) || v.id.length === 0 || !isTs(v.created)) return null;
  return { id: v.id, created: v.created, current: v.current === true };
}

function sessions(f: Obj): SessionsResponse | null {
  const ss = list(f.sessions, readSession);
  return ss ? { type: 'sessions', sessions: ss } : null;
}

function revoked(f: Obj): RevokedResponse {
  return { type: 'revoked', count: isCount(f.count) ? f.count : 0 };
}

function passwordChanged(f: Obj): PasswordResponse {
  return { type: 'password', revoked: isCount(f.revoked) ? f.revoked : 0 };
}

function joined(f: Obj): Joined | null {
  const members = list(f.members, readMember) ?? [];
  // With `after`: messages and the updates made meanwhile, in id order (Message lifecycle, "Entries").
  const messages = list(f.messages, readEntry) ?? [];
  const j: Joined = {
    type: 'joined', room: f.room as string, count: isCount(f.count) ? f.count : members.length, members, messages,
    last: isCount(f.last) ? f.last : 0,
  };
  if (optBool(f.membersTruncated)) j.membersTruncated = true;
  if (optBool(f.truncated)) j.truncated = true;
  // (extensions) the room's history epoch, and that the one the join named was lost.
  if (isStr(f.epoch, 64) && f.epoch !== '') j.epoch = f.epoch;
  if (optBool(f.reset)) j.reset = true;
  return j;
}

function ack(f: Obj): Ack | null {
  if (!isStr(f.cid, 256) || !isCount(f.id) || f.id < 1 || !isTs(f.ts)) return null;
  return { type: 'ack', cid: f.cid, room: f.room as string, id: f.id, ts: f.ts };
}

function presence(f: Obj): Presence | null {
  const room = f.room as string;
  switch (f.event) {
    case 'join':
    case 'leave': {
      const member = readMember(f.member);
      if (!member) return null;
      return isCount(f.count) ? { type: 'presence', room, event: f.event, member, count: f.count } : { type: 'presence', room, event: f.event, member };
    }
    case 'count':
      return isCount(f.count) ? { type: 'presence', room, event: 'count', count: f.count } : null;
    case 'sync': {
      const members = list(f.members, readMember);
      if (!members) return null;
      return { type: 'presence', room, event: 'sync', count: isCount(f.count) ? f.count : members.length, members };
    }
    default:
      return null;
  }
}

function members(f: Obj): MembersResponse | null {
  const ms = list(f.members, readMember);
  if (!ms) return null;
  const r: MembersResponse = { type: 'members', room: f.room as string, members: ms };
  if (isStr(f.next, 256) && f.next.length > 0) r.next = f.next;
  return r;
}

function history(f: Obj): HistoryResponse | null {
  const ms = list(f.messages, readMessage);
  return ms ? { type: 'history', room: f.room as string, messages: ms } : null;
}

function error(f: Obj): ErrorResponse {
  const e: ErrorResponse = {
    type: 'error',
    code: (isStr(f.code, 64) ? f.code : 'unknown') as ErrorCode,
    message: isStr(f.message, 1000) && f.message.trim() ? f.message : TEXT.serverFailed,
  };
  if (isStr(f.cid, 256)) e.cid = f.cid;
  if (typeof f.retryAfterMs === 'number' && Number.isFinite(f.retryAfterMs)) {
    e.retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(f.retryAfterMs)));
  }
  return e;
}

/** A request id as the protocol has it: 1-64 characters. */
const isRid = (v: unknown): v is string => isStr(v, LIMITS.ridMax) && v.length > 0;

/** Frames that name a room must name it with a string (the reducers compare it with the current room). */
const ROOM_FRAMES = new Set(['joined', 'left', 'ack', 'presence', 'members', 'history', 'room', 'read', 'update', 'typing']);

/** Parses and checks one frame's text; null for anything that is not a well-formed server frame. */
export function readServerFrame(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  let f: unknown;
  try {
    f = JSON.parse(data);
  } catch {
    return null;
  }
  return readServerMessage(f);
}

/** The same checks for an already parsed value. */
export function readServerMessage(f: unknown): ServerMessage | null {
  if (!isObj(f) || typeof f.type !== 'string') return null;
  if (ROOM_FRAMES.has(f.type) && !isStr(f.room, 64)) return null;
  const m = readBody(f);
  if (m && isRid(f.rid)) m.rid = f.rid;
  return m;
}

function readBody(f: Obj): ServerMessage | null {
  switch (f.type) {
    case 'welcome': return welcome(f);
    case 'joined': return joined(f);
    case 'left': return left(f);
    case 'ack': return ack(f);
    case 'message': return readMessage(f);
    case 'presence': return presence(f);
    case 'members': return members(f);
    case 'history': return history(f);
    case 'pong': return { type: 'pong' };
    case 'error': return error(f);
    case 'rooms': return rooms(f);
    case 'room': return room(f);
    case 'read': return read(f);
    case 'sessions': return sessions(f);
    case 'revoked': return revoked(f);
    case 'password': return passwordChanged(f);
    case 'update': return readUpdate(f);
    case 'typing': return readTyping(f);
    case 'upload': return readUpload(f);
    default: return null;
  }
}
