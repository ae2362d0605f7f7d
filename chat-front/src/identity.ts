/**
 * Who this page is, and how each connection opens: a guest's name and session token (`hello`, with
 * the session on every reconnect), or the credentials of a sign-in / sign-up until its `welcome` and
 * from then on the account's session, kept in storage like a guest's. It applies `welcome`, says why a
 * hello, sign-in or sign-up was refused, signs out (this device, or everywhere), and ends the account
 * here when the server says its session is over: 1008 "signed out", or a reconnect `hello` that the
 * server no longer takes as the account's (a `welcome` without `account`, or `name_taken`).
 */
import {
  cleanName, type ErrorResponse, type HelloRequest, type SigninRequest, type SignupRequest, type Welcome,
} from '@livechat/protocol';
import { DEFAULT_ROOM } from './address.js';
import { State } from './connection.js';
import { checkName, credentialsProblem, normaliseRoom, type AuthMode } from './input.js';
import type { Page } from './page.js';
import type { InFlight } from './requests.js';
import * as S from './state.js';
import { TEXT, errorText } from './texts.js';

const STORE_KEY = 'livechat.identity';
/** An account's session, kept like a guest's identity: `{username, session}`. */
const ACCOUNT_KEY = 'livechat.account';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface GuestIdentity { name: string; session: string }
export interface AccountIdentity { username: string; session: string }

/** What the rest of the page does when this one says so. */
export interface IdentityHooks {
  /** A `welcome` was applied: the page goes on (joins its room, asks for what the account shows). */
  welcomed(): void;
  /** The account is over here: whatever waits for it stops. */
  accountEnded(): void;
}

export class Identity {
  private name = '';
  private session: string | null = null;
  /** Credentials of a sign-in / sign-up until its `welcome` (then only the session is kept). */
  private auth: { type: AuthMode; username: string; password: string } | null = null;
  /** The username of the account whose session this page holds (null: a guest). */
  private accountUser: string | null = null;
  /** What the login view says when the server closes with 1008 "signed out". */
  private signOutNotice: string = TEXT.signedOut;
  /** A guest's session whose name was registered since (`name_taken`): the next Join keeps it, under the new name. */
  private renaming: string | null = null;

  constructor(private readonly page: Page, private readonly storage: KeyValueStore | null, private readonly hooks: IdentityHooks) {}

  /** The first request on each new connection: `signin` / `signup` while they wait, else `hello` (with the session). */
  hello(): HelloRequest | SigninRequest | SignupRequest {
    if (this.auth) return { type: this.auth.type, username: this.auth.username, password: this.auth.password };
    return this.session ? { type: 'hello', name: this.name, session: this.session } : { type: 'hello', name: this.name };
  }

  /** The name (and session) remembered from an earlier visit. */
  storedIdentity(): GuestIdentity | null {
    const v = this.read<GuestIdentity>(STORE_KEY);
    return v && typeof v.name === 'string' && typeof v.session === 'string' ? { name: v.name, session: v.session } : null;
  }

  /** The account session remembered on this device (the page resumes it on load). */
  storedAccount(): AccountIdentity | null {
    const v = this.read<AccountIdentity>(ACCOUNT_KEY);
    return v && typeof v.username === 'string' && typeof v.session === 'string' ? { username: v.username, session: v.session } : null;
  }

  /** Page load with an account's session remembered: straight into `rawRoom` as that account. */
  resume(rawRoom: string): boolean {
    const acct = this.storedAccount();
    const room = normaliseRoom(rawRoom || DEFAULT_ROOM);
    if (!acct || !room) return false;
    this.auth = null;
    this.accountUser = acct.username;
    this.name = acct.username;
    this.session = acct.session;
    this.page.update(S.startChat(this.page.state, room));
    this.page.conn.connect();
    return true;
  }

  /**
   * The account form: sign in (or sign up) as `rawUser` and go to `rawRoom`. The login view stays
   * until the `welcome` (or the refusal, which the form shows). Returns false when the form itself
   * is not complete (the reason is in `state.authError`).
   */
  signIn(mode: AuthMode, rawUser: string, password: string, rawRoom: string): boolean {
    const problem = credentialsProblem(mode, rawUser, password);
    const room = normaliseRoom(rawRoom || DEFAULT_ROOM);
    if (problem || !room) {
      this.page.update(S.failAuth(this.page.state, problem ?? TEXT.badRoom));
      return false;
    }
    this.page.conn.close();
    this.auth = { type: mode, username: cleanName(rawUser), password };
    this.accountUser = null;
    this.session = null;
    this.name = this.auth.username;
    this.page.update(S.startAuth(S.switchRoom(this.page.state, room)));
    this.page.conn.connect();
    return true;
  }

  /**
   * Join pressed: connect as `rawName` to `rawRoom`. The stored session is used only when the name is
   * the one it belongs to (the server would restore the session's name, not the typed one), or when the
   * server refused that name since it was registered (the server then renames the session's member).
   */
  start(rawName: string, rawRoom: string): boolean {
    const n = checkName(rawName);
    const room = normaliseRoom(rawRoom || DEFAULT_ROOM);
    if (!n.ok || !room) {
      this.page.update({ ...this.page.state, loginError: n.ok ? TEXT.badRoom : n.error });
      return false;
    }
    const stored = this.storedIdentity();
    this.auth = null;
    this.accountUser = null;
    this.name = n.name;
    // A session the server refused for its (since registered) name goes on under the new one.
    this.session = stored && (stored.name === n.name || stored.session === this.renaming) ? stored.session : null;
    this.renaming = null;
    if (stored && !this.session) this.storage?.removeItem(STORE_KEY);
    this.page.update(S.startChat(this.page.state, room));
    this.page.conn.connect();
    return true;
  }

  /**
   * "Sign out": the server revokes this device's session (`revoke` `current`: the token is dead, not
   * just forgotten here), and the page forgets it and closes. The server takes a request that arrived
   * before the close, so closing at once loses nothing.
   */
  signOut(): void {
    if (this.page.state.account) this.page.conn.send({ type: 'revoke', session: 'current' });
    this.endAccount(TEXT.signedOutHere);
    this.page.conn.close();
  }

  /** "Sign out everywhere": every session of the account is revoked; the server then closes this one too. */
  signOutEverywhere(): boolean {
    if (!this.page.state.account) return false;
    this.signOutNotice = TEXT.signedOutEverywhere;
    return this.page.conn.send({ type: 'revoke' });
  }

  welcome(m: Welcome): void {
    if (!m.account && (this.auth || this.accountUser)) {
      // The account's session is over (revoked or expired): the server made a fresh guest of it.
      this.endAccount(TEXT.signedOut);
      this.page.conn.close();
      return;
    }
    this.session = m.session;
    this.name = m.member.name;
    if (m.account) {
      this.auth = null;
      this.accountUser = m.account.username;
      this.write(ACCOUNT_KEY, { username: m.account.username, session: m.session });
    } else {
      this.write(STORE_KEY, { name: m.member.name, session: m.session });
    }
    let next = S.applyWelcome(this.page.state, m);
    if (next.phase === 'login') next = S.startChat({ ...next, authBusy: false }, next.room);
    this.page.update(next);
    this.hooks.welcomed();
  }

  /** An `error` answering this part's request: a refused hello, sign-in or sign-up, or a refused sign-out. */
  failed(e: ErrorResponse, req: InFlight): void {
    const { state, conn } = this.page;
    if (req.type === 'signin' || req.type === 'signup') {
      // The account form says why.
      this.auth = null;
      conn.close();
      this.page.update(S.failAuth(this.page.state, errorText(e, req)));
    } else if (req.type === 'hello' && this.accountUser && e.code === 'name_taken') {
      // A reconnect's hello with the account's session was taken as a guest's: the session expired.
      this.endAccount(TEXT.signedOut);
      conn.close();
    } else if (req.type === 'hello' && e.code === 'name_taken' && this.session && !this.accountUser) {
      // A guest's session whose name was registered since: the member stays, under a name picked now.
      this.renaming = this.session;
      conn.close();
      this.page.update(S.failLogin(state.me ? S.signedOut(state, null) : state, errorText(e, req)));
    } else if (req.type === 'hello' && !state.me) {
      // Back to the form with the reason.
      conn.close();
      this.page.update(S.failLogin(this.page.state, errorText(e, req)));
    } else {
      // A sign-out everywhere that did not happen: a close later is not this one's.
      if (req.type === 'revoke') this.signOutNotice = TEXT.signedOut;
      this.page.notifyBriefly(errorText(e));
    }
  }

  /**
   * Which of this part's requests an `error` without a rid answers, read from where the connection is
   * (an older server's answers carry no rid): before the welcome, the sign-in or sign-up, or the hello.
   */
  guessRequest(e: ErrorResponse): InFlight | undefined {
    const opening = this.page.conn.state !== State.Connected;
    if (opening && this.auth) return { type: this.auth.type };
    if (opening && this.accountUser && e.code === 'name_taken') return { type: 'hello' };
    return this.page.state.me ? undefined : { type: 'hello' };
  }

  /** The server closed the socket: 1008 "signed out" ends the account here (no reconnect). */
  onClose(code: number, reason: string): boolean {
    if (code !== 1008 || reason !== 'signed out' || (!this.accountUser && !this.auth)) return true;
    this.endAccount(this.signOutNotice);
    return false;
  }

  /** Forgets the account here (storage, session, whatever waits for it) and shows the login view with `notice`. */
  private endAccount(notice: string): void {
    try { this.storage?.removeItem(ACCOUNT_KEY); } catch { /* private mode */ }
    this.auth = null;
    this.accountUser = null;
    this.session = null;
    this.signOutNotice = TEXT.signedOut;
    this.hooks.accountEnded();
    this.page.update(S.signedOut(this.page.state, notice));
  }

  private read<T>(key: string): Partial<T> | null {
    try {
      const raw = this.storage?.getItem(key);
      return raw ? JSON.parse(raw) as Partial<T> : null;
    } catch {
      return null;
    }
  }

  private write(key: string, value: object): void {
    try { this.storage?.setItem(key, JSON.stringify(value)); } catch { /* private mode */ }
  }
}
