/**
 * The page's state as plain data (TodoMVC style: nothing here touches the DOM, a socket or a clock),
 * and the pure functions for the page as a whole: which view shows, how it is connected, who it is
 * (guest or account), moving to another room, and the notice. The current room's messages and members
 * change in room-state.ts, the account's list and sessions in account-state.ts, the outbox in
 * outbox.ts; state.ts gathers them into one import. The controller applies server frames through
 * them; the view renders whatever they return.
 */
import type { Member, ReplyQuote, Welcome } from '@livechat/protocol';
import { newAccount, type Account } from './account.js';
import { State } from './connection.js';
import type { ShownMessage } from './message-changes.js';
import type { PendingFile } from './attachments-state.js';
import type { OutboxItem } from './outbox.js';
import { abandonPage, emptyRoster, type Roster } from './roster.js';
import { NOBODY, type Typers } from './typing-state.js';

/** What the message box does (composer-state.ts): a new message, a reply to one, or an edit of one's own. */
export type Composer =
  | { mode: 'message' }
  | { mode: 'reply'; to: ReplyQuote }
  | { mode: 'edit'; id: number; text: string };

export const WRITING: Composer = { mode: 'message' };

export interface ChatState {
  /** 'login' until the person has entered a name and pressed Join. */
  phase: 'login' | 'chat';
  conn: State;
  /** APPID of the server holding this page's connection (from `welcome`). */
  appId: string | null;
  /** Connected over Server-Sent Events because WebSocket is blocked (transport.ts): the status says "fallback". */
  fallback: boolean;
  me: Member | null;
  room: string;
  /** The current connection has joined `room` (sends may go out). */
  joined: boolean;
  /** `room` was joined before on some connection, so a rejoin resumes with `after = lastId`. */
  resumable: boolean;
  /**
   * The current room's messages in strictly increasing id order, each id once: a window of at most
   * MESSAGE_WINDOW of them (log-window.ts), each in its current state (message-changes.ts).
   */
  messages: ShownMessage[];
  /** The newest message id seen in the room; the window may end before it while the person reads older pages. */
  lastId: number;
  /**
   * The newest entry id of the room's log seen live or in a `joined` (messages and updates share the
   * sequence): a rejoin resumes after it, and an update at or below it was applied already.
   */
  lastEntry: number;
  /**
   * The room's history epoch `lastId` and `lastEntry` are ids of (from the last `joined`; null: the server
   * gave none). A rejoin sends it with `after`; a `joined` of another epoch means those ids are void.
   */
  epoch: string | null;
  /** The server lost the room's earlier history (a `joined` with `reset`): the log says so above its messages. */
  historyLost: boolean;
  /** The message box: a new message, a reply, an edit (composer-state.ts). */
  composer: Composer;
  /** Who types in the room shown, as the last `typing` frame said (typing-state.ts). */
  typing: Typers;
  /** The current room's members (roster.ts): count, mode, the list or the pages of it loaded. */
  roster: Roster;
  /**
   * What the person typed, each under one cid until the server's own `message` with it arrives
   * (outbox.ts); anything in flight goes back to pending when the connection drops.
   */
  outbox: OutboxItem[];
  /** Files picked for the next message of each room, uploading or uploaded (attachments-state.ts). */
  uploads: PendingFile[];
  history: { loading: boolean; complete: boolean };
  /** A short message for people (an error the server sent, a gap in history); stays until dismissed. */
  notice: string | null;
  /** A problem with the name or room typed on the login form. */
  loginError: string | null;
  /** Signed in: the account's room list, read markers and room details (account.ts); null for a guest. */
  account: Account | null;
  /** A sign-in or sign-up is on its way (the login view stays until its `welcome`). */
  authBusy: boolean;
  /** Why the sign-in / sign-up form was refused (shown by that form). */
  authError: string | null;
}

export function initialState(room: string): ChatState {
  return {
    phase: 'login', conn: State.Disconnected, appId: null, fallback: false, me: null, room,
    joined: false, resumable: false, messages: [], lastId: 0, lastEntry: 0, epoch: null, historyLost: false,
    composer: WRITING, typing: NOBODY, roster: emptyRoster(), outbox: [], uploads: [],
    history: { loading: false, complete: false }, notice: null, loginError: null,
    account: null, authBusy: false, authError: null,
  };
}

/** Moves to another room: its messages and members come with the next `joined`. */
export function switchRoom(state: ChatState, room: string): ChatState {
  return {
    ...state, room, joined: false, resumable: false, messages: [], lastId: 0, lastEntry: 0, epoch: null, historyLost: false,
    roster: emptyRoster(),
    history: { loading: false, complete: false }, notice: null, composer: WRITING, typing: NOBODY,
  };
}

/** The person pressed Join: chat with this name in this room. */
export function startChat(state: ChatState, room: string): ChatState {
  return { ...switchRoom(state, room), phase: 'chat', loginError: null };
}

/**
 * The connection changed state. Anything in flight goes back to pending: it is resent with its cid.
 * Who was typing is not known any more (no frame says when they stop while the page is away).
 * `fallback`: the connection that is now Connected runs over SSE (transport.ts).
 */
export function applyConnState(state: ChatState, conn: State, fallback = false): ChatState {
  if (conn === State.Connected) return { ...state, conn, fallback };
  return {
    ...state, conn, joined: false, typing: NOBODY,
    history: { ...state.history, loading: false },
    roster: abandonPage(state.roster),
    outbox: state.outbox.map((o) => (o.status === 'sending' ? { ...o, status: 'pending' } : o)),
  };
}

export function applyWelcome(state: ChatState, w: Welcome): ChatState {
  const account = w.account ? (state.account?.username === w.account.username ? state.account : newAccount(w.account.username)) : null;
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

/** The guest's login form was refused (a name, a room, or the server's answer to hello): it says why. */
export function failLogin(state: ChatState, error: string): ChatState {
  return { ...state, phase: 'login', loginError: error };
}

/** Signed out (here, everywhere, or the session expired): the login view, with a notice. */
export function signedOut(state: ChatState, notice: string | null): ChatState {
  return { ...initialState(state.room), notice };
}

/** Shows a notice for people (it stays until dismissed or replaced). */
export function withNotice(state: ChatState, notice: string): ChatState {
  return state.notice === notice ? state : { ...state, notice };
}

export function clearNotice(state: ChatState): ChatState {
  return state.notice === null ? state : { ...state, notice: null };
}
