/** Upload grants in memory (the embedded node, tests): uploads.ts's semantics, expiry checked on read. */
import type { Claim, CommittedFile, UploadGrant, Uploads } from './uploads.js';

interface Held { grant: UploadGrant; claimedBy?: string; until: number }

export class MemoryUploadsState {
  readonly grants = new Map<string, Held>();
}

export class MemoryUploads implements Uploads {
  constructor(private readonly state = new MemoryUploadsState(), private readonly now: () => number = Date.now) {}

  private held(key: string): Held | undefined {
    const h = this.state.grants.get(key);
    if (h && h.until <= this.now()) {
      this.state.grants.delete(key);
      return undefined;
    }
    return h;
  }

  async issue(grant: UploadGrant, ttlMs: number): Promise<void> {
    this.state.grants.set(grant.key, { grant: { ...grant }, until: this.now() + ttlMs });
  }

  async get(key: string): Promise<UploadGrant | null> {
    const h = this.held(key);
    return h ? { ...h.grant } : null;
  }

  async claim(key: string, cid: string): Promise<Claim> {
    const h = this.held(key);
    if (!h) return null;
    if (h.claimedBy === undefined) {
      h.claimedBy = cid;
      return 'new';
    }
    return h.claimedBy === cid ? 'ours' : null;
  }

  async release(key: string, cid: string): Promise<void> {
    const h = this.held(key);
    if (h && h.claimedBy === cid) delete h.claimedBy;
  }

  async commit(key: string, file: CommittedFile): Promise<void> {
    const h = this.held(key);
    if (h) h.grant.committed = { ...file };
  }

  async drop(key: string): Promise<void> {
    this.state.grants.delete(key);
  }
}
