/**
 * Upload grants in Redis: one hash per key, expiring with the grant.
 *   lc:upload:<key>  hash: g = the grant as JSON, c = the claiming cid, f = the committed file as JSON
 * Each step that changes a grant is a script, so none writes to a grant that has expired (a hash
 * made again by HSET would have no TTL).
 */
import type { RedisConnections } from '../store/redis-connections.js';
import { uploadKey } from '../store/redis-keys.js';
import type { Claim, CommittedFile, UploadGrant, Uploads } from './uploads.js';

// KEYS: the grant. ARGV: the grant as JSON, ttl ms.
const ISSUE_SCRIPT = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'g', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0`;

// KEYS: the grant. ARGV: cid. -> 2 claimed now, 1 this cid's already, 0 not (gone, or another cid's).
const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], 'c', ARGV[1]) == 1 then return 2 end
if redis.call('HGET', KEYS[1], 'c') == ARGV[1] then return 1 end
return 0`;

// KEYS: the grant. ARGV: the committed file as JSON.
const COMMIT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'f', ARGV[1]) end
return 0`;

// KEYS: the grant. ARGV: cid.
const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'c') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'c')
end
return 0`;

export class RedisUploads implements Uploads {
  constructor(private readonly redis: RedisConnections) {}

  async issue(grant: UploadGrant, ttlMs: number): Promise<void> {
    const { committed: _, ...g } = grant;
    await this.redis.script(ISSUE_SCRIPT, [uploadKey(grant.key)], [JSON.stringify(g), ttlMs]);
  }

  async get(key: string): Promise<UploadGrant | null> {
    const [g, f] = await this.redis.command<(string | null)[]>(['HMGET', uploadKey(key), 'g', 'f']);
    if (!g) return null;
    const grant = JSON.parse(g) as UploadGrant;
    if (f) grant.committed = JSON.parse(f) as CommittedFile;
    return grant;
  }

  async claim(key: string, cid: string): Promise<Claim> {
    const r = await this.redis.script<number>(CLAIM_SCRIPT, [uploadKey(key)], [cid]);
    return r === 2 ? 'new' : r === 1 ? 'ours' : null;
  }

  async release(key: string, cid: string): Promise<void> {
    await this.redis.script(RELEASE_SCRIPT, [uploadKey(key)], [cid]);
  }

  async commit(key: string, file: CommittedFile): Promise<void> {
    await this.redis.script(COMMIT_SCRIPT, [uploadKey(key)], [JSON.stringify(file)]);
  }

  async drop(key: string): Promise<void> {
    await this.redis.command(['DEL', uploadKey(key)]);
  }
}
