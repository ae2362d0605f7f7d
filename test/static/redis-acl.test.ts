/**
 * redis/users.acl.template, checked against the code (no Redis needed): the servers' user may run
 * every command app/src sends — directly (`command(['X', …])`, `script`, the bus) or from a Lua script
 * (`redis.call('X', …)`) — and nothing else of note; keys only under `lc:`, the bus channel `livechat` and the servers' relay channels `livechat:srv:*`.
 * A new command or key prefix in the app fails here, naming it, before a cluster test meets NOPERM.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL } from '../../app/src/bus/bus.js';
import { RELAY_CHANNEL_PREFIX } from '../../app/src/relay/relay.js';
import { renderRedisAcl } from '../../scripts/lib/configs.js';

const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n);
  return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
});
const source = files('app/src').map((f) => readFileSync(f, 'utf8')).join('\n');
const template = readFileSync('redis/users.acl.template', 'utf8');
const rendered = renderRedisAcl(template, 'pw-app', 'pw-admin');
const rule = (user: string) => rendered.split('\n').find((l) => l.startsWith(`user ${user} `)) ?? '';
const app = rule('livechat').split(' ');
const allowed = new Set(app.filter((t) => t.startsWith('+')).map((t) => t.slice(1).toLowerCase()));

/** Every command name the servers send. */
function usedCommands(): Set<string> {
  const used = new Set<string>();
  for (const m of source.matchAll(/redis\.p?call\(\s*'([A-Za-z]+)'/g)) used.add(m[1].toLowerCase());
  // this.redis.command<T>(['X', …]), the array possibly on the next line
  for (const m of source.matchAll(/\.command(?:<[^()]*?>)?\(\s*\[\s*'([A-Za-z]+)'/g)) used.add(m[1].toLowerCase());
  // Scripts run by EVALSHA, loaded by SCRIPT LOAD after a restart, EVAL on NOSCRIPT (store/redis-connections.ts).
  for (const m of source.matchAll(/sendCommand\(\s*\[\s*'([A-Z]+)',\s*'([A-Z]+)'/g)) used.add(`${m[1]}|${m[2]}`.toLowerCase());
  // The bus subscribes on its own connection (and node-redis unsubscribes on close).
  if (/subscriber\.subscribe\(/.test(source)) used.add('subscribe').add('unsubscribe');
  return used;
}

describe('redis/users.acl.template: the servers\' user has least privilege', () => {
  it('allows every command app/src sends, directly or from a Lua script', () => {
    const used = usedCommands();
    // The scan itself must see the app's commands (a regex gone stale would pass vacuously).
    for (const c of ['eval', 'evalsha', 'script|load', 'publish', 'subscribe', 'zadd', 'hset', 'incr', 'info', 'mget']) expect(used, c).toContain(c);
    const missing = [...used].filter((c) => !allowed.has(c));
    expect(missing, `add to the livechat user in redis/users.acl.template: ${missing.map((c) => `+${c}`).join(' ')}`).toEqual([]);
  });

  it('starts from nothing: -@all, only lc:* keys, only the bus channel and the relay channels', () => {
    expect(app.slice(0, 4)).toEqual(['user', 'livechat', 'on', expect.stringMatching(/^#[0-9a-f]{64}$/)]);
    expect(app).toContain('-@all');
    expect(app.filter((t) => t.startsWith('~') || t.startsWith('%'))).toEqual(['~lc:*']);
    expect(app.filter((t) => t.startsWith('&'))).toEqual([`&${CHANNEL}`, `&${RELAY_CHANNEL_PREFIX}*`]);
    expect(app.indexOf('resetkeys')).toBeLessThan(app.indexOf('~lc:*'));
    expect(app.indexOf('resetchannels')).toBeLessThan(app.indexOf(`&${CHANNEL}`));
    expect(app.indexOf('-@all')).toBeLessThan(app.findIndex((t) => t.startsWith('+')));
    expect(app.filter((t) => t.startsWith('+@'))).toEqual([]);
    for (const c of ['flushall', 'flushdb', 'config', 'keys', 'scan', 'unlink', 'debug', 'shutdown', 'acl', 'module', 'monitor',
      'client', 'function', 'fcall', 'eval_ro', 'script', 'script|flush', 'replicaof', 'slaveof', 'save', 'bgsave', 'bgrewriteaof',
      'migrate', 'restore', 'dump', 'rename', 'move', 'copy', 'sort', 'object', 'psubscribe', 'multi', 'exec', 'swapdb', 'select']) {
      expect(allowed, c).not.toContain(c);
    }
  });

  it('every key the app names starts with lc: (the ACL\'s only key pattern)', () => {
    const keys = readFileSync('app/src/store/redis-keys.ts', 'utf8');
    const literals = [...keys.matchAll(/[`'](lc[^`']*|[a-z]+:[^`']*)[`']/g)].map((m) => m[1]);
    expect(literals.length).toBeGreaterThan(5);
    for (const k of literals) expect(k, k).toMatch(/^lc:/);
  });

  it('the operators\' user keeps every right; default is off (it only replays the AOF)', () => {
    expect(rule('admin')).toMatch(/^user admin on #[0-9a-f]{64} ~\* &\* \+@all$/);
    expect(rule('default')).toBe('user default off ~* &* +@all');
    expect(rendered).not.toContain('pw-app');
    expect(rendered).not.toContain('pw-admin');
    expect(rendered.split('\n').filter((l) => l.startsWith('user ')).length).toBe(3);
  });
});
