/**
 * What a signed-in account does beyond the room shown: keeps its room list (`rooms` on welcome, every
 * 10 s and on each change, and whatever the server pushes), creates private rooms and opens DMs from
 * their `room` answers, invites and removes members of a private room it owns, answers its pending
 * invites (accept opens the room, decline) and parts private rooms, follows a removal from a room, and runs the Sessions panel: `sessions` when it opens (and again after a reconnect while
 * loaded), `revoke` of one other session, then `sessions` again once the server answered `revoked`.
 *
 * A `create` or `dm` waits for its `room` answer, and each `revoke` for its `revoked`: matched by rid
 * when the server echoes it, and otherwise read from the answer as before (a private room's details
 * answer a `create`, a DM with that member a `dm`; `revoked` answers the revokes in order).
 */
import {
  LIMITS, charLength, cleanName, nameProblem, roomKind, type ErrorResponse, type Left, type PasswordResponse, type Presence, type RevokedResponse, type RoomResponse,
  type RoomsResponse, type SessionsResponse,
} from '@livechat/protocol';
import { ownedDetails, roomTitle } from './account.js';
import { State } from './connection.js';
import type { Page } from './page.js';
import type { InFlight } from './requests.js';
import * as S from './state.js';
import { TEXT, dmInviteSent, errorText, partedFrom, removedFrom } from './texts.js';

/** The room list is asked for this often while signed in (unread counts of rooms not joined are not pushed). */
export const ROOMS_POLL_MS = 10_000;

type Opening = Extract<InFlight, { type: 'create' | 'dm' }> | { type: 'accept'; room: string };

export interface AccountActionsOptions {
  /** Opens `room` (a DM or a new private room: `push`, a new history entry). */
  open(room: string, how: 'push' | 'replace'): void;
  /** The server took this member out of the room shown: the page leaves it for the lobby. */
  removedFromCurrent(): void;
  /** A `password` change was answered: the other sessions revoked, or why not. */
  passwordDone(r: { revoked: number } | { error: string }): void;
}

export class AccountActions {
  /** The `create` or `dm` whose `room` answer the page opens. */
  private opening: Opening | null = null;
  /** `revoke` requests of one other session sent and not yet answered (each answer asks for the list again). */
  private revokesInFlight = 0;
  private roomsTimer: ReturnType<typeof setInterval> | null = null;
  /** Private rooms this page parted: their `left` says "You left", not "You were removed". */
  private readonly parting = new Set<string>();

  constructor(private readonly page: Page, private readonly o: AccountActionsOptions) {}

  /** Asks for the account's room list (signed in only). */
  requestRooms(): void {
    if (this.page.state.account) this.page.conn.send({ type: 'rooms' });
  }

  /** The Sessions panel opened: asks for the account's sessions. */
  requestSessions(): boolean {
    return this.page.state.account !== null && this.page.conn.send({ type: 'sessions' });
  }

  /**
   * "Sign out" on another session of the list: the server revokes it (and closes its connections);
   * once it answers, the list is asked for again. This device's own is signed out with signOut().
   */
  revokeSession(id: string): boolean {
    const { state, conn } = this.page;
    const listed = state.account?.sessions?.find((x) => x.id === id);
    if (!listed || listed.current || state.account?.revoking.includes(id)) return false;
    if (!conn.send({ type: 'revoke', session: id })) return false;
    this.revokesInFlight++;
    this.page.update(S.markRevoking(this.page.state, id));
    return true;
  }

  /** "Change password": the server checks `old`, and signs out every other session. Returns why not sent, or null. */
  changePassword(old: string, next: string): string | null {
    if (!this.page.state.account) return TEXT.signedOut;
    return this.page.conn.send({ type: 'password', old, new: next }) ? null : TEXT.notConnected;
  }

  /** "Create private room": the room opens when the server answers. Returns why not, or null. */
  createRoom(rawTitle: string): string | null {
    const title = cleanName(rawTitle);
    if (nameProblem(rawTitle, 'title', LIMITS.titleMax) || charLength(title) < 1) return TEXT.badTitle;
    if (!this.page.state.account) return TEXT.signInToCreate;
    const about: Opening = { type: 'create' };
    if (!this.page.conn.send({ type: 'create', title }, about)) return TEXT.notConnected;
    this.opening = about;
    return null;
  }

  /** Opens the DM with another account (a member id starting with `u_`). */
  openDm(member: string): boolean {
    const { state, conn } = this.page;
    if (!state.account || member === state.me?.id) return false;
    const about: Opening = { type: 'dm', member };
    if (!conn.send({ type: 'dm', member }, about)) return false;
    this.opening = about;
    return true;
  }

  /** The owner lets an account into the current private room. Returns why not, or null. */
  invite(rawUsername: string): string | null {
    const username = cleanName(rawUsername);
    if (charLength(username) < 1) return TEXT.enterUsername;
    if (!this.page.conn.send({ type: 'invite', room: this.page.state.room, username })) return TEXT.notConnected;
    return null;
  }

  /** Accepts (the room opens once answered) or declines a pending invite, or parts a private room for good. */
  answer(room: string, how: 'accept' | 'decline' | 'part'): boolean {
    if (!this.page.state.account) return false;
    // The same object is the request's table entry and what waits to open (an answer is matched by it).
    const about: { type: 'accept' | 'decline' | 'part'; room: string } = { type: how, room };
    if (!this.page.conn.send({ type: how, room }, about)) return false;
    if (how === 'accept') this.opening = about as { type: 'accept'; room: string };
    if (how === 'part') this.parting.add(room);
    return true;
  }

  /** The owner takes a member out of the current private room. */
  removeMember(member: string): boolean {
    return this.page.conn.send({ type: 'remove', room: this.page.state.room, member });
  }

  /** How the page names a room (a private room's title, a DM's other member). */
  titleOf(room: string): string {
    const { state } = this.page;
    return roomTitle(state.account, room, roomKind(room), state.me?.id);
  }

  /**
   * Welcomed: signed in, the room list is polled; a revoke that was on its way when the connection
   * dropped is answered no more. Returns whether a list of sessions is shown (to ask for it again).
   */
  welcomed(): boolean {
    const { account } = this.page.state;
    if (account) this.startRoomsPolling();
    if (account?.revoking.length) this.page.update(S.settleRevoking(this.page.state));
    return account?.sessions != null;
  }

  /** Once joined on a new connection: the room list, and the sessions if they are shown (they may have changed meanwhile). */
  refresh(sessionsShown: boolean): void {
    this.requestRooms();
    if (sessionsShown) this.requestSessions();
  }

  /** A room was joined: it went on top of the list; a private room's or DM's details are asked for. */
  joined(room: string): void {
    if (!this.page.state.account) return;
    this.requestRooms();
    if (roomKind(room) !== 'public') this.page.conn.send({ type: 'room', room });
  }

  connState(s: State): void {
    // A `revoked` answer lost with the connection never comes: the list is asked for again on welcome.
    if (s !== State.Connected) this.revokesInFlight = 0;
  }

  // ---- answers and pushed frames ----

  rooms(m: RoomsResponse): void {
    this.page.update(S.applyRooms(this.page.state, m));
  }

  sessions(m: SessionsResponse): void {
    this.page.update(S.applySessions(this.page.state, m));
  }

  room(m: RoomResponse, req: InFlight | undefined): void {
    this.page.update(S.applyRoomDetails(this.page.state, m));
    const o = this.opening;
    const answers = req ? req === o
      : o !== null && (o.type === 'create' ? m.kind === 'private' : o.type === 'accept' ? m.room === o.room
        : m.kind === 'dm' && (m.members.some((x) => x.id === o.member) || m.invited?.some((x) => x.id === o.member) === true));
    if (!answers) return;
    this.opening = null;
    this.requestRooms();
    // A DM with a stranger is an invite: nothing to open until they accept.
    const asked = o?.type === 'dm' ? m.invited?.find((x) => x.id === o.member) : undefined;
    if (asked && !m.members.some((x) => x.id === asked.id)) return this.page.notifyBriefly(dmInviteSent(asked.name));
    if (m.room !== this.page.state.room) this.o.open(m.room, 'push');
  }

  /** Someone joined a private room this account owns and is not among its members here (it accepted): its details are asked again. */
  presence(m: Presence): void {
    const { state } = this.page;
    const owned = ownedDetails(state.account, m.room, state.me?.id);
    if (m.event === 'join' && owned && !owned.members.some((x) => x.id === m.member.id)) this.page.conn.send({ type: 'room', room: m.room });
  }

  left(m: Left): void {
    if (m.reason !== 'removed') return;
    const title = this.titleOf(m.room);
    const parted = this.parting.delete(m.room);
    this.page.update(S.forgetRoom(this.page.state, m.room));
    if (m.room === this.page.state.room) {
      this.o.removedFromCurrent();
      this.page.notify(parted ? partedFrom(title) : removedFrom(title));
    }
    this.requestRooms();
  }

  passwordChanged(m: PasswordResponse): void {
    this.o.passwordDone({ revoked: m.revoked });
  }

  revoked(_m: RevokedResponse, req: InFlight | undefined): void {
    // The server closes every connection on the revoked sessions (1008 "signed out"): sign out
    // everywhere ends this page too. One other session's: the list is asked for again.
    if (req?.type === 'revoke') {
      if (req.session === undefined || req.session === 'current') return;
      this.settle(req.session);
    } else {
      if (this.revokesInFlight === 0) return;
      this.revokesInFlight--;
      if (this.revokesInFlight === 0) this.page.update(S.settleRevoking(this.page.state));
    }
    this.requestSessions();
  }

  // ---- errors ----

  /** An `error` answering one of this part's requests (matched by rid). */
  failed(e: ErrorResponse, req: InFlight): void {
    if (req === this.opening) this.opening = null;
    if (req.type === 'part') this.parting.delete(req.room);
    if (req.type === 'revoke' && req.session !== undefined) this.settle(req.session);
    if (req.type === 'password') return this.o.passwordDone({ error: errorText(e, req) });
    this.page.notifyBriefly(errorText(e));
  }

  /** An `error` without a rid (an older server): a `create` or `dm` waiting may have been refused. */
  guessError(e: ErrorResponse): void {
    if (e.cid === undefined) this.opening = null;
  }

  /** Signed out, or stopped: nothing waits, nothing is polled. */
  reset(): void {
    this.opening = null;
    this.revokesInFlight = 0;
    if (this.roomsTimer) clearInterval(this.roomsTimer);
    this.roomsTimer = null;
  }

  /** The revoke of session `id` was answered: its row waits no more. */
  private settle(id: string): void {
    this.revokesInFlight = Math.max(0, this.revokesInFlight - 1);
    this.page.update(S.settleRevoke(this.page.state, id));
  }

  private startRoomsPolling(): void {
    if (this.roomsTimer) clearInterval(this.roomsTimer);
    this.roomsTimer = setInterval(() => this.requestRooms(), ROOMS_POLL_MS);
  }
}
