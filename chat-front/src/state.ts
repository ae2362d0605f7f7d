/**
 * The page's state as plain data, and the pure functions that change it (TodoMVC style: nothing here
 * touches the DOM, a socket or a clock — `now` is passed in). The controller applies server frames
 * through these; the view renders whatever they return.
 *
 * Invariants kept here:
 * - `messages` holds the current room's messages in strictly increasing id order, each id once.
 * - the outbox keeps a message the person typed until the server's own `message` with that cid
 *   arrives; it goes pending -> sending -> sent (acked) -> gone, and back to pending when the
 *   connection drops or the server answers `unavailable` / `rate_limited`. Its cid never changes.
 */
import type {
  Ack, ChatMessage, ErrorResponse, HistoryResponse, Joined, Member, Presence, Welcome,
} from '@livechat/protocol';
import { State } from './connection.js';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface OutboxItem {
  cid: string;
  room: string;
  text: string;
  /** When the person sent it (ms since epoch), shown until the server's timestamp is known. */
  createdAt: number;
  status: OutboxStatus;
  /** Id from the ack, once acked. */
  id?: number;
  /** Not before this time (after `rate_limited` / `unavailable`). */
  retryAt?: number;
  /** Why it failed for good (a `bad_request`). */
  error?: string;
  attempts: number;
}

export interface ChatState {
  /** 'login' until the person has entered a name and pressed Join. */
  phase: 'login' | 'chat';
  conn: State;
  /** APPID of the server holding this page's connection (from `welcome`). */
  appId: string | null;
  me: Member | null;
  room: string;
  /** The current connection has joined `room` (sends may go out). */
  joined: boolean;
  /** `room` was joined before on some connection, so a rejoin resumes with `after = lastId`. */
  resumable: boolean;
  messages: ChatMessage[];
  lastId: number;
  members: Record<string, Member>;
  outbox: OutboxItem[];
  history: { loading: boolean; complete: boolean };
  /** A short message for people (an error the server sent, a gap in history). */
  notice: string | null;
  /** A problem with the name or room typed on the login form. */
  loginError: string | null;
}

export function initialState(room: string): ChatState {
  return {
    phase: 'login', conn: State.Disconnected, appId: null, me: null, room,
    joined: false, resumable: false, messages: [], lastId: 0, members: {}, outbox: [],
    history: { loading: false, complete: false }, notice: null, loginError: null,
  };
}

/** Merges two id-sorted message lists into one id-sorted list with each id once (the first copy wins). */
export function mergeMessages(a: readonly ChatMessage[], b: readonly ChatMessage[]): ChatMessage[] {
  if (b.length === 0) return a as ChatMessage[];
  const lastA = a.length ? a[a.length - 1].id : 0;
  // The common case: everything new is newer than everything held.
  if (isAscending(b) && b[0].id > lastA) return a.concat(b);
  const byId = new Map<number, ChatMessage>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) if (!byId.has(m.id)) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}

function isAscending(list: readonly ChatMessage[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i].id <= list[i - 1].id) return false;
  return true;
}

const lastIdOf = (list: readonly ChatMessage[]) => (list.length ? list[list.length - 1].id : 0);

/** Drops outbox items whose message is now in `messages` (matched by cid). */
function settleOutbox(outbox: OutboxItem[], room: string, arrived: readonly ChatMessage[]): OutboxItem[] {
  if (outbox.length === 0 || arrived.length === 0) return outbox;
  const cids = new Set(arrived.map((m) => m.cid));
  const next = outbox.filter((o) => !(o.room === room && cids.has(o.cid)));
  return next.length === outbox.length ? outbox : next;
}

/** The person pressed Join: chat with this name in this room. */
export function startChat(state: ChatState, room: string): ChatState {
  return { ...switchRoom(state, room), phase: 'chat', loginError: null };
}

/** The connection changed state. Anything in flight goes back to pending: it is resent with its cid. */
export function applyConnState(state: ChatState, conn: State): ChatState {
  if (conn === State.Connected) return { ...state, conn };
  return {
    ...state, conn, joined: false,
    history: { ...state.history, loading: false },
    outbox: state.outbox.map((o) => (o.status === 'sending' ? { ...o, status: 'pending' } : o)),
  };
}

export function applyWelcome(state: ChatState, w: Welcome): ChatState {
  return { ...state, appId: w.appId, me: w.member };
}

/** Moves to another room: its messages and members come with the next `joined`. */
export function switchRoom(state: ChatState, room: string): ChatState {
  return {
    ...state, room, joined: false, resumable: false, messages: [], lastId: 0, members: {},
    history: { loading: false, complete: false }, notice: null,
  };
}

/** The `after` to join the current room with: the last id seen, once the room was joined before. */
export function joinAfter(state: ChatState): number | undefined {
  return state.resumable ? state.lastId : undefined;
}

export function applyJoined(state: ChatState, j: Joined): ChatState {
  if (j.room !== state.room) return state;
  const members: Record<string, Member> = {};
  for (const m of j.members) members[m.id] = m;
  const incoming = [...j.messages].sort((a, b) => a.id - b.id);
  // The room's history restarting below what we hold (an in-memory store restarted) means our ids are stale.
  const fresh = !state.resumable || j.last < state.lastId;
  const messages = fresh ? mergeMessages([], incoming) : mergeMessages(state.messages, incoming);
  const complete = fresh
    ? messages.length === 0 || messages[0].id <= 1
    : state.history.complete;
  return {
    ...state, joined: true, resumable: true, members, messages,
    lastId: Math.max(lastIdOf(messages), fresh ? 0 : state.lastId),
    history: { loading: false, complete },
    outbox: settleOutbox(state.outbox, state.room, incoming),
    notice: j.truncated ? 'Some messages from while you were away are no longer kept.' : null,
  };
}

/** A live message: appended once; a duplicate (same id) changes nothing. */
export function applyMessage(state: ChatState, m: ChatMessage): ChatState {
  if (m.room !== state.room) return state;
  const outbox = settleOutbox(state.outbox, state.room, [m]);
  if (m.id <= state.lastId && state.messages.some((x) => x.id === m.id)) {
    return outbox === state.outbox ? state : { ...state, outbox };
  }
  const messages = mergeMessages(state.messages, [m]);
  return { ...state, messages, lastId: Math.max(state.lastId, m.id), outbox };
}

/** Older (or newer) messages from a `history` request of `limit`. */
export function applyHistory(state: ChatState, h: HistoryResponse, limit: number): ChatState {
  if (h.room !== state.room) return state;
  const incoming = [...h.messages].sort((a, b) => a.id - b.id);
  const messages = mergeMessages(state.messages, incoming);
  const complete = incoming.length < limit || (messages.length > 0 && messages[0].id <= 1);
  return {
    ...state, messages, lastId: Math.max(state.lastId, lastIdOf(messages)),
    history: { loading: false, complete },
    outbox: settleOutbox(state.outbox, state.room, incoming),
  };
}

export function applyPresence(state: ChatState, p: Presence): ChatState {
  if (p.room !== state.room) return state;
  const members = { ...state.members };
  if (p.event === 'join') members[p.member.id] = p.member;
  else if (p.member.id !== state.me?.id || !state.joined) delete members[p.member.id];
  return { ...state, members };
}

/** `ack`: stored. The item shows as sent until its `message` arrives (or is dropped if it already did). */
export function applyAck(state: ChatState, a: Ack): ChatState {
  const arrived = a.room === state.room && state.messages.some((m) => m.id === a.id && m.cid === a.cid);
  let changed = false;
  const outbox: OutboxItem[] = [];
  for (const o of state.outbox) {
    if (o.cid !== a.cid) { outbox.push(o); continue; }
    changed = true;
    if (!arrived) outbox.push({ ...o, status: 'sent', id: a.id, createdAt: a.ts, retryAt: undefined, error: undefined });
  }
  return changed ? { ...state, outbox } : state;
}

/** Errors the same cid may be retried after. */
const RETRYABLE = new Set(['unavailable', 'rate_limited', 'not_joined']);

/** Delay before retrying a cid, when the server does not say: grows with attempts, at most 10 s. */
export function retryDelay(attempts: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return retryAfterMs;
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempts - 1));
}

/** An `error`: a send's cid is retried later or marked failed; other errors become a notice. */
export function applyError(state: ChatState, e: ErrorResponse, now: number): ChatState {
  const item = e.cid === undefined ? undefined : state.outbox.find((o) => o.cid === e.cid);
  if (!item) return { ...state, notice: e.message, history: { ...state.history, loading: false } };
  const outbox = state.outbox.map((o): OutboxItem => {
    if (o.cid !== e.cid) return o;
    if (RETRYABLE.has(e.code)) return { ...o, status: 'pending', retryAt: now + retryDelay(o.attempts, e.retryAfterMs) };
    return { ...o, status: 'failed', error: e.message };
  });
  return { ...state, outbox };
}

/** The person sent a message: it waits in the outbox until it can go out. */
export function enqueue(state: ChatState, item: { cid: string; text: string; now: number }): ChatState {
  const o: OutboxItem = { cid: item.cid, room: state.room, text: item.text, createdAt: item.now, status: 'pending', attempts: 0 };
  return { ...state, outbox: [...state.outbox, o] };
}

/** Outbox items that may be sent now: pending, for the joined room, past their retry time. */
export function dueSends(state: ChatState, now: number): OutboxItem[] {
  if (state.conn !== State.Connected || !state.joined) return [];
  return state.outbox.filter((o) => o.room === state.room && o.status === 'pending' && (o.retryAt ?? 0) <= now);
}

/** The earliest future retry time among pending items of the current room, if any waits. */
export function nextRetryAt(state: ChatState, now: number): number | undefined {
  let t: number | undefined;
  for (const o of state.outbox) {
    if (o.room === state.room && o.status === 'pending' && o.retryAt !== undefined && o.retryAt > now) {
      t = t === undefined ? o.retryAt : Math.min(t, o.retryAt);
    }
  }
  return t;
}

export function markSending(state: ChatState, cids: readonly string[]): ChatState {
  if (cids.length === 0) return state;
  const set = new Set(cids);
  return {
    ...state,
    outbox: state.outbox.map((o) => (set.has(o.cid) ? { ...o, status: 'sending', attempts: o.attempts + 1 } : o)),
  };
}

/** A failed item the person chose to try again. */
export function retryItem(state: ChatState, cid: string): ChatState {
  return { ...state, outbox: state.outbox.map((o) => (o.cid === cid ? { ...o, status: 'pending', retryAt: undefined, error: undefined } : o)) };
}

/** The id to ask for older history before, or undefined when there is nothing more to load. */
export function olderBefore(state: ChatState): number | undefined {
  if (!state.joined || state.history.loading || state.history.complete) return undefined;
  const first = state.messages[0]?.id;
  return first === undefined || first <= 1 ? undefined : first;
}

export function clearNotice(state: ChatState): ChatState {
  return state.notice === null ? state : { ...state, notice: null };
}

export function markHistoryLoading(state: ChatState): ChatState {
  return { ...state, history: { ...state.history, loading: true } };
}

/** Members sorted for display: me first, then by name. */
export function memberList(state: ChatState): Member[] {
  const me = state.me?.id;
  return Object.values(state.members).sort((a, b) =>
    (a.id === me ? -1 : b.id === me ? 1 : a.name.localeCompare(b.name) || a.id.localeCompare(b.id)));
}

/** What the log shows, in order: the room's messages, then this room's outbox items not yet delivered. */
export function logItems(state: ChatState): Array<{ kind: 'message'; m: ChatMessage } | { kind: 'outbox'; o: OutboxItem }> {
  const items: Array<{ kind: 'message'; m: ChatMessage } | { kind: 'outbox'; o: OutboxItem }> =
    state.messages.map((m) => ({ kind: 'message', m }));
  for (const o of state.outbox) if (o.room === state.room) items.push({ kind: 'outbox', o });
  return items;
}
