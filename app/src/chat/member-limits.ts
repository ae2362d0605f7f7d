/**
 * Rates sized for people, per member and per kind of request, and quotas per source address and per
 * member for what a request leaves in the store. Every bucket is kept in the store (limits/): shared
 * by all of a member's connections on every server, and kept until it refills — reconnecting, or
 * landing on another server, refills nothing. Every rate is a setting (docs/security.md); the
 * per-address ones lift with LC_LOAD_TEST=1 (config.ts), since a load test comes from few addresses.
 *
 * Bucket keys (limits.ts): `m:<member>:<kind>` per member, `a:<address>:<quota>` per address.
 */
import type { Rate } from '../config.js';
import type { Limits, Take } from '../limits/limits.js';

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
  /** Bytes one source address may leave in the store (messages, edits, reactions, new rooms). */
  storeAddressRate: Rate;
  /** The same per member (an account, or a guest's session). */
  storeMemberRate: Rate;
  /** New rooms (public rooms made by a join, private rooms by `create`) per source address. */
  roomAddressRate: Rate;
}

/** What a request is charged in the store quotas beyond its own bytes: keys, ids, indexes. */
export const STORED_OVERHEAD = 256;

export class MemberLimits {
  private readonly rates: Record<LimitedKind, Rate>;

  constructor(private readonly limits: Limits, private readonly cfg: MemberRates) {
    this.rates = {
      send: cfg.sendRate, join: cfg.joinRate, page: cfg.pageRate, room: cfg.roomCreateRate,
      edit: cfg.editRate, delete: cfg.deleteRate, react: cfg.reactRate, typing: cfg.typingRate, upload: cfg.uploadRate,
    };
  }

  /** Takes a token of the kind for the member: 0 when allowed, else ms until one is available. */
  take(memberId: string, kind: LimitedKind): Promise<number> {
    const b = this.memberBucket(memberId, kind);
    return this.limits.take(b.key, b.rate);
  }

  /** Takes a session-creation token for a source address. */
  takeSession(address: string): Promise<number> {
    return this.limits.take(`a:${address}:session`, this.cfg.sessionCreateRate);
  }

  /** Takes `bytes` of the address's upload quota: 0 when allowed, else ms until they are (Infinity: never at once). */
  takeUploadBytes(address: string, bytes: number): Promise<number> {
    return this.limits.take(`a:${address}:upload`, this.cfg.uploadBytesRate, bytes);
  }

  /**
   * Takes `bytes` (plus the overhead) of the store quotas of the address and of the member and, when the
   * router left the route's bucket to the feature (`kind`: its ctx.bucket; null when already taken), a
   * token of the member's `kind` bucket: all or nothing, in one store round trip (router.ts,
   * `bucketWithQuota`). 0 when all allow it, else the ms until they would (nothing taken from any);
   * `rate` says the `kind` bucket was the one that refused.
   */
  async takeWithStored(kind: LimitedKind | null, address: string, memberId: string, bytes: number): Promise<{ wait: number; rate: boolean }> {
    const takes: Take[] = this.storeTakes(address, memberId, bytes);
    if (kind) takes.unshift(this.memberBucket(memberId, kind));
    const r = await this.limits.takeAll(takes);
    return { wait: r.wait, rate: kind !== null && r.refused === 0 };
  }

  /** Gives back the store quotas takeWithStored took (the request stored nothing: a duplicate, or a failure). */
  async giveStored(address: string, memberId: string, bytes: number): Promise<void> {
    await Promise.all(this.storeTakes(address, memberId, bytes).map((t) => this.limits.give(t.key, t.rate, t.n)));
  }

  /**
   * A new room, counted for its source address and, with `memberId`, for the member's own `room` bucket
   * too: both or neither, in one store round trip (an address that refuses costs the member nothing).
   * Without it the member's `room` token is the router's (`create`).
   */
  async takeNewRoom(address: string, memberId?: string): Promise<number> {
    const takes: Take[] = [{ key: `a:${address}:room`, rate: this.cfg.roomAddressRate }];
    if (memberId) takes.unshift(this.memberBucket(memberId, 'room'));
    return (await this.limits.takeAll(takes)).wait;
  }

  /** The member's bucket of a kind: `m:<member>:<kind>`. */
  private memberBucket(memberId: string, kind: LimitedKind): Take {
    return { key: `m:${memberId}:${kind}`, rate: this.rates[kind] };
  }

  /** The store quotas' buckets for `bytes` (plus the overhead): the address's, then the member's. */
  private storeTakes(address: string, memberId: string, bytes: number): Array<Take & { n: number }> {
    const n = bytes + STORED_OVERHEAD;
    return [{ key: `a:${address}:store`, rate: this.cfg.storeAddressRate, n }, { key: `m:${memberId}:store`, rate: this.cfg.storeMemberRate, n }];
  }
}
