/**
 * Redis HA, the parts that need no Redis: the Sentinel settings and their validation, reading
 * Sentinel's answers, moving REDIS_URL's credentials to another primary, and the HA config files
 * (ACL users with least privilege, the Sentinel template fully rendered). Plus WAIT against a lone
 * Redis: asked for a replica it does not have, an acked write becomes StoreUnavailableError.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBackend } from '../../app/src/backends.js';
import { ConfigError, loadConfig } from '../../app/src/config.js';
import { StoreUnavailableError } from '../../app/src/store/errors.js';
import { RedisConnections, urlAt } from '../../app/src/store/redis-connections.js';
import { parseMasterAddr, parseSwitchMaster, reachedAt, sameAddress } from '../../app/src/store/redis-sentinel.js';
import { renderHaAcl, renderSentinelConf } from '../../scripts/lib/redis-ha.js';
import { pino } from 'pino';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';


describe('Redis HA settings', () => {
  it('are off by default: one Redis, no WAIT', () => {
    const c = loadConfig({ APPID: 'x' });
    expect(c).toMatchObject({ redisSentinels: [], redisSentinelName: 'livechat', redisSentinelPassword: '', redisWaitReplicas: 0, redisWaitTimeoutMs: 500, redisTimeoutMs: 2000 });
  });

  it('read REDIS_SENTINELS as host:port pairs, REDIS_WAIT_REPLICAS and REDIS_WAIT_TIMEOUT_MS', () => {
    const c = loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379, sentinel-2:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'chat', REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '250' });
    expect(c.redisSentinels).toEqual([{ host: '10.0.0.1', port: 26379 }, { host: 'sentinel-2', port: 26380 }, { host: '::1', port: 26381 }]);
    expect(c).toMatchObject({ redisSentinelName: 'chat', redisWaitReplicas: 1, redisWaitTimeoutMs: 250 });
  });

  it('read REDIS_SENTINEL_ADDRESS_MAP as announced=reached pairs, and refuse anything else', () => {
    const c = loadConfig({ REDIS_SENTINEL_ADDRESS_MAP: '10.0.0.5:6379=127.0.0.1:16379, [fd00::1]:6380=proxy:7000' });
    expect(c.redisSentinelAddressMap).toEqual([
      [{ host: '10.0.0.5', port: 6379 }, { host: '127.0.0.1', port: 16379 }],
      [{ host: 'fd00::1', port: 6380 }, { host: 'proxy', port: 7000 }],
    ]);
    expect(loadConfig({}).redisSentinelAddressMap).toEqual([]);
    for (const bad of ['10.0.0.5:6379', '10.0.0.5:6379=', 'a:1=b:2=c:3', 'a:1=b', 'a:1=b:2,']) {
      expect(() => loadConfig({ REDIS_SENTINEL_ADDRESS_MAP: bad }), bad).toThrow(/REDIS_SENTINEL_ADDRESS_MAP/);
    }
  });

  it('fail fast naming the variable', () => {
    for (const bad of ['10.0.0.1', '10.0.0.1:0', 'a:26379,', 'host:99999', 'a b:1']) {
      expect(() => loadConfig({ REDIS_SENTINELS: bad }), bad).toThrow(/REDIS_SENTINELS/);
    }
    expect(() => loadConfig({ REDIS_WAIT_REPLICAS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_WAIT_REPLICAS: 'one' })).toThrow(/REDIS_WAIT_REPLICAS/);
    // WAIT must give up before the command's own deadline, or a missing replica reads as a Redis outage.
    expect(() => loadConfig({ REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '2000' })).toThrow(/REDIS_WAIT_TIMEOUT_MS=2000.*REDIS_TIMEOUT_MS/);
    expect(() => loadConfig({ REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '2000', REDIS_TIMEOUT_MS: '3000' })).not.toThrow();
    // Off (the default), the WAIT timeout is not checked; its default follows a short REDIS_TIMEOUT_MS.
    expect(() => loadConfig({ REDIS_TIMEOUT_MS: '300' })).not.toThrow();
    expect(loadConfig({ REDIS_TIMEOUT_MS: '300', REDIS_WAIT_REPLICAS: '1' }).redisWaitTimeoutMs).toBe(150);
  });
});

describe('Sentinel answers', () => {
  it('+switch-master names the new primary, for our name only', () => {
    expect(parseSwitchMaster('livechat 127.0.0.1 6379 127.0.0.1 6380', 'livechat')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(parseSwitchMaster('other 127.0.0.1 6379 127.0.0.1 6380', 'livechat')).toBeNull();
    expect(parseSwitchMaster('livechat 127.0.0.1 6379', 'livechat')).toBeNull();
    expect(parseSwitchMaster('livechat a 1 b x', 'livechat')).toBeNull();
  });

  it('a named data node is reached at its mapped address, else at the named one', () => {
    const map = [[{ host: '10.0.0.5', port: 6379 }, { host: '127.0.0.1', port: 16379 }]] as const;
    expect(reachedAt({ host: '10.0.0.5', port: 6379 }, map)).toEqual({ host: '127.0.0.1', port: 16379 });
    expect(reachedAt({ host: '10.0.0.5', port: 6380 }, map)).toEqual({ host: '10.0.0.5', port: 6380 });
    expect(reachedAt({ host: '10.0.0.6', port: 6379 })).toEqual({ host: '10.0.0.6', port: 6379 });
  });

  it('get-master-addr-by-name: [host, port], or nil for an unknown name', () => {
    expect(parseMasterAddr(['10.1.2.3', '6379'])).toEqual({ host: '10.1.2.3', port: 6379 });
    expect(parseMasterAddr(null)).toBeNull();
    expect(parseMasterAddr(['x'])).toBeNull();
    expect(sameAddress({ host: 'a', port: 1 }, { host: 'a', port: 1 })).toBe(true);
    expect(sameAddress(null, { host: 'a', port: 1 })).toBe(false);
  });

  it('the primary is reached with REDIS_URL\'s user, password and scheme', () => {
    expect(urlAt('redis://livechat:p%40ss@redis:6379', { host: '10.0.0.9', port: 6380 })).toBe('redis://livechat:p%40ss@10.0.0.9:6380');
    expect(urlAt('rediss://u:p@h:1/0', { host: '::1', port: 7000 })).toBe('rediss://u:p@[::1]:7000/0');
  });
});

describe('HA config files', () => {
  const acl = renderHaAcl(readFileSync('redis/users-ha.acl.template', 'utf8'), 'pw-replica', 'pw-sentinel');
  const user = (name: string) => (acl.split('\n').find((l) => l.startsWith(`user ${name} `)) ?? '').split(' ');

  it('a replica may only sync; a Sentinel only watch and reconfigure; neither touches keys', () => {
    const plus = (u: string[]) => u.filter((t) => t.startsWith('+')).map((t) => t.slice(1)).sort();
    expect(plus(user('replica'))).toEqual(['ping', 'psync', 'replconf']);
    expect(plus(user('sentinel'))).toEqual(['client|kill', 'client|setname', 'config|rewrite', 'exec', 'info', 'multi', 'ping', 'publish', 'replicaof', 'role', 'script|kill', 'slaveof', 'subscribe']);
    for (const u of [user('replica'), user('sentinel')]) {
      expect(u[2]).toBe('on');
      expect(u[3]).toMatch(/^#[0-9a-f]{64}$/);
      expect(u).toContain('-@all');
      expect(u.filter((t) => t.startsWith('~') || t.startsWith('%'))).toEqual([]);
    }
    expect(user('sentinel').filter((t) => t.startsWith('&'))).toEqual(['&__sentinel__:hello']);
    expect(acl).not.toMatch(/pw-replica|pw-sentinel|#.*\$\{/);
  });

  it('the Sentinel template renders with nothing left over', () => {
    const conf = renderSentinelConf(readFileSync('redis/sentinel.conf.template', 'utf8'), {
      SENTINEL_PORT: '26379', SENTINEL_BIND: '0.0.0.0', SENTINEL_NAME: 'livechat', PRIMARY_HOST: 'redis', PRIMARY_PORT: '6379',
      SENTINEL_QUORUM: '2', SENTINEL_DOWN_AFTER_MS: '5000', SENTINEL_FAILOVER_TIMEOUT_MS: '60000', SENTINEL_USER: 'sentinel', SENTINEL_PASSWORD: 'pw',
    });
    expect(conf).toContain('sentinel monitor livechat redis 6379 2');
    expect(conf).toContain('sentinel auth-user livechat sentinel');
    expect(conf).not.toContain('${');
    expect(() => renderSentinelConf('port ${SENTINEL_PORT}', {})).toThrow(/SENTINEL_PORT/);
  });

  it('every data node refuses writes without a replica (min-replicas-to-write 1, lag 10 s)', () => {
    const rep = readFileSync('redis/replication.conf', 'utf8');
    expect(rep).toMatch(/^min-replicas-to-write 1$/m);
    expect(rep).toMatch(/^min-replicas-max-lag 10$/m);
  });
});

describe('WAIT before the ack (a lone Redis: no replica ever confirms)', () => {
  let redis: TestRedis;
  const log = pino({ level: 'silent' });
  beforeAll(async () => { redis = await startRedis(); });
  afterAll(async () => { await redis?.stop(); });

  it('REDIS_WAIT_REPLICAS=1: the write is made, but `replicated` throws StoreUnavailableError after the WAIT timeout', async () => {
    const c = new RedisConnections(redis.url, { timeoutMs: 1000, waitReplicas: 1, waitTimeoutMs: 100 }, log);
    await c.connect();
    try {
      const t0 = Date.now();
      await expect(c.replicated(() => c.command(['SET', 'lc:t', '1']))).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
      expect(await c.command(['GET', 'lc:t'])).toBe('1');
    } finally {
      await c.close();
    }
  });

  it('REDIS_WAIT_REPLICAS=0 (the default): no WAIT at all', async () => {
    const c = new RedisConnections(redis.url, 1000, log);
    await c.connect();
    try {
      expect(c.waitsForReplicas).toBe(false);
      await expect(c.replicated(() => c.command(['SET', 'lc:t', '2']))).resolves.toBe('OK');
    } finally {
      await c.close();
    }
  });

  it('a send through the backend is refused (not acked) when no replica confirms', async () => {
    const settings = { ...loadConfig({ APPID: 'x', REDIS_URL: redis.url, REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '100' }) };
    const b = createRedisBackend(settings, log);
    await b.start();
    try {
      const from = { id: 'm1', name: 'Ann' };
      await expect(b.history.append({ room: 'r', from, text: 'hi', cid: 'c1', via: 'x' } as never)).rejects.toBeInstanceOf(StoreUnavailableError);
      // The retry finds the cid (dedup) and is refused again, still not confirmed.
      await expect(b.history.append({ room: 'r', from, text: 'hi', cid: 'c1', via: 'x' } as never)).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await b.close();
    }
  });
});
