/**
 * Failed sign-ins, counted per account (`user:<key>`) and per address (`ip:<address>`) across the
 * cluster, in the store, within a window. Whatever tells that a username exists or not (a guest
 * `hello` with a registered name, an invite of an unknown one) counts like a failed sign-in of the address.
 */
import type { Accounts } from '../accounts/accounts.js';
import type { Metrics } from '../metrics.js';
import type { RequestContext } from './request.js';
import type { AccountSettings } from './settings.js';
import { TEXTS } from './texts.js';

export const addressCounter = (address: string) => `ip:${address}`;
export const accountCounter = (usernameKey: string) => `user:${usernameKey}`;

export class SigninLimits {
  constructor(private readonly accounts: Accounts, private readonly settings: AccountSettings, private readonly metrics: Metrics) {}

  /** The window failed attempts are counted in. */
  get windowMs(): number {
    return this.settings.signinWindowSec * 1000;
  }

  limitOf(counter: string): number {
    return counter.startsWith('ip:') ? this.settings.signinAddressLimit : this.settings.signinAccountLimit;
  }

  /** Counts a failure for `counter`; past its limit answers rate_limited and returns true. */
  async overLimit(ctx: RequestContext, counter: string): Promise<boolean> {
    const c = await this.accounts.failed(counter, this.windowMs);
    if (c.count <= this.limitOf(counter)) return false;
    this.limited(ctx, TEXTS.tooManyFailures, Math.max(c.retryAfterMs, 1000));
    return true;
  }

  /** Counts a failure for each counter; ms until all are under their limits again (0: go on). */
  async count(counters: string[]): Promise<number> {
    const counts = await Promise.all(counters.map((c) => this.accounts.failed(c, this.windowMs)));
    let wait = 0;
    counts.forEach((c, i) => { if (c.count > this.limitOf(counters[i])) wait = Math.max(wait, c.retryAfterMs, 1000); });
    return wait;
  }

  /** Gives back the failures `count` took (a sign-in that succeeded, or was never checked). */
  async forgive(counters: string[]): Promise<void> {
    await Promise.all(counters.map((c) => this.accounts.forgive(c)));
  }

  /** ms until the first of these failure counters is under its limit again (0: go on); counts nothing. */
  async lockedFor(counters: string[]): Promise<number> {
    const counts = await Promise.all(counters.map((c) => this.accounts.attempts(c)));
    let wait = 0;
    counts.forEach((c, i) => { if (c.count >= this.limitOf(counters[i])) wait = Math.max(wait, c.retryAfterMs, 1000); });
    return wait;
  }

  /** Answers rate_limited for a sign-in, sign-up or name check. */
  limited(ctx: RequestContext, message: string, retryAfterMs: number): void {
    this.metrics.auth.inc({ result: 'limited' });
    ctx.error('rate_limited', message, Math.ceil(retryAfterMs));
  }
}
