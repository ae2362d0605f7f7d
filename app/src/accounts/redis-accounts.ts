/**
 * Redis accounts. Keys per account (outside any room; every one expires ACCOUNT_TTL_SEC after the
 * last write or `touch`):
 *   lc:acct:<usernameKey>  hash: id, username, hash (the KDF's output), created (ms)
 *   lc:uid:<id>            the username key (byId, touch)
 *   lc:urooms:<id>         sorted set room -> added ms (strictly increasing within the list, so "most
 *                          recently added first" is exact); public rooms are capped at ACCOUNT_MAX_ROOMS
 *                          by dropping the oldest public ones — private rooms and DMs never fall off
 *                          (Access adds and removes those, access/redis-access.ts)
 *   lc:reads:<id>          hash room -> last id read
 *   lc:usess:<id>          sorted set session digest -> created ms (written by sessions/redis-sessions.ts)
 * Failed sign-in counters, one per account or address key, expire with their window:
 *   lc:fail:<key>          count of failures in the window (PEXPIRE set by the first)
 * FIND_SCRIPT renews lc:uid:<id> by the id it reads from the account hash, a key it cannot declare:
 * fine on the standalone Redis this cluster uses.
 */
import { CHANNEL } from '../bus/bus.js';
import { readEntry } from '../bus/envelope.js';
import { DM_ROOM_PREFIX, PRIVATE_ROOM_PREFIX, type Member } from '../protocol/messages.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { ACCOUNT_ID_PREFIX as UID_PREFIX, ACCOUNT_PREFIX, accountKeys } from '../store/redis-keys.js';
import { MENTIONS_KEPT, type AccountRecord, type Accounts, type AttemptCount } from './accounts.js';

/**
 * Lua: add_room(key, room, ttlSec) puts `room` at the front of a room list (score = now in ms, or one
 * past the newest when that is not older) and renews the list. Shared with access/redis-access.ts.
 */
export const ADD_ROOM_FN = `
local function add_room(key, room, ttl)
  local t = redis.call('TIME')
  local s = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local top = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
  if top[2] and tonumber(top[2]) >= s then s = tonumber(top[2]) + 1 end
  redis.call('ZADD', key, string.format('%d', s), room)
  redis.call('EXPIRE', key, ttl)
end
`;

// KEYS: acct, uid. ARGV: id, username, hash, created, ttlSec, the username key (uid's value).
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'username', ARGV[2], 'hash', ARGV[3], 'created', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[6], 'EX', ARGV[5])
return 1
`;

// KEYS: acct. ARGV: ttlSec. -> {id, username, hash, created} or {} (renews the account and its uid key).
const FIND_SCRIPT = `
local a = redis.call('HMGET', KEYS[1], 'id', 'username', 'hash', 'created')
if not a[1] then return {} end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', '${UID_PREFIX}' .. a[1], ARGV[1])
return a
`;

// KEYS: uid. -> {id, username} or {}: the account's key is read from uid.
const BY_ID_SCRIPT = `
local k = redis.call('GET', KEYS[1])
if not k then return {} end
local a = redis.call('HMGET', '${ACCOUNT_PREFIX}' .. k, 'id', 'username')
if not a[1] or not a[2] then return {} end
return a
`;

// KEYS: any number. ARGV: ttlSec.
const EXPIRE_SCRIPT = `
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 1
`;

// KEYS: fail. -> {count, pttl}
const ATTEMPTS_SCRIPT = `
local n = redis.call('GET', KEYS[1])
if not n then return {0, 0} end
return {tonumber(n), redis.call('PTTL', KEYS[1])}
`;

// KEYS: fail. ARGV: windowMs. -> {count, pttl}. The window starts with the first failure (a key without expiry gets one).
const FAILED_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`;

// KEYS: fail. One attempt counted ahead of time was not a failure after all.
const FORGIVE_SCRIPT = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 1
`;

// KEYS: acct. ARGV: id, hash. -> 1 when replaced (the key is still that account's), else 0.
const SET_HASH_SCRIPT = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'hash', ARGV[2])
return 1
`;

const isPublicLua = (v: string) =>
  `(string.sub(${v}, 1, ${PRIVATE_ROOM_PREFIX.length}) ~= '${PRIVATE_ROOM_PREFIX}' and string.sub(${v}, 1, ${DM_ROOM_PREFIX.length}) ~= '${DM_ROOM_PREFIX}')`;

// KEYS: urooms, reads. ARGV: room, ttlSec, maxRooms. Past the cap, the oldest public rooms fall off (with their markers).
const ADD_ROOM_SCRIPT = `${ADD_ROOM_FN}
add_room(KEYS[1], ARGV[1], ARGV[2])
local max = tonumber(ARGV[3])
if redis.call('ZCARD', KEYS[1]) <= max then return 0 end
local all = redis.call('ZRANGE', KEYS[1], 0, -1)
local public = 0
for _, r in ipairs(all) do if ${isPublicLua('r')} then public = public + 1 end end
local dropped = 0
for _, r in ipairs(all) do
  if public <= max then break end
  if ${isPublicLua('r')} then
    redis.call('ZREM', KEYS[1], r)
    redis.call('HDEL', KEYS[2], r)
    public = public - 1
    dropped = dropped + 1
  end
end
return dropped
`;

// KEYS: urooms, reads. ARGV: room, ttlSec. The room's marker goes with it.
const DROP_ROOM_SCRIPT = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

// KEYS: reads, urooms. ARGV: room, id, ttlSec, channel, the r entry. -> the marker
// Only rooms on the account's list keep a marker, so the markers are bounded by the list.
const MARK_READ_SCRIPT = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return cur end
local id = tonumber(ARGV[2])
if cur >= id then return cur end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return id
`;

// KEYS: ment. ARGV: room, id, keep, ttlSec. The room's field is the ids, comma-separated, newest last.
const ADD_MENTION_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local ids = {}
if cur then for x in string.gmatch(cur, '[0-9]+') do ids[#ids + 1] = x end end
ids[#ids + 1] = ARGV[2]
local keep = tonumber(ARGV[3])
local from = math.max(1, #ids - keep + 1)
redis.call('HSET', KEYS[1], ARGV[1], table.concat(ids, ',', from))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

export interface RedisAccountsSettings {
  accountTtlSec: number;
  maxRooms: number;
}

export class RedisAccounts implements Accounts {
  constructor(private readonly redis: RedisConnections, private readonly settings: RedisAccountsSettings) {}

  private get ttl(): string {
    return String(this.settings.accountTtlSec);
  }

  async create(key: string, rec: AccountRecord): Promise<boolean> {
    const made = await this.redis.script<number>(CREATE_SCRIPT, [accountKeys.acct(key), accountKeys.uid(rec.id)],
      [rec.id, rec.username, rec.hash, String(rec.created), this.ttl, key]);
    return Number(made) === 1;
  }

  async find(key: string): Promise<AccountRecord | null> {
    const a = await this.redis.script<Array<string | null>>(FIND_SCRIPT, [accountKeys.acct(key)], [this.ttl]);
    if (a.length < 4 || !a[0] || a[1] === null || a[2] === null) return null;
    return { id: a[0], username: a[1], hash: a[2], created: Number(a[3] ?? 0) };
  }

  async byId(id: string): Promise<Member | null> {
    const a = await this.redis.script<Array<string | null>>(BY_ID_SCRIPT, [accountKeys.uid(id)], []);
    return a.length === 2 && a[0] === id && a[1] !== null ? { id, name: a[1] } : null;
  }

  async isRegistered(key: string): Promise<boolean> {
    return Number(await this.redis.command(['EXISTS', accountKeys.acct(key)])) === 1;
  }

  async touch(id: string, key: string): Promise<void> {
    const k = accountKeys;
    await this.redis.script(EXPIRE_SCRIPT, [k.acct(key), k.uid(id), k.rooms(id), k.reads(id), k.sessions(id)], [this.ttl]);
  }

  async attempts(key: string): Promise<AttemptCount> {
    const [count, pttl] = await this.redis.script<[number, number]>(ATTEMPTS_SCRIPT, [accountKeys.fail(key)], []);
    return { count: Number(count), retryAfterMs: Math.max(0, Number(pttl)) };
  }

  async failed(key: string, windowMs: number): Promise<AttemptCount> {
    const [count, pttl] = await this.redis.script<[number, number]>(FAILED_SCRIPT, [accountKeys.fail(key)], [Math.max(1, Math.round(windowMs))]);
    return { count: Number(count), retryAfterMs: Math.max(0, Number(pttl)) };
  }

  async forgive(key: string): Promise<void> {
    await this.redis.script(FORGIVE_SCRIPT, [accountKeys.fail(key)], []);
  }

  async setHash(key: string, id: string, hash: string): Promise<boolean> {
    return Number(await this.redis.script(SET_HASH_SCRIPT, [accountKeys.acct(key)], [id, hash])) === 1;
  }

  async rooms(id: string): Promise<string[]> {
    return this.redis.command<string[]>(['ZREVRANGE', accountKeys.rooms(id), '0', '-1']);
  }

  async addRoom(id: string, room: string): Promise<void> {
    await this.redis.script(ADD_ROOM_SCRIPT, [accountKeys.rooms(id), accountKeys.reads(id)], [room, this.ttl, this.settings.maxRooms]);
  }

  async dropRoom(id: string, room: string): Promise<void> {
    await this.redis.script(DROP_ROOM_SCRIPT, [accountKeys.rooms(id), accountKeys.reads(id)], [room, this.ttl]);
  }

  async reads(id: string): Promise<Record<string, number>> {
    const flat = await this.redis.command<string[]>(['HGETALL', accountKeys.reads(id)]);
    const out: Record<string, number> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = Number(flat[i + 1]);
    return out;
  }

  async addMention(id: string, room: string, msgId: number): Promise<void> {
    await this.redis.script(ADD_MENTION_SCRIPT, [accountKeys.mentions(id)], [room, msgId, MENTIONS_KEPT, this.ttl]);
  }

  async mentions(id: string): Promise<Record<string, number[]>> {
    const flat = await this.redis.command<string[]>(['HGETALL', accountKeys.mentions(id)]);
    const out: Record<string, number[]> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1].split(',').map(Number).filter((n) => n > 0);
    return out;
  }

  async markRead(id: string, room: string, msgId: number): Promise<number> {
    return Number(await this.redis.script(MARK_READ_SCRIPT, [accountKeys.reads(id), accountKeys.rooms(id)],
      [room, msgId, this.ttl, CHANNEL, readEntry(id, room, msgId)]));
  }
}
