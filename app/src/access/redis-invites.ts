/**
 * Redis pending invites (access.ts "Pending invites"). Keys:
 *   lc:uinv:<member id>  hash room -> {"k":kind,"t":title,"f":from id,"n":from name,"at":ms,"exp":ms}
 *   lc:{room}:acli       hash member id -> {"n":name,"exp":ms}: the room's pending invitees (the owner's index)
 * Both expire (PEXPIRE) INVITE_TTL after their last offer; an entry past its `exp` reads as absent and
 * is dropped by the next offer. An offer drops the account's oldest past `max`, from both sides (the
 * other room's key is built from ROOM_INVITED, as it depends on what the script reads).
 */
import { CHANNEL } from '../bus/bus.js';
import { roomsEntry } from '../bus/envelope.js';
import type { Member } from '../protocol/messages.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { accountKeys, roomKeys, ROOM_INVITED } from '../store/redis-keys.js';
import type { InviteLimits, InviteOffer, PendingInvite } from './access.js';

// KEYS: uinv(invitee), acli(room). ARGV: room, invitee id, invitee name, kind, title, from id, from name,
// now, ttlMs, max, channel, u entry, acli prefix, acli suffix.
const OFFER_SCRIPT = `
local now = tonumber(ARGV[8])
local ttl = tonumber(ARGV[9])
redis.call('HDEL', KEYS[1], ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local kept = {}
local top = 0
for i = 1, #all, 2 do
  local ok, e = pcall(cjson.decode, all[i + 1])
  if not ok or type(e) ~= 'table' or tonumber(e.exp) == nil or tonumber(e.exp) <= now then
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('HDEL', ARGV[13] .. all[i] .. ARGV[14], ARGV[2])
  else
    table.insert(kept, {all[i], tonumber(e.at)})
    if tonumber(e.at) > top then top = tonumber(e.at) end
  end
end
local at = now
if top >= at then at = top + 1 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({k = ARGV[4], t = ARGV[5], f = ARGV[6], n = ARGV[7], at = at, exp = now + ttl}))
table.sort(kept, function(x, y) return x[2] < y[2] end)
for i = 1, #kept + 1 - tonumber(ARGV[10]) do
  redis.call('HDEL', KEYS[1], kept[i][1])
  redis.call('HDEL', ARGV[13] .. kept[i][1] .. ARGV[14], ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode({n = ARGV[3], exp = now + ttl}))
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PUBLISH', ARGV[11], ARGV[12])
return 1
`;

// KEYS: uinv(member), acli(room). ARGV: room, member id, channel, u entry. Returns the entry (or false).
const TAKE_SCRIPT = `
redis.call('HDEL', KEYS[2], ARGV[2])
local e = redis.call('HGET', KEYS[1], ARGV[1])
if not e then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return e
`;

interface Stored { k?: string; t?: string; f?: string; n?: string; at?: number; exp?: number }

function decode(room: string, raw: string): PendingInvite | null {
  let e: Stored;
  try {
    e = JSON.parse(raw) as Stored;
  } catch {
    return null;
  }
  if (typeof e.exp !== 'number' || typeof e.at !== 'number') return null;
  return { room, kind: e.k === 'dm' ? 'dm' : 'private', title: e.t ?? '', from: { id: e.f ?? '', name: e.n ?? '' }, at: e.at, expires: e.exp };
}

export class RedisInvites {
  constructor(private readonly redis: RedisConnections, private readonly now: () => number = Date.now) {}

  async offer(invitee: Member, invite: InviteOffer, limits: InviteLimits): Promise<void> {
    await this.redis.script(OFFER_SCRIPT, [accountKeys.invites(invitee.id), roomKeys(invite.room).aclInvited], [
      invite.room, invitee.id, invitee.name, invite.kind, invite.title, invite.from.id, invite.from.name,
      String(this.now()), String(Math.max(1, Math.round(limits.ttlMs))), String(limits.max), CHANNEL, roomsEntry(invitee.id),
      ROOM_INVITED[0], ROOM_INVITED[1],
    ]);
  }

  async pending(memberId: string): Promise<PendingInvite[]> {
    const flat = await this.redis.command<string[]>(['HGETALL', accountKeys.invites(memberId)]);
    const now = this.now();
    const out: PendingInvite[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const inv = decode(flat[i], flat[i + 1]);
      if (inv && inv.expires > now) out.push(inv);
    }
    return out.sort((x, y) => y.at - x.at);
  }

  async invited(room: string): Promise<Member[]> {
    const flat = await this.redis.command<string[]>(['HGETALL', roomKeys(room).aclInvited]);
    const now = this.now();
    const out: Member[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      try {
        const e = JSON.parse(flat[i + 1]) as { n?: string; exp?: number };
        if (typeof e.exp === 'number' && e.exp > now) out.push({ id: flat[i], name: e.n ?? '' });
      } catch { /* not ours: skipped */ }
    }
    return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  }

  async take(room: string, memberId: string): Promise<PendingInvite | null> {
    const raw = await this.redis.script<string | null>(TAKE_SCRIPT, [accountKeys.invites(memberId), roomKeys(room).aclInvited],
      [room, memberId, CHANNEL, roomsEntry(memberId)]);
    const inv = typeof raw === 'string' ? decode(room, raw) : null;
    return inv && inv.expires > this.now() ? inv : null;
  }
}
