/**
 * Rates sized for people, per member and per kind of request (a member's connections on this server
 * share them), and per source address for creating sessions. A load test from one address must not
 * trip them by default: the load tool spreads its clients over loopback addresses, and every rate is a
 * setting (docs/security.md). Buckets are made on first use and forgotten with the member's last
 * connection (addresses: once their bucket has refilled), so idle members cost nothing here.
 */
import type { Rate } from '../config.js';
import { TokenBucket } from './rate-limit.js';

export type LimitedKind = 'send' | 'join' | 'page' | 'room' | 'edit' | 'delete' | 'react' | 'typing' | 'upload';

export interface MemberRates {
  sendRate: Rate;
  joinRate: Rate;
  pageRate: Rate;
  roomCreateRate: Rate;
  editRate: Rate;
  deleteRate: Rate;
  reactRate: Rate;
  typingRate: Rate;
  /** `upload` requests per member. */
  uploadRate: Rate;
  sessionCreateRate: Rate;
  /** Bytes of attachments one source address may upload: burst, then per second. */
  uploadBytesRate: Rate;
}

interface MemberEntry {
  connections: number;
  buckets: Partial<Record<LimitedKind, TokenBucket>>;
}

/** Addresses remembered at most; past it, those whose bucket refilled are forgotten. */
const MAX_ADDRESSES = 10_000;

export class MemberLimits {
  private readonly members = new Map<string, MemberEntry>();
  private readonly addresses = new Map<string, TokenBucket>();
  private readonly uploadBytes = new Map<string, TokenBucket>();
  private readonly rates: Record<LimitedKind, Rate>;

  constructor(private readonly cfg: MemberRates, private readonly now: () => number = Date.now) {
    this.rates = {
      send: cfg.sendRate, join: cfg.joinRate, page: cfg.pageRate, room: cfg.roomCreateRate,
      edit: cfg.editRate, delete: cfg.deleteRate, react: cfg.reactRate, typing: cfg.typingRate, upload: cfg.uploadRate,
    };
  }

  /** A connection of the member said hello on this server. */
  attach(memberId: string): void {
    const e = this.members.get(memberId);
    if (e) e.connections++;
    else this.members.set(memberId, { connections: 1, buckets: {} });
  }

  /** One of its connections closed. */
  detach(memberId: string): void {
    const e = this.members.get(memberId);
    if (e && --e.connections <= 0) this.members.delete(memberId);
  }

  /** Takes a token of the kind for the member: 0 when allowed, else ms until one is available. */
  take(memberId: string, kind: LimitedKind): number {
    const e = this.members.get(memberId);
    if (!e) return 0;
    const rate = this.rates[kind];
    const bucket = (e.buckets[kind] ??= new TokenBucket(rate.burst, rate.perSec, this.now));
    return bucket.take();
  }

  /** Takes a session-creation token for a source address. */
  takeSession(address: string): number {
    return this.addressBucket(this.addresses, address, this.cfg.sessionCreateRate).take();
  }

  /** Takes `bytes` of the address's upload quota: 0 when allowed, else ms until they are (Infinity: never at once). */
  takeUploadBytes(address: string, bytes: number): number {
    return this.addressBucket(this.uploadBytes, address, this.cfg.uploadBytesRate).take(bytes);
  }

  private addressBucket(map: Map<string, TokenBucket>, address: string, rate: Rate): TokenBucket {
    let bucket = map.get(address);
    if (!bucket) {
      if (map.size >= MAX_ADDRESSES) {
        for (const [a, b] of map) if (b.isFull()) map.delete(a);
      }
      bucket = new TokenBucket(rate.burst, rate.perSec, this.now);
      map.set(address, bucket);
    }
    return bucket;
  }
}
