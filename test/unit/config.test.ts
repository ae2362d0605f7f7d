import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/src/config.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({ APPID: 'x' });
    expect(c).toMatchObject({ appId: 'x', port: 3000, store: 'redis', maxPayload: 65536, historyMax: 1000 });
  });

  it('LC_LOAD_TEST=1 lifts every per-address limit and nothing else', () => {
    const normal = loadConfig({ STORE: 'memory' });
    const load = loadConfig({ STORE: 'memory', LC_LOAD_TEST: '1' });
    expect(normal.loadTest).toBe(false);
    expect(load.loadTest).toBe(true);
    for (const [a, b] of [[normal.sessionCreateRate, load.sessionCreateRate], [normal.uploadBytesRate, load.uploadBytesRate], [normal.kdfAddressRate, load.kdfAddressRate]]) {
      expect(b.burst).toBeGreaterThan(a.burst * 1000);
      expect(b.perSec).toBeGreaterThan(a.perSec * 1000);
    }
    expect(load.signinAddressLimit).toBeGreaterThan(normal.signinAddressLimit * 1000);
    expect(load.signinPairLimit).toBeGreaterThan(normal.signinPairLimit * 1000);
    // Per member and per connection: as they were.
    expect([load.sendRate, load.joinRate, load.uploadRate, load.signinAccountLimit, load.rateBurst, load.maxConnections])
      .toEqual([normal.sendRate, normal.joinRate, normal.uploadRate, normal.signinAccountLimit, normal.rateBurst, normal.maxConnections]);
    expect(() => loadConfig({ STORE: 'memory', LC_LOAD_TEST: 'yes' })).toThrow(/LC_LOAD_TEST/);
  });

  it('fails fast naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT=eighty/);
    expect(() => loadConfig({ STORE: 'mongo' })).toThrow(/STORE/);
    expect(() => loadConfig({ APPID: 'a b' })).toThrow(/APPID/);
    expect(() => loadConfig({ DEDUP_TTL_SEC: '60' })).toThrow(/DEDUP_TTL_SEC/);
  });

  it('sign-in and session limits (issue 23): defaults, and fail-fast messages naming the variable', () => {
    const c = loadConfig({ STORE: 'memory' });
    expect([c.signinPairLimit, c.signinAddressLimit, c.signinAccountLimit, c.signinWindowSec, c.signinBackoffMaxMs]).toEqual([10, 50, 100, 900, 5000]);
    expect(c.kdfAddressRate).toEqual({ burst: 10, perSec: 0.1 });
    expect([c.accountMaxSessions, c.sessionMaxAgeSec]).toEqual([20, 30 * 86_400]);
    expect(loadConfig({ STORE: 'memory', KDF_ADDRESS_RATE_PER_SEC: '0.5', ACCOUNT_MAX_SESSIONS: '3' })).toMatchObject({ kdfAddressRate: { perSec: 0.5 }, accountMaxSessions: 3 });
    for (const [k, v] of [['SIGNIN_PAIR_LIMIT', '0'], ['SIGNIN_BACKOFF_MAX_MS', '10'], ['KDF_ADDRESS_RATE_PER_SEC', '0'], ['KDF_ADDRESS_RATE_BURST', 'many'], ['ACCOUNT_MAX_SESSIONS', '0'], ['SESSION_MAX_AGE_SEC', '-1']]) {
      expect(() => loadConfig({ STORE: 'memory', [k]: v })).toThrow(new RegExp(`${k}=`));
    }
  });
});
