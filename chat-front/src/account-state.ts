/**
 * The signed-in account within the page's state: the frames of the account's side (`rooms`, `read`,
 * `room`, `sessions`) applied through account.ts, the `revoke` rows of the Sessions panel, the read
 * marker due for the room shown, and a room the account was removed from. A guest's state (no
 * account) is returned unchanged by all of them.
 */
import type { ReadResponse, RoomResponse, RoomsResponse, SessionsResponse } from '@livechat/protocol';
import * as A from './account.js';
import { State } from './connection.js';
import type { ChatState } from './page-state.js';

/** `f` applied to the account, if there is one; the same state when nothing changed. */
function withAccount(state: ChatState, f: (a: A.Account) => A.Account): ChatState {
  if (!state.account) return state;
  const account = f(state.account);
  return account === state.account ? state : { ...state, account };
}

/** The account's room list (the current room's entry counts what this page has seen in it). */
export function applyRooms(state: ChatState, r: RoomsResponse): ChatState {
  return withAccount(state, (a) => A.applyRooms(a, r, { room: state.room, lastId: Math.max(state.lastId, state.lastEntry) }));
}

/** A read marker moved (answered, pushed from another connection, or sent by this page). */
export function applyRead(state: ChatState, r: Pick<ReadResponse, 'room' | 'id'>): ChatState {
  return withAccount(state, (a) => A.applyRead(a, r));
}

/** A private room's or DM's details. */
export function applyRoomDetails(state: ChatState, r: RoomResponse): ChatState {
  return withAccount(state, (a) => A.applyRoomDetails(a, r));
}

/** The account's sessions (the answer to `sessions`). */
export function applySessions(state: ChatState, r: SessionsResponse): ChatState {
  return withAccount(state, (a) => A.applySessions(a, r));
}

/** A `revoke` of another session went out: its row waits for the answer. */
export function markRevoking(state: ChatState, id: string): ChatState {
  return withAccount(state, (a) => A.markRevoking(a, id));
}

/** The `revoke` was answered, or can no longer be (a new connection): no row waits any more. */
export function settleRevoking(state: ChatState): ChatState {
  return withAccount(state, A.settleRevoking);
}

/** The `revoke` of session `id` was answered (revoked or refused): its row waits no more. */
export function settleRevoke(state: ChatState, id: string): ChatState {
  return withAccount(state, (a) => A.settleRevoke(a, id));
}

/** Removed from a room: it leaves the account's list and details. */
export function forgetRoom(state: ChatState, room: string): ChatState {
  return withAccount(state, (a) => A.forgetRoom(a, room));
}

/**
 * The read marker to send for the current room now (the newest entry seen there: the room's `last`
 * counts updates too, so a reaction read is not left unread), if it would move.
 */
export function readDue(state: ChatState): { room: string; id: number } | undefined {
  if (!state.account || state.phase !== 'chat' || !state.joined || state.conn !== State.Connected) return undefined;
  const id = A.readToSend(state.account, state.room, Math.max(state.lastId, state.lastEntry));
  return id === undefined ? undefined : { room: state.room, id };
}
