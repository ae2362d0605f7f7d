/**
 * The native cluster for one suite: started before its tests, stopped after them with every client
 * the suite registered in `clients` (terminated first, so no close handshake waits on a stopped server).
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
    await cluster?.stop();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the cluster is not running (use it inside tests)');
      return cluster;
    },
    clients,
  };
}
