/**
 * Redis with replicas and Sentinel in compose for real: `docker compose -f docker-compose.yml -f
 * docker-compose.ha.yml up --build` (a primary, two replicas, three Sentinels; the servers follow the
 * Sentinels and wait for a replica before each ack). The primary's container is SIGKILLed while a
 * client keeps sending (retrying the same cid on `unavailable`): sends are acked again within 30 s,
 * every acked message is in the history exactly once with contiguous ids, and the old primary, started
 * again, comes back as a replica. `down -v` always. Same host ports as the other compose files under a
 * project name of its own (vitest runs these files one at a time). SKIP_DOCKER_TESTS=1 skips it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { must, SKIP_DOCKER, sleep, until } from './lib/docker.js';
import { useOverlayStack } from './lib/overlay-stack.js';

const PROJECT = 'livechat-compose-ha-test';
const PAGE_WS = 'ws://127.0.0.1:8000/ws';

describe.skipIf(SKIP_DOCKER)('docker compose with docker-compose.ha.yml: Redis replicas and Sentinel', () => {
  const { compose } = useOverlayStack(PROJECT, 'docker-compose.ha.yml', 'ha');
  const clients: TestClient[] = [];
  afterAll(() => { for (const c of clients) c.terminate(); });
  /** INFO replication of a data node, through its admin user. */
  const replication = (service: string) => compose(['exec', '-T', service, 'sh', '-c',
    '. /run/livechat/redis-admin.env && redis-cli --no-auth-warning -u "$REDIS_ADMIN_URL" -h 127.0.0.1 info replication'], 30_000);

  it('starts healthy: a primary with two replicas in sync, three Sentinels agreeing on it', async () => {
    const states = await compose(['ps', '--format', '{{.Service}} {{.State}} {{.Health}}'], 30_000);
    for (const svc of ['redis', 'redis-replica-1', 'redis-replica-2', 'sentinel-1', 'sentinel-2', 'sentinel-3', 'ws', 'haproxy', 'front']) {
      expect(states, svc).toMatch(new RegExp(`^${svc} running healthy$`, 'm'));
    }
    expect(await replication('redis')).toMatch(/connected_slaves:2/);
  });

  it('the primary SIGKILLed under sends: acked again within 30 s, every acked message once with contiguous ids; the old primary returns as a replica', async () => {
    const c = await TestClient.connect(PAGE_WS);
    clients.push(c);
    await c.hello('HaSender');
    await c.request({ type: 'join', room: 'compose-ha' }, 'joined');
    const acked = new Map<string, number>();
    let n = 0;
    /** Sends one message, retrying the same cid on `unavailable` until it is acked (or the deadline). */
    const sendOne = async (deadline: number) => {
      const cid = `ha-${n++}`;
      while (Date.now() < deadline) {
        const a = await c.request({ type: 'send', room: 'compose-ha', text: `m ${cid}`, cid }, 'ack', 10_000).catch(() => null);
        if (a?.type === 'ack') { acked.set(cid, a.id as number); return; }
        await sleep(300);
      }
      throw new Error(`${cid} never acked`);
    };
    for (let i = 0; i < 10; i++) await sendOne(Date.now() + 10_000);
    const t0 = Date.now();
    await must('docker', ['kill', '-s', 'KILL', `${PROJECT}-redis-1`], { timeoutMs: 30_000 });
    await sendOne(Date.now() + 60_000);
    const backAfter = (Date.now() - t0) / 1000;
    for (let i = 0; i < 10; i++) await sendOne(Date.now() + 20_000);
    console.log(`  compose (ha): primary SIGKILLed; sends acked again after ${backAfter.toFixed(1)} s`);
    expect(backAfter).toBeLessThan(30);
    // The new order, from a fresh client: every acked message once, in one contiguous run of ids.
    // Right after the switch HAProxy may still count the servers down (/readyz fails while their
    // connections move to the new primary): a page would retry, so does the reader.
    const taken: TestClient[] = [];
    await until('a new connection to be taken', async () => {
      const c = await TestClient.connect(PAGE_WS).catch(() => null);
      if (c) taken.push(c);
      return c !== null;
    }, 30_000, 500);
    const reader = taken[0];
    clients.push(reader);
    await reader.hello('HaReader');
    const j = await reader.request({ type: 'join', room: 'compose-ha', after: 0 }, 'joined');
    const messages = (j as unknown as { messages: Array<{ id: number; cid: string }> }).messages;
    const ids = messages.map((m) => m.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0] + i));
    for (const [cid, id] of acked) {
      expect(messages.filter((m) => m.cid === cid).map((m) => m.id), cid).toEqual([id]);
    }
    // The old primary, started again, is made a replica of the new one by the Sentinels.
    await compose(['up', '-d', '--wait', '--wait-timeout', '120', '--no-build'], 180_000);
    await until('the old primary to be a replica', async () => /role:slave/.test(await replication('redis').catch(() => '')), 60_000, 1000);
  }, 240_000);
});
