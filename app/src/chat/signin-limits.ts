/**
 * Sign-in limits (docs/security.md "Sign-in"), all kept in the store so they span the cluster:
 *  - failures per (account, address) pair (`pair:<key>|<address>`, SIGNIN_PAIR_LIMIT) and per address
 *    (`ip:<address>`, SIGNIN_ADDRESS_LIMIT) within SIGNIN_WINDOW_SEC: past either, rate_limited until
 *    the window ends. A stranger's guesses from one address never lock the owner out elsewhere;
 *  - failures per account from all addresses (`user:<key>`): past SIGNIN_ACCOUNT_LIMIT in the window,
 *    each failure starts a short exponential backoff (`wait:<key>`, capped at SIGNIN_BACKOFF_MAX_MS)
 *    during which the account's sign-ins wait — slows a botnet down, never locks the owner out;
 *  - password hashes per address (`ip:<address>` token bucket, KDF_ADDRESS_RATE), successful ones too,
 *    so valid sign-ins in a loop cannot starve the KDF for everyone else.
 * Whatever tells that a username exists or not (a guest `hello` with a registered name, an invite of an
 * unknown one) counts like a failed sign-in of the address; past the address's limit, every such
 * request gets one answer before any name is looked up.
 */
import type { Accounts } from '../accounts/accounts.js';
import type { Limits } from '../limits/limits.js';
import type { Metrics } from '../metrics.js';
import type { RequestContext } from './request.js';
import type { AccountSettings } from './settings.js';
import { TEXTS } from './texts.js';

export const addressCounter = (address: string) => `ip:${address}`;
export const accountCounter = (usernameKey: string) => `user:${usernameKey}`;
export const pairCounter = (usernameKey: string, address: string) => `pair:${usernameKey}|${address}`;
const backoffCounter = (usernameKey: string) => `wait:${usernameKey}`;

/** The first backoff past the account's limit; each further failure doubles it, up to SIGNIN_BACKOFF_MAX_MS. */
const BACKOFF_BASE_MS = 250;

/** The backoff after the `over`-th failure past the account's limit (pure; exported for tests). */
export function backoffMs(over: number, maxMs: number): number {
  if (over <= 0) return 0;
  return Math.min(maxMs, BACKOFF_BASE_MS * 2 ** Math.min(over - 1, 20));
}

/** A sign-in attempt counted ahead: what to give back on success, and the account's count. */
export interface SigninAttempt {
  /** ms to wait (0: go on). */
  wait: number;
  /** The message of the refusal, when waiting. */
  message: string;
  counters: string[];
  accountCount: number;
}

export class SigninLimits {
  constructor(
    private readonly accounts: Accounts, private readonly settings: AccountSettings, private readonly metrics: Metrics,
    private readonly buckets: Limits,
  ) {}

  /** The window failed attempts are counted in. */
  get windowMs(): number {
    return this.settings.signinWindowSec * 1000;
  }

  limitOf(counter: string): number {
    if (counter.startsWith('ip:')) return this.settings.signinAddressLimit;
    if (counter.startsWith('pair:')) return this.settings.signinPairLimit;
    return this.settings.signinAccountLimit;
  }

  /** Counts a failure for `counter`; past its limit answers rate_limited and returns true. */
  async overLimit(ctx: RequestContext, counter: string): Promise<boolean> {
    const c = await this.accounts.failed(counter, this.windowMs);
    if (c.count <= this.limitOf(counter)) return false;
    this.limited(ctx, TEXTS.tooManyFailures, Math.max(c.retryAfterMs, 1000));
    return true;
  }

  /** Answers rate_limited (the one answer) and returns true when the address is at its limit; counts nothing. */
  async addressLocked(ctx: RequestContext): Promise<boolean> {
    const wait = await this.lockedFor([addressCounter(ctx.client.address)]);
    // Whole seconds: two answers a moment apart are the same bytes too.
    if (wait > 0) this.limited(ctx, TEXTS.tooManyFailures, Math.ceil(wait / 1000) * 1000);
    return wait > 0;
  }

  /**
   * Counts a sign-in of `key` from `address` as a failure ahead of the check (so concurrent guesses
   * cannot all pass the limits while the hashes run); `forgive` gives it back on success. During the
   * account's backoff nothing is counted.
   */
  async attempt(key: string, address: string): Promise<SigninAttempt> {
    const backoff = await this.accounts.attempts(backoffCounter(key));
    if (backoff.count > 0 && backoff.retryAfterMs > 0) {
      return { wait: backoff.retryAfterMs, message: TEXTS.accountBackoff, counters: [], accountCount: 0 };
    }
    const counters = [pairCounter(key, address), addressCounter(address), accountCounter(key)];
    const counts = await Promise.all(counters.map((c) => this.accounts.failed(c, this.windowMs)));
    let wait = 0;
    for (let i = 0; i < 2; i++) if (counts[i].count > this.limitOf(counters[i])) wait = Math.max(wait, counts[i].retryAfterMs, 1000);
    // A refused attempt is not checked: it does not count toward the account's backoff (one address
    // hammering past its limit must not slow the owner down).
    if (wait > 0) await this.accounts.forgive(counters[2]);
    return { wait, message: TEXTS.tooManyFailedSignins, counters, accountCount: counts[2].count };
  }

  /** The password was wrong: past the account's limit, its backoff starts. */
  async failedAttempt(key: string, a: SigninAttempt): Promise<void> {
    const ms = backoffMs(a.accountCount - this.settings.signinAccountLimit, this.settings.signinBackoffMaxMs);
    if (ms > 0) await this.accounts.failed(backoffCounter(key), ms);
  }

  /** Counts a failure for each counter; ms until all are under their limits again (0: go on). */
  async count(counters: string[]): Promise<number> {
    const counts = await Promise.all(counters.map((c) => this.accounts.failed(c, this.windowMs)));
    let wait = 0;
    counts.forEach((c, i) => { if (c.count > this.limitOf(counters[i])) wait = Math.max(wait, c.retryAfterMs, 1000); });
    return wait;
  }

  /** Gives back the failures `count` or `attempt` took (a sign-in that succeeded, or was never checked). */
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

  /**
   * Takes a password-hash token of the address (KDF_ADDRESS_RATE, across the cluster); answers
   * rate_limited and returns false when it has none.
   */
  async takeHash(ctx: RequestContext): Promise<boolean> {
    const wait = await this.buckets.take(`a:${ctx.client.address}:kdf`, this.settings.kdfAddressRate);
    if (wait > 0) this.limited(ctx, TEXTS.tooManyHashes, Math.max(wait, 1000));
    return wait === 0;
  }

  /** Answers rate_limited for a sign-in, sign-up or name check. */
  limited(ctx: RequestContext, message: string, retryAfterMs: number): void {
    this.metrics.auth.inc({ result: 'limited' });
    ctx.error('rate_limited', message, Math.ceil(retryAfterMs));
  }
}
