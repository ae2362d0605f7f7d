/**
 * The native cluster for one suite: started before its tests, stopped after them with every client
 * the suite registered in `clients` (terminated first, so no close handshake waits on a stopped server);
 * the suite fails if Redis refused the servers anything (its ACL LOG).
 */
import { afterAll, beforeAll } from 'vitest';
import { startCluster, type Cluster, type ClusterOptions } from '../../scripts/lib/cluster.js';
import type { TestClient } from './ws-client.js';

export interface ClusterStage {
  /** The running cluster (only inside tests and hooks). */
  readonly cluster: Cluster;
  /** Clients to terminate when the suite ends. */
  readonly clients: TestClient[];
}

export function useCluster(opts: ClusterOptions): ClusterStage {
  let cluster: Cluster | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    cluster = await startCluster(opts);
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    // The servers' Redis user may run only what they use (redis/users.acl.template): a suite in which
    // Redis refused them anything fails, naming what (a new command or key prefix the ACL lacks).
    const denied = await cluster?.aclDenials().catch(() => []) ?? [];
    await cluster?.stop();
    if (denied.length > 0) throw new Error(`Redis refused the servers' user (ACL LOG): ${denied.join('; ')}`);
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the cluster is not running (use it inside tests)');
      return cluster;
    },
    clients,
  };
}
