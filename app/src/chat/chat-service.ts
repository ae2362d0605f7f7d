/**
 * The chat protocol on one server, assembled: the shared parts (rooms, fan-out, limits, account
 * links, admission, identities), the feature modules, and the router's table over them. The
 * transport hands it parsed requests (`handle`) and closed connections (`disconnect`); the bus
 * hands it payloads, which go to the room feed (room entries) or to AccountEvents (account entries).
 *
 *   ChatService ─> Router ─> features/* ─> shared parts ─> stores (store/backend.ts)
 */
import { decodeAccountEntry, isAccountEntry } from '../bus/envelope.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ErrorCode, Request } from '../protocol/messages.js';
import type { FileStore } from '../files/file-store.js';
import type { ImageChecker } from '../files/image-checker.js';
import type { Backend } from '../store/backend.js';
import { AccountEvents } from './account-events.js';
import { AccountLinks } from './account-links.js';
import { Admission } from './admission.js';
import { AttachmentFiles } from './attachment-files.js';
import type { ChatClient } from './client.js';
import { AttachmentsFeature } from './features/attachments.js';
import { IdentityFeature } from './features/identity.js';
import { LifecycleFeature } from './features/lifecycle.js';
import { MembershipFeature } from './features/membership.js';
import { MessagingFeature } from './features/messaging.js';
import { InvitesFeature } from './features/invites.js';
import { PrivateRoomsFeature } from './features/private-rooms.js';
import { ReadMarkersFeature } from './features/read-markers.js';
import { SessionsFeature } from './features/sessions.js';
import { SignInFeature } from './features/sign-in.js';
import { TypingFeature } from './features/typing.js';
import { Identities } from './identities.js';
import { MemberLimits } from './member-limits.js';
import { Mentions } from './mentions.js';
import type { ChatParts } from './parts.js';
import { PresenceKeeper } from './presence-keeper.js';
import { resyncPresence } from './presence-resync.js';
import { refuse, type ErrorExtra } from './request.js';
import { RoomEvents } from './room-events.js';
import { RoomFeed } from './room-feed.js';
import { RoomList } from './room-list.js';
import { RoomRegistry } from './rooms.js';
import { routeTable, Router, type Features, type RouteTable } from './router.js';
import type { ChatSettings } from './settings.js';
import { SigninLimits } from './signin-limits.js';
import { TypingTracker } from './typing-tracker.js';

export type { AccountSettings, ChatSettings } from './settings.js';

export class ChatService {
  readonly rooms: RoomRegistry;
  readonly feed: RoomFeed;
  readonly links: AccountLinks;
  readonly features: Features;
  readonly routes: RouteTable;
  private readonly keeper: PresenceKeeper;
  private readonly limits: MemberLimits;
  private readonly accountEvents: AccountEvents;
  private readonly router: Router;

  constructor(
    backend: Backend, settings: ChatSettings, log: Logger, private readonly metrics: Metrics,
    files: { store: FileStore; images: ImageChecker } | null = null,
  ) {
    this.rooms = new RoomRegistry(settings.presenceGraceMs, {
      onMemberGone: (room, member) => this.keeper.memberGone(room, member.id),
    });
    this.keeper = new PresenceKeeper(backend.presence, this.rooms, settings, log);
    this.limits = new MemberLimits(backend.limits, settings);
    const events = new RoomEvents(backend.history, backend.bus);
    const typing = new TypingTracker(this.rooms, (room, member, on) => events.typing(room, member, on), log);
    this.feed = new RoomFeed(this.rooms, backend.history, log, metrics, settings.presenceCountIntervalMs, typing);
    this.links = new AccountLinks(metrics);
    const admission = new Admission(backend.access, this.rooms);
    const roomList = new RoomList(backend, settings.accountMaxPrivateRooms, log);
    const parts: ChatParts = {
      backend, settings, log, metrics,
      rooms: this.rooms, feed: this.feed, events, limits: this.limits,
      links: this.links, admission, roomList, typing, mentions: new Mentions(backend, settings.largeRoomThreshold),
      identities: new Identities(settings.appId, this.links),
      signinLimits: new SigninLimits(backend.accounts, settings, metrics, backend.limits),
      files: files && { store: files.store, attachments: new AttachmentFiles(files.store, backend.uploads, files.images, metrics) },
    };
    this.features = {
      identity: new IdentityFeature(parts),
      signIn: new SignInFeature(parts),
      sessions: new SessionsFeature(parts),
      membership: new MembershipFeature(parts),
      messaging: new MessagingFeature(parts),
      privateRooms: new PrivateRoomsFeature(parts),
      invites: new InvitesFeature(parts),
      readMarkers: new ReadMarkersFeature(parts),
      lifecycle: new LifecycleFeature(parts),
      typing: new TypingFeature(parts),
      attachments: new AttachmentsFeature(parts),
    };
    this.routes = routeTable(this.features);
    this.router = new Router(this.routes, this.limits, metrics, log);
    this.accountEvents = new AccountEvents(backend, this.rooms, this.links, admission, roomList, log);
    // One subscription, so account entries (a removal above all) keep their place among the room's entries.
    backend.bus.subscribe((payload) => {
      if (!isAccountEntry(payload)) return this.feed.onBusPayload(payload);
      const event = decodeAccountEntry(payload);
      if (event) this.accountEvents.onEvent(event);
      else log.error({ head: payload.slice(0, 40) }, 'unreadable bus payload');
    });
    backend.bus.onResubscribed(() => {
      // Removals and revocations lost with the subscription: checked first (AccountEvents.recheck).
      this.accountEvents.recheck();
      this.feed.resync();
      void resyncPresence(backend.presence, this.rooms, this.feed, settings.largeRoomThreshold, log);
    });
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

  /** Answers one valid request (through the router's table). Never rejects. */
  handle(client: ChatClient, req: Request): Promise<void> {
    return this.router.dispatch(client, req);
  }

  /** The client's connection closed: nothing more is written to it, and it leaves every room (presence after the grace period). */
  disconnect(client: ChatClient, graceMs?: number): void {
    client.detach();
    if (!client.member) return;
    this.rooms.leaveAll(client, client.member, graceMs);
    this.links.detach(client, client.member);
  }

  /** Refuses a request the transport will not hand on (malformed, over a rate): counted like every error. */
  error(client: ChatClient, code: ErrorCode, message?: string, extra: ErrorExtra = {}): void {
    refuse(this.metrics, client, code, message, extra);
  }
}
