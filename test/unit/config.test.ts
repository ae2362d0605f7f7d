import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/src/config.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({ APPID: 'x' });
    expect(c).toMatchObject({ appId: 'x', port: 3000, store: 'redis', maxPayload: 65536, historyMax: 1000 });
  });

  it('fails fast naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT=eighty/);
    expect(() => loadConfig({ STORE: 'mongo' })).toThrow(/STORE/);
    expect(() => loadConfig({ APPID: 'a b' })).toThrow(/APPID/);
    expect(() => loadConfig({ DEDUP_TTL_SEC: '60' })).toThrow(/DEDUP_TTL_SEC/);
  });
});
