/**
 * The chat protocol on one server: answers each request of a client, in order, using only the
 * storage interfaces (bus, history, presence, sessions). The transport hands it parsed requests;
 * every frame it writes comes from a typed encoder (protocol/encode.ts).
 */
import { v4 as uuidv4 } from 'uuid';
import { isAccountEntry, decodeAccountEntry } from '../bus/envelope.js';
import type { Backend } from '../store/backend.js';
import { ForbiddenError, StoreUnavailableError } from '../store/errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import {
  ackFrame, errorFrame, historyFrame, joinedFrame, leftFrame, membersFrame, messageFrameBytes, messageParts, PONG_FRAME,
  presenceFrame, welcomeFrame,
} from '../protocol/encode.js';
import { protocolError } from '../protocol/errors.js';
import type {
  ErrorCode, HelloRequest, HistoryRequest, JoinRequest, LeaveRequest, Member, MembersRequest, Request, SendRequest,
} from '../protocol/messages.js';
import { isAccountId, LIMITS, roomKind } from '../protocol/messages.js';
import { AccountService, type AccountSettings } from './account-service.js';
import type { ChatClient } from './client.js';
import { MemberLimits, type LimitedKind, type MemberRates } from './member-limits.js';
import { PreparedFrame } from './prepared-frame.js';
import { PresenceKeeper } from './presence-keeper.js';
import { RoomFeed } from './room-feed.js';
import { RoomRegistry } from './rooms.js';

/** Answers with an error from the catalogue (ChatService.error). */
export type ErrorAnswer = (client: ChatClient, code: ErrorCode, message?: string, extra?: { cid?: string; retryAfterMs?: number }) => void;

export interface ChatSettings extends MemberRates, AccountSettings {
  appId: string;
  maxMessageBytes: number;
  roomTtlSec: number;
  joinDefault: number;
  presenceGraceMs: number;
  presenceHeartbeatMs: number;
  presenceTtlMs: number;
  maxRoomsPerConnection: number;
  largeRoomThreshold: number;
  presenceCountIntervalMs: number;
}

/** Which per-member bucket each request takes a token from. */
const BUCKET: Partial<Record<Request['type'], LimitedKind>> = {
  send: 'send', join: 'join', history: 'page', members: 'page',
  create: 'room', invite: 'join', remove: 'join', dm: 'join', revoke: 'join', rooms: 'page', room: 'page', sessions: 'page', read: 'page',
};
/** Requests only an account may make (a guest gets `forbidden`). */
const ACCOUNT_ONLY = new Set<Request['type']>(['create', 'invite', 'remove', 'dm', 'revoke', 'rooms', 'room', 'sessions', 'read']);

export class ChatService {
  readonly rooms: RoomRegistry;
  readonly feed: RoomFeed;
  readonly accounts: AccountService;
  private readonly keeper: PresenceKeeper;
  private readonly limits: MemberLimits;

  constructor(
    private readonly backend: Backend,
    private readonly settings: ChatSettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.rooms = new RoomRegistry(settings.presenceGraceMs, {
      onMemberGone: (room, member) => this.keeper.memberGone(room, member.id),
    });
    this.keeper = new PresenceKeeper(backend.presence, this.rooms, settings, log);
    this.limits = new MemberLimits(settings);
    this.feed = new RoomFeed(this.rooms, backend.history, log, metrics, settings.presenceCountIntervalMs);
    this.accounts = new AccountService(backend, settings, {
      rooms: this.rooms,
      error: (client, code, message, extra) => this.error(client, code, message, extra),
      identify: (client, member, token) => this.identify(client, member, token),
      takeSession: (client) => this.limits.takeSession(client.address),
    }, log, metrics);
    // One subscription, so account entries (a removal above all) keep their place among the room's messages.
    backend.bus.subscribe((payload) => {
      if (!isAccountEntry(payload)) return this.feed.onBusPayload(payload);
      const event = decodeAccountEntry(payload);
      if (event) this.accounts.onEvent(event);
      else log.error({ head: payload.slice(0, 40) }, 'unreadable bus payload');
    });
    backend.bus.onResubscribed(() => {
      // Removals and revocations lost with the subscription: checked first (AccountService.recheck).
      this.accounts.recheck();
      this.feed.resync();
      void this.resyncPresence();
    });
  }

  /**
   * After the bus subscription came back, presence events may have been missed too: each local room
   * gets the state from the store — a `sync` with the whole list (small room) or the `count` (large).
   * Clients apply both as replacements, so an event that did arrive meanwhile changes nothing.
   */
  private async resyncPresence(): Promise<void> {
    const threshold = this.settings.largeRoomThreshold;
    await Promise.all([...this.rooms.all()].map(async (room) => {
      try {
        const snap = await this.backend.presence.snapshot(room.name, threshold);
        if (this.rooms.get(room.name) !== room) return;
        this.feed.resetCount(room, snap.count);
        const frame = snap.large
          ? presenceFrame({ type: 'presence', room: room.name, event: 'count', count: snap.count })
          : presenceFrame({ type: 'presence', room: room.name, event: 'sync', count: snap.count, members: snap.members });
        room.deliver(0, undefined, new PreparedFrame(frame));
      } catch (err) {
        this.log.warn({ room: room.name, err: (err as Error).message }, 'presence resync failed');
      }
    }));
  }

  /** Starts the presence heartbeat. */
  start(): void {
    this.keeper.start();
  }

  /** One presence heartbeat now (tests). */
  beat(): Promise<void> {
    return this.keeper.beat();
  }

  /** On shutdown: this server's presence entries lapse after the grace period. */
  stop(): Promise<void> {
    return this.keeper.stop();
  }

  /** Answers one valid request. Never rejects. */
  async handle(client: ChatClient, req: Request): Promise<void> {
    // A connection that closed while earlier requests were in flight must not join anything:
    // nothing would ever remove it again (a presence ghost).
    if (client.closed) return;
    this.metrics.requests.inc({ type: req.type });
    if (req.type === 'hello') return this.guard(client, undefined, () => this.hello(client, req));
    // signup and signin identify the connection as an account, instead of hello.
    if (req.type === 'signup') return this.guard(client, undefined, () => this.accounts.signup(client, req));
    if (req.type === 'signin') return this.guard(client, undefined, () => this.accounts.signin(client, req));
    // The contract: any request other than hello before hello gets not_identified, ping included.
    if (!client.member) return this.error(client, 'not_identified', undefined, req.type === 'send' ? { cid: req.cid } : {});
    if (req.type === 'ping') return client.reply(PONG_FRAME);
    const member = client.member;
    if (ACCOUNT_ONLY.has(req.type) && !isAccountId(member.id)) return this.error(client, 'forbidden', 'sign in first: this needs an account');
    const kind = BUCKET[req.type];
    const wait = kind === undefined ? 0 : this.limits.take(member.id, kind);
    if (wait > 0) {
      return this.error(client, 'rate_limited', undefined, req.type === 'send' ? { cid: req.cid, retryAfterMs: wait } : { retryAfterMs: wait });
    }
    switch (req.type) {
      case 'join': return this.guard(client, undefined, () => this.join(client, member, req));
      case 'leave': return this.leave(client, member, req);
      case 'send': return this.guard(client, req.cid, () => this.send(client, member, req));
      case 'history': return this.guard(client, undefined, () => this.history(client, member, req));
      case 'members': return this.guard(client, undefined, () => this.members(client, member, req));
      case 'sessions': return this.guard(client, undefined, () => this.accounts.sessions(client, member));
      case 'revoke': return this.guard(client, undefined, () => this.accounts.revoke(client, member, req));
      case 'rooms': return this.guard(client, undefined, () => this.accounts.roomList(client, member));
      case 'create': return this.guard(client, undefined, () => this.accounts.create(client, member, req));
      case 'room': return this.guard(client, undefined, () => this.accounts.room(client, member, req));
      case 'invite': return this.guard(client, undefined, () => this.accounts.invite(client, member, req));
      case 'remove': return this.guard(client, undefined, () => this.accounts.remove(client, member, req));
      case 'dm': return this.guard(client, undefined, () => this.accounts.dm(client, member, req));
      case 'read': return this.guard(client, undefined, () => this.accounts.read(client, member, req));
    }
  }

  /** The client's connection closed: nothing more is written to it, and it leaves every room (presence after the grace period). */
  disconnect(client: ChatClient, graceMs?: number): void {
    client.detach();
    if (!client.member) return;
    this.rooms.leaveAll(client, client.member, graceMs);
    this.limits.detach(client.member.id);
    this.accounts.detach(client, client.member);
  }

  /** Answers with an error from the catalogue; every refusal for rate goes through here and is counted. */
  error(client: ChatClient, code: ErrorCode, message?: string, extra: { cid?: string; retryAfterMs?: number } = {}): void {
    this.metrics.errors.inc({ code });
    if (code === 'rate_limited') this.metrics.rateLimited.inc();
    client.reply(errorFrame(protocolError(code, message, extra)));
  }

  private async guard(client: ChatClient, cid: string | undefined, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof ForbiddenError) {
        return this.error(client, 'forbidden', 'this room is private: you are not a member', cid === undefined ? {} : { cid });
      }
      if (!(err instanceof StoreUnavailableError)) this.log.error({ err, conn: client.id }, 'request failed');
      this.error(client, 'unavailable', undefined, cid === undefined ? { retryAfterMs: 1000 } : { cid, retryAfterMs: 1000 });
    }
  }

  private async hello(client: ChatClient, req: HelloRequest): Promise<void> {
    if (!client.member) {
      let member: Member | null = null;
      let token = '';
      if (req.session !== undefined) {
        member = await this.backend.sessions.resolve(req.session);
        token = req.session;
      }
      // With REQUIRE_ACCOUNTS a guest's session no longer identifies anyone.
      if (member && this.settings.requireAccounts && !isAccountId(member.id)) member = null;
      if (member) this.accounts.touched(member);
      else if (!(await this.accounts.guestAllowed(client, req.name))) return;
      if (!member) {
        // A person makes a session now and then; a loop of fresh hellos from one address is refused.
        const wait = this.limits.takeSession(client.address);
        if (wait > 0) {
          return this.error(client, 'rate_limited', 'too many new sessions from this address', { retryAfterMs: wait });
        }
        member = { id: uuidv4(), name: req.name };
        token = uuidv4();
        await this.backend.sessions.save(token, member);
      }
      this.identify(client, member, token);
      return;
    }
    this.welcome(client, client.member);
  }

  /** Makes the connection this member and answers `welcome`; false when the client closed meanwhile. */
  private identify(client: ChatClient, member: Member, token: string): boolean {
    if (client.closed) return false;
    client.member = member;
    client.session = token;
    this.limits.attach(member.id);
    if (!this.accounts.attach(client, member)) return false;
    this.welcome(client, member);
    return true;
  }

  private welcome(client: ChatClient, member: Member): void {
    client.reply(welcomeFrame({
      appId: this.settings.appId, session: client.session, member,
      ...(isAccountId(member.id) ? { account: { username: member.name } } : {}),
    }));
  }

  private async join(client: ChatClient, member: Member, req: JoinRequest): Promise<void> {
    const { room, after } = req;
    const max = this.settings.maxRoomsPerConnection;
    if (!this.rooms.has(client, room) && this.rooms.countOf(client) >= max) {
      return this.error(client, 'bad_request', `at most ${max} rooms per connection`);
    }
    const restricted = roomKind(room) !== 'public';
    // A room nobody is in and nothing was said in is created by this join: a person creates a few.
    // Asked before anything is written, so a refused join costs the store nothing. (Private rooms and
    // DMs are made by `create` and `dm`, not by joining.)
    if (!restricted && !this.rooms.get(room)) {
      const [res, presence] = await Promise.all([this.backend.history.resume(room, undefined, 0), this.backend.presence.snapshot(room, 0)]);
      if (res.last === 0 && presence.count === 0) {
        const wait = this.limits.take(member.id, 'room');
        if (wait > 0) {
          return this.error(client, 'rate_limited', 'too many new rooms, slow down', { retryAfterMs: wait });
        }
      }
      if (client.closed) return;
    }
    // Private rooms: checked before entering, so a non-member is never counted or listed, not even for
    // a moment. A refused member that was in the room (its removal lost on the bus) is taken out now.
    if (restricted) {
      if (!(await this.accounts.admitted(client, member, room))) return this.accounts.evict(room, member.id);
      if (client.closed) return;
    }
    const entry = this.rooms.enter(room, client, member);
    try {
      await this.rooms.ensureListed(room, member.id, () => this.backend.presence.join(room, [member]));
      const threshold = this.settings.largeRoomThreshold;
      const [res, presence] = await Promise.all([
        this.backend.history.resume(room, after, this.settings.joinDefault),
        this.backend.presence.snapshot(room, threshold),
      ]);
      // Taken out meanwhile: a removal on the bus evicted it (and answered `left`).
      if (client.closed || !this.rooms.has(client, room)) return;
      // Private rooms: the list once more, after the history read. A member now was a member when those
      // messages were read; a removal between the first check and the read is caught here, whichever
      // of its bus entry and this answer comes first.
      if (restricted) {
        if (!(await this.accounts.admitted(client, member, room))) return this.accounts.evict(room, member.id);
        if (client.closed || !this.rooms.has(client, room)) return;
      }
      const { count, members } = presence;
      // The room's fan-out needs a starting id to notice a gap in what the bus brings.
      this.feed.seed(room, res.last);
      client.reply(joinedFrame({
        room, count, members, membersTruncated: count > members.length,
        last: res.last, truncated: after !== undefined && res.truncated,
      }, res.messages.map((m) => m.json)));
      // joined covered every id up to `last` (all after `after`, or the newest ones): live frames go on from there.
      this.rooms.open(room, client, res.last);
      if (!restricted) this.accounts.joinedPublic(member, room);
    } catch (err) {
      this.rooms.rollback(room, client, member, entry);
      throw err;
    }
  }

  private leave(client: ChatClient, member: Member, req: LeaveRequest): void {
    this.rooms.leave(req.room, client, member);
    client.reply(leftFrame({ room: req.room }));
  }

  private async send(client: ChatClient, member: Member, req: SendRequest): Promise<void> {
    if (!this.rooms.has(client, req.room)) return this.notJoined(client, member, req.room, req.cid);
    const bytes = messageFrameBytes(messageParts(req.room, member, req.text, req.cid, this.settings.appId));
    if (bytes > this.settings.maxMessageBytes) {
      return this.error(client, 'bad_request', `the message is ${bytes} bytes encoded; at most ${this.settings.maxMessageBytes}`, { cid: req.cid });
    }
    try {
      await client.send(req.cid, async () => {
        const r = await this.backend.history.append({
          room: req.room, cid: req.cid, from: member, text: req.text, via: this.settings.appId, restricted: roomKind(req.room) !== 'public',
        });
        if (!r.duplicate) this.metrics.messagesIn.inc();
        return ackFrame({ cid: req.cid, room: req.room, id: r.id, ts: r.ts });
      });
    } catch (err) {
      // The store found the sender off the room's list (its removal lost on the bus): out of the room now.
      if (err instanceof ForbiddenError) this.accounts.evict(req.room, member.id);
      throw err;
    }
  }

  /**
   * `not_joined`, except that a private room answers `forbidden` to whoever is not on its list: a
   * non-member learns nothing more by skipping the join.
   */
  private async notJoined(client: ChatClient, member: Member, room: string, cid?: string): Promise<void> {
    if (!(await this.accounts.admitted(client, member, room, cid))) return;
    this.error(client, 'not_joined', undefined, cid === undefined ? {} : { cid });
  }

  private async members(client: ChatClient, member: Member, req: MembersRequest): Promise<void> {
    if (!this.rooms.has(client, req.room)) return this.notJoined(client, member, req.room);
    const page = await this.backend.presence.page(req.room, req.after, req.limit ?? LIMITS.membersLimitDefault);
    if (await this.stillAdmitted(client, member, req.room)) client.reply(membersFrame({ room: req.room, ...page }));
  }

  /**
   * Private rooms: the access list, read *after* the answer's data. Still a member now means a member
   * when the data was read; a member removed meanwhile gets `forbidden` and is taken out of the room.
   */
  private async stillAdmitted(client: ChatClient, member: Member, room: string): Promise<boolean> {
    if (roomKind(room) === 'public') return true;
    if (await this.accounts.admitted(client, member, room)) return true;
    this.accounts.evict(room, member.id);
    return false;
  }

  private async history(client: ChatClient, member: Member, req: HistoryRequest): Promise<void> {
    if (!this.rooms.has(client, req.room)) return this.notJoined(client, member, req.room);
    const messages = await this.backend.history.page(req.room, {
      before: req.before, after: req.after, limit: req.limit ?? LIMITS.historyLimitDefault,
    });
    if (await this.stillAdmitted(client, member, req.room)) client.reply(historyFrame(req.room, messages.map((m) => m.json)));
  }
}
