/**
 * Issue 23: with the servers' Redis credentials (what a compromised server, or anyone who read its
 * REDIS_URL, holds) the store cannot be wiped, reconfigured or read wholesale: the ACL user `livechat`
 * (redis/users.acl.template, applied by the native runner as in compose) may run only the commands
 * the servers send, on `lc:*` keys and the `livechat` channel. The servers chat as usual meanwhile,
 * Redis refuses them nothing (ACL LOG), and the operators' user `admin` keeps every right.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { TestClient } from '../helpers/ws-client.js';

type Listed = { messages: Array<{ text: string }> };
const NO_RETRY = { reconnectStrategy: false as const, connectTimeout: 3000 };

describe('the servers\' Redis user has least privilege (native cluster, the compose ACL)', () => {
  let cluster: Cluster;
  const open: TestClient[] = [];
  let app: ReturnType<typeof createClient>;
  let admin: ReturnType<typeof createClient>;
  beforeAll(async () => {
    cluster = await startCluster({ servers: 1, haproxyCheckInterMs: 300 });
    app = createClient({ url: cluster.redisUrl, RESP: 2, socket: NO_RETRY });
    admin = createClient({ url: cluster.redisAdminUrl, RESP: 2, socket: NO_RETRY });
    for (const c of [app, admin]) c.on('error', () => {});
    await Promise.all([app.connect(), admin.connect()]);
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    app?.destroy();
    admin?.destroy();
    await cluster?.stop();
  });

  it('the servers chat as usual and Redis refuses them nothing', async () => {
    const a = await TestClient.connect(cluster.wsUrl);
    const b = await TestClient.connect(cluster.pageWsUrl);
    open.push(a, b);
    await a.hello('alice');
    await b.hello('bob');
    await a.request({ type: 'join', room: 'acl' }, 'joined');
    await b.request({ type: 'join', room: 'acl' }, 'joined');
    expect((await a.request({ type: 'send', room: 'acl', text: 'kept', cid: 'acl-1' }, 'ack')).type).toBe('ack');
    expect(await b.next((f) => f.type === 'message' && f.cid === 'acl-1')).toMatchObject({ text: 'kept' });
    const h = await b.request({ type: 'history', room: 'acl' }, 'history') as unknown as Listed;
    expect(h.messages.map((m) => m.text)).toContain('kept');
    expect(await cluster.aclDenials()).toEqual([]);
    for (const s of cluster.servers) expect((await fetch(`http://127.0.0.1:${s.port}/metrics`)).status).toBe(200);
    expect(await cluster.aclDenials()).toEqual([]);
  });

  it('refuses wiping, reconfiguring and listing the store, and every key outside lc:*', async () => {
    const refused: string[][] = [
      ['FLUSHALL'], ['FLUSHDB'], ['FLUSHALL', 'ASYNC'], ['CONFIG', 'SET', 'appendonly', 'no'], ['CONFIG', 'GET', '*'],
      ['KEYS', '*'], ['SCAN', '0'], ['UNLINK', 'lc:{acl}:hist'], ['DEBUG', 'SLEEP', '0'], ['SHUTDOWN', 'NOSAVE'],
      ['ACL', 'SETUSER', 'livechat', '+@all'], ['ACL', 'LIST'], ['MODULE', 'LIST'], ['CLIENT', 'LIST'], ['CLIENT', 'KILL', 'TYPE', 'normal'],
      ['MONITOR'], ['SCRIPT', 'FLUSH'], ['FUNCTION', 'FLUSH'], ['FCALL', 'f', '0'], ['REPLICAOF', 'NO', 'ONE'], ['SWAPDB', '0', '1'],
      ['BGREWRITEAOF'], ['SAVE'], ['RENAME', 'lc:{acl}:hist', 'lc:x'], ['DUMP', 'lc:{acl}:hist'], ['SELECT', '1'],
      // Keys and channels outside the servers' own.
      ['GET', 'other'], ['SET', 'other', '1'], ['DEL', 'other'], ['HGETALL', 'session:x'], ['PUBLISH', 'elsewhere', 'x'],
      // A script is held to the same ACL: it cannot do what the user cannot, nor name a key outside lc:*.
      ['EVAL', "return redis.call('FLUSHALL')", '0'],
      ['EVAL', "return redis.call('SET', 'other', '1')", '0'],
      ['EVAL', "return redis.call('KEYS', '*')", '0'],
      ['EVAL', 'return 1', '1', 'other'],
    ];
    // NOPERM, or from inside a script "The user executing the script can't run this command"; DEBUG and
    // MODULE are also off in redis-server itself by default (enable-debug-command): refused before the ACL.
    const refusal = (cmd: string[]) => (cmd[0] === 'EVAL' ? /NOPERM|user executing the script can't/ : /^DEBUG|^MODULE/.test(cmd[0]) ? /NOPERM|command not allowed/ : /NOPERM/);
    for (const cmd of refused) await expect(app.sendCommand(cmd), cmd.join(' ')).rejects.toThrow(refusal(cmd));
    // What the servers do still works with the same credentials.
    expect(await app.sendCommand(['SET', 'lc:probe', '1', 'EX', '60'])).toBe('OK');
    expect(await app.sendCommand(['EVAL', "return redis.call('INCR', KEYS[1])", '1', 'lc:probe'])).toBe(2);
    expect(Number(await app.sendCommand(['PUBLISH', 'livechat', 'x probe']))).toBeGreaterThanOrEqual(0);
    expect(await app.sendCommand(['PING'])).toBe('PONG');
    // Each refusal is in Redis's ACL LOG (what an operator would alert on).
    const denials = (await cluster.aclDenials()).join('\n');
    for (const what of ['command flushall', 'command config|set', 'command keys', 'command scan', 'command unlink', 'key other', 'channel elsewhere']) {
      expect(denials, denials).toContain(what);
    }
  });

  it('the store survived, and the operators\' user keeps every right', async () => {
    const keys = (await admin.sendCommand(['KEYS', 'lc:*'])) as string[];
    expect(keys).toContain('lc:{acl}:hist');
    expect(String(await admin.sendCommand(['CONFIG', 'GET', 'maxmemory-policy']))).toContain('noeviction');
    expect(await admin.sendCommand(['SET', 'outside', '1'])).toBe('OK');
    const c = await TestClient.connect(cluster.wsUrl);
    open.push(c);
    await c.hello('carol');
    const h = await c.request({ type: 'join', room: 'acl' }, 'joined') as unknown as Listed;
    expect(h.messages.map((m) => m.text)).toContain('kept');
  });
});
