/**
 * What a request costs before it touches the store, for the routes whose router left the member's
 * bucket to the feature (router.ts `bucketWithQuota`, RequestContext.bucket): that token and, with
 * `bytes`, the store quotas of the address and the member — all or nothing, in one store round trip.
 */
import type { MemberLimits } from './member-limits.js';
import type { RequestContext } from './request.js';
import { TEXTS } from './texts.js';

/**
 * Takes the request's charge: ctx.bucket's token (if the router left it; it is spent either way) and,
 * unless `bytes` is null, `bytes` of the store quotas. A refusal is answered here (`rate_limited`, with
 * the store-quota text when a quota refused). Resolves true when taken.
 */
export async function chargeRequest(ctx: RequestContext, limits: MemberLimits, bytes: number | null): Promise<boolean> {
  const kind = ctx.bucket;
  ctx.bucket = null;
  if (bytes === null) {
    if (!kind) return true;
    const wait = await limits.take(ctx.member.id, kind);
    if (wait > 0) ctx.error('rate_limited', undefined, wait);
    return wait === 0;
  }
  const { wait, rate } = await limits.takeWithStored(kind, ctx.client.address, ctx.member.id, bytes);
  if (wait > 0) ctx.error('rate_limited', rate ? undefined : TEXTS.storeQuota, Number.isFinite(wait) ? wait : undefined);
  return wait === 0;
}
