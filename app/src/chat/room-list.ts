/**
 * An account's rooms as it sees them (`rooms`): public rooms it joined, its private rooms and DMs,
 * each with a title and unread count. The list in the store is an index; a private room's access
 * list is the authority, so an entry whose room is gone or that no longer lists the member is left out.
 */
import type { RoomAcl } from '../access/access.js';
import type { Logger } from '../log.js';
import { roomFrame, roomsFrame, type Frame } from '../protocol/encode.js';
import { isAccountId, roomKind, type Member, type RoomSummary } from '../protocol/messages.js';
import type { Backend } from '../store/backend.js';
import { background } from './background.js';
import { TEXTS } from './texts.js';

export class RoomList {
  constructor(
    private readonly backend: Pick<Backend, 'accounts' | 'access' | 'history'>,
    private readonly maxPrivateRooms: number,
    private readonly log: Logger,
  ) {}

  /** The `rooms` answer (and push): the account's rooms and its pending invites (bounded by ACCOUNT_MAX_INVITES). */
  async frame(member: Member): Promise<Frame> {
    const [rooms, pending] = await Promise.all([this.summaries(member), this.backend.access.pending(member.id)]);
    const invites = pending.map((i) => ({ room: i.room, kind: i.kind, title: i.kind === 'dm' ? i.from.name : i.title, from: i.from, at: i.at, expires: i.expires }));
    return roomsFrame({ rooms, invites });
  }

  async summaries(member: Member): Promise<RoomSummary[]> {
    const { accounts, access, history } = this.backend;
    const [names, reads, named] = await Promise.all([accounts.rooms(member.id), accounts.reads(member.id), accounts.mentions(member.id)]);
    const [lasts, unread, acls] = await Promise.all([
      history.lastIds(names),
      history.countAfter(names.map((n) => [n, reads[n] ?? 0])),
      Promise.all(names.map((n) => (roomKind(n) === 'public' ? null : access.get(n)))),
    ]);
    const out: RoomSummary[] = [];
    names.forEach((room, i) => {
      const kind = roomKind(room);
      const acl = acls[i];
      let title = room;
      if (kind !== 'public') {
        // A room whose access list expired goes from the list.
        if (!acl) this.dropDangling(member, room);
        if (!acl || !acl.members.some((m) => m.id === member.id)) return;
        title = kind === 'dm' ? (acl.members.find((m) => m.id !== member.id)?.name ?? TEXTS.dmTitle) : acl.title;
      }
      const last = lasts[i];
      const read = Math.min(reads[room] ?? 0, last);
      const mentions = (named[room] ?? []).filter((id) => id > read && id <= last).length;
      // Messages only: an edit or a reaction takes an id of the room's log but is nothing new to read.
      out.push({ room, kind, title, last, read, unread: unread[i], mentions });
    });
    return out;
  }

  private dropDangling(member: Member, room: string): void {
    background(this.log, this.backend.accounts.dropRoom(member.id, room), 'room list update failed');
  }

  /** Private rooms and DMs the account is in (they do not fall off its list): fewer than ACCOUNT_MAX_PRIVATE_ROOMS? */
  async hasRoomForPrivate(memberId: string): Promise<boolean> {
    const rooms = await this.backend.accounts.rooms(memberId);
    return rooms.filter((r) => roomKind(r) !== 'public').length < this.maxPrivateRooms;
  }

  /** A public room joined by an account goes on top of its list. */
  joinedPublic(member: Member, room: string): void {
    if (!isAccountId(member.id)) return;
    background(this.log, this.backend.accounts.addRoom(member.id, room), 'room list update failed');
  }
}

/**
 * The `room` answer for a private room or DM as `viewer` sees it (a DM is titled with the other member's
 * name); `invited` (pending invitees) only for the owner.
 */
export function roomAnswer(acl: RoomAcl, viewer?: Member, invited?: Member[]): Frame {
  const title = acl.kind === 'dm' ? (acl.members.find((m) => m.id !== viewer?.id)?.name ?? '') : acl.title;
  return roomFrame({
    room: acl.room, kind: acl.kind, title, ...(acl.owner === undefined ? {} : { owner: acl.owner }), members: acl.members,
    ...(invited === undefined ? {} : { invited }),
  });
}
