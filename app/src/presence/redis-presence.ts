/**
 * Redis presence. Keys per room:
 *   lc:{room}:pres    sorted set, member = "memberId|appId", score = expiry (ms, Redis clock)
 *   lc:{room}:pcount  hash memberId -> number of entries (servers holding the member)
 *   lc:{room}:pnames  hash memberId -> the member as JSON
 *   lc:presence:rooms set of rooms with entries, for the sweep
 * Every change is a script, so "first entry -> publish join" and "last entry -> publish leave"
 * happen exactly once however many servers race. Times come from Redis's clock, not the servers'.
 */
import { CHANNEL } from '../bus/bus.js';
import type { Member } from '../protocol/messages.js';
import type { RedisConnections } from '../store/redis-connections.js';
import type { Presence } from './presence.js';

const ROOMS = 'lc:presence:rooms';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// Publishes a join/leave: a \`p\` envelope (bus/envelope.ts) around the presence frame, which is
// presenceFrame's layout for {room, event, member, count}.
const PUBLISH_FN = `
local function publish(pnames, room, event, mj)
  local n = redis.call('HLEN', pnames)
  redis.call('PUBLISH', '${CHANNEL}', 'p ' .. room .. ' ' .. n .. '\\n{"type":"presence","room":"' .. room ..
    '","event":"' .. event .. '","member":' .. mj .. ',"count":' .. n .. '}')
end
`;

// Removes one entry; publishes the leave when it was the member's last. Needs KEYS 1-3 and \`room\`.
const REMOVE_FN = `${PUBLISH_FN}
local function remove(pres, pcount, pnames, room, entry)
  if redis.call('ZREM', pres, entry) == 0 then return end
  local id = string.sub(entry, 1, string.find(entry, '|[^|]*$') - 1)
  if redis.call('HINCRBY', pcount, id, -1) > 0 then return end
  local mj = redis.call('HGET', pnames, id)
  redis.call('HDEL', pcount, id)
  redis.call('HDEL', pnames, id)
  if mj then
    publish(pnames, room, 'leave', mj)
  end
end
`;

// KEYS: pres, pcount, pnames, rooms. ARGV: appId, ttlMs, room, then (memberId, memberJson) pairs.
const JOIN_SCRIPT = `${NOW}
${PUBLISH_FN}
local exp = now + tonumber(ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
for i = 4, #ARGV, 2 do
  local id, mj = ARGV[i], ARGV[i + 1]
  if redis.call('ZADD', KEYS[1], exp, id .. '|' .. ARGV[1]) == 1 then
    if redis.call('HINCRBY', KEYS[2], id, 1) == 1 then
      redis.call('HSET', KEYS[3], id, mj)
      publish(KEYS[3], ARGV[3], 'join', mj)
    end
  end
end
return 1
`;

// KEYS: pres, pcount, pnames. ARGV: appId, room, memberIds…
const LEAVE_SCRIPT = `${REMOVE_FN}
for i = 3, #ARGV do remove(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[i] .. '|' .. ARGV[1]) end
return 1
`;

// KEYS: pres. ARGV: appId, ms, memberIds…
const EXPIRE_SOON_SCRIPT = `${NOW}
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[i] .. '|' .. ARGV[1]) end
return 1
`;

// KEYS: rooms.
const SWEEP_SCRIPT = `${NOW}
${REMOVE_FN}
local removed = 0
for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local p = 'lc:{' .. room .. '}:'
  for _, entry in ipairs(redis.call('ZRANGEBYSCORE', p .. 'pres', '-inf', now)) do
    remove(p .. 'pres', p .. 'pcount', p .. 'pnames', room, entry)
    removed = removed + 1
  end
  if redis.call('ZCARD', p .. 'pres') == 0 then redis.call('SREM', KEYS[1], room) end
end
return removed
`;

const keys = (room: string) => [`lc:{${room}}:pres`, `lc:{${room}}:pcount`, `lc:{${room}}:pnames`];

export class RedisPresence implements Presence {
  constructor(
    private readonly redis: RedisConnections,
    private readonly appId: string,
    private readonly ttlMs: number,
  ) {}

  async join(room: string, members: Member[]): Promise<void> {
    if (members.length === 0) return;
    const args: string[] = [this.appId, String(this.ttlMs), room];
    for (const m of members) args.push(m.id, JSON.stringify({ id: m.id, name: m.name }));
    await this.redis.script(JOIN_SCRIPT, [...keys(room), ROOMS], args);
  }

  async leave(room: string, memberIds: string[]): Promise<void> {
    if (memberIds.length === 0) return;
    await this.redis.script(LEAVE_SCRIPT, keys(room), [this.appId, room, ...memberIds]);
  }

  async expireSoon(room: string, memberIds: string[], ms: number): Promise<void> {
    if (memberIds.length === 0) return;
    await this.redis.script(EXPIRE_SOON_SCRIPT, [keys(room)[0]], [this.appId, ms, ...memberIds]);
  }

  async members(room: string): Promise<Member[]> {
    const flat = await this.redis.command<string[]>(['HVALS', keys(room)[2]]);
    return flat.map((j) => JSON.parse(j) as Member);
  }

  async sweep(): Promise<void> {
    await this.redis.script(SWEEP_SCRIPT, [ROOMS], []);
  }
}
