/**
 * The router: one table maps every request type to the feature module that answers it, the
 * per-member rate bucket it takes a token from, and whether it needs an account. The router checks
 * those (and identification) before a handler runs, and turns a store failure into `unavailable` and
 * a store's refusal into `forbidden`. Handlers answer through their RequestContext and never call
 * back into the router; a new feature is a module and its rows here.
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { isAccountId, type Request, type RequestType } from '../protocol/messages.js';
import { ForbiddenError, StoreUnavailableError } from '../store/errors.js';
import type { ChatClient } from './client.js';
import type { AttachmentsFeature } from './features/attachments.js';
import type { IdentityFeature } from './features/identity.js';
import type { InvitesFeature } from './features/invites.js';
import type { LifecycleFeature } from './features/lifecycle.js';
import type { MembershipFeature } from './features/membership.js';
import type { MessagingFeature } from './features/messaging.js';
import type { PrivateRoomsFeature } from './features/private-rooms.js';
import type { ReadMarkersFeature } from './features/read-markers.js';
import type { SessionsFeature } from './features/sessions.js';
import type { SignInFeature } from './features/sign-in.js';
import type { TypingFeature } from './features/typing.js';
import type { LimitedKind, MemberLimits } from './member-limits.js';
import { RequestContext } from './request.js';
import { TEXTS } from './texts.js';

export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;

export interface Features {
  identity: IdentityFeature;
  signIn: SignInFeature;
  sessions: SessionsFeature;
  membership: MembershipFeature;
  messaging: MessagingFeature;
  privateRooms: PrivateRoomsFeature;
  invites: InvitesFeature;
  readMarkers: ReadMarkersFeature;
  lifecycle: LifecycleFeature;
  typing: TypingFeature;
  attachments: AttachmentsFeature;
}

export interface Route<T extends RequestType> {
  /** The feature module that answers it. */
  module: keyof Features;
  handle(ctx: RequestContext, req: RequestOf<T>): Promise<void> | void;
  /** The per-member rate bucket it takes a token from (none: only the connection's bucket). */
  bucket?: LimitedKind;
  /**
   * The feature takes `bucket` itself, with the store quotas the request charges, all or nothing in one
   * store round trip (MemberLimits.takeWithStored), and before any store work: the router hands it over
   * in `ctx.bucket` and takes nothing. A send, an edit or a reaction then costs two round trips (limits, then the change), not four.
   */
  bucketWithQuota?: true;
  /** Only an account may make it (a guest gets `forbidden`). */
  account?: true;
  /** It identifies the connection (hello, signup, signin): every other request needs one of them first. */
  identifies?: true;
}

/** Every request type has a row: the compiler refuses a table that misses one. */
export type RouteTable = { [T in RequestType]: Route<T> };

export function routeTable(f: Features): RouteTable {
  return {
    hello: { module: 'identity', identifies: true, handle: (c, r) => f.identity.hello(c, r) },
    ping: { module: 'identity', handle: (c) => f.identity.ping(c) },
    signup: { module: 'signIn', identifies: true, handle: (c, r) => f.signIn.signup(c, r) },
    signin: { module: 'signIn', identifies: true, handle: (c, r) => f.signIn.signin(c, r) },
    sessions: { module: 'sessions', account: true, bucket: 'page', handle: (c) => f.sessions.sessions(c) },
    revoke: { module: 'sessions', account: true, bucket: 'join', handle: (c, r) => f.sessions.revoke(c, r) },
    password: { module: 'signIn', account: true, bucket: 'join', handle: (c, r) => f.signIn.password(c, r) },
    join: { module: 'membership', bucket: 'join', handle: (c, r) => f.membership.join(c, r) },
    leave: { module: 'membership', handle: (c, r) => f.membership.leave(c, r) },
    members: { module: 'membership', bucket: 'page', handle: (c, r) => f.membership.members(c, r) },
    send: { module: 'messaging', bucket: 'send', bucketWithQuota: true, handle: (c, r) => f.messaging.send(c, r) },
    history: { module: 'messaging', bucket: 'page', handle: (c, r) => f.messaging.history(c, r) },
    rooms: { module: 'privateRooms', account: true, bucket: 'page', handle: (c) => f.privateRooms.rooms(c) },
    create: { module: 'privateRooms', account: true, bucket: 'room', handle: (c, r) => f.privateRooms.create(c, r) },
    room: { module: 'privateRooms', account: true, bucket: 'page', handle: (c, r) => f.privateRooms.room(c, r) },
    invite: { module: 'privateRooms', account: true, bucket: 'join', handle: (c, r) => f.privateRooms.invite(c, r) },
    remove: { module: 'privateRooms', account: true, bucket: 'join', handle: (c, r) => f.privateRooms.remove(c, r) },
    dm: { module: 'privateRooms', account: true, bucket: 'join', handle: (c, r) => f.privateRooms.dm(c, r) },
    accept: { module: 'invites', account: true, bucket: 'join', handle: (c, r) => f.invites.accept(c, r) },
    decline: { module: 'invites', account: true, bucket: 'join', handle: (c, r) => f.invites.decline(c, r) },
    part: { module: 'invites', account: true, bucket: 'join', handle: (c, r) => f.invites.part(c, r) },
    read: { module: 'readMarkers', account: true, bucket: 'page', handle: (c, r) => f.readMarkers.read(c, r) },
    edit: { module: 'lifecycle', bucket: 'edit', bucketWithQuota: true, handle: (c, r) => f.lifecycle.edit(c, r) },
    delete: { module: 'lifecycle', bucket: 'delete', handle: (c, r) => f.lifecycle.delete(c, r) },
    react: { module: 'lifecycle', bucket: 'react', bucketWithQuota: true, handle: (c, r) => f.lifecycle.react(c, r) },
    typing: { module: 'typing', bucket: 'typing', handle: (c, r) => f.typing.typing(c, r) },
    upload: { module: 'attachments', bucket: 'upload', handle: (c, r) => f.attachments.upload(c, r) },
  };
}

export class Router {
  constructor(
    private readonly table: RouteTable,
    private readonly limits: MemberLimits,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Answers one valid request. Never rejects. */
  async dispatch(client: ChatClient, req: Request): Promise<void> {
    // A connection that closed while earlier requests were in flight must not join anything:
    // nothing would ever remove it again (a presence ghost).
    if (client.closed) return;
    this.metrics.requests.inc({ type: req.type });
    const ctx = new RequestContext(client, this.metrics, req.rid, 'cid' in req ? req.cid : undefined);
    const route = this.table[req.type] as Route<RequestType>;
    if (!route.identifies) {
      // The contract: any request other than hello before hello gets not_identified, ping included.
      const member = client.member;
      if (!member) return ctx.error('not_identified');
      if (route.account && !isAccountId(member.id)) return ctx.error('forbidden', TEXTS.needsAccount);
    }
    try {
      if (route.bucket !== undefined && route.bucketWithQuota) ctx.bucket = route.bucket;
      else if (route.bucket !== undefined && client.member) {
        // The member's bucket is in the store (shared by its connections on every server, kept
        // after they close): a store that is down makes this `unavailable` like the request itself.
        const wait = await this.limits.take(client.member.id, route.bucket);
        if (wait > 0) return ctx.error('rate_limited', undefined, wait);
        if (client.closed) return;
      }
      await route.handle(ctx, req as RequestOf<RequestType>);
    } catch (err) {
      if (err instanceof ForbiddenError) return ctx.error('forbidden', TEXTS.privateRoom);
      if (!(err instanceof StoreUnavailableError)) this.log.error({ err, conn: client.id, type: req.type }, 'request failed');
      ctx.error('unavailable', undefined, 1000);
    }
  }
}
