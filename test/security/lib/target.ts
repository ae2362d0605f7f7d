/**
 * The server under attack in a security suite: a private redis-server, one real server process on it,
 * two bystanders chatting in `lobby`, and clients that are terminated when the suite ends.
 */
import { afterAll, beforeAll } from 'vitest';
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

/**
 * Starts a target for the enclosing `describe` (beforeAll) and stops it after (afterAll). The fields
 * read through to the started target, so tests write `t.srv`, `t.by`, `t.client(…)`.
 */
export function useTarget(opts: Omit<ServerOpts, 'redisUrl'>): Target {
  let started: Target | undefined;
  const get = () => {
    if (!started) throw new Error('the target is not started (use it inside a test)');
    return started;
  };
  beforeAll(async () => { started = await startTarget(opts); });
  afterAll(() => started?.stop());
  return {
    get redis() { return get().redis; },
    get srv() { return get().srv; },
    get by() { return get().by; },
    get open() { return get().open; },
    client: (name, url) => get().client(name, url),
    stop: () => get().stop(),
  };
}
