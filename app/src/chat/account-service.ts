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
  accountMaxPrivateRooms: number;
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
  /**
   * Sessions revoked in the last minute (digest -> until when): a connection whose hello resolved its
   * session just before the revocation, and attaches just after the `k` entry went by, is caught here.
   */
  private readonly revokedLately = new Map<string, number>();
  /** Accounts whose room list changed: one push per account per tick, however many `u` entries came. */
  private readonly roomsDirty = new Set<string>();

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

  /** Indexes an account's connection; false (and closed) when its session was revoked a moment ago. */
  attach(client: ChatClient, member: Member): boolean {
    if (!isAccountId(member.id)) return true;
    if (this.revokedLately.size > 0 && this.revokedLately.has(tokenDigest(client.session))) {
      this.closeSignedOut(client);
      return false;
    }
    let set = this.links.get(member.id);
    if (!set) this.links.set(member.id, (set = new Set()));
    set.add(client);
    return true;
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
      // Each one tells that a username exists: counted like a failed sign-in of the address.
      if (await this.overLimit(client, `ip:${client.address}`)) return false;
      this.host.error(client, 'name_taken', 'that name is a registered username: sign in, or pick another name');
      return false;
    }
    return true;
  }

  /** Counts a failure for `counter`; past its limit answers rate_limited and returns true. */
  private async overLimit(client: ChatClient, counter: string): Promise<boolean> {
    const c = await this.backend.accounts.failed(counter, this.windowMs);
    if (c.count <= this.limitOf(counter)) return false;
    this.limited(client, 'too many failed attempts: wait before trying again', Math.max(c.retryAfterMs, 1000));
    return true;
  }

  /** The window failed attempts are counted in. */
  private get windowMs(): number {
    return this.settings.signinWindowSec * 1000;
  }

  private limitOf(counter: string): number {
    return counter.startsWith('ip:') ? this.settings.signinAddressLimit : this.settings.signinAccountLimit;
  }

  /** An account's session was used (hello): keep the account for another ACCOUNT_TTL_SEC. */
  touched(member: Member): void {
    if (!isAccountId(member.id)) return;
    this.background(this.backend.accounts.touch(member.id, usernameKey(member.name)), 'account touch failed');
  }

  /** A store write nobody waits for (an index, a TTL): a failure is logged, the next use repeats it. */
  private background(write: Promise<unknown>, failure: string): void {
    write.catch((err: unknown) => this.log.warn({ err: (err as Error).message }, failure));
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
      await this.backend.accounts.failed(addressKey, this.windowMs);
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
    // Counted as a failure before the check (and forgiven on success), so concurrent guesses cannot
    // all pass the limit while the hashes run.
    const counts = await Promise.all(counters.map((c) => this.backend.accounts.failed(c, this.windowMs)));
    const forgive = () => Promise.all(counters.map((c) => this.backend.accounts.forgive(c)));
    let wait = 0;
    counts.forEach((c, i) => { if (c.count > this.limitOf(counters[i])) wait = Math.max(wait, c.retryAfterMs, 1000); });
    if (wait > 0) return this.limited(client, 'too many failed sign-ins: wait before trying again', wait);
    const account = await this.backend.accounts.find(key);
    // The dummy hash an unknown username is checked against is made by the first sign-in on this server,
    // whoever it is for: that one takes two hashes' time whether the username exists or not, and a
    // server that never sees a sign-in never pays 128 MiB for it (it would at every start otherwise).
    const ok = await this.kdf(client, async () => {
      await this.hasher.prepare();
      return this.hasher.verify(req.password, account?.hash ?? null);
    });
    if (ok === null) {
      await forgive();
      return;
    }
    if (!ok || !account) {
      this.metrics.auth.inc({ result: 'failed' });
      this.log.info({ conn: client.id }, 'sign-in failed');
      return this.host.error(client, 'auth_failed');
    }
    await forgive();
    this.metrics.auth.inc({ result: 'signin' });
    await this.backend.accounts.touch(account.id, key);
    await this.startSession(client, { id: account.id, name: account.username });
  }

  /** ms until the first of these failure counters is under its limit again (0: go on). */
  private async lockedFor(counters: string[]): Promise<number> {
    const counts = await Promise.all(counters.map((c) => this.backend.accounts.attempts(c)));
    let wait = 0;
    counts.forEach((c, i) => { if (c.count >= this.limitOf(counters[i])) wait = Math.max(wait, c.retryAfterMs, 1000); });
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
        // The list is an index; the access list is the authority. A room whose list expired goes.
        if (!acl) this.dropDangling(member, room);
        if (!acl || !acl.members.some((m) => m.id === member.id)) return;
        title = kind === 'dm' ? (acl.members.find((m) => m.id !== member.id)?.name ?? 'direct message') : acl.title;
      }
      const last = lasts[i];
      const read = Math.min(reads[room] ?? 0, last);
      out.push({ room, kind, title, last, read, unread: Math.max(0, last - read) });
    });
    return out;
  }

  private dropDangling(member: Member, room: string): void {
    this.background(this.backend.accounts.dropRoom(member.id, room), 'room list update failed');
  }

  /** Private rooms and DMs the account is in (they do not fall off its list): at most ACCOUNT_MAX_PRIVATE_ROOMS. */
  private async hasRoomForPrivate(memberId: string): Promise<boolean> {
    const rooms = await this.backend.accounts.rooms(memberId);
    return rooms.filter((r) => roomKind(r) !== 'public').length < this.settings.accountMaxPrivateRooms;
  }

    /** A public room joined by an account goes on top of its list. */
  joinedPublic(member: Member, room: string): void {
    if (!isAccountId(member.id)) return;
    this.background(this.backend.accounts.addRoom(member.id, room), 'room list update failed');
  }

  /** Is the member on the private room's (or DM's) access list? Answers `forbidden` and returns false when not. */
  async admitted(client: ChatClient, member: Member, room: string, cid?: string): Promise<boolean> {
    if (roomKind(room) === 'public') return true;
    if (isAccountId(member.id) && (await this.backend.access.isMember(room, member.id))) return true;
    this.host.error(client, 'forbidden', 'this room is private: you are not a member', cid === undefined ? {} : { cid });
    return false;
  }

  async create(client: ChatClient, member: Member, req: CreateRoomRequest): Promise<void> {
    if (!(await this.hasRoomForPrivate(member.id))) {
      return this.host.error(client, 'bad_request', `at most ${this.settings.accountMaxPrivateRooms} private rooms and direct messages per account`);
    }
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
    if (!invitee) {
      // Tells that a username does not exist: counted like a failed sign-in of the address.
      if (await this.overLimit(client, `ip:${client.address}`)) return;
      return this.host.error(client, 'bad_request', 'no account has that username');
    }
    if (!acl.members.some((m) => m.id === invitee.id) && !(await this.hasRoomForPrivate(invitee.id))) {
      return this.host.error(client, 'bad_request', `${invitee.username} is in too many private rooms`);
    }
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
    const room = dmRoomId(member.id, other.id);
    const existing = await this.backend.access.get(room);
    if (!existing) {
      const [mine, theirs] = await Promise.all([this.hasRoomForPrivate(member.id), this.hasRoomForPrivate(other.id)]);
      if (!mine || !theirs) return this.host.error(client, 'bad_request', 'too many private rooms and direct messages');
    }
    const acl = await this.backend.access.openDm(room, member, other);
    client.reply(this.roomAnswer(acl, member));
  }

  async read(client: ChatClient, member: Member, req: ReadRequest): Promise<void> {
    if (!this.host.rooms.has(client, req.room)) return this.host.error(client, 'not_joined');
    // Never past the room's newest message.
    const [last] = await this.backend.history.lastIds([req.room]);
    const id = await this.backend.accounts.markRead(member.id, req.room, Math.min(req.id, last));
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
      case 'removed': return this.evict(e.room, e.member);
      case 'revoked': return this.revoked(e.member, e.session);
      case 'rooms': return this.roomsChanged(e.member);
      case 'read': {
        const frame = readFrame({ room: e.room, id: e.id });
        for (const c of this.links.get(e.member) ?? []) c.reply(frame);
        return;
      }
    }
  }

  /**
   * The member is not on the room's list (removed; or found not to be on it): its connections here
   * leave the room now — in bus order when a removal entry calls it, so nothing after reaches them —
   * and leave presence without a grace period.
   */
  evict(room: string, memberId: string): void {
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
    const now = Date.now();
    if (this.revokedLately.size >= 10_000) {
      for (const [d, until] of this.revokedLately) if (until <= now) this.revokedLately.delete(d);
    }
    if (this.revokedLately.size < 10_000) this.revokedLately.set(digest, now + 60_000);
    for (const client of [...(this.links.get(memberId) ?? [])]) {
      if (tokenDigest(client.session) === digest) this.closeSignedOut(client);
    }
  }

  private closeSignedOut(client: ChatClient): void {
    this.metrics.closes.inc({ code: '1008' });
    client.close(1008, 'signed out');
  }

  /** The account's room list changed: pushed once per tick to its connections here, read once. */
  private roomsChanged(memberId: string): void {
    if (!this.links.has(memberId) || this.roomsDirty.has(memberId)) return;
    this.roomsDirty.add(memberId);
    setImmediate(() => {
      this.roomsDirty.delete(memberId);
      const member = this.links.get(memberId)?.values().next().value?.member;
      if (!member) return;
      this.background(this.summaries(member).then((rooms) => {
        const frame = roomsFrame({ rooms });
        for (const c of this.links.get(memberId) ?? []) c.reply(frame);
      }), 'room list push failed');
    });
  }

  /**
   * After the bus subscription came back, `x` and `k` entries may have been lost: every local member
   * of a private room is checked against its list, every account connection against its session.
   * Called before the room feed repairs its gaps: these reads go out first on the same Redis
   * connection, whose answers come in order, so an eviction lands before any repaired message.
   */
  recheck(): void {
    for (const local of this.host.rooms.all()) {
      if (roomKind(local.name) === 'public') continue;
      const ids = new Set<string>();
      for (const c of local.subs.keys()) if (c.member) ids.add(c.member.id);
      this.background(this.backend.access.get(local.name).then((acl) => {
        const on = new Set(acl?.members.map((m) => m.id) ?? []);
        for (const id of ids) if (!on.has(id)) this.evict(local.name, id);
      }), 'access recheck failed');
    }
    for (const [memberId, clients] of this.links) {
      for (const client of clients) {
        this.background(this.backend.sessions.resolve(client.session).then((m) => {
          if (!m || m.id !== memberId) this.closeSignedOut(client);
        }), 'session recheck failed');
      }
    }
  }
}
