/**
 * Redis sessions:
 *   lc:session:<sha256 of the token>  the member as JSON {id, name, created (ms)} (values written before
 *                                     `created` existed read as created 0, and are not renewed); first
 *                                     TTL short, renewed on each use up to created + SESSION_MAX_AGE_SEC
 *   lc:usess:<account id>             sorted set digest -> created ms: an account's sessions, for `list`
 *                                     and `revoke`; expires ACCOUNT_TTL_SEC after the last save, use of
 *                                     one of its sessions or Accounts.touch, so it outlives every session
 *                                     in it (a use also puts the session back in, should the index have
 *                                     gone: a live session is always listed, so always revocable)
 * The index scripts read and delete lc:session:<digest> keys named by the index, and RESOLVE_SCRIPT
 * renews the index named by the session's value: keys they cannot declare, fine on the standalone
 * Redis this cluster uses. An index entry whose session expired is dropped when the index is read (and
 * on save once the index is long).
 */
import { CHANNEL } from '../bus/bus.js';
import { revokedEntry } from '../bus/envelope.js';
import { ACCOUNT_ID_PREFIX, isAccountId, type Member } from '../protocol/messages.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { ACCOUNT_SESSIONS_PREFIX, accountKeys, SESSION_PREFIX } from '../store/redis-keys.js';
import { NO_SESSION_LIMITS, tokenDigest, type SessionLimits, type Sessions, type StoredSession } from './sessions.js';

const key = (token: string) => `${SESSION_PREFIX}${tokenDigest(token)}`;
const indexKey = accountKeys.sessions;
/** Past this many entries a save drops the index entries whose session is gone. */
const PRUNE_AT = 64;

// live(): the index's entries whose session still exists, oldest first, as {digest, created, …}; drops the rest.
const LIVE_FN = `
local function live()
  local flat = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  local out = {}
  for i = 1, #flat, 2 do
    if redis.call('EXISTS', '${SESSION_PREFIX}' .. flat[i]) == 1 then
      out[#out + 1] = flat[i]
      out[#out + 1] = flat[i + 1]
    else
      redis.call('ZREM', KEYS[1], flat[i])
    end
  end
  return out
end
`;

// KEYS: session, index. ARGV: member JSON, firstTtlMs, created, digest, accountTtlSec, maxPerAccount,
// channel, the k entry without its digest. Past maxPerAccount live sessions the oldest (never this one)
// are revoked and published. -> the digests revoked
const SAVE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[5])
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local max = tonumber(ARGV[6])
if #ids <= max and #ids <= ${PRUNE_AT} then return {} end
local alive = {}
for _, d in ipairs(ids) do
  if redis.call('EXISTS', '${SESSION_PREFIX}' .. d) == 0 then redis.call('ZREM', KEYS[2], d)
  elseif d ~= ARGV[4] then alive[#alive + 1] = d end
end
local out = {}
for i = 1, #alive + 1 - max do
  redis.call('DEL', '${SESSION_PREFIX}' .. alive[i])
  redis.call('ZREM', KEYS[2], alive[i])
  redis.call('PUBLISH', ARGV[7], ARGV[8] .. alive[i])
  out[#out + 1] = alive[i]
end
return out
`;

// KEYS: session. ARGV: ttlMs, accountTtlSec, digest, maxAgeMs. -> the value (nil when gone), renewed up
// to created + maxAgeMs (past it the session is deleted; one without `created` is not renewed); an
// account's session is (re)indexed under it.
const RESOLVE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then return v end
local ok, m = pcall(cjson.decode, v)
local created = 0
if ok and type(m) == 'table' and type(m.created) == 'number' then created = m.created end
if created > 0 then
  local t = redis.call('TIME')
  local left = created + tonumber(ARGV[4]) - (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  if left <= 0 then
    redis.call('DEL', KEYS[1])
    return false
  end
  redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[1]), left))
end
if ok and type(m) == 'table' and type(m.id) == 'string' and string.sub(m.id, 1, ${ACCOUNT_ID_PREFIX.length}) == '${ACCOUNT_ID_PREFIX}' then
  local index = '${ACCOUNT_SESSIONS_PREFIX}' .. m.id
  redis.call('ZADD', index, 'NX', string.format('%d', created), ARGV[3])
  redis.call('EXPIRE', index, ARGV[2])
end
return v
`;

// KEYS: session. ARGV: name. -> 1 when renamed (id, created and TTL kept), 0 when gone.
const RENAME_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, m = pcall(cjson.decode, v)
if not ok or type(m) ~= 'table' then return 0 end
m.name = ARGV[1]
redis.call('SET', KEYS[1], cjson.encode(m), 'KEEPTTL')
return 1
`;

// KEYS: index.
const LIST_SCRIPT = `${LIVE_FN}
return live()
`;

// KEYS: index. ARGV: '1' when a prefix is given, the prefix, channel, the k entry without its digest,
// a digest to keep ('' for none). -> the digests revoked
const REVOKE_SCRIPT = `${LIVE_FN}
local flat = live()
local hit = {}
for i = 1, #flat, 2 do
  if (ARGV[1] ~= '1' or string.sub(flat[i], 1, #ARGV[2]) == ARGV[2]) and flat[i] ~= ARGV[5] then hit[#hit + 1] = flat[i] end
end
if ARGV[1] == '1' and #hit ~= 1 then return {} end
for _, d in ipairs(hit) do
  redis.call('DEL', '${SESSION_PREFIX}' .. d)
  redis.call('ZREM', KEYS[1], d)
  redis.call('PUBLISH', ARGV[3], ARGV[4] .. d)
end
return hit
`;

export class RedisSessions implements Sessions {
  constructor(
    private readonly redis: RedisConnections,
    private readonly ttlSec: number,
    private readonly firstTtlSec = ttlSec,
    private readonly accountTtlSec = 365 * 86_400,
    private readonly limits: SessionLimits = NO_SESSION_LIMITS,
  ) {}

  async save(token: string, member: Member): Promise<void> {
    const created = Date.now();
    const value = JSON.stringify({ id: member.id, name: member.name, created });
    const firstTtlMs = String(Math.min(this.firstTtlSec * 1000, this.limits.maxAgeMs));
    if (!isAccountId(member.id)) {
      await this.redis.command(['SET', key(token), value, 'PX', firstTtlMs]);
      return;
    }
    await this.redis.script(SAVE_SCRIPT, [key(token), indexKey(member.id)],
      [value, firstTtlMs, created, tokenDigest(token), this.accountTtlSec, this.limits.maxPerAccount, CHANNEL, revokedEntry(member.id, '')]);
  }

  async resolve(token: string): Promise<Member | null> {
    const raw = await this.redis.script<string | null>(RESOLVE_SCRIPT, [key(token)],
      [this.ttlSec * 1000, this.accountTtlSec, tokenDigest(token), this.limits.maxAgeMs]);
    if (raw === null) return null;
    try {
      const m = JSON.parse(raw) as Member;
      return typeof m.id === 'string' && typeof m.name === 'string' ? { id: m.id, name: m.name } : null;
    } catch {
      return null;
    }
  }

  async rename(token: string, name: string): Promise<boolean> {
    return Number(await this.redis.script(RENAME_SCRIPT, [key(token)], [name])) === 1;
  }

  async list(memberId: string): Promise<StoredSession[]> {
    const flat = await this.redis.script<string[]>(LIST_SCRIPT, [indexKey(memberId)], []);
    const out: StoredSession[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ digest: flat[i], created: Number(flat[i + 1]) });
    return out;
  }

  async revoke(memberId: string, idPrefix?: string, exceptDigest?: string): Promise<string[]> {
    return this.redis.script<string[]>(REVOKE_SCRIPT, [indexKey(memberId)],
      [idPrefix === undefined ? '0' : '1', idPrefix ?? '', CHANNEL, revokedEntry(memberId, ''), exceptDigest ?? '']);
  }
}
