/**
 * Redis presence. Keys of one room share its hash slot ({room}), and every script declares every
 * key it touches, so Redis Cluster and ACL key patterns accept them:
 *   lc:{room}:pm          sorted set of member ids, all score 0 (lexicographic: pages by id, ZCARD = count)
 *   lc:{room}:pn          hash memberId -> the member as JSON
 *   lc:{room}:pc          hash memberId -> number of owners holding an entry
 *   lc:{room}:po:<owner>  set of the member ids this owner holds in the room
 *   lc:{room}:pl          "1" while the room is large
 * Every room key expires ROOM_TTL_SEC after the room's last presence change (servers re-assert their
 * members well within that, so a quiet room with members online keeps its keys).
 * Liveness, per owner (one key each, outside any room):
 *   lc:presence:owners        sorted set owner -> last heartbeat (ms, Redis clock)
 *   lc:presence:rooms:<owner> set of rooms the owner holds entries in (what a sweep visits)
 * Presence frames published from Lua follow presenceFrame's layout byte for byte (the contract suite
 * compares them); the envelope headers are bus/envelope.ts's.
 */
import { CHANNEL } from '../bus/bus.js';
import type { Member } from '../protocol/messages.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { PRESENCE_OWNERS as OWNERS, presenceRooms as roomsOf, roomKeys as keysOf } from '../store/redis-keys.js';
import { newOwnerId, type MembersPage, type Presence, type PresenceSnapshot, type RoomModeSettings } from './presence.js';

const roomKeys = (room: string, owner: string) => {
  const k = keysOf(room);
  return [k.presenceIds, k.presenceNames, k.presenceOwners, k.presenceOf(owner), k.large, k.seq, k.hist, k.hbytes, k.upd, k.ubytes];
};
/** Rooms of a dead owner removed per pipelined batch. */
const SWEEP_BATCH = 100;

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// HMGET in chunks: Lua's unpack() fails somewhere under 8,000 arguments.
const HMGET_FN = `
local function hmget(key, ids)
  local out = {}
  for i = 1, #ids, 500 do
    local part = redis.call('HMGET', key, unpack(ids, i, math.min(i + 499, #ids)))
    for _, v in ipairs(part) do out[#out + 1] = v end
  end
  return out
end
`;

// KEYS: pm, pn, pc, po, pl, and the room's history keys seq, hist, hbytes, upd, ubytes (their expiry is pushed out
// with the presence keys, so a quiet room with people in it keeps its ids). ARGV[1..4]: threshold,
// smallAgainAt, room, roomTtlSec.
// announce(event, mj): what a change publishes by the room's mode (see presence.ts).
// release(id): one owner's entry is gone; the member leaves when it was the last.
const ROOM_FNS = `${HMGET_FN}
local room = ARGV[3]
local function announce(event, mj)
  local n = redis.call('ZCARD', KEYS[1])
  local large = redis.call('EXISTS', KEYS[5]) == 1
  if not large and n > tonumber(ARGV[1]) then
    redis.call('SET', KEYS[5], '1')
    large = true
  elseif large and n <= tonumber(ARGV[2]) then
    local list = hmget(KEYS[2], redis.call('ZRANGE', KEYS[1], 0, -1))
    redis.call('DEL', KEYS[5])
    redis.call('PUBLISH', '${CHANNEL}', 's ' .. room .. ' ' .. n .. '\\n{"type":"presence","room":"' .. room ..
      '","event":"sync","count":' .. n .. ',"members":[' .. table.concat(list, ',') .. ']}')
    return
  end
  if large then
    redis.call('PUBLISH', '${CHANNEL}', 'c ' .. room .. ' ' .. n)
  else
    redis.call('PUBLISH', '${CHANNEL}', 'p ' .. room .. ' ' .. n .. '\\n{"type":"presence","room":"' .. room ..
      '","event":"' .. event .. '","member":' .. mj .. ',"count":' .. n .. '}')
  end
end
-- Every change pushes the room's expiry out: an idle room's presence keys go after ROOM_TTL_SEC.
local function touch()
  for i = 1, 10 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
end
local function release(id)
  if redis.call('HINCRBY', KEYS[3], id, -1) > 0 then return end
  redis.call('HDEL', KEYS[3], id)
  local mj = redis.call('HGET', KEYS[2], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  if mj then announce('leave', mj) end
end
`;

// ARGV[5..]: (memberId, memberJson) pairs.
const JOIN_SCRIPT = `${ROOM_FNS}
for i = 5, #ARGV, 2 do
  local id, mj = ARGV[i], ARGV[i + 1]
  if redis.call('SADD', KEYS[4], id) == 1 and redis.call('HINCRBY', KEYS[3], id, 1) == 1 then
    redis.call('ZADD', KEYS[1], 0, id)
    redis.call('HSET', KEYS[2], id, mj)
    announce('join', mj)
  end
end
touch()
return 1
`;

// ARGV[5..]: member ids.
const LEAVE_SCRIPT = `${ROOM_FNS}
for i = 5, #ARGV do
  if redis.call('SREM', KEYS[4], ARGV[i]) == 1 then release(ARGV[i]) end
end
touch()
return 1
`;

// Every entry of one (dead) owner in the room.
const REMOVE_OWNER_SCRIPT = `${ROOM_FNS}
local ids = redis.call('SMEMBERS', KEYS[4])
redis.call('DEL', KEYS[4])
for _, id in ipairs(ids) do release(id) end
touch()
return #ids
`;

// KEYS: pm, pn, pl. ARGV: limit. -> {count, large (0/1), memberJson…}
const SNAPSHOT_SCRIPT = `${HMGET_FN}
local n = redis.call('ZCARD', KEYS[1])
local large = redis.call('EXISTS', KEYS[3])
local limit = tonumber(ARGV[1])
if limit <= 0 then return {n, large} end
local out = hmget(KEYS[2], redis.call('ZRANGE', KEYS[1], 0, limit - 1))
table.insert(out, 1, large)
table.insert(out, 1, n)
return out
`;

// KEYS: pm, pn. ARGV: after ('' for the start), limit. -> {more (0/1), memberJson…}; one extra id says whether a next page exists.
const PAGE_SCRIPT = `${HMGET_FN}
local min = '-'
if ARGV[1] ~= '' then min = '(' .. ARGV[1] end
local limit = tonumber(ARGV[2])
local ids = redis.call('ZRANGE', KEYS[1], min, '+', 'BYLEX', 'LIMIT', 0, limit + 1)
local more = 0
if #ids > limit then
  more = 1
  table.remove(ids)
end
local out = hmget(KEYS[2], ids)
table.insert(out, 1, more)
return out
`;

// KEYS: owners. ARGV: owner, ttlMs, keyTtlSec. -> 1 when the owner was missing or stale (its entries may be gone).
const HEARTBEAT_SCRIPT = `${NOW}
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if not last or tonumber(last) < now - tonumber(ARGV[2]) then return 1 end
return 0
`;

// KEYS: owners. ARGV: ttlMs. -> up to 20 owners whose last heartbeat is older than the TTL.
const DEAD_OWNERS_SCRIPT = `${NOW}
return redis.call('ZRANGE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1])), 'BYSCORE', 'LIMIT', 0, 20)
`;

// KEYS: owners. ARGV: owner, ttlMs. Forgets the owner once swept, unless it came back meanwhile.
const FORGET_OWNER_SCRIPT = `${NOW}
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
if last and tonumber(last) < now - tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1
`;

// KEYS: owners. ARGV: owner, ttlMs, ms. The owner counts as gone ms from now (a sweep then removes its entries).
const RETIRE_SCRIPT = `${NOW}
redis.call('ZADD', KEYS[1], 'XX', now - tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1, ARGV[1])
return 1
`;

const parseMembers = (flat: string[]): Member[] => flat.filter((j) => typeof j === 'string').map((j) => JSON.parse(j) as Member);

export class RedisPresence implements Presence {
  private readonly modeArgs: string[];
  private owner: string;

  constructor(
    private readonly redis: RedisConnections,
    private readonly appId: string,
    private readonly ttlMs: number,
    mode: RoomModeSettings,
    private readonly roomTtlSec: number,
  ) {
    this.modeArgs = [String(mode.largeRoomThreshold), String(mode.smallAgainAt)];
    this.owner = newOwnerId(appId);
  }

  private roomArgs(room: string): string[] {
    return [...this.modeArgs, room, String(this.roomTtlSec)];
  }

  async join(room: string, members: Member[]): Promise<void> {
    if (members.length === 0) return;
    const args = this.roomArgs(room);
    for (const m of members) args.push(m.id, JSON.stringify({ id: m.id, name: m.name }));
    // Registered first (same pipeline): an owner that dies right after its join is still swept here.
    const registered = this.redis.command(['SADD', roomsOf(this.owner), room]);
    const expiring = this.redis.command(['EXPIRE', roomsOf(this.owner), String(this.roomTtlSec)]);
    await Promise.all([registered, expiring, this.redis.script(JOIN_SCRIPT, roomKeys(room, this.owner), args)]);
  }

  async leave(room: string, memberIds: string[], lastLocal = false): Promise<void> {
    if (memberIds.length === 0) return;
    const left = this.redis.script(LEAVE_SCRIPT, roomKeys(room, this.owner), [...this.roomArgs(room), ...memberIds]);
    // Same connection, same order: a later join's SADD comes after this SREM.
    const unregistered = lastLocal ? this.redis.command(['SREM', roomsOf(this.owner), room]) : null;
    await Promise.all([left, unregistered]);
  }

  async snapshot(room: string, limit: number): Promise<PresenceSnapshot> {
    const k = roomKeys(room, this.owner);
    const [n, large, ...flat] = await this.redis.script<[number, number, ...string[]]>(SNAPSHOT_SCRIPT, [k[0], k[1], k[4]], [limit]);
    return { count: Number(n), large: Number(large) === 1, members: parseMembers(flat) };
  }

  async page(room: string, after: string | undefined, limit: number): Promise<MembersPage> {
    const [more, ...flat] = await this.redis.script<[number, ...string[]]>(
      PAGE_SCRIPT, roomKeys(room, this.owner).slice(0, 2), [after ?? '', limit]);
    const members = parseMembers(flat);
    return Number(more) === 1 && members.length > 0 ? { members, next: members[members.length - 1].id } : { members };
  }

  async heartbeat(): Promise<boolean> {
    return Number(await this.redis.script(HEARTBEAT_SCRIPT, [OWNERS], [this.owner, this.ttlMs, this.roomTtlSec])) === 1;
  }

  renew(): string {
    const old = this.owner;
    this.owner = newOwnerId(this.appId);
    return old;
  }

  async sweep(): Promise<void> {
    const dead = await this.redis.script<string[]>(DEAD_OWNERS_SCRIPT, [OWNERS], [this.ttlMs]);
    for (const owner of dead) {
      const rooms = await this.redis.command<string[]>(['SMEMBERS', roomsOf(owner)]);
      // Pipelined in batches: node-redis sends commands issued in the same tick together.
      for (let i = 0; i < rooms.length; i += SWEEP_BATCH) {
        await Promise.all(rooms.slice(i, i + SWEEP_BATCH).map(async (room) => {
          await this.redis.script(REMOVE_OWNER_SCRIPT, roomKeys(room, owner), this.roomArgs(room));
          await this.redis.command(['SREM', roomsOf(owner), room]);
        }));
      }
      await this.redis.script(FORGET_OWNER_SCRIPT, [OWNERS], [owner, this.ttlMs]);
    }
  }

  async retire(ms: number, owner = this.owner): Promise<void> {
    await this.redis.script(RETIRE_SCRIPT, [OWNERS], [owner, this.ttlMs, ms]);
  }
}
