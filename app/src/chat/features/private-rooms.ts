/**
 * Private rooms and DMs, and the account's room list: `rooms`, `create`, `room`, `invite`, `remove`,
 * `dm`. Each change is one store step that also updates the members' room lists and publishes them
 * (and, for a removal, the `x` entry that takes the member out of the room on every server).
 * An `invite` is pending until the invitee accepts it (features/invites.ts); so is a `dm` to an
 * account one shares no private room with.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { InviteLimits, RoomAcl } from '../../access/access.js';
import { roomFrame } from '../../protocol/encode.js';
import {
  DM_ROOM_PREFIX, isAccountId, PRIVATE_ROOM_PREFIX, roomKind, type Member,
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

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'roomList' | 'signinLimits' | 'limits'>;

/** Private rooms whose lists are read to find one two accounts share, at most (the lists are an index). */
const SHARED_CHECKS = 8;

/** ACCOUNT_MAX_INVITES and INVITE_TTL_SEC as the store takes them. */
export const inviteLimits = (s: { accountMaxInvites: number; inviteTtlSec: number }): InviteLimits =>
  ({ max: s.accountMaxInvites, ttlMs: s.inviteTtlSec * 1000 });

export class PrivateRoomsFeature {
  constructor(private readonly p: Parts) {}

  async rooms(ctx: RequestContext): Promise<void> {
    ctx.reply(await this.p.roomList.frame(ctx.member));
  }

  async create(ctx: RequestContext, req: CreateRoomRequest): Promise<void> {
    const max = this.p.settings.accountMaxPrivateRooms;
    if (!(await this.p.roomList.hasRoomForPrivate(ctx.member.id))) return ctx.error('bad_request', TEXTS.tooManyPrivateRooms(max));
    // The member's own `room` rate is the router's; new rooms per address count here (store quotas).
    const wait = await this.p.limits.takeNewRoom(ctx.client.address);
    if (wait > 0) return ctx.error('rate_limited', TEXTS.tooManyNewRooms, wait);
    const acl = await this.p.backend.access.create(newPrivateRoomId(), req.title, ctx.member);
    ctx.reply(roomAnswer(acl));
  }

  async room(ctx: RequestContext, req: RoomRequest): Promise<void> {
    const acl = roomKind(req.room) === 'public' ? null : await this.p.backend.access.get(req.room);
    if (!acl || !acl.members.some((m) => m.id === ctx.member.id)) return ctx.error('forbidden', TEXTS.notRoomMember);
    ctx.reply(roomAnswer(acl, ctx.member, acl.owner === ctx.member.id ? await this.p.backend.access.invited(req.room) : undefined));
  }

  async invite(ctx: RequestContext, req: InviteRequest): Promise<void> {
    const { backend, settings } = this.p;
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
    // Pending, not membership: the invitee's quota is checked when it accepts (its own choice).
    if (!acl.members.some((m) => m.id === invitee.id)) {
      const invited = await backend.access.invited(req.room);
      // Pending invitees count toward the room's size, which bounds the room's pending list too.
      if (!invited.some((m) => m.id === invitee.id) && acl.members.length + invited.length >= settings.privateRoomMaxMembers) {
        return ctx.error('bad_request', TEXTS.roomFull(settings.privateRoomMaxMembers));
      }
      await backend.access.offer({ id: invitee.id, name: invitee.username },
        { room: req.room, kind: 'private', title: acl.title, from: ctx.member }, inviteLimits(settings));
    }
    ctx.reply(roomAnswer(acl, ctx.member, await backend.access.invited(req.room)));
  }

  async remove(ctx: RequestContext, req: RemoveRequest): Promise<void> {
    const acl = await this.owned(ctx, req.room);
    if (!acl) return;
    if (req.member === ctx.member.id) return ctx.error('bad_request', TEXTS.ownerStays);
    const { access } = this.p.backend;
    const isMember = acl.members.some((m) => m.id === req.member);
    // Not a member: an invite the owner withdraws (nothing happens when there is none).
    if (!isMember) await access.take(req.room, req.member);
    const after = isMember ? await access.remove(req.room, req.member) : acl;
    if (!after) return ctx.error('forbidden', TEXTS.roomGone);
    ctx.reply(roomAnswer(after, ctx.member, await access.invited(req.room)));
  }

  async dm(ctx: RequestContext, req: DmRequest): Promise<void> {
    const { backend, roomList } = this.p;
    const { member } = ctx;
    if (req.member === member.id) return ctx.error('bad_request', TEXTS.dmSelf);
    const other = isAccountId(req.member) ? await backend.accounts.byId(req.member) : null;
    if (!other) return ctx.error('bad_request', TEXTS.dmGuest);
    const room = dmRoomId(member.id, other.id);
    const them: Member = { id: other.id, name: other.name };
    if (!(await backend.access.get(room))) {
      // A stranger's DM is an invite the other accepts (or one the other sent first, which this accepts).
      const theirs = (await backend.access.pending(member.id)).some((i) => i.room === room);
      if (!theirs && !(await this.share(member.id, other.id))) {
        await backend.access.offer(them, { room, kind: 'dm', title: '', from: member }, inviteLimits(this.p.settings));
        return ctx.reply(roomFrame({ room, kind: 'dm', title: other.name, members: [member], invited: [them] }));
      }
      const [mine, others] = await Promise.all([roomList.hasRoomForPrivate(member.id), roomList.hasRoomForPrivate(other.id)]);
      if (!mine || !others) return ctx.error('bad_request', TEXTS.tooManyPrivateRoomsEither);
      if (theirs) await backend.access.take(room, member.id);
    }
    const acl = await backend.access.openDm(room, member, them);
    ctx.reply(roomAnswer(acl, member));
  }

  /** Do the two accounts share a private room? (Their room lists' common private rooms, checked against the access lists.) */
  private async share(a: string, b: string): Promise<boolean> {
    const { accounts, access } = this.p.backend;
    const [mine, theirs] = await Promise.all([accounts.rooms(a), accounts.rooms(b)]);
    const other = new Set(theirs);
    const common = mine.filter((r) => roomKind(r) === 'private' && other.has(r)).slice(0, SHARED_CHECKS);
    const acls = await Promise.all(common.map((r) => access.get(r)));
    return acls.some((acl) => acl !== null && [a, b].every((id) => acl.members.some((m) => m.id === id)));
  }

  /** The room's access list when the member owns it; answers `forbidden` otherwise. */
  private async owned(ctx: RequestContext, room: string): Promise<RoomAcl | null> {
    const acl = roomKind(room) === 'private' ? await this.p.backend.access.get(room) : null;
    if (acl && acl.owner === ctx.member.id) return acl;
    ctx.error('forbidden', TEXTS.ownerOnly);
    return null;
  }
}
