/**
 * Being in a room: `join` (with resume from `after`), `leave`, and `members` pages. A join enters the
 * room on this server (RoomRegistry), lists the member in the store's presence, reads history and
 * presence, answers `joined`, and opens the room's live frames from `last` on — or rolls back.
 */
import { joinedFrame, leftFrame, membersFrame } from '../../protocol/encode.js';
import { LIMITS, roomKind, type JoinRequest, type LeaveRequest, type MembersRequest } from '../../protocol/messages.js';
import type { ChatParts } from '../parts.js';
import type { RequestContext } from '../request.js';
import { TEXTS } from '../texts.js';

type Parts = Pick<ChatParts, 'backend' | 'settings' | 'rooms' | 'feed' | 'limits' | 'admission' | 'roomList' | 'typing' | 'files'>;

export class MembershipFeature {
  constructor(private readonly p: Parts) {}

  async join(ctx: RequestContext, req: JoinRequest): Promise<void> {
    const { backend, settings, rooms, admission } = this.p;
    const { client, member } = ctx;
    const { room, after, epoch } = req;
    const max = settings.maxRoomsPerConnection;
    if (!rooms.has(client, room) && rooms.countOf(client) >= max) return ctx.error('bad_request', TEXTS.tooManyRooms(max));
    const restricted = roomKind(room) !== 'public';
    // A room nobody is in and nothing was said in is created by this join: a person creates a few.
    // Asked before anything is written, so a refused join costs the store nothing. (Private rooms and
    // DMs are made by `create` and `dm`, not by joining.)
    if (!restricted && !rooms.get(room)) {
      const [res, presence] = await Promise.all([backend.history.resume(room, undefined, 0), backend.presence.snapshot(room, 0)]);
      if (res.last === 0 && presence.count === 0) {
        const wait = await this.p.limits.takeNewRoom(client.address, member.id);
        if (wait > 0) return ctx.error('rate_limited', TEXTS.tooManyNewRooms, wait);
      }
      if (client.closed) return;
    }
    // Private rooms: checked before entering, so a non-member is never counted or listed, not even for
    // a moment. A refused member that was in the room (its removal lost on the bus) is taken out now.
    if (restricted) {
      if (!(await admission.admitted(ctx, room))) return admission.evict(room, member.id);
      if (client.closed) return;
    }
    const entry = rooms.enter(room, client, member);
    try {
      await rooms.ensureListed(room, member.id, () => backend.presence.join(room, [member]));
      const [res, presence] = await Promise.all([
        // With the room's history epoch: a client whose `epoch` names a lost history gets a fresh window, `reset`.
        backend.history.resume(room, after, settings.joinDefault, epoch === undefined ? {} : { epoch }),
        backend.presence.snapshot(room, settings.largeRoomThreshold),
      ]);
      // Stored messages' file URLs, signed again for now.
      const messages = res.entries.map((m) => m.json);
      const frames = this.p.files ? await this.p.files.attachments.refresh(room, messages) : messages;
      // Taken out meanwhile: a removal on the bus evicted it (and answered `left`).
      if (client.closed || !rooms.has(client, room)) return;
      // Private rooms: the list once more, after the history read. A member now was a member when those
      // messages were read; a removal between the first check and the read is caught here, whichever
      // of its bus entry and this answer comes first.
      if (restricted) {
        if (!(await admission.admitted(ctx, room))) return admission.evict(room, member.id);
        if (client.closed || !rooms.has(client, room)) return;
      }
      const { count, members } = presence;
      // The room's fan-out needs a starting id to notice a gap in what the bus brings.
      this.p.feed.seed(room, res.last, res.epoch);
      ctx.reply(joinedFrame({
        room, count, members, membersTruncated: count > members.length,
        last: res.last, truncated: after !== undefined && res.truncated, epoch: res.epoch, reset: res.reset,
      }, frames));
      // joined covered every id up to `last` (all after `after`, or the newest ones): live frames go on from there.
      rooms.open(room, client, res.last);
      if (!restricted) this.p.roomList.joinedPublic(member, room);
    } catch (err) {
      rooms.rollback(room, client, member, entry);
      throw err;
    }
  }

  leave(ctx: RequestContext, req: LeaveRequest): void {
    // Whoever leaves stops typing there (the others would see it for up to 6 s otherwise).
    this.p.typing.sent(req.room, ctx.member);
    this.p.rooms.leave(req.room, ctx.client, ctx.member);
    ctx.reply(leftFrame({ room: req.room }));
  }

  async members(ctx: RequestContext, req: MembersRequest): Promise<void> {
    const { admission } = this.p;
    if (!this.p.rooms.has(ctx.client, req.room)) return admission.notJoined(ctx, req.room);
    const page = await this.p.backend.presence.page(req.room, req.after, req.limit ?? LIMITS.membersLimitDefault);
    if (await admission.stillAdmitted(ctx, req.room)) ctx.reply(membersFrame({ room: req.room, ...page }));
  }
}
