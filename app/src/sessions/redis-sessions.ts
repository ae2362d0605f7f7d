/**
 * Redis sessions:
 *   lc:session:<sha256 of the token>  the member as JSON {id, name, created (ms)} (values written before
 *                                     `created` existed read as created 0); first TTL short, renewed on
 *                                     each use (GETEX)
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
import { tokenDigest, type Sessions, type StoredSession } from './sessions.js';

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

// KEYS: session, index. ARGV: member JSON, firstTtlSec, created, digest, accountTtlSec.
const SAVE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[5])
if redis.call('ZCARD', KEYS[2]) > ${PRUNE_AT} then
  for _, d in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if redis.call('EXISTS', '${SESSION_PREFIX}' .. d) == 0 then redis.call('ZREM', KEYS[2], d) end
  end
end
return 1
`;

// KEYS: session. ARGV: ttlSec, accountTtlSec, digest. -> the value (nil when gone), renewed; an account's
// session is (re)indexed under it.
const RESOLVE_SCRIPT = `
local v = redis.call('GETEX', KEYS[1], 'EX', ARGV[1])
if not v then return v end
local ok, m = pcall(cjson.decode, v)
if ok and type(m) == 'table' and type(m.id) == 'string' and string.sub(m.id, 1, ${ACCOUNT_ID_PREFIX.length}) == '${ACCOUNT_ID_PREFIX}' then
  local index = '${ACCOUNT_SESSIONS_PREFIX}' .. m.id
  local created = 0
  if type(m.created) == 'number' then created = m.created end
  redis.call('ZADD', index, 'NX', string.format('%d', created), ARGV[3])
  redis.call('EXPIRE', index, ARGV[2])
end
return v
`;

// KEYS: index.
const LIST_SCRIPT = `${LIVE_FN}
return live()
`;

// KEYS: index. ARGV: '1' when a prefix is given, the prefix, channel, the k entry without its digest.
// -> the digests revoked
const REVOKE_SCRIPT = `${LIVE_FN}
local flat = live()
local hit = {}
for i = 1, #flat, 2 do
  if ARGV[1] ~= '1' or string.sub(flat[i], 1, #ARGV[2]) == ARGV[2] then hit[#hit + 1] = flat[i] end
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
  ) {}

  async save(token: string, member: Member): Promise<void> {
    const created = Date.now();
    const value = JSON.stringify({ id: member.id, name: member.name, created });
    if (!isAccountId(member.id)) {
      await this.redis.command(['SET', key(token), value, 'EX', String(this.firstTtlSec)]);
      return;
    }
    await this.redis.script(SAVE_SCRIPT, [key(token), indexKey(member.id)],
      [value, this.firstTtlSec, created, tokenDigest(token), this.accountTtlSec]);
  }

  async resolve(token: string): Promise<Member | null> {
    const raw = await this.redis.script<string | null>(RESOLVE_SCRIPT, [key(token)], [this.ttlSec, this.accountTtlSec, tokenDigest(token)]);
    if (raw === null) return null;
    try {
      const m = JSON.parse(raw) as Member;
      return typeof m.id === 'string' && typeof m.name === 'string' ? { id: m.id, name: m.name } : null;
    } catch {
      return null;
    }
  }

  async list(memberId: string): Promise<StoredSession[]> {
    const flat = await this.redis.script<string[]>(LIST_SCRIPT, [indexKey(memberId)], []);
    const out: StoredSession[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ digest: flat[i], created: Number(flat[i + 1]) });
    return out;
  }

  async revoke(memberId: string, idPrefix?: string): Promise<string[]> {
    return this.redis.script<string[]>(REVOKE_SCRIPT, [indexKey(memberId)],
      [idPrefix === undefined ? '0' : '1', idPrefix ?? '', CHANNEL, revokedEntry(memberId, '')]);
  }
}
