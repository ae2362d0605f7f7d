/**
 * `--redis-ha` of the native cluster: a primary, two replicas and three Sentinels on 127.0.0.1, from
 * the same files compose can use — redis/redis.conf + redis/replication.conf for every data node,
 * redis/users.acl.template + redis/users-ha.acl.template for the ACL, redis/sentinel.conf.template
 * for the Sentinels. Each node gets its own config file in the run dir: Sentinel rewrites the data
 * nodes' (CONFIG REWRITE after REPLICAOF) and its own, so none may be a file of the checkout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { readRepoFile, renderTemplate } from './configs.js';
import { freePort, spawnLogged, START_TIMEOUT_MS, stopChild, until, type Child } from './procs.js';

export const SENTINEL_NAME = 'livechat';
export const REPLICA_USER = 'replica';
export const SENTINEL_USER = 'sentinel';

export interface RedisNode { role: 'primary' | 'replica'; port: number; child: Child | null; conf: string }
export interface SentinelNode { port: number; child: Child | null; conf: string }

export interface RedisHaSetup {
  root: string; runDir: string; redisBin: string; baseEnv: NodeJS.ProcessEnv;
  primaryPort: number;
  /** The rendered base ACL (users.acl.template); the HA users are appended. */
  baseAcl: string;
  /** Extra redis-server arguments of every data node (maxmemory, appendonly, …). */
  dataArgs: string[];
  downAfterMs?: number; failoverTimeoutMs?: number;
  track: (c: Child) => Child;
  ping: (port: number) => Promise<boolean>;
  dead: (c: Child) => () => string | null;
  log: (line: string) => void;
  /** The operators' URL of a data node (user admin). */
  adminUrl: (port: number) => string;
}

/** The HA users' ACL lines (comments dropped), passwords only as SHA-256. */
export function renderHaAcl(template: string, replicaPassword: string, sentinelPassword: string): string {
  const sha = (p: string) => createHash('sha256').update(p).digest('hex');
  return renderTemplate(template.split('\n').filter((l) => !l.startsWith('#')).join('\n'), {
    REDIS_REPLICA_PASSWORD_SHA256: sha(replicaPassword), REDIS_SENTINEL_PASSWORD_SHA256: sha(sentinelPassword),
  });
}

export function renderSentinelConf(template: string, vars: Record<string, string>): string {
  return renderTemplate(template.split('\n').filter((l) => !l.startsWith('#')).join('\n'), vars);
}

export class RedisHa {
  readonly nodes: RedisNode[] = [];
  readonly sentinels: SentinelNode[] = [];
  private readonly replicaPassword = randomBytes(24).toString('hex');
  private readonly sentinelPassword = randomBytes(24).toString('hex');
  private readonly acl: string;

  constructor(private readonly s: RedisHaSetup) {
    this.acl = join(s.runDir, 'users.acl');
    const ha = renderHaAcl(readRepoFile(s.root, 'redis/users-ha.acl.template'), this.replicaPassword, this.sentinelPassword);
    writeFileSync(this.acl, `${s.baseAcl.trimEnd()}\n${ha.trim()}\n`, { mode: 0o600 });
  }

  /** REDIS_SENTINELS for the servers. */
  get sentinelList(): string {
    return this.sentinels.map((x) => `127.0.0.1:${x.port}`).join(',');
  }

  async start(): Promise<void> {
    const { s } = this;
    const base = `${readRepoFile(s.root, 'redis/redis.conf')}\n${readRepoFile(s.root, 'redis/replication.conf')}\n`;
    const ports = [s.primaryPort, await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const conf = join(s.runDir, `redis-${port}.conf`);
      const dir = join(s.runDir, `redis-${port}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(conf, [base, `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `aclfile ${this.acl}`, `masteruser ${REPLICA_USER}`, `masterauth ${this.replicaPassword}`,
        ...(i > 0 ? [`replicaof 127.0.0.1 ${s.primaryPort}`] : []), ''].join('\n'), { mode: 0o600 });
      this.nodes.push({ role: i === 0 ? 'primary' : 'replica', port, child: null, conf });
    }
    for (const n of this.nodes) await this.startNode(n.port);
    await until('replicas in sync', async () => (await this.info(s.primaryPort, 'replication')).includes('connected_slaves:2'), 20_000);
    const template = readRepoFile(s.root, 'redis/sentinel.conf.template');
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(s.runDir, `sentinel-${port}.conf`);
      writeFileSync(conf, renderSentinelConf(template, {
        SENTINEL_PORT: String(port), SENTINEL_BIND: '127.0.0.1', SENTINEL_NAME, PRIMARY_HOST: '127.0.0.1', PRIMARY_PORT: String(s.primaryPort),
        SENTINEL_QUORUM: '2', SENTINEL_DOWN_AFTER_MS: String(s.downAfterMs ?? 1500), SENTINEL_FAILOVER_TIMEOUT_MS: String(s.failoverTimeoutMs ?? 6000),
        SENTINEL_USER, SENTINEL_PASSWORD: this.sentinelPassword,
      }), { mode: 0o600 });
      this.sentinels.push({ port, child: null, conf });
    }
    for (const x of this.sentinels) await this.startSentinel(x.port);
    // Ready when every Sentinel knows both replicas and the two other Sentinels.
    await until('sentinels agree', async () => (await Promise.all(this.sentinels.map(async (x) => {
      const m = await this.sentinelMaster(x.port);
      return m['num-slaves'] === '2' && m['num-other-sentinels'] === '2';
    }))).every(Boolean), 30_000);
  }

  async startNode(port: number): Promise<void> {
    const n = this.nodes.find((x) => x.port === port);
    if (!n) throw new Error(`no redis node on ${port}`);
    if (n.child && !n.child.done) return;
    const c = this.s.track(spawnLogged(`redis ${port}`, this.s.redisBin, [n.conf, ...this.s.dataArgs], join(this.s.runDir, `redis-${port}.log`), this.s.baseEnv, this.s.runDir));
    n.child = c;
    await until(`redis on port ${port}`, () => this.s.ping(port), START_TIMEOUT_MS, this.s.dead(c));
    this.s.log(`redis ${n.role} pid=${c.pid} port=${port}`);
  }

  private async startSentinel(port: number): Promise<void> {
    const x = this.sentinels.find((y) => y.port === port);
    if (!x) throw new Error(`no sentinel on ${port}`);
    const c = this.s.track(spawnLogged(`sentinel ${port}`, this.s.redisBin, [x.conf, '--sentinel'], join(this.s.runDir, `sentinel-${port}.log`), this.s.baseEnv, this.s.runDir));
    x.child = c;
    await until(`sentinel on port ${port}`, async () => Object.keys(await this.sentinelMaster(port).catch(() => ({}))).length > 0, START_TIMEOUT_MS, this.s.dead(c));
    this.s.log(`sentinel pid=${c.pid} port=${port}`);
  }

  /** Signals a data node (SIGKILL, SIGTERM, SIGSTOP, SIGCONT); for SIGKILL/SIGTERM waits for its exit. */
  async signalNode(port: number, signal: NodeJS.Signals): Promise<void> {
    const n = this.nodes.find((x) => x.port === port);
    if (!n?.child || n.child.done) throw new Error(`redis ${port} is not running`);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') { n.child.proc.kill(signal); return; }
    await stopChild(n.child, signal, 5000);
  }

  /** The primary's port as the Sentinels' majority names it (null while they disagree or none answers). */
  async primaryPort(): Promise<number | null> {
    const answers = await Promise.all(this.sentinels.filter((x) => x.child && !x.child.done).map((x) => this.sentinelAsk(x.port,
      ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME]).then((r) => Number((r as string[])[1])).catch(() => 0)));
    const best = answers.filter((p) => p > 0).sort((a, b) => answers.filter((p) => p === b).length - answers.filter((p) => p === a).length)[0];
    return best && answers.filter((p) => p === best).length >= 2 ? best : null;
  }

  /** A data node's INFO section, as the admin. */
  async info(port: number, section: string): Promise<string> {
    return this.adminAsk(port, ['INFO', section]) as Promise<string>;
  }

  adminAsk(port: number, args: string[]): Promise<unknown> {
    return askOnce({ url: this.s.adminUrl(port) }, args);
  }

  private async sentinelMaster(port: number): Promise<Record<string, string>> {
    const flat = await this.sentinelAsk(port, ['SENTINEL', 'MASTER', SENTINEL_NAME]) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
    return out;
  }

  sentinelAsk(port: number, args: string[]): Promise<unknown> {
    return askOnce({ socket: { host: '127.0.0.1', port } }, args);
  }
}

/** One command on a connection of its own (no retries, 2 s to connect), closed after. */
async function askOnce(target: { url?: string; socket?: { host: string; port: number } }, args: string[]): Promise<unknown> {
  const c = createClient({
    ...(target.url ? { url: target.url } : {}), RESP: 2, disableClientInfo: true,
    socket: { ...target.socket, reconnectStrategy: false, connectTimeout: 2000 },
  });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.sendCommand(args);
  } finally {
    c.destroy();
  }
}
