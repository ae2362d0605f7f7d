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
import { NO_SESSION_LIMITS, tokenDigest, type SessionLimits, type Sessions, type StoredSession } from './sessions.js';

export class MemorySessionsState {
  /** lc:session:<digest> */
  readonly map = new Map<string, { member: Member; created: number; expires: number }>();
}

export interface MemorySessionsSettings extends Partial<SessionLimits> {
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

  private get limits(): SessionLimits {
    return { ...NO_SESSION_LIMITS, ...this.settings };
  }

  async save(token: string, member: Member): Promise<void> {
    const now = this.now();
    const digest = tokenDigest(token);
    const { maxAgeMs, maxPerAccount } = this.limits;
    this.map.set(digest, { member: { id: member.id, name: member.name }, created: now, expires: now + Math.min(this.settings.firstTtlMs, maxAgeMs) });
    if (isAccountId(member.id)) {
      this.index(member.id, digest, now, now);
      const all = this.liveDigests(member.id, now);
      // Past the cap, the oldest go (never the one just saved).
      for (const s of all.filter((x) => x.digest !== digest).slice(0, Math.max(0, all.length - maxPerAccount))) {
        this.drop(member.id, s.digest);
      }
    }
    if (this.map.size % 4096 === 0) {
      for (const [t, s] of this.map) if (s.expires <= now) this.map.delete(t);
    }
  }

  async resolve(token: string): Promise<Member | null> {
    const now = this.now();
    const digest = tokenDigest(token);
    const s = live(this.map, digest, now);
    if (!s) return null;
    const end = s.created + this.limits.maxAgeMs;
    if (end <= now) {
      this.map.delete(digest);
      return null;
    }
    s.expires = Math.min(now + this.settings.ttlMs, end);
    if (isAccountId(s.member.id)) this.index(s.member.id, digest, s.created, now);
    return { ...s.member };
  }

  async rename(token: string, name: string): Promise<boolean> {
    const s = live(this.map, tokenDigest(token), this.now());
    if (!s) return false;
    s.member = { id: s.member.id, name };
    return true;
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

  async revoke(memberId: string, idPrefix?: string, exceptDigest?: string): Promise<string[]> {
    const all = this.liveDigests(memberId, this.now());
    const hit = all.filter((s) => (idPrefix === undefined || s.digest.startsWith(idPrefix)) && s.digest !== exceptDigest).map((s) => s.digest);
    if (idPrefix !== undefined && hit.length !== 1) return [];
    for (const d of hit) this.drop(memberId, d);
    return hit;
  }

  /** Deletes one session of the account and publishes its revocation. */
  private drop(memberId: string, digest: string): void {
    this.map.delete(digest);
    this.accounts.sessions.get(memberId)?.digests.delete(digest);
    this.publish(revokedEntry(memberId, digest));
  }
}
