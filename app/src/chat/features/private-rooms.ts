/**
 * Private rooms and DMs, and the account's room list: `rooms`, `create`, `room`, `invite`, `remove`,
 * `dm`. Each change is one store step that also updates the members' room lists and publishes them
 * (and, for a removal, the `x` entry that takes the member out of the room on every server).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RoomAcl } from '../../access/access.js';
import { roomsFrame } from '../../protocol/encode.js';
import {
  DM_ROOM_PREFIX, isAccountId, PRIVATE_ROOM_PREFIX, roomKind,
  type CreateRoomRequest, type DmRequest, type InviteRequest, type RemoveRequest, type RoomRequest,
} from '../../protocol/messages.js';
import { usernameKey } from '../../protocol/text.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { roomAnswer } from '../room-list.js';
import { addressCounter } from '../signin-limits.js';
import { TEXTS } from '../texts.js';

/** The DM room of two members: the same for both, whoever opens it. */
export function dmRoomId(a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return DM_ROOM_PREFIX + createHash('sha256').update(`${x}|${y}`).digest('hex').slice(0, 32 - DM_ROOM_PREFIX.length);
}

/** A new private room's name: `p--` and 16 random hex digits (64 bits). */
export const newPrivateRoomId = (): string => PRIVATE_ROOM_PREFIX + randomBytes(8).toString('hex');

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'roomList' | 'signinLimits'>;

export class PrivateRoomsFeature {
  constructor(private readonly p: Parts) {}

  async rooms(ctx: RequestContext): Promise<void> {
    ctx.reply(roomsFrame({ rooms: await this.p.roomList.summaries(ctx.member) }));
  }

  async create(ctx: RequestContext, req: CreateRoomRequest): Promise<void> {
    const max = this.p.settings.accountMaxPrivateRooms;
    if (!(await this.p.roomList.hasRoomForPrivate(ctx.member.id))) return ctx.error('bad_request', TEXTS.tooManyPrivateRooms(max));
    const acl = await this.p.backend.access.create(newPrivateRoomId(), req.title, ctx.member);
    ctx.reply(roomAnswer(acl));
  }

  async room(ctx: RequestContext, req: RoomRequest): Promise<void> {
    const acl = roomKind(req.room) === 'public' ? null : await this.p.backend.access.get(req.room);
    if (!acl || !acl.members.some((m) => m.id === ctx.member.id)) return ctx.error('forbidden', TEXTS.notRoomMember);
    ctx.reply(roomAnswer(acl, ctx.member));
  }

  async invite(ctx: RequestContext, req: InviteRequest): Promise<void> {
    const { backend, settings, roomList } = this.p;
    const acl = await this.owned(ctx, req.room);
    if (!acl) return;
    // Past the address's limit, one answer before the username is looked up (it would tell whether it exists).
    if (await this.p.signinLimits.addressLocked(ctx)) return;
    const invitee = await backend.accounts.find(usernameKey(req.username));
    if (!invitee) {
      // Tells that a username does not exist: counted like a failed sign-in of the address.
      if (await this.p.signinLimits.overLimit(ctx, addressCounter(ctx.client.address))) return;
      return ctx.error('bad_request', TEXTS.noSuchUsername);
    }
    if (!acl.members.some((m) => m.id === invitee.id) && !(await roomList.hasRoomForPrivate(invitee.id))) {
      return ctx.error('bad_request', TEXTS.inviteeFull(invitee.username));
    }
    const after = await backend.access.invite(req.room, { id: invitee.id, name: invitee.username }, settings.privateRoomMaxMembers);
    if (!after) return ctx.error('forbidden', TEXTS.roomGone);
    if (!after.members.some((m) => m.id === invitee.id)) return ctx.error('bad_request', TEXTS.roomFull(settings.privateRoomMaxMembers));
    ctx.reply(roomAnswer(after));
  }

  async remove(ctx: RequestContext, req: RemoveRequest): Promise<void> {
    const acl = await this.owned(ctx, req.room);
    if (!acl) return;
    if (req.member === ctx.member.id) return ctx.error('bad_request', TEXTS.ownerStays);
    const after = await this.p.backend.access.remove(req.room, req.member);
    if (!after) return ctx.error('forbidden', TEXTS.roomGone);
    ctx.reply(roomAnswer(after));
  }

  async dm(ctx: RequestContext, req: DmRequest): Promise<void> {
    const { backend, roomList } = this.p;
    const { member } = ctx;
    if (req.member === member.id) return ctx.error('bad_request', TEXTS.dmSelf);
    const other = isAccountId(req.member) ? await backend.accounts.byId(req.member) : null;
    if (!other) return ctx.error('bad_request', TEXTS.dmGuest);
    const room = dmRoomId(member.id, other.id);
    if (!(await backend.access.get(room))) {
      const [mine, theirs] = await Promise.all([roomList.hasRoomForPrivate(member.id), roomList.hasRoomForPrivate(other.id)]);
      if (!mine || !theirs) return ctx.error('bad_request', TEXTS.tooManyPrivateRoomsEither);
    }
    const acl = await backend.access.openDm(room, member, other);
    ctx.reply(roomAnswer(acl, member));
  }

  /** The room's access list when the member owns it; answers `forbidden` otherwise. */
  private async owned(ctx: RequestContext, room: string): Promise<RoomAcl | null> {
    const acl = roomKind(room) === 'private' ? await this.p.backend.access.get(room) : null;
    if (acl && acl.owner === ctx.member.id) return acl;
    ctx.error('forbidden', TEXTS.ownerOnly);
    return null;
  }
}
