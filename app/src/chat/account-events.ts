/**
 * The bus entries about accounts, on this server: a removal from a private room (`x`) takes the
 * member's connections out of the room in stream order; a revoked session (`k`) closes its
 * connections; a changed room list (`u`) and a moved read marker (`r`) are pushed to the account's
 * connections. After a lost subscription, `recheck` catches what those entries would have said.
 */
import type { AccountEvent } from '../bus/envelope.js';
import type { Logger } from '../log.js';
import { readFrame } from '../protocol/encode.js';
import { roomKind } from '../protocol/messages.js';
import type { Backend } from '../store/backend.js';
import type { AccountLinks } from './account-links.js';
import type { Admission } from './admission.js';
import { background } from './background.js';
import type { RoomList } from './room-list.js';
import type { RoomRegistry } from './rooms.js';

export class AccountEvents {
  /** Accounts whose room list changed: one push per account per tick, however many `u` entries came. */
  private readonly roomsDirty = new Set<string>();

  constructor(
    private readonly backend: Pick<Backend, 'access' | 'sessions'>,
    private readonly rooms: RoomRegistry,
    private readonly links: AccountLinks,
    private readonly admission: Admission,
    private readonly roomList: RoomList,
    private readonly log: Logger,
  ) {}

  onEvent(e: AccountEvent): void {
    switch (e.kind) {
      case 'removed': return this.admission.evict(e.room, e.member);
      case 'revoked': return this.links.revoked(e.member, e.session);
      case 'rooms': return this.roomsChanged(e.member);
      case 'read': return this.links.push(e.member, readFrame({ room: e.room, id: e.id }));
    }
  }

  /** The account's room list changed: pushed once per tick to its connections here, read once. */
  private roomsChanged(memberId: string): void {
    if (!this.links.has(memberId) || this.roomsDirty.has(memberId)) return;
    this.roomsDirty.add(memberId);
    setImmediate(() => {
      this.roomsDirty.delete(memberId);
      const member = this.links.memberOf(memberId);
      if (!member) return;
      background(this.log, this.roomList.frame(member).then((frame) => this.links.push(memberId, frame)), 'room list push failed');
    });
  }

  /**
   * After the bus subscription came back, `x` and `k` entries may have been lost: every local member
   * of a private room is checked against its list, every account connection against its session.
   * Called before the room feed repairs its gaps: these reads go out first on the same Redis
   * connection, whose answers come in order, so an eviction lands before any repaired message.
   */
  recheck(): void {
    for (const local of this.rooms.all()) {
      if (roomKind(local.name) === 'public') continue;
      const ids = new Set<string>();
      for (const c of local.subs.keys()) if (c.member) ids.add(c.member.id);
      background(this.log, this.backend.access.get(local.name).then((acl) => {
        const on = new Set(acl?.members.map((m) => m.id) ?? []);
        for (const id of ids) if (!on.has(id)) this.admission.evict(local.name, id);
      }), 'access recheck failed');
    }
    for (const [memberId, client] of this.links.all()) {
      background(this.log, this.backend.sessions.resolve(client.session).then((m) => {
        if (!m || m.id !== memberId) this.links.closeSignedOut(client);
      }), 'session recheck failed');
    }
  }
}
