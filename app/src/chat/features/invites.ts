/**
 * Answering invites and parting: `accept`, `decline`, `part`. An invite (features/private-rooms.ts
 * `invite`, or a `dm` from an account one shares no private room with) is pending until its invitee
 * accepts: only then is it a member, and only then does the room count toward its
 * ACCOUNT_MAX_PRIVATE_ROOMS. `part` takes a member off a private room's list for good, on every server.
 */
import { roomKind, type AcceptRequest, type DeclineRequest, type PartRequest } from '../../protocol/messages.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { roomAnswer } from '../room-list.js';
import { TEXTS } from '../texts.js';
import { dmRoomId } from './private-rooms.js';

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'roomList'>;

export class InvitesFeature {
  constructor(private readonly p: Parts) {}

  /** Becomes a member (the quota checked now); `room`, and the account's connections get a fresh `rooms`. */
  async accept(ctx: RequestContext, req: AcceptRequest): Promise<void> {
    const { backend: { access }, settings, roomList } = this.p;
    const { member } = ctx;
    const inv = (await access.pending(member.id)).find((i) => i.room === req.room);
    if (!inv) return ctx.error('bad_request', TEXTS.noInvite);
    const dm = inv.kind === 'dm';
    // A DM counts for both: its opener may have filled up since.
    const [mine, theirs] = await Promise.all([roomList.hasRoomForPrivate(member.id), dm ? roomList.hasRoomForPrivate(inv.from.id) : true]);
    if (!mine) return ctx.error('bad_request', TEXTS.tooManyPrivateRooms(settings.accountMaxPrivateRooms));
    if (!theirs) return ctx.error('bad_request', TEXTS.tooManyPrivateRoomsEither);
    const taken = await access.take(req.room, member.id);
    if (!taken) return ctx.error('bad_request', TEXTS.noInvite);
    if (dm) {
      if (dmRoomId(member.id, taken.from.id) !== req.room) return ctx.error('bad_request', TEXTS.noInvite);
      return ctx.reply(roomAnswer(await access.openDm(req.room, taken.from, member), member));
    }
    const after = await access.invite(req.room, member, settings.privateRoomMaxMembers);
    if (!after) return ctx.error('forbidden', TEXTS.roomGone);
    if (!after.members.some((m) => m.id === member.id)) return ctx.error('bad_request', TEXTS.roomFull(settings.privateRoomMaxMembers));
    ctx.reply(roomAnswer(after, member));
  }

  /** Drops the invite: `rooms` without it. */
  async decline(ctx: RequestContext, req: DeclineRequest): Promise<void> {
    if (!(await this.p.backend.access.take(req.room, ctx.member.id))) return ctx.error('bad_request', TEXTS.noInvite);
    ctx.reply(await this.p.roomList.frame(ctx.member));
  }

  /**
   * Off the room's list for good: every connection of the member, on every server, leaves it (`left`,
   * reason `removed`), and `rooms` answers. The owner parts last (the room then goes).
   */
  async part(ctx: RequestContext, req: PartRequest): Promise<void> {
    const { access } = this.p.backend;
    if (roomKind(req.room) !== 'private') return ctx.error('bad_request', TEXTS.partPrivateOnly);
    const acl = await access.get(req.room);
    if (!acl || !acl.members.some((m) => m.id === ctx.member.id)) return ctx.error('forbidden', TEXTS.notRoomMember);
    if (acl.owner === ctx.member.id && acl.members.length > 1) return ctx.error('bad_request', TEXTS.ownerPartsLast);
    const parted = await access.part(req.room, ctx.member.id);
    if (parted === null) return ctx.error('forbidden', TEXTS.roomGone);
    if (!parted) return ctx.error('bad_request', TEXTS.ownerPartsLast);
    ctx.reply(await this.p.roomList.frame(ctx.member));
  }
}
