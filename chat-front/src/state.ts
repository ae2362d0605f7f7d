/**
 * The page's state as plain data, and the pure functions that change it (TodoMVC style: nothing here
 * touches the DOM, a socket or a clock — `now` is passed in). The controller applies server frames
 * through these; the view renders whatever they return.
 *
 * Invariants kept here:
 * - `messages` holds the current room's messages in strictly increasing id order, each id once.
 * - the outbox (outbox.ts, re-exported here) keeps a message the person typed, under one cid, until
 *   the server's own `message` with that cid arrives; anything in flight goes back to pending when
 *   the connection drops.
 * - `roster` is the current room's member panel (roster.ts: small rooms' whole list, large rooms' pages);
 *   a `joined` (a join, a rejoin after a reconnect) starts it afresh.
 */
import type {
  ChatMessage, ErrorResponse, HistoryResponse, Joined, Member, MembersResponse, Presence, Welcome,
} from '@livechat/protocol';
import { State } from './connection.js';
import { failSend, settleOutbox, type OutboxItem } from './outbox.js';
import * as R from './roster.js';

export {
  applyAck, dueSends, enqueue, markSending, nextRetryAt, retryDelay, retryItem, type OutboxItem, type OutboxStatus,
} from './outbox.js';

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
  /** The current room's members: count, mode, the list or the pages of it loaded. */
  roster: R.Roster;
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
    joined: false, resumable: false, messages: [], lastId: 0, roster: R.emptyRoster(), outbox: [],
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
    roster: R.abandonPage(state.roster),
    outbox: state.outbox.map((o) => (o.status === 'sending' ? { ...o, status: 'pending' } : o)),
  };
}

export function applyWelcome(state: ChatState, w: Welcome): ChatState {
  return { ...state, appId: w.appId, me: w.member };
}

/** Moves to another room: its messages and members come with the next `joined`. */
export function switchRoom(state: ChatState, room: string): ChatState {
  return {
    ...state, room, joined: false, resumable: false, messages: [], lastId: 0, roster: R.emptyRoster(),
    history: { loading: false, complete: false }, notice: null,
  };
}

/** The `after` to join the current room with: the last id seen, once the room was joined before. */
export function joinAfter(state: ChatState): number | undefined {
  return state.resumable ? state.lastId : undefined;
}

export function applyJoined(state: ChatState, j: Joined): ChatState {
  if (j.room !== state.room) return state;
  const incoming = [...j.messages].sort((a, b) => a.id - b.id);
  // The room's history restarting below what we hold (an in-memory store restarted) means our ids are stale.
  const fresh = !state.resumable || j.last < state.lastId;
  const messages = fresh ? mergeMessages([], incoming) : mergeMessages(state.messages, incoming);
  const complete = fresh
    ? messages.length === 0 || messages[0].id <= 1
    : state.history.complete;
  return {
    ...state, joined: true, resumable: true, roster: R.rosterFromJoined(j), messages,
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

/** A presence event of the current room (roster.ts: join/leave as set operations, count, sync). */
export function applyPresence(state: ChatState, p: Presence): ChatState {
  if (p.room !== state.room) return state;
  const roster = R.applyPresence(state.roster, p, state.me?.id, state.joined);
  return roster === state.roster ? state : { ...state, roster };
}

/** A page of the member list (answers for another room, or not matching the request in flight, change nothing). */
export function applyMembers(state: ChatState, m: MembersResponse): ChatState {
  if (m.room !== state.room) return state;
  const roster = R.applyPage(state.roster, m);
  return roster === state.roster ? state : { ...state, roster };
}

/**
 * The `members` request to send now, if any: the fresh first page a stale large-room list needs, and
 * with `more` (the person reached the end of the panel) the next page.
 */
export function membersRequest(state: ChatState, more: boolean): { after?: string; limit: number } | undefined {
  if (state.conn !== State.Connected || !state.joined) return undefined;
  return R.pageRequest(state.roster, more);
}

export function markMembersLoading(state: ChatState, after: string | undefined): ChatState {
  return { ...state, roster: R.markPageLoading(state.roster, after) };
}

/** An `error`: a send's cid is retried later or marked failed; other errors become a notice. */
export function applyError(state: ChatState, e: ErrorResponse, now: number): ChatState {
  const item = e.cid === undefined ? undefined : state.outbox.find((o) => o.cid === e.cid);
  // Not a send's: it may answer a join, a history or a members request; none of them waits any more.
  if (!item) return { ...state, notice: e.message, history: { ...state.history, loading: false }, roster: R.abandonPage(state.roster) };
  return { ...state, outbox: failSend(state.outbox, e, now) };
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

/** Members for display: me first, then by name (small room) or in page order (large room). */
export function memberList(state: ChatState): Member[] {
  return R.rosterList(state.roster, state.me?.id);
}

/** What the log shows, in order: the room's messages, then this room's outbox items not yet delivered. */
export function logItems(state: ChatState): Array<{ kind: 'message'; m: ChatMessage } | { kind: 'outbox'; o: OutboxItem }> {
  const items: Array<{ kind: 'message'; m: ChatMessage } | { kind: 'outbox'; o: OutboxItem }> =
    state.messages.map((m) => ({ kind: 'message', m }));
  for (const o of state.outbox) if (o.room === state.room) items.push({ kind: 'outbox', o });
  return items;
}
