/** In-process sessions for the embedded node (a single process) and tests; same rules as Redis. */
import type { Member } from '../protocol/messages.js';
import { tokenDigest, type Sessions } from './sessions.js';

export class MemorySessions implements Sessions {
  private readonly map = new Map<string, { member: Member; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly firstTtlMs: number = ttlMs,
    private readonly now: () => number = Date.now,
  ) {}

  async save(token: string, member: Member): Promise<void> {
    this.map.set(tokenDigest(token), { member: { id: member.id, name: member.name }, expires: this.now() + this.firstTtlMs });
    if (this.map.size % 4096 === 0) {
      const now = this.now();
      for (const [t, s] of this.map) if (s.expires <= now) this.map.delete(t);
    }
  }

  async resolve(token: string): Promise<Member | null> {
    const key = tokenDigest(token);
    const s = this.map.get(key);
    if (!s) return null;
    if (s.expires <= this.now()) {
      this.map.delete(key);
      return null;
    }
    s.expires = this.now() + this.ttlMs;
    return { ...s.member };
  }
}
