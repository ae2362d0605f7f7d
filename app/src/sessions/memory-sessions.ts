/**
 * In-process sessions for the embedded node (a single process) and tests; same rules as Redis
 * (redis-sessions.ts). Several instances (one per simulated server) share one MemorySessionsState;
 * an account's session index lives in the shared MemoryAccountsState (as lc:usess:<id> beside the
 * account's keys), so Accounts.touch renews it; so does each use of one of its sessions, which also
 * puts the session back in should the index have gone.
 */
import type { Publish } from '../bus/bus.js';
import { revokedEntry } from '../bus/envelope.js';
import { live, MemoryAccountsState } from '../accounts/memory-accounts.js';
import { isAccountId, type Member } from '../protocol/messages.js';
import { tokenDigest, type Sessions, type StoredSession } from './sessions.js';

export class MemorySessionsState {
  /** lc:session:<digest> */
  readonly map = new Map<string, { member: Member; created: number; expires: number }>();
}

export interface MemorySessionsSettings {
  ttlMs: number;
  firstTtlMs: number;
  /** How long an account's session index lives after its last save. */
  accountTtlMs: number;
}

export class MemorySessions implements Sessions {
  constructor(
    private readonly publish: Publish,
    private readonly settings: MemorySessionsSettings,
    private readonly state: MemorySessionsState = new MemorySessionsState(),
    private readonly accounts: MemoryAccountsState = new MemoryAccountsState(),
    private readonly now: () => number = Date.now,
  ) {}

  private get map() {
    return this.state.map;
  }

  async save(token: string, member: Member): Promise<void> {
    const now = this.now();
    const digest = tokenDigest(token);
    this.map.set(digest, { member: { id: member.id, name: member.name }, created: now, expires: now + this.settings.firstTtlMs });
    if (isAccountId(member.id)) this.index(member.id, digest, now, now);
    if (this.map.size % 4096 === 0) {
      for (const [t, s] of this.map) if (s.expires <= now) this.map.delete(t);
    }
  }

  async resolve(token: string): Promise<Member | null> {
    const now = this.now();
    const digest = tokenDigest(token);
    const s = live(this.map, digest, now);
    if (!s) return null;
    s.expires = now + this.settings.ttlMs;
    if (isAccountId(s.member.id)) this.index(s.member.id, digest, s.created, now);
    return { ...s.member };
  }

  /** Puts the session in the account's index (kept when there) and renews the index. */
  private index(memberId: string, digest: string, created: number, now: number): void {
    let index = live(this.accounts.sessions, memberId, now);
    if (!index) {
      index = { digests: new Map(), expires: 0 };
      this.accounts.sessions.set(memberId, index);
    }
    if (!index.digests.has(digest)) index.digests.set(digest, created);
    index.expires = now + this.settings.accountTtlMs;
    if (index.digests.size > 64) this.liveDigests(memberId, now);
  }

  /** The index's entries whose session is live, oldest first; drops the rest. */
  private liveDigests(memberId: string, now: number): StoredSession[] {
    const index = live(this.accounts.sessions, memberId, now);
    if (!index) return [];
    const out: StoredSession[] = [];
    for (const [digest, created] of index.digests) {
      if (live(this.map, digest, now)) out.push({ digest, created });
      else index.digests.delete(digest);
    }
    return out.sort((x, y) => x.created - y.created || (x.digest < y.digest ? -1 : x.digest > y.digest ? 1 : 0));
  }

  async list(memberId: string): Promise<StoredSession[]> {
    return this.liveDigests(memberId, this.now());
  }

  async revoke(memberId: string, idPrefix?: string): Promise<string[]> {
    const all = this.liveDigests(memberId, this.now());
    const hit = all.filter((s) => idPrefix === undefined || s.digest.startsWith(idPrefix)).map((s) => s.digest);
    if (idPrefix !== undefined && hit.length !== 1) return [];
    const index = this.accounts.sessions.get(memberId);
    for (const d of hit) {
      this.map.delete(d);
      index?.digests.delete(d);
      this.publish(revokedEntry(memberId, d));
    }
    return hit;
  }
}
