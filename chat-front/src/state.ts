/**
 * The page's state as plain data, and the pure functions that change it (TodoMVC style: nothing here
 * touches the DOM, a socket or a clock — `now` is passed in). The controller applies server frames
 * through these; the view renders whatever they return.
 *
 * Invariants kept here:
 * - `messages` holds the current room's messages in strictly increasing id order, each id once: a
 *   window of at most MESSAGE_WINDOW of them (log-window.ts); `lastId` is the newest id seen, which
 *   the window may end before while the person reads older pages.
 * - the outbox (outbox.ts, re-exported here) keeps a message the person typed, under one cid, until
 *   the server's own `message` with that cid arrives; anything in flight goes back to pending when
 *   the connection drops.
 * - `roster` is the current room's member panel (roster.ts: small rooms' whole list, large rooms' pages);
 *   a `joined` (a join, a rejoin after a reconnect) starts it afresh.
 */
import type {
  ChatMessage, ErrorResponse, HistoryResponse, Joined, Member, MembersResponse, Presence, ReadResponse, RoomResponse,
  RoomsResponse, SessionsResponse, Welcome,
} from '@livechat/protocol';
import { State } from './connection.js';
import {
  dropOldest, lastIdOf, mergeMessages, mergePage, windowHasNewer, type PageDir,
} from './log-window.js';
import { failSend, settleOutbox, type OutboxItem } from './outbox.js';
import * as R from './roster.js';
import * as A from './rooms.js';

export { MESSAGE_WINDOW, mergeMessages } from './log-window.js';

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
  /** A short message for people (an error the server sent, a gap in history); stays until dismissed. */
  notice: string | null;
  /** A problem with the name or room typed on the login form. */
  loginError: string | null;
  /** Signed in: the account's room list, read markers and room details (rooms.ts); null for a guest. */
  account: A.Account | null;
  /** A sign-in or sign-up is on its way (the login view stays until its `welcome`). */
  authBusy: boolean;
  /** Why the sign-in / sign-up form was refused (shown by that form). */
  authError: string | null;
}

export function initialState(room: string): ChatState {
  return {
    phase: 'login', conn: State.Disconnected, appId: null, me: null, room,
    joined: false, resumable: false, messages: [], lastId: 0, roster: R.emptyRoster(), outbox: [],
    history: { loading: false, complete: false }, notice: null, loginError: null,
    account: null, authBusy: false, authError: null,
  };
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
    roster: R.abandonPage(state.roster),
    outbox: state.outbox.map((o) => (o.status === 'sending' ? { ...o, status: 'pending' } : o)),
  };
}

export function applyWelcome(state: ChatState, w: Welcome): ChatState {
  const account = w.account ? (state.account?.username === w.account.username ? state.account : A.newAccount(w.account.username)) : null;
  return { ...state, appId: w.appId, me: w.member, account };
}

/** A sign-in or sign-up went out: the form waits for its answer. */
export function startAuth(state: ChatState): ChatState {
  return { ...state, authBusy: true, authError: null, loginError: null, notice: null };
}

/** The sign-in or sign-up was refused: the form says why. */
export function failAuth(state: ChatState, error: string): ChatState {
  return { ...state, phase: 'login', authBusy: false, authError: error };
}

/** Signed out (here, everywhere, or the session expired): the login view, with a notice. */
export function signedOut(state: ChatState, notice: string | null): ChatState {
  return { ...initialState(state.room), notice };
}

/** The account's room list (the current room's entry counts what this page has seen in it). */
export function applyRooms(state: ChatState, r: RoomsResponse): ChatState {
  if (!state.account) return state;
  return { ...state, account: A.applyRooms(state.account, r, { room: state.room, lastId: state.lastId }) };
}

/** A read marker moved (answered, pushed from another connection, or sent by this page). */
export function applyRead(state: ChatState, r: Pick<ReadResponse, 'room' | 'id'>): ChatState {
  if (!state.account) return state;
  const account = A.applyRead(state.account, r);
  return account === state.account ? state : { ...state, account };
}

/** A private room's or DM's details. */
export function applyRoomDetails(state: ChatState, r: RoomResponse): ChatState {
  if (!state.account) return state;
  return { ...state, account: A.applyRoomDetails(state.account, r) };
}

/** The account's sessions (the answer to `sessions`). */
export function applySessions(state: ChatState, r: SessionsResponse): ChatState {
  if (!state.account) return state;
  return { ...state, account: A.applySessions(state.account, r) };
}

/** A `revoke` of another session went out: its row waits for the answer. */
export function markRevoking(state: ChatState, id: string): ChatState {
  if (!state.account) return state;
  const account = A.markRevoking(state.account, id);
  return account === state.account ? state : { ...state, account };
}

/** The `revoke` was answered, or can no longer be (a new connection): no row waits any more. */
export function settleRevoking(state: ChatState): ChatState {
  if (!state.account) return state;
  const account = A.settleRevoking(state.account);
  return account === state.account ? state : { ...state, account };
}

/** The read marker to send for the current room now (the newest id seen there), if it would move. */
export function readDue(state: ChatState): { room: string; id: number } | undefined {
  if (!state.account || state.phase !== 'chat' || !state.joined || state.conn !== State.Connected) return undefined;
  const id = A.readToSend(state.account, state.room, state.lastId);
  return id === undefined ? undefined : { room: state.room, id };
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
  let messages: ChatMessage[];
  let complete: boolean;
  if (fresh) {
    messages = dropOldest(mergeMessages([], incoming));
    complete = messages.length === 0 || messages[0].id <= 1;
  } else if (windowHasNewer(state.messages, state.lastId)) {
    // Reading older pages: what the resume brings is beyond the window's end; it only advances lastId.
    messages = state.messages;
    complete = state.history.complete;
  } else {
    const merged = mergeMessages(state.messages, incoming);
    messages = dropOldest(merged);
    complete = state.history.complete && messages.length === merged.length;
  }
  const lastId = Math.max(lastIdOf(messages), lastIdOf(incoming), fresh ? 0 : state.lastId);
  return {
    ...state, joined: true, resumable: true, roster: R.rosterFromJoined(j), messages, lastId,
    account: state.account ? A.applyLast(state.account, j.room, Math.max(lastId, j.last)) : null,
    history: { loading: false, complete },
    outbox: settleOutbox(state.outbox, state.room, incoming),
    notice: j.truncated ? 'Some messages from while you were away are no longer kept.' : state.notice,
  };
}

/** A live message: appended once (a duplicate changes nothing), the oldest dropped beyond the window. */
export function applyMessage(state: ChatState, m: ChatMessage): ChatState {
  if (m.room !== state.room) return state;
  if (state.account) {
    const account = A.applyLast(state.account, m.room, m.id);
    if (account !== state.account) state = { ...state, account };
  }
  const outbox = settleOutbox(state.outbox, state.room, [m]);
  if (m.id <= state.lastId && (windowHasNewer(state.messages, state.lastId) || state.messages.some((x) => x.id === m.id))) {
    return outbox === state.outbox ? state : { ...state, outbox };
  }
  if (windowHasNewer(state.messages, state.lastId)) {
    // The window ends further back (older pages are being read): the message loads with the newer pages.
    return { ...state, lastId: m.id, outbox };
  }
  const merged = mergeMessages(state.messages, [m]);
  const messages = dropOldest(merged);
  const complete = state.history.complete && messages.length === merged.length;
  return {
    ...state, messages, lastId: Math.max(state.lastId, m.id), outbox,
    history: complete === state.history.complete ? state.history : { ...state.history, complete },
  };
}

/**
 * The answer to a `history` request of `limit`, kept within the window: an older page (scroll-up), a
 * newer page (scroll-down while the window ends before the newest), or the latest page ("New messages").
 */
export function applyHistory(state: ChatState, h: HistoryResponse, limit: number, dir: PageDir = 'older'): ChatState {
  if (h.room !== state.room) return state;
  const incoming = [...h.messages].sort((a, b) => a.id - b.id);
  if (incoming.length === 0) {
    // Nothing before: the start of what is kept. Nothing after: the window holds the newest after all.
    return dir === 'older'
      ? { ...state, history: { loading: false, complete: true } }
      : { ...state, lastId: state.messages.length ? lastIdOf(state.messages) : state.lastId, history: { ...state.history, loading: false } };
  }
  const { messages, droppedOldest } = mergePage(state.messages, incoming, dir);
  const atStart = messages[0].id <= 1;
  const complete = atStart || (dir === 'older' ? incoming.length < limit : !droppedOldest && state.history.complete);
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

/** The window ends before the newest message seen (older pages are being read). */
export function hasNewer(state: ChatState): boolean {
  return windowHasNewer(state.messages, state.lastId);
}

/** The id to ask for newer history after (the window's end), or undefined when it holds the newest. */
export function newerAfter(state: ChatState): number | undefined {
  if (!state.joined || state.history.loading || !hasNewer(state)) return undefined;
  return lastIdOf(state.messages);
}

/** Shows a notice for people (it stays until dismissed or replaced). */
export function withNotice(state: ChatState, notice: string): ChatState {
  return state.notice === notice ? state : { ...state, notice };
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

/**
 * What the log shows, in order: the room's messages, then this room's outbox items not yet
 * delivered (those belong at the end, so they wait while the window ends further back).
 */
export function logItems(state: ChatState): Array<{ kind: 'message'; m: ChatMessage } | { kind: 'outbox'; o: OutboxItem }> {
  const items: Array<{ kind: 'message'; m: ChatMessage } | { kind: 'outbox'; o: OutboxItem }> =
    state.messages.map((m) => ({ kind: 'message', m }));
  if (hasNewer(state)) return items;
  for (const o of state.outbox) if (o.room === state.room) items.push({ kind: 'outbox', o });
  return items;
}

/** Removed from a room: it leaves the account's list and details. */
export function forgetRoom(state: ChatState, room: string): ChatState {
  return state.account ? { ...state, account: A.forgetRoom(state.account, room) } : state;
}
