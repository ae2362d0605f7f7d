/**
 * The server under attack in a security suite: a private redis-server, one real server process on it,
 * two bystanders chatting in `lobby`, and clients that are terminated when the suite ends.
 */
import { startRedis, type TestRedis } from '../../helpers/redis-server.js';
import { startServer, type ServerOpts, type ServerProc } from '../../helpers/server-proc.js';
import { TestClient } from '../../helpers/ws-client.js';
import { bystanders, type Bystanders } from './bystander.js';

export interface Target {
  redis: TestRedis;
  srv: ServerProc;
  by: Bystanders;
  /** Sockets to terminate at the end (clients made by `client` are added already). */
  open: Array<{ terminate(): void }>;
  /** A connected client that said hello. */
  client(name?: string, url?: string): Promise<TestClient>;
  stop(): Promise<void>;
}

export async function startTarget(opts: Omit<ServerOpts, 'redisUrl'>): Promise<Target> {
  const redis = await startRedis();
  const srv = await startServer({ ...opts, redisUrl: redis.url });
  const by = await bystanders(srv.url);
  const open: Array<{ terminate(): void }> = [];
  return {
    redis, srv, by, open,
    async client(name = 'Mallory', url = srv.url) {
      const c = await TestClient.connect(url);
      open.push(c);
      await c.hello(name);
      return c;
    },
    async stop() {
      by.close();
      for (const c of open) c.terminate();
      await srv.kill('SIGKILL');
      await redis.stop();
    },
  };
}
