/**
 * Accounts, private rooms, DMs and read markers on one server (protocol extension, docs/protocol.md
 * "Accounts, private rooms and direct messages"). ChatService hands it the account requests and the
 * account entries of the bus; it answers through the same error catalogue and limits.
 *
 * Who may do what is decided here and in the stores, on every request, never by the client:
 * - sign-in: failed attempts counted per account and per address across the cluster (in the store),
 *   an unknown username checked against a dummy hash (same answer, same time), hashing bounded per
 *   server (PasswordHasher);
 * - private rooms and DMs: the access list (Access) is read on join, room, history and members, and
 *   checked inside the store's append on every send; a removal reaches every server on the bus in
 *   stream order and takes the member's connections out of the room there and then;
 * - sessions: revocation is published, and every server closes the connections on a revoked session.
 */
import { createHash, randomBytes } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import type { RoomAcl } from '../access/access.js';
import type { AccountEvent } from '../bus/envelope.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import {
  leftFrame, readFrame, revokedFrame, roomFrame, roomsFrame, sessionsFrame,
} from '../protocol/encode.js';
import type {
  CreateRoomRequest, DmRequest, InviteRequest, Member, ReadRequest, RemoveRequest, RevokeRequest, RoomRequest,
  RoomSummary, SigninRequest, SignupRequest,
} from '../protocol/messages.js';
import { ACCOUNT_ID_PREFIX, DM_ROOM_PREFIX, isAccountId, PRIVATE_ROOM_PREFIX, roomKind } from '../protocol/messages.js';
import { usernameKey } from '../protocol/parse.js';
import { tokenDigest } from '../sessions/sessions.js';
import type { Backend } from '../store/backend.js';
import { KdfBusyError, PasswordHasher, type KdfSettings } from '../accounts/password.js';
import type { ChatClient } from './client.js';
import type { ErrorAnswer } from './chat-service.js';
import type { RoomRegistry } from './rooms.js';

export interface AccountSettings extends KdfSettings {
  requireAccounts: boolean;
  privateRoomMaxMembers: number;
  signinAccountLimit: number;
  signinAddressLimit: number;
  signinWindowSec: number;
}

/** What AccountService needs from ChatService. */
export interface AccountHost {
  rooms: RoomRegistry;
  error: ErrorAnswer;
  /** Makes the connection this member (welcome included); false when the client closed meanwhile. */
  identify(client: ChatClient, member: Member, token: string): boolean;
  /** Takes a session-creation token for the client's address: 0 when allowed, else ms to wait. */
  takeSession(client: ChatClient): number;
}

/** The DM room of two members: the same for both, whoever opens it. */
export function dmRoomId(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return DM_ROOM_PREFIX + createHash('sha256').update(`${x}|${y}`).digest('hex').slice(0, 32 - DM_ROOM_PREFIX.length);
}

/** A new private room's name: `p--` and 16 random hex digits (64 bits). */
export const newPrivateRoomId = (): string => PRIVATE_ROOM_PREFIX + randomBytes(8).toString('hex');

/** Session ids as `sessions` lists them: a prefix of the stored digest, enough to tell them apart. */
const SESSION_ID_LEN = 16;

export class AccountService {
  readonly hasher: PasswordHasher;
  /** This server's connections of each account, for pushes (rooms, read) and revocation. */
  private readonly links = new Map<string, Set<ChatClient>>();

  constructor(
    private readonly backend: Backend,
    private readonly settings: AccountSettings,
    private readonly host: AccountHost,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.hasher = new PasswordHasher(settings);
  }

  // ---- connections of accounts ----

  attach(client: ChatClient, member: Member): void {
    if (!isAccountId(member.id)) return;
    let set = this.links.get(member.id);
    if (!set) this.links.set(member.id, (set = new Set()));
    set.add(client);
  }

  detach(client: ChatClient, member: Member): void {
    const set = this.links.get(member.id);
    if (!set) return;
    set.delete(client);
    if (set.size === 0) this.links.delete(member.id);
  }

  // ---- identification ----

  /**
   * May a `hello` that got no account session go on as a guest with this name? Answers the refusal
   * itself and returns false when not.
   */
  async guestAllowed(client: ChatClient, name: string): Promise<boolean> {
    if (this.settings.requireAccounts) {
      this.host.error(client, 'forbidden', 'this server requires an account: sign in or sign up');
      return false;
    }
    if (await this.backend.accounts.isRegistered(usernameKey(name))) {
      this.host.error(client, 'name_taken', 'that name is a registered username: sign in, or pick another name');
      return false;
    }
    return true;
  }

  /** An account's session was used (hello): keep the account for another ACCOUNT_TTL_SEC. */
  touched(member: Member): void {
    if (!isAccountId(member.id)) return;
    void this.backend.accounts.touch(member.id, usernameKey(member.name)).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message }, 'account touch failed');
    });
  }

  async signup(client: ChatClient, req: SignupRequest): Promise<void> {
    if (client.member) return this.host.error(client, 'bad_request', 'already identified: sign up on a new connection');
    const key = usernameKey(req.username);
    const addressKey = `ip:${client.address}`;
    const wait = Math.max(this.host.takeSession(client), await this.lockedFor([addressKey]));
    if (wait > 0) return this.limited(client, 'too many sign-ups or sign-ins from this address', wait);
    // Hashed before the name is looked up: a taken name answers in the same time as a free one.
    const hash = await this.kdf(client, () => this.hasher.hash(req.password));
    if (hash === null) return;
    const member: Member = { id: `${ACCOUNT_ID_PREFIX}${uuidv4()}`, name: req.username };
    if (!(await this.backend.accounts.create(key, { id: member.id, username: member.name, hash, created: Date.now() }))) {
      // Counted like a failed sign-in, so trying names one after another is limited too.
      await this.backend.accounts.failed(addressKey, this.settings.signinWindowSec * 1000);
      this.metrics.auth.inc({ result: 'taken' });
      return this.host.error(client, 'name_taken', 'that username is taken');
    }
    this.metrics.auth.inc({ result: 'signup' });
    await this.startSession(client, member);
  }

  async signin(client: ChatClient, req: SigninRequest): Promise<void> {
    if (client.member) return this.host.error(client, 'bad_request', 'already identified: sign in on a new connection');
    const key = usernameKey(req.username);
    const counters = [`user:${key}`, `ip:${client.address}`];
    const wait = await this.lockedFor(counters);
    if (wait > 0) return this.limited(client, 'too many failed sign-ins: wait before trying again', wait);
    const account = await this.backend.accounts.find(key);
    const ok = await this.kdf(client, () => this.hasher.verify(req.password, account?.hash ?? null));
    if (ok === null) return;
    if (!ok || !account) {
      const windowMs = this.settings.signinWindowSec * 1000;
      await Promise.all(counters.map((c) => this.backend.accounts.failed(c, windowMs)));
      this.metrics.auth.inc({ result: 'failed' });
      this.log.info({ conn: client.id }, 'sign-in failed');
      return this.host.error(client, 'auth_failed');
    }
    this.metrics.auth.inc({ result: 'signin' });
    await this.backend.accounts.touch(account.id, key);
    await this.startSession(client, { id: account.id, name: account.username });
  }

  /** ms until the first of these failure counters is under its limit again (0: go on). */
  private async lockedFor(counters: string[]): Promise<number> {
    const counts = await Promise.all(counters.map((c) => this.backend.accounts.attempts(c)));
    let wait = 0;
    counts.forEach((c, i) => {
      const limit = counters[i].startsWith('ip:') ? this.settings.signinAddressLimit : this.settings.signinAccountLimit;
      if (c.count >= limit) wait = Math.max(wait, c.retryAfterMs, 1000);
    });
    return wait;
  }

  /** Runs a hash or a check; null (answered rate_limited) when the server's hashing is saturated. */
  private async kdf<T>(client: ChatClient, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof KdfBusyError)) throw err;
      this.limited(client, 'the server is busy signing people in, retry shortly', 1000);
      return null;
    }
  }

  private limited(client: ChatClient, message: string, retryAfterMs: number): void {
    this.metrics.auth.inc({ result: 'limited' });
    this.host.error(client, 'rate_limited', message, { retryAfterMs: Math.ceil(retryAfterMs) });
  }

  private async startSession(client: ChatClient, member: Member): Promise<void> {
    const token = uuidv4();
    await this.backend.sessions.save(token, member);
    this.host.identify(client, member, token);
  }

  // ---- sessions ----

  async sessions(client: ChatClient, member: Member): Promise<void> {
    const current = tokenDigest(client.session);
    const list = await this.backend.sessions.list(member.id);
    client.reply(sessionsFrame({
      sessions: list.map((s) => ({ id: s.digest.slice(0, SESSION_ID_LEN), created: s.created, current: s.digest === current })),
    }));
  }

  async revoke(client: ChatClient, member: Member, req: RevokeRequest): Promise<void> {
    // `current`: this connection's own session ("sign out" on this device, for good).
    const which = req.session === 'current' ? tokenDigest(client.session) : req.session;
    const revoked = await this.backend.sessions.revoke(member.id, which);
    this.log.info({ conn: client.id, count: revoked.length, all: req.session === undefined }, 'sessions revoked');
    client.reply(revokedFrame({ count: revoked.length }));
  }

  // ---- rooms ----

  async roomList(client: ChatClient, member: Member): Promise<void> {
    client.reply(roomsFrame({ rooms: await this.summaries(member) }));
  }

  private async summaries(member: Member): Promise<RoomSummary[]> {
    const { accounts, access, history } = this.backend;
    const [names, reads] = await Promise.all([accounts.rooms(member.id), accounts.reads(member.id)]);
    const [lasts, acls] = await Promise.all([
      history.lastIds(names),
      Promise.all(names.map((n) => (roomKind(n) === 'public' ? null : access.get(n)))),
    ]);
    const out: RoomSummary[] = [];
    names.forEach((room, i) => {
      const kind = roomKind(room);
      const acl = acls[i];
      let title = room;
      if (kind !== 'public') {
        // The list is an index; the access list is the authority.
        if (!acl || !acl.members.some((m) => m.id === member.id)) return;
        title = kind === 'dm' ? (acl.members.find((m) => m.id !== member.id)?.name ?? 'direct message') : acl.title;
      }
      const last = lasts[i];
      const read = Math.min(reads[room] ?? 0, last);
      out.push({ room, kind, title, last, read, unread: Math.max(0, last - read) });
    });
    return out;
  }

  /** A public room joined by an account goes on top of its list. */
  joinedPublic(member: Member, room: string): void {
    if (!isAccountId(member.id)) return;
    void this.backend.accounts.addRoom(member.id, room).catch((err: unknown) => {
      this.log.warn({ err: (err as Error).message }, 'room list update failed');
    });
  }

  /** Is the member on the private room's (or DM's) access list? Answers `forbidden` and returns false when not. */
  async admitted(client: ChatClient, member: Member, room: string, cid?: string): Promise<boolean> {
    if (roomKind(room) === 'public') return true;
    if (isAccountId(member.id) && (await this.backend.access.isMember(room, member.id))) return true;
    this.host.error(client, 'forbidden', 'this room is private: you are not a member', cid === undefined ? {} : { cid });
    return false;
  }

  async create(client: ChatClient, member: Member, req: CreateRoomRequest): Promise<void> {
    const acl = await this.backend.access.create(newPrivateRoomId(), req.title, member);
    client.reply(this.roomAnswer(acl));
  }

  async room(client: ChatClient, member: Member, req: RoomRequest): Promise<void> {
    const acl = await this.memberAcl(client, member, req.room);
    if (acl) client.reply(this.roomAnswer(acl, member));
  }

  async invite(client: ChatClient, member: Member, req: InviteRequest): Promise<void> {
    const acl = await this.ownedAcl(client, member, req.room);
    if (!acl) return;
    const invitee = await this.backend.accounts.find(usernameKey(req.username));
    if (!invitee) return this.host.error(client, 'bad_request', 'no account has that username');
    const after = await this.backend.access.invite(req.room, { id: invitee.id, name: invitee.username }, this.settings.privateRoomMaxMembers);
    if (!after) return this.host.error(client, 'forbidden', 'the room is gone');
    if (!after.members.some((m) => m.id === invitee.id)) {
      return this.host.error(client, 'bad_request', `the room is full (at most ${this.settings.privateRoomMaxMembers} members)`);
    }
    client.reply(this.roomAnswer(after));
  }

  async remove(client: ChatClient, member: Member, req: RemoveRequest): Promise<void> {
    const acl = await this.ownedAcl(client, member, req.room);
    if (!acl) return;
    if (req.member === member.id) return this.host.error(client, 'bad_request', 'the owner cannot be removed');
    const after = await this.backend.access.remove(req.room, req.member);
    if (!after) return this.host.error(client, 'forbidden', 'the room is gone');
    client.reply(this.roomAnswer(after));
  }

  async dm(client: ChatClient, member: Member, req: DmRequest): Promise<void> {
    if (req.member === member.id) return this.host.error(client, 'bad_request', 'a direct message needs another account');
    const other = isAccountId(req.member) ? await this.backend.accounts.byId(req.member) : null;
    if (!other) return this.host.error(client, 'bad_request', 'direct messages are between accounts: that member is a guest or unknown');
    const acl = await this.backend.access.openDm(dmRoomId(member.id, other.id), member, other);
    client.reply(this.roomAnswer(acl, member));
  }

  async read(client: ChatClient, member: Member, req: ReadRequest): Promise<void> {
    if (!this.host.rooms.has(client, req.room)) return this.host.error(client, 'not_joined');
    const id = await this.backend.accounts.markRead(member.id, req.room, req.id);
    client.reply(readFrame({ room: req.room, id }));
  }

  /** The room's access list when the member is on it; answers `forbidden` otherwise. */
  private async memberAcl(client: ChatClient, member: Member, room: string): Promise<RoomAcl | null> {
    const acl = roomKind(room) === 'public' ? null : await this.backend.access.get(room);
    if (!acl || !acl.members.some((m) => m.id === member.id)) {
      this.host.error(client, 'forbidden', 'not a member of this private room');
      return null;
    }
    return acl;
  }

  /** The room's access list when the member owns it; answers `forbidden` otherwise. */
  private async ownedAcl(client: ChatClient, member: Member, room: string): Promise<RoomAcl | null> {
    const acl = roomKind(room) === 'private' ? await this.backend.access.get(room) : null;
    if (!acl || acl.owner !== member.id) {
      this.host.error(client, 'forbidden', 'only the owner of a private room can do that');
      return null;
    }
    return acl;
  }

  private roomAnswer(acl: RoomAcl, viewer?: Member) {
    const title = acl.kind === 'dm' ? (acl.members.find((m) => m.id !== viewer?.id)?.name ?? '') : acl.title;
    return roomFrame({ room: acl.room, kind: acl.kind, title, ...(acl.owner === undefined ? {} : { owner: acl.owner }), members: acl.members });
  }

  // ---- bus entries about accounts ----

  onEvent(e: AccountEvent): void {
    switch (e.kind) {
      case 'removed': return this.removed(e.room, e.member);
      case 'revoked': return this.revoked(e.member, e.session);
      case 'rooms': return this.roomsChanged(e.member);
      case 'read': {
        const frame = readFrame({ room: e.room, id: e.id });
        for (const c of this.links.get(e.member) ?? []) c.reply(frame);
        return;
      }
    }
  }

  /** The member was removed from a private room: its connections here leave it now, in bus order (nothing after reaches them). */
  private removed(room: string, memberId: string): void {
    const local = this.host.rooms.get(room);
    if (!local) return;
    const frame = leftFrame({ room, reason: 'removed' });
    for (const client of [...local.subs.keys()]) {
      if (client.member?.id !== memberId) continue;
      this.host.rooms.leave(room, client, client.member, 0);
      client.reply(frame);
    }
  }

  /** Sessions were revoked: close this server's connections on them. */
  private revoked(memberId: string, digest: string): void {
    for (const client of [...(this.links.get(memberId) ?? [])]) {
      if (tokenDigest(client.session) !== digest) continue;
      this.metrics.closes.inc({ code: '1008' });
      client.close(1008, 'signed out');
    }
  }

  private roomsChanged(memberId: string): void {
    const clients = this.links.get(memberId);
    const first = clients?.values().next().value;
    if (!first?.member) return;
    const member = first.member;
    this.summaries(member).then((rooms) => {
      const frame = roomsFrame({ rooms });
      for (const c of this.links.get(memberId) ?? []) c.reply(frame);
    }, (err: unknown) => this.log.warn({ err: (err as Error).message }, 'room list push failed'));
  }
}
