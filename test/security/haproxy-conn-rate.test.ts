// HAProxy's per-source connection-rate limit (stick table): off by default for load tests from one IP
// (the reconnect-storm fault test opens 300 at once), enforced when LC_MAX_CONN_RATE is lowered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/lib/cluster.js';
import { TestClient } from '../helpers/ws-client.js';

describe('HAProxy per-IP connection-rate limit', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ servers: 1, haproxyCheckInterMs: 300, haproxyEnv: { LC_MAX_CONN_RATE: '20' } });
  });
  afterAll(async () => { await cluster?.stop(); });

  it('refuses connections past the configured rate from one source, and the server keeps serving', async () => {
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => TestClient.connect(cluster.wsUrl)));
    const opened = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<TestClient>).value);
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.length).toBeLessThanOrEqual(21);
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThanOrEqual(19);
    const w = await opened[0].hello('still-here');
    expect(w.type).toBe('welcome');
    for (const c of opened) c.close();
  });
});
