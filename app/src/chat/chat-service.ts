/**
 * The chat protocol on one server: answers each request of a client, in order, using only the
 * storage interfaces (bus, history, presence, sessions). The transport hands it parsed requests.
 */
import { v4 as uuidv4 } from 'uuid';
import type { Backend } from '../store/backend.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { protocolError } from '../protocol/errors.js';
import type {
  ErrorCode, HelloRequest, HistoryRequest, JoinRequest, LeaveRequest, Member, Request, SendRequest,
} from '../protocol/messages.js';
import { LIMITS } from '../protocol/messages.js';
import type { ChatClient } from './client.js';
import { RoomRegistry } from './rooms.js';

export interface ChatSettings {
  appId: string;
  joinDefault: number;
  presenceGraceMs: number;
  presenceHeartbeatMs: number;
  presenceTtlMs: number;
  maxRoomsPerConnection: number;
}

const byId = (a: Member, b: Member) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class ChatService {
  readonly rooms: RoomRegistry;
  private heartbeat: NodeJS.Timeout | null = null;
  private beatFailed = false;
  private beating = false;
  private sweepHeldUntil = 0;

  constructor(
    private readonly backend: Backend,
    private readonly settings: ChatSettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.rooms = new RoomRegistry(backend.history, settings.presenceGraceMs, {
      onMemberGone: (room, member) => {
        backend.presence.leave(room, [member.id]).catch((err: Error) =>
          log.warn({ room, err: err.message }, 'presence leave failed; the entry will expire'));
      },
    }, log, metrics);
    backend.bus.subscribe((payload) => this.rooms.onBusPayload(payload));
    backend.bus.onResubscribed(() => this.rooms.resync());
  }

  /** Starts the presence heartbeat: refresh this server's entries, sweep everyone's expired ones. */
  start(): void {
    this.heartbeat = setInterval(() => void this.beat(), this.settings.presenceHeartbeatMs);
    this.heartbeat.unref();
  }

  async beat(): Promise<void> {
    // A beat slower than the interval (Redis timing out) must not pile up behind itself.
    if (this.beating) return;
    this.beating = true;
    try {
      // One round trip for all rooms: node-redis pipelines commands issued in the same tick.
      await Promise.all([...this.rooms.localMembers()].map(([room, members]) => this.backend.presence.join(room, members)));
      // After a store outage every server's entries may have expired meanwhile: sweeping at once would
      // announce a leave (then a join) for members still connected elsewhere. Refresh now, and judge
      // others' entries only once a whole TTL has given every live server time to refresh its own.
      if (this.beatFailed) {
        this.beatFailed = false;
        // Capped so a server that died meanwhile still leaves every list within the protocol's 30 s.
        const { presenceTtlMs: ttl, presenceHeartbeatMs: hb } = this.settings;
        this.sweepHeldUntil = Date.now() + Math.max(0, Math.min(ttl, 30_000 - ttl - 2 * hb));
      }
      if (Date.now() >= this.sweepHeldUntil) await this.backend.presence.sweep();
    } catch (err) {
      this.beatFailed = true;
      this.log.warn({ err: (err as Error).message }, 'presence heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  /** On shutdown: let this server's presence entries lapse after the grace period, so clients that reconnect elsewhere don't flicker. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const jobs: Promise<void>[] = [];
    for (const [room, members] of this.rooms.localMembers()) {
      jobs.push(this.backend.presence.expireSoon(room, members.map((m) => m.id), Math.max(this.settings.presenceGraceMs, 1000)));
    }
    await Promise.allSettled(jobs);
  }

  /** Answers one valid request. Never rejects. */
  async handle(client: ChatClient, req: Request): Promise<void> {
    // A connection that closed while earlier requests were in flight must not join anything:
    // nothing would ever remove it again (a presence ghost).
    if (client.closed) return;
    this.metrics.requests.inc({ type: req.type });
    if (req.type === 'hello') return this.guard(client, undefined, () => this.hello(client, req));
    // The contract: any request other than hello before hello gets not_identified, ping included.
    if (!client.member) return this.error(client, 'not_identified');
    if (req.type === 'ping') return client.reply('{"type":"pong"}');
    const member = client.member;
    switch (req.type) {
      case 'join': return this.guard(client, undefined, () => this.join(client, member, req));
      case 'leave': return this.leave(client, member, req);
      case 'send': return this.guard(client, req.cid, () => this.send(client, member, req));
      case 'history': return this.guard(client, undefined, () => this.history(client, req));
    }
  }

  /** Removes a closed client from every room (presence leaves after the grace period). */
  disconnect(client: ChatClient, graceMs?: number): void {
    if (!client.member) return;
    for (const room of client.rooms.keys()) this.rooms.removeClient(room, client, client.member, graceMs);
    client.rooms.clear();
  }

  error(client: ChatClient, code: ErrorCode, message?: string, extra: { cid?: string; retryAfterMs?: number } = {}): void {
    this.metrics.errors.inc({ code });
    client.reply(JSON.stringify(protocolError(code, message, extra)));
  }

  private async guard(client: ChatClient, cid: string | undefined, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
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
      if (!member) {
        member = { id: uuidv4(), name: req.name };
        token = uuidv4();
        await this.backend.sessions.save(token, member);
      }
      client.member = member;
      client.session = token;
    }
    client.reply(JSON.stringify({ type: 'welcome', appId: this.settings.appId, session: client.session, member: client.member }));
  }

  private async join(client: ChatClient, member: Member, req: JoinRequest): Promise<void> {
    const { room, after } = req;
    const previous = client.rooms.get(room);
    if (!previous && client.rooms.size >= this.settings.maxRoomsPerConnection) {
      return this.error(client, 'bad_request', `at most ${this.settings.maxRoomsPerConnection} rooms per connection`);
    }
    client.beginJoin(room);
    const isNew = this.rooms.addClient(room, client, member);
    try {
      if (isNew) await this.backend.presence.join(room, [member]);
      const [res, members] = await Promise.all([
        this.backend.history.resume(room, after, this.settings.joinDefault),
        this.backend.presence.members(room),
      ]);
      if (client.closed) return;
      // The room's fan-out needs a starting id to notice a gap in what the bus brings.
      this.rooms.seedLastId(room, res.last);
      if (!members.some((m) => m.id === member.id)) members.push(member);
      members.sort(byId);
      const truncated = after !== undefined && res.truncated ? ',"truncated":true' : '';
      client.reply(`{"type":"joined","room":${JSON.stringify(room)},"members":${JSON.stringify(members)},` +
        `"messages":[${res.messages.map((m) => m.json).join(',')}],"last":${res.last}${truncated}}`);
      // joined covered every id up to `last` (all after `after`, or the newest ones): live frames go on from there.
      client.finishJoin(room, res.last);
    } catch (err) {
      if (previous) {
        // A failed re-join keeps the membership it had.
        client.finishJoin(room, previous.lastId);
      } else {
        client.leaveRoom(room);
        this.rooms.removeClient(room, client, member, 0);
      }
      throw err;
    }
  }

  private leave(client: ChatClient, member: Member, req: LeaveRequest): void {
    if (client.rooms.has(req.room)) {
      client.leaveRoom(req.room);
      this.rooms.removeClient(req.room, client, member);
    }
    client.reply(JSON.stringify({ type: 'left', room: req.room }));
  }

  private async send(client: ChatClient, member: Member, req: SendRequest): Promise<void> {
    if (!client.rooms.has(req.room)) return this.error(client, 'not_joined', undefined, { cid: req.cid });
    client.beginSend(req.cid);
    try {
      const r = await this.backend.history.append({ room: req.room, cid: req.cid, from: member, text: req.text, via: this.settings.appId });
      if (!r.duplicate) this.metrics.messagesIn.inc();
      client.reply(JSON.stringify({ type: 'ack', cid: req.cid, room: req.room, id: r.id, ts: r.ts }));
    } finally {
      client.endSend(req.cid);
    }
  }

  private async history(client: ChatClient, req: HistoryRequest): Promise<void> {
    if (!client.rooms.has(req.room)) return this.error(client, 'not_joined');
    const messages = await this.backend.history.page(req.room, {
      before: req.before, after: req.after, limit: req.limit ?? LIMITS.historyLimitDefault,
    });
    client.reply(`{"type":"history","room":${JSON.stringify(req.room)},"messages":[${messages.map((m) => m.json).join(',')}]}`);
  }
}
