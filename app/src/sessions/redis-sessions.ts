/** Redis sessions: `lc:session:<sha256 of the token>` -> member JSON, first TTL short, renewed on each use (GETEX). */
import type { Member } from '../protocol/messages.js';
import type { RedisConnections } from '../store/redis-connections.js';
import { tokenDigest, type Sessions } from './sessions.js';

const key = (token: string) => `lc:session:${tokenDigest(token)}`;

export class RedisSessions implements Sessions {
  constructor(private readonly redis: RedisConnections, private readonly ttlSec: number, private readonly firstTtlSec = ttlSec) {}

  async save(token: string, member: Member): Promise<void> {
    await this.redis.command(['SET', key(token), JSON.stringify({ id: member.id, name: member.name }), 'EX', String(this.firstTtlSec)]);
  }

  async resolve(token: string): Promise<Member | null> {
    const raw = await this.redis.command<string | null>(['GETEX', key(token), 'EX', String(this.ttlSec)]);
    if (raw === null) return null;
    try {
      const m = JSON.parse(raw) as Member;
      return typeof m.id === 'string' && typeof m.name === 'string' ? { id: m.id, name: m.name } : null;
    } catch {
      return null;
    }
  }
}
