// SigninLimits (issue 23, attacks 5 and 6): failures per (account, address) pair and per address lock
// that address out for the window; failures of one account from everywhere only start a short,
// capped backoff; refused attempts do not count toward it.
import { describe, expect, it } from 'vitest';
import { MemoryAccounts } from '../../app/src/accounts/memory-accounts.js';
import { MemoryLimits } from '../../app/src/limits/memory-limits.js';
import { backoffMs, SigninLimits } from '../../app/src/chat/signin-limits.js';
import type { AccountSettings } from '../../app/src/chat/settings.js';
import type { Metrics } from '../../app/src/metrics.js';

const settings = {
  signinPairLimit: 3, signinAddressLimit: 5, signinAccountLimit: 4, signinWindowSec: 900, signinBackoffMaxMs: 2000,
  kdfAddressRate: { burst: 2, perSec: 1 },
} as AccountSettings;
const metrics = { auth: { inc() {} } } as unknown as Metrics;

function setup() {
  let now = 1_000_000;
  const accounts = new MemoryAccounts(() => {}, { accountTtlMs: 1e9, maxRooms: 10 }, undefined, () => now);
  return { limits: new SigninLimits(accounts, settings, metrics, new MemoryLimits(undefined, () => now)), tick: (ms: number) => { now += ms; } };
}

describe('backoffMs', () => {
  it('is 0 within the limit, then 250 ms doubling, capped', () => {
    expect([0, -1].map((n) => backoffMs(n, 5000))).toEqual([0, 0]);
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffMs(n, 5000))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });
});

describe('SigninLimits.attempt', () => {
  it('locks a pair out past its limit, never another address', async () => {
    const { limits } = setup();
    for (let i = 0; i < 3; i++) expect((await limits.attempt('ann', '10.0.0.1')).wait).toBe(0);
    expect((await limits.attempt('ann', '10.0.0.1')).wait).toBeGreaterThan(60_000);
    expect((await limits.attempt('ann', '10.0.0.2')).wait).toBe(0);
    // The same address may still try another account (up to the address's own limit).
    expect((await limits.attempt('bob', '10.0.0.1')).wait).toBe(0);
    expect((await limits.attempt('cat', '10.0.0.1')).wait).toBeGreaterThan(0);
  });

  it('past the account limit from many addresses, a failure starts a short backoff, never longer than the cap', async () => {
    const { limits, tick } = setup();
    for (let i = 0; i < 6; i++) {
      const a = await limits.attempt('ann', `10.0.1.${i}`);
      expect(a.wait).toBe(0);
      await limits.failedAttempt('ann', a);
      tick(2001);
    }
    const failed = await limits.attempt('ann', '10.0.1.50');
    await limits.failedAttempt('ann', failed);
    const waiting = await limits.attempt('ann', '10.0.2.1');
    expect(waiting.wait).toBeGreaterThan(0);
    expect(waiting.wait).toBeLessThanOrEqual(2000);
    tick(waiting.wait);
    expect((await limits.attempt('ann', '10.0.2.1')).wait).toBe(0);
  });

  it('attempts refused for the pair do not count toward the account', async () => {
    const { limits } = setup();
    for (let i = 0; i < 40; i++) await limits.attempt('ann', '10.0.0.9');
    const a = await limits.attempt('ann', '10.0.0.10');
    expect(a.wait).toBe(0);
    expect(a.accountCount).toBeLessThanOrEqual(4);
  });
});
