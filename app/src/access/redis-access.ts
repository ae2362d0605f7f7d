/**
 * Redis access lists. Keys per private room or DM (beside the room's history keys, same hash slot):
 *   lc:{room}:acl   hash: kind (private | dm), title, owner (private rooms only)
 *   lc:{room}:aclm  hash member id -> name (the list; the owner included)
 * Both expire ROOM_TTL_SEC after the last change, `isMember` or restricted append (history's
 * APPEND_SCRIPT checks and renews them). Each change is one script that also updates the member's
 * room list, lc:urooms:<id> (accounts/redis-accounts.ts; ACCOUNT_TTL_SEC), and publishes `u`
 * (and `x` first for a removal): a script that spans a room's keys and an account's key, fine on the
 * standalone Redis this cluster uses.
 * The owner of a private room cannot be removed (remove leaves the list as it is), so the owner is
 * always a member.
 */
import { CHANNEL } from '../bus/bus.js';
import { removedEntry, roomsEntry } from '../bus/envelope.js';
import { ADD_ROOM_FN } from '../accounts/redis-accounts.js';
import { roomKind, type Member } from '../protocol/messages.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { accountKeys, roomKeys } from '../store/redis-keys.js';
import type { Access, InviteLimits, InviteOffer, PendingInvite, RoomAcl } from './access.js';
import { RedisInvites } from './redis-invites.js';

const aclKeys = (room: string) => {
  const k = roomKeys(room);
  return { acl: k.acl, members: k.aclMembers };
};

// Every script's KEYS start with acl, aclm. state(): {1, acl hash flat, members flat}; {0} when there is no room.
const STATE_FN = `
local function state()
  return {1, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
end
`;

// KEYS: acl, aclm, urooms(owner). ARGV: title, ownerId, ownerName, roomTtlSec, accountTtlSec, room, channel, u entry.
const CREATE_SCRIPT = `${STATE_FN}${ADD_ROOM_FN}
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'kind', 'private', 'title', ARGV[1], 'owner', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
add_room(KEYS[3], ARGV[6], ARGV[5])
redis.call('PUBLISH', ARGV[7], ARGV[8])
return state()
`;

// KEYS: acl, aclm, urooms(a), urooms(b). ARGV: aId, aName, bId, bName, roomTtlSec, accountTtlSec, room, channel, u a, u b.
const OPEN_DM_SCRIPT = `${STATE_FN}${ADD_ROOM_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'kind', 'dm', 'title', '')
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
  add_room(KEYS[3], ARGV[7], ARGV[6])
  redis.call('PUBLISH', ARGV[8], ARGV[9])
  if ARGV[3] ~= ARGV[1] then
    add_room(KEYS[4], ARGV[7], ARGV[6])
    redis.call('PUBLISH', ARGV[8], ARGV[10])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return state()
`;

// KEYS: acl, aclm.
const GET_SCRIPT = `${STATE_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
return state()
`;

// KEYS: acl, aclm. ARGV: member id, roomTtlSec.
const IS_MEMBER_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
-- Only a member's use keeps the room: an outsider probing it does not.
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
`;

// KEYS: acl, aclm, urooms(member). ARGV: id, name, maxMembers, roomTtlSec, accountTtlSec, room, channel, u entry.
const INVITE_SCRIPT = `${STATE_FN}${ADD_ROOM_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('HGET', KEYS[1], 'kind') == 'private' and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0
    and redis.call('HLEN', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  add_room(KEYS[3], ARGV[6], ARGV[5])
  redis.call('PUBLISH', ARGV[7], ARGV[8])
end
return state()
`;

// KEYS: acl, aclm, urooms(member), reads(member). ARGV: id, roomTtlSec, accountTtlSec, room, channel, x entry, u entry.
const REMOVE_SCRIPT = `${STATE_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local acl = redis.call('HMGET', KEYS[1], 'kind', 'owner')
if acl[1] == 'private' and acl[2] ~= ARGV[1] and redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  if redis.call('ZREM', KEYS[3], ARGV[4]) == 1 and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
  redis.call('HDEL', KEYS[4], ARGV[4])
  redis.call('PUBLISH', ARGV[5], ARGV[6])
  redis.call('PUBLISH', ARGV[5], ARGV[7])
end
return state()
`;

// KEYS: acl, aclm, urooms(member), reads(member), acli. ARGV: id, roomTtlSec, accountTtlSec, room, channel, x entry, u entry.
// Returns -1 (no room), 0 (did not part) or 1.
const PART_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local acl = redis.call('HMGET', KEYS[1], 'kind', 'owner')
if acl[1] ~= 'private' or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
if acl[2] == ARGV[1] then
  if redis.call('HLEN', KEYS[2]) > 1 then return 0 end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[5])
else
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
if redis.call('ZREM', KEYS[3], ARGV[4]) == 1 and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
redis.call('HDEL', KEYS[4], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
redis.call('PUBLISH', ARGV[5], ARGV[7])
return 1
`;

type StateReply = [number, string[]?, string[]?];

function parse(room: string, reply: StateReply): RoomAcl | null {
  if (Number(reply[0]) !== 1) return null;
  const h: Record<string, string> = {};
  const flat = reply[1] ?? [];
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]] = flat[i + 1];
  const m = reply[2] ?? [];
  const members: Member[] = [];
  for (let i = 0; i + 1 < m.length; i += 2) members.push({ id: m[i], name: m[i + 1] });
  members.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const acl: RoomAcl = { room, kind: h.kind === 'dm' ? 'dm' : 'private', title: h.title ?? '', members };
  if (h.owner !== undefined) acl.owner = h.owner;
  return acl;
}

export interface RedisAccessSettings {
  roomTtlSec: number;
  accountTtlSec: number;
}

export class RedisAccess implements Access {
  private readonly inv: RedisInvites;

  constructor(private readonly redis: RedisConnections, private readonly settings: RedisAccessSettings) {
    this.inv = new RedisInvites(redis);
  }

  private keys(room: string): string[] {
    const k = aclKeys(room);
    return [k.acl, k.members];
  }

  private get ttls(): [string, string] {
    return [String(this.settings.roomTtlSec), String(this.settings.accountTtlSec)];
  }

  async create(room: string, title: string, owner: Member): Promise<RoomAcl> {
    if (roomKind(room) !== 'private') throw new Error(`not a private room name: ${room}`);
    const reply = await this.redis.script<StateReply>(CREATE_SCRIPT, [...this.keys(room), accountKeys.rooms(owner.id)],
      [title, owner.id, owner.name, ...this.ttls, room, CHANNEL, roomsEntry(owner.id)]);
    const acl = parse(room, reply);
    if (!acl) throw new Error(`room exists: ${room}`);
    return acl;
  }

  async openDm(room: string, a: Member, b: Member): Promise<RoomAcl> {
    if (roomKind(room) !== 'dm') throw new Error(`not a DM room name: ${room}`);
    const reply = await this.redis.script<StateReply>(OPEN_DM_SCRIPT,
      [...this.keys(room), accountKeys.rooms(a.id), accountKeys.rooms(b.id)],
      [a.id, a.name, b.id, b.name, ...this.ttls, room, CHANNEL, roomsEntry(a.id), roomsEntry(b.id)]);
    return parse(room, reply)!;
  }

  async get(room: string): Promise<RoomAcl | null> {
    return parse(room, await this.redis.script<StateReply>(GET_SCRIPT, this.keys(room), []));
  }

  async isMember(room: string, memberId: string): Promise<boolean> {
    return Number(await this.redis.script(IS_MEMBER_SCRIPT, this.keys(room), [memberId, this.settings.roomTtlSec])) === 1;
  }

  async invite(room: string, member: Member, maxMembers: number): Promise<RoomAcl | null> {
    return parse(room, await this.redis.script<StateReply>(INVITE_SCRIPT, [...this.keys(room), accountKeys.rooms(member.id)],
      [member.id, member.name, maxMembers, ...this.ttls, room, CHANNEL, roomsEntry(member.id)]));
  }

  async remove(room: string, memberId: string): Promise<RoomAcl | null> {
    return parse(room, await this.redis.script<StateReply>(REMOVE_SCRIPT, [...this.keys(room), accountKeys.rooms(memberId), accountKeys.reads(memberId)],
      [memberId, ...this.ttls, room, CHANNEL, removedEntry(room, memberId), roomsEntry(memberId)]));
  }

  async part(room: string, memberId: string): Promise<boolean | null> {
    const k = roomKeys(room);
    const r = Number(await this.redis.script(PART_SCRIPT,
      [k.acl, k.aclMembers, accountKeys.rooms(memberId), accountKeys.reads(memberId), k.aclInvited],
      [memberId, ...this.ttls, room, CHANNEL, removedEntry(room, memberId), roomsEntry(memberId)]));
    return r < 0 ? null : r === 1;
  }

  offer(invitee: Member, invite: InviteOffer, limits: InviteLimits): Promise<void> {
    return this.inv.offer(invitee, invite, limits);
  }

  pending(memberId: string): Promise<PendingInvite[]> {
    return this.inv.pending(memberId);
  }

  invited(room: string): Promise<Member[]> {
    return this.inv.invited(room);
  }

  take(room: string, memberId: string): Promise<PendingInvite | null> {
    return this.inv.take(room, memberId);
  }
}
