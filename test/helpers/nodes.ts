/**
 * Starts livechat nodes inside the test process on free ports: one embedded node with the memory
 * backend, or several nodes sharing a private redis-server. Same wiring as the real process (node.ts).
 */
import { pino } from 'pino';
import { loadConfig } from '../../app/src/config.js';
import { createNode, type ChatNode } from '../../app/src/node.js';
import { LOOSE_LIMITS } from './limits.js';
import { startRedis, type TestRedis } from './redis-server.js';

export interface Nodes {
  kind: 'memory' | 'redis';
  nodes: ChatNode[];
  /** ws:// URL of each node. */
  urls: string[];
  redis: TestRedis | null;
  stop(): Promise<void>;
}

export async function startNodes(kind: 'memory' | 'redis', count: number, env: Record<string, string> = {}): Promise<Nodes> {
  const redis = kind === 'redis' ? await startRedis({ aof: true }) : null;
  const nodes: ChatNode[] = [];
  const urls: string[] = [];
  for (let i = 0; i < (kind === 'memory' ? 1 : count); i++) {
    const config = loadConfig({
      APPID: `${kind === 'memory' ? 'embedded' : 'node'}${i + 1}`,
      HOST: '127.0.0.1',
      PORT: '0',
      STORE: kind,
      REDIS_URL: redis?.url ?? 'redis://127.0.0.1:1',
      PRESENCE_GRACE_MS: '300',
      PRESENCE_HEARTBEAT_MS: '200',
      PRESENCE_TTL_MS: '1000',
      LOG_LEVEL: 'silent',
      ...LOOSE_LIMITS,
      ...env,
    });
    const node = createNode(config, pino({ level: 'silent' }));
    const port = await node.start();
    nodes.push(node);
    urls.push(`ws://127.0.0.1:${port}/ws`);
  }
  // An embedded node plays every "server" of a test: guarantees must hold on one process too.
  while (urls.length < count) urls.push(urls[0]);
  return {
    kind,
    nodes,
    urls,
    redis,
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await redis?.stop();
    },
  };
}
