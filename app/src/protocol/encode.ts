/**
 * Every server -> client frame comes from one of these encoders, so the compiler checks what the
 * server writes as it checks what the page reads. A `Frame` can only be made here (it is a branded
 * string), and the server's reply path accepts nothing else.
 *
 * A chat message is serialized exactly once, in parts around its id and ts: the store fills in the
 * id it assigns (a Redis script or the memory store) without re-encoding, and the same bytes go to
 * history, to the bus and to every client.
 */
import type {
  Ack, Attachment, ErrorResponse, Joined, Left, Member, MembersResponse, Presence, ReadResponse, PasswordResponse, RevokedResponse, RoomResponse,
  RoomsResponse, SessionsResponse, UploadResponse, Welcome,
} from './messages.js';

declare const frameBrand: unique symbol;
/** The JSON text of one server -> client frame, made by an encoder below. */
export type Frame = string & { readonly [frameBrand]: true };

/** Marks text as a frame. Only for text that an encoder here made earlier (stored messages read back). */
export const asFrame = (json: string): Frame => json as Frame;

const member = (m: Member) => ({ id: m.id, name: m.name });

/**
 * The frame answering a request that carried `rid`, with that `rid` added (shared/PROTOCOL.md
 * "Request ids"). Spliced in before the closing brace, so a stored message spliced into a `joined`
 * is not re-encoded; without a rid the frame is returned as it is.
 */
export function withRid(frame: Frame, rid: string | undefined): Frame {
  return rid === undefined ? frame : asFrame(`${frame.slice(0, -1)},"rid":${JSON.stringify(rid)}}`);
}

export function welcomeFrame(w: Omit<Welcome, 'type'>): Frame {
  return asFrame(JSON.stringify(w.account === undefined
    ? { type: 'welcome', appId: w.appId, session: w.session, member: member(w.member) }
    : { type: 'welcome', appId: w.appId, session: w.session, member: member(w.member), account: { username: w.account.username } }));
}

/** `messages` are stored `message` frames, spliced in as they are. */
export function joinedFrame(j: Omit<Joined, 'type' | 'messages'>, messages: readonly Frame[]): Frame {
  const head = JSON.stringify({ type: 'joined', room: j.room, count: j.count, members: j.members.map(member) });
  const truncatedMembers = j.membersTruncated ? ',"membersTruncated":true' : '';
  const truncated = j.truncated ? ',"truncated":true' : '';
  const epoch = `${j.epoch === undefined ? '' : `,"epoch":${JSON.stringify(j.epoch)}`}${j.reset ? ',"reset":true' : ''}`;
  return asFrame(`${head.slice(0, -1)}${truncatedMembers},"messages":[${messages.join(',')}],"last":${j.last}${truncated}${epoch}}`);
}

export function leftFrame(l: Omit<Left, 'type'>): Frame {
  return asFrame(JSON.stringify(l.reason === undefined ? { type: 'left', room: l.room } : { type: 'left', room: l.room, reason: l.reason }));
}

export function ackFrame(a: Omit<Ack, 'type'>): Frame {
  return asFrame(JSON.stringify({ type: 'ack', cid: a.cid, room: a.room, id: a.id, ts: a.ts }));
}

/** `messages` are stored `message` frames, spliced in as they are. */
export function historyFrame(room: string, messages: readonly Frame[]): Frame {
  return asFrame(`{"type":"history","room":${JSON.stringify(room)},"messages":[${messages.join(',')}]}`);
}

export function membersFrame(m: Omit<MembersResponse, 'type'>): Frame {
  const out: MembersResponse = { type: 'members', room: m.room, members: m.members.map(member) };
  if (m.next !== undefined) out.next = m.next;
  return asFrame(JSON.stringify(out));
}

export const PONG_FRAME: Frame = asFrame('{"type":"pong"}');

export function errorFrame(e: ErrorResponse): Frame {
  const out: ErrorResponse = { type: 'error', code: e.code, message: e.message };
  if (e.cid !== undefined) out.cid = e.cid;
  if (e.retryAfterMs !== undefined) out.retryAfterMs = e.retryAfterMs;
  if (e.rid !== undefined) out.rid = e.rid;
  return asFrame(JSON.stringify(out));
}

export function presenceFrame(p: Presence): Frame {
  switch (p.event) {
    case 'join':
    case 'leave':
      return asFrame(JSON.stringify(p.count === undefined
        ? { type: 'presence', room: p.room, event: p.event, member: member(p.member) }
        : { type: 'presence', room: p.room, event: p.event, member: member(p.member), count: p.count }));
    case 'count':
      return asFrame(JSON.stringify({ type: 'presence', room: p.room, event: 'count', count: p.count }));
    case 'sync':
      return asFrame(JSON.stringify({ type: 'presence', room: p.room, event: 'sync', count: p.count, members: p.members.map(member) }));
  }
}

export interface MessageParts {
  /** `{"type":"message","room":"…","id":` */
  head: string;
  /** `,"from":{…},"text":"…","cid":"…","via":"…"}` */
  tail: string;
}

/** The parts of a `message` frame; `messageFrame` (or a store's script) joins them as head + id + ',"ts":' + ts + tail. */
export function messageParts(
  room: string, from: Member, text: string, cid: string, via: string, mentions: readonly string[] = [], attachments: readonly Attachment[] = [],
): MessageParts {
  const files = attachments.length > 0 ? `,"attachments":${JSON.stringify(attachments.map(attachment))}` : '';
  const named = mentions.length > 0 ? `,"mentions":${JSON.stringify(mentions)}${files}` : files;
  return {
    head: `{"type":"message","room":${JSON.stringify(room)},"id":`,
    tail: `,"from":{"id":${JSON.stringify(from.id)},"name":${JSON.stringify(from.name)}},"text":${JSON.stringify(text)},"cid":${JSON.stringify(cid)},"via":${JSON.stringify(via)}${named}}`,
  };
}

/** An attachment's fields in the contract's order, nothing else. */
export function attachment(a: Attachment): Attachment {
  const out: Attachment = { key: a.key, name: a.name, mime: a.mime, size: a.size, url: a.url };
  if (a.width !== undefined) out.width = a.width;
  if (a.height !== undefined) out.height = a.height;
  if (a.thumb !== undefined) out.thumb = a.thumb;
  return out;
}

export function uploadFrame(u: Omit<UploadResponse, 'type'>): Frame {
  return asFrame(JSON.stringify({ type: 'upload', cid: u.cid, key: u.key, put: { url: u.put.url, headers: u.put.headers }, expiresAt: u.expiresAt }));
}

/** Between the id and the ts of a message frame. */
export const MESSAGE_TS_JOIN = ',"ts":';

/** The encoded size of the `message` frame these parts make, in UTF-8 bytes (its id and ts at their largest). */
export function messageFrameBytes(parts: MessageParts): number {
  return byteLength(parts.head) + byteLength(parts.tail) + 16 + MESSAGE_TS_JOIN.length + 16;
}

/** UTF-8 length without Buffer (this module is also the page's). */
function byteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

/** A change an `update` frame carries (its values the store assigns are holes: see UpdateParts). */
export type UpdateChange = { kind: 'edit'; text: string } | { kind: 'delete' } | { kind: 'react'; emoji: string; on: boolean };

/**
 * The parts of an `update` frame around what the store assigns: head + id + ',"ts":' + ts + mid + x + tail,
 * where x is the edit's `editedAt` (the entry's ts), the reaction's `count`, or nothing (a deletion).
 */
export interface UpdateParts {
  head: string;
  mid: string;
  tail: string;
}

export function updateParts(room: string, target: number, from: Member, via: string, cid: string, change: UpdateChange): UpdateParts {
  const common = `,"target":${target},"from":{"id":${JSON.stringify(from.id)},"name":${JSON.stringify(from.name)}},"via":${JSON.stringify(via)},"cid":${JSON.stringify(cid)},`;
  const head = `{"type":"update","room":${JSON.stringify(room)},"id":`;
  switch (change.kind) {
    case 'edit': return { head, mid: `${common}"edit":{"text":${JSON.stringify(change.text)},"editedAt":`, tail: '}}' };
    case 'delete': return { head, mid: `${common}"delete":true`, tail: '}' };
    case 'react': return { head, mid: `${common}"reaction":{"emoji":${JSON.stringify(change.emoji)},"on":${change.on},"count":`, tail: '}}' };
  }
}

/** The complete `update` frame (x: see UpdateParts). */
export function updateFrame(parts: UpdateParts, id: number, ts: number, x: number | ''): Frame {
  return asFrame(`${parts.head}${id}${MESSAGE_TS_JOIN}${ts}${parts.mid}${x}${parts.tail}`);
}

/** `typing`: who is typing in the room now (the newest first, at most LIMITS.typersMax) and how many. */
export function typingFrame(room: string, members: readonly Member[], count: number): Frame {
  return asFrame(JSON.stringify({ type: 'typing', room, members: members.map(member), count }));
}

/** The complete `message` frame. */
export function messageFrame(parts: MessageParts, id: number, ts: number): Frame {
  return asFrame(`${parts.head}${id}${MESSAGE_TS_JOIN}${ts}${parts.tail}`);
}


// ---- accounts, private rooms, DMs (extensions) ----

export function roomsFrame(r: Omit<RoomsResponse, 'type'>): Frame {
  return asFrame(JSON.stringify({
    type: 'rooms',
    rooms: r.rooms.map((x) => ({ room: x.room, kind: x.kind, title: x.title, last: x.last, read: x.read, unread: x.unread, mentions: x.mentions ?? 0 })),
    invites: (r.invites ?? []).map((i) => ({ room: i.room, kind: i.kind, title: i.title, from: member(i.from), at: i.at, expires: i.expires })),
  }));
}

export function roomFrame(r: Omit<RoomResponse, 'type'>): Frame {
  const out: RoomResponse = { type: 'room', room: r.room, kind: r.kind, title: r.title, members: r.members.map(member) };
  if (r.owner !== undefined) out.owner = r.owner;
  if (r.invited !== undefined) out.invited = r.invited.map(member);
  return asFrame(JSON.stringify(out));
}

export function readFrame(r: Omit<ReadResponse, 'type'>): Frame {
  return asFrame(JSON.stringify({ type: 'read', room: r.room, id: r.id }));
}

export function sessionsFrame(s: Omit<SessionsResponse, 'type'>): Frame {
  return asFrame(JSON.stringify({ type: 'sessions', sessions: s.sessions.map((x) => ({ id: x.id, created: x.created, current: x.current })) }));
}

export function revokedFrame(r: Omit<RevokedResponse, 'type'>): Frame {
  return asFrame(JSON.stringify({ type: 'revoked', count: r.count }));
}

export function passwordFrame(r: Omit<PasswordResponse, 'type'>): Frame {
  return asFrame(JSON.stringify({ type: 'password', revoked: r.revoked }));
}
