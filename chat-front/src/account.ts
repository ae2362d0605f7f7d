/**
 * A signed-in account's side of the page as plain data, and the pure functions that change it (like
 * roster.ts for the member panel): the room list with unread counts (`rooms`), the read markers
 * (`read`, answered and pushed), and the details of private rooms and DMs (`room`). The page's state
 * holds one Account while signed in (account-state.ts applies the frames to it through these);
 * nothing here touches the DOM.
 *
 * Read markers only move up (the server never moves one down), so the page keeps the highest it knows
 * per room — from `rooms`, from `read` frames and from the `read` requests it sent — and a `rooms`
 * answer that was on its way while a marker moved cannot bring an unread count back.
 *
 * The account's sessions (the "Sessions" panel): the `sessions` answer, this device's first and the
 * rest newest first, and the ones a `revoke` went out for (shown as being signed out until answered).
 */
import type {
  InviteSummary, Member, ReadResponse, RoomKind, RoomResponse, RoomSummary, RoomsResponse, SessionInfo, SessionsResponse,
} from '@livechat/protocol';

export interface Account {
  username: string;
  /** The room list, as the server last sent it (with what the page learnt since); null until the first `rooms`. */
  rooms: RoomSummary[] | null;
  /** Pending invites (to private rooms, and DMs from strangers), newest first, as `rooms` last listed them. */
  invites: InviteSummary[];
  /** The highest read marker known per room. */
  marks: Record<string, number>;
  /** The `room` answers (owner, members) of private rooms and DMs, by room. */
  details: Record<string, RoomResponse>;
  /** The account's sessions, this device's first; null until the Sessions panel asked for them. */
  sessions: SessionInfo[] | null;
  /** Sessions a `revoke` went out for, not yet answered. */
  revoking: string[];
}

const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function newAccount(username: string): Account {
  return { username, rooms: null, invites: [], marks: dict<number>(), details: dict<RoomResponse>(), sessions: null, revoking: [] };
}

/**
 * The entry with the newest `last` and `read` the page knows. The server counts unread *messages*
 * (an edit or a reaction takes an id but is nothing new to read), so between two `rooms` answers the
 * page bounds its count: all read once `read` reaches `last`, never more than the ids after `read`,
 * and new ids seen meanwhile (the room shown) add at most their number.
 */
function withCounts(r: RoomSummary, last: number, read: number): RoomSummary {
  if (last === r.last && read === r.read) return r;
  const unread = read >= last ? 0 : Math.min(r.unread + Math.max(0, last - r.last), last - read);
  const next: RoomSummary = { ...r, last, read, unread };
  if (r.mentions !== undefined) next.mentions = Math.min(r.mentions, unread);
  return next;
}

/**
 * A `rooms` list. Each entry's read marker is the higher of the server's and the page's; `current`
 * (the room shown, with the newest id seen in it) may be ahead of the list's `last`.
 */
export function applyRooms(a: Account, res: RoomsResponse, current?: { room: string; lastId: number }): Account {
  const marks = { ...a.marks };
  const rooms = res.rooms.map((r) => {
    const read = Math.max(r.read, has(marks, r.room) ? marks[r.room] : 0);
    marks[r.room] = read;
    const last = current && current.room === r.room ? Math.max(r.last, current.lastId) : r.last;
    return withCounts(r, last, read);
  });
  const merged: Record<string, number> = Object.assign(dict<number>(), marks);
  return { ...a, rooms, invites: res.invites ?? [], marks: merged };
}

/** A `read` frame (the answer to ours, or pushed from another connection of the account), or a `read` the page sent. */
export function applyRead(a: Account, r: Pick<ReadResponse, 'room' | 'id'>): Account {
  const known = has(a.marks, r.room) ? a.marks[r.room] : 0;
  if (r.id <= known) return a;
  const marks = Object.assign(dict<number>(), a.marks, { [r.room]: r.id });
  const rooms = a.rooms?.map((x) => (x.room === r.room ? withCounts(x, x.last, Math.max(x.read, r.id)) : x)) ?? null;
  return { ...a, marks, rooms };
}

/** A message seen in a room: its entry's `last` moves up (the unread count of a joined room between two `rooms`). */
export function applyLast(a: Account, room: string, id: number): Account {
  if (!a.rooms) return a;
  let changed = false;
  const rooms = a.rooms.map((x) => {
    if (x.room !== room || id <= x.last) return x;
    changed = true;
    return withCounts(x, id, x.read);
  });
  return changed ? { ...a, rooms } : a;
}

/** A `room` answer (create, room, invite, remove, dm): kept by room. */
export function applyRoomDetails(a: Account, r: RoomResponse): Account {
  const details = Object.assign(dict<RoomResponse>(), a.details, { [r.room]: r });
  return { ...a, details };
}

/** This account left a room for good (removed from it): its details and its list entry go. */
export function forgetRoom(a: Account, room: string): Account {
  const details = Object.assign(dict<RoomResponse>(), a.details);
  delete details[room];
  return { ...a, details, rooms: a.rooms?.filter((x) => x.room !== room) ?? null };
}

/** The marker the page should send for `room`, having seen up to `lastId` there: undefined when it would not move. */
export function readToSend(a: Account, room: string, lastId: number): number | undefined {
  if (lastId < 1) return undefined;
  const known = has(a.marks, room) ? a.marks[room] : 0;
  return lastId > known ? lastId : undefined;
}

export interface RoomGroups { public: RoomSummary[]; private: RoomSummary[]; dm: RoomSummary[] }

/** The list in its three groups, each in the server's order (public rooms: most recent first). */
export function groupRooms(rooms: readonly RoomSummary[] | null): RoomGroups {
  const g: RoomGroups = { public: [], private: [], dm: [] };
  for (const r of rooms ?? []) g[r.kind].push(r);
  return g;
}

/** Unread messages across the list (for the phone's "Rooms" button). */
export function totalUnread(rooms: readonly RoomSummary[] | null): number {
  return (rooms ?? []).reduce((n, r) => n + r.unread, 0);
}

/** What a badge says to a screen reader: "3 unread" (a big count is shown as 99+, and read as such). */
export function unreadLabel(n: number): string {
  return `${n > 99 ? '99+' : n} unread`;
}

/** The other member of a DM, from its details. */
export function dmPeer(details: RoomResponse | undefined, myId: string | undefined): Member | undefined {
  if (!details || details.kind !== 'dm') return undefined;
  return details.members.find((m) => m.id !== myId);
}

/** How the page names a room: a public room by its name, a private room by its title, a DM by the other member's name. */
export function roomTitle(a: Account | null, room: string, kind: RoomKind, myId?: string): string {
  if (kind === 'public' || !a) return room;
  const d = has(a.details, room) ? a.details[room] : undefined;
  const peer = dmPeer(d, myId);
  if (peer) return peer.name;
  const listed = a.rooms?.find((x) => x.room === room);
  return listed?.title ?? d?.title ?? (kind === 'dm' ? 'Direct message' : 'Private room');
}

/** The details of `room` when this account owns it (a private room): invite and remove are offered. */
export function ownedDetails(a: Account | null, room: string, myId: string | undefined): RoomResponse | undefined {
  if (!a || !myId || !has(a.details, room)) return undefined;
  const d = a.details[room];
  return d.kind === 'private' && d.owner === myId ? d : undefined;
}

/** A `sessions` answer: this device's session first, then the others newest first. */
export function applySessions(a: Account, res: SessionsResponse): Account {
  const sessions = [...res.sessions].sort((x, y) => Number(y.current) - Number(x.current) || y.created - x.created);
  const revoking = a.revoking.filter((id) => sessions.some((x) => x.id === id));
  return { ...a, sessions, revoking: revoking.length === a.revoking.length ? a.revoking : revoking };
}

/** A `revoke` went out for another session of the list (this device's is signed out otherwise). */
export function markRevoking(a: Account, id: string): Account {
  if (a.revoking.includes(id) || !a.sessions?.some((x) => x.id === id && !x.current)) return a;
  return { ...a, revoking: [...a.revoking, id] };
}

/** The `revoke` was answered (or its answer lost with the connection): nothing waits any more. */
export function settleRevoking(a: Account): Account {
  return a.revoking.length === 0 ? a : { ...a, revoking: [] };
}

/** The `revoke` of session `id` was answered (revoked, or refused): its row waits no more. */
export function settleRevoke(a: Account, id: string): Account {
  return a.revoking.includes(id) ? { ...a, revoking: a.revoking.filter((x) => x !== id) } : a;
}
