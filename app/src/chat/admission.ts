/**
 * Who may be in a private room or DM, checked on this server: the access list (Access) is read on
 * join, room, history and members, and the store checks it again inside every append. A member found
 * off the list — removed, its removal lost on the bus — is taken out of the room here and now.
 */
import type { Access } from '../access/access.js';
import { leftFrame } from '../protocol/encode.js';
import { isAccountId, roomKind } from '../protocol/messages.js';
import type { RequestContext } from './request.js';
import type { RoomRegistry } from './rooms.js';
import { TEXTS } from './texts.js';

export class Admission {
  constructor(private readonly access: Access, private readonly rooms: RoomRegistry) {}

  /** Is the member on the room's access list (always, for a public room)? Answers `forbidden` and returns false when not. */
  async admitted(ctx: RequestContext, room: string): Promise<boolean> {
    if (roomKind(room) === 'public') return true;
    const { id } = ctx.member;
    if (isAccountId(id) && (await this.access.isMember(room, id))) return true;
    ctx.error('forbidden', TEXTS.privateRoom);
    return false;
  }

  /**
   * The access list, read *after* an answer's data: still a member now means a member when the data
   * was read; a member removed meanwhile gets `forbidden` and is taken out of the room.
   */
  async stillAdmitted(ctx: RequestContext, room: string): Promise<boolean> {
    if (await this.admitted(ctx, room)) return true;
    this.evict(room, ctx.member.id);
    return false;
  }

  /**
   * `not_joined` for a request about a room this connection is not in, except that a private room
   * answers `forbidden` to whoever is not on its list: a non-member learns nothing more by skipping the join.
   */
  async notJoined(ctx: RequestContext, room: string): Promise<void> {
    if (await this.admitted(ctx, room)) ctx.error('not_joined');
  }

  /**
   * The member is not on the room's list (removed; or found not to be on it): its connections here
   * leave the room now — in bus order when a removal entry calls it, so nothing after reaches them —
   * and leave presence without a grace period.
   */
  evict(room: string, memberId: string): void {
    const local = this.rooms.get(room);
    if (!local) return;
    const frame = leftFrame({ room, reason: 'removed' });
    for (const client of [...local.subs.keys()]) {
      if (client.member?.id !== memberId) continue;
      this.rooms.leave(room, client, client.member, 0);
      client.reply(frame);
    }
  }
}
