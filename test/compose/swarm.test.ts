/**
 * Docker Swarm for real, on a single-node swarm: the images of docker-compose.yml deployed as the
 * stack of docker-stack.yml with the README's commands (dnsrr endpoints, host-mode ports: this kernel
 * has no IPVS), used through the published page port: two pages chat; `docker service scale` to 6 gives
 * 6 APPIDs (ws-1 … ws-6, the task slots); a rolling `docker service update --force` of ws under
 * traffic loses and doubles nothing; attachments (the local driver: one front task, its node's files
 * volume) shared and served through port 8000; `docker stack rm` always, and `docker swarm leave` if
 * this test made the swarm.
 * SKIP_DOCKER_TESTS=1 skips this file (test/compose/lib/docker.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerEnv, ensureBaseImages, must, parseStatsCsv, requireDocker, requirePortsFree, ROOT, run, SKIP_DOCKER, sleep, until, upServers } from './lib/docker.js';
import { ChatUnderFault, chatTwoPages, expectCleanLoad, loadTest } from './lib/scenarios.js';
import { shareFiles } from './lib/attachments.js';
import type { TestClient } from '../helpers/ws-client.js';

const STACK = 'livechat-swarm-test';
const PAGE = 'http://127.0.0.1:8000';
const PAGE_WS = 'ws://127.0.0.1:8000/ws';
const byNumber = (a: string, b: string) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')) || a.localeCompare(b);

/** The running tasks of a service: `docker service ps` names them <stack>_ws.3 -> ws-3. */
async function wsTasks(): Promise<Array<{ name: string; id: string; node: string }>> {
  const out = await docker(['service', 'ps', `${STACK}_ws`, '--filter', 'desired-state=running', '--format', '{{.Name}} {{.ID}} {{.CurrentState}}']);
  return out.split('\n').filter(Boolean).filter((l) => / Running /.test(l))
    .map((l) => { const [name, id] = l.split(' '); return { name: name.replace(`${STACK}_ws.`, 'ws-'), id, node: l }; })
    .sort((a, b) => byNumber(a.name, b.name));
}

/** HAProxy's servers, from its stats page inside its task (Swarm publishes no loopback-only port). */
async function haproxyServers() {
  const id = (await docker(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${STACK}_haproxy`])).trim().split('\n')[0];
  if (!id) throw new Error('no running haproxy task');
  const csv = await docker(['exec', id, 'sh', '-c', '. /run/secrets/haproxy.env && wget -q -O - "http://admin:$LC_STATS_PASSWORD@127.0.0.1:8404/;csv"'], 15_000);
  return parseStatsCsv(csv);
}
const waitForUp = (n: number, timeoutMs = 60_000) =>
  until(`HAProxy to have exactly ${n} ws servers UP`, async () => upServers(await haproxyServers()).length === n, timeoutMs, 1000);

/** Every service of the stack at its replica count, and the page answering on :8000. */
async function waitForStack(timeoutMs: number): Promise<void> {
  await until('every service of the stack to run all its replicas', async () => {
    const out = await docker(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${STACK}`, '--format', '{{.Name}} {{.Replicas}}']);
    const lines = out.split('\n').filter(Boolean);
    return lines.length === 4 && lines.every((l) => { const [, r] = l.split(' '); const [a, b] = r.split('/'); return a === b; }) ? out : null;
  }, timeoutMs, 1000);
  await until('the page on :8000', async () => (await fetch(PAGE, { signal: AbortSignal.timeout(2000) })).status === 200, 60_000, 500);
}

/** Waits until nothing of the stack is left (containers and its network), so ports and names are free again. */
async function waitForStackGone(timeoutMs: number): Promise<void> {
  await until(`stack ${STACK} to be gone`, async () => {
    const c = await run('docker', ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${STACK}`], { timeoutMs: 15_000 });
    const n = await run('docker', ['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`], { timeoutMs: 15_000 });
    return c.stdout.trim() === '' && n.stdout.trim() === '';
  }, timeoutMs, 1000);
}

async function removeStack(): Promise<void> {
  const state = await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { timeoutMs: 20_000 });
  if (state.stdout.trim() !== 'active') return;
  await run('docker', ['stack', 'rm', STACK], { timeoutMs: 60_000 });
  await waitForStackGone(90_000).catch((err) => console.error(String(err)));
  await run('docker', ['volume', 'rm', `${STACK}_redis-data`, `${STACK}_files`], { timeoutMs: 30_000 });
}

describe.skipIf(SKIP_DOCKER)('Docker Swarm: docker-stack.yml on a single-node swarm', () => {
  let madeSwarm = false;
  let hadGwBridge = true;
  let failed = false;
  const cleanups: Array<() => void> = [];

  beforeAll(async () => {
    failed = true; // until the stack serves: a failed setup prints the logs too
    await requireDocker();
    const state = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
    if (state !== 'inactive' && state !== 'active') throw new Error(`this engine's swarm state is ${state}: the test needs inactive (it makes one) or active`);
    if (state === 'active') {
      // A swarm of the developer's: deploy into it, leave it as it is; only a leftover of this test goes.
      await removeStack();
    }
    await requirePortsFree([8000, 8080]);
    await ensureBaseImages();
    // The README's commands: build the images with compose, make the swarm, the secrets, deploy.
    await must('docker', ['compose', '-f', 'docker-compose.yml', 'build', '--quiet'], { timeoutMs: 12 * 60_000, env: dockerEnv() });
    if (state === 'inactive') {
      hadGwBridge = (await run('docker', ['network', 'inspect', 'docker_gwbridge'], { timeoutMs: 15_000 })).code === 0;
      const init = await run('docker', ['swarm', 'init'], { timeoutMs: 60_000 });
      if (init.code !== 0) {
        // Several addresses and none chosen: advertise the one of the default route.
        const route = (await run('ip', ['-4', 'route', 'get', '1.1.1.1'], { timeoutMs: 5000 })).stdout;
        const addr = /\bsrc (\S+)/.exec(route)?.[1];
        if (!addr) throw new Error(`docker swarm init failed: ${init.stderr}`);
        await docker(['swarm', 'init', '--advertise-addr', addr]);
      }
      madeSwarm = true;
    }
    await must('sh', ['scripts/docker/swarm-secrets.sh'], { timeoutMs: 30_000 });
    const t0 = Date.now();
    // The load tool's run below comes from one address (the host): deployed with the load-test switch.
    await must('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', 'docker-stack.yml', STACK], { timeoutMs: 120_000, env: dockerEnv({ LC_LOAD_TEST: '1' }), cwd: ROOT });
    await waitForStack(180_000);
    await waitForUp(4);
    console.log(`  swarm: deployed and serving in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    failed = false;
  }, 20 * 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    for (const c of cleanups) c();
    if (failed) {
      const ps = await run('docker', ['stack', 'ps', STACK, '--no-trunc', '--format', '{{.Name}} {{.CurrentState}} {{.Error}}'], { timeoutMs: 30_000 });
      console.log(`--- docker stack ps\n${ps.stdout}${ps.stderr}`);
      for (const svc of ['ws', 'haproxy', 'front', 'redis']) {
        const logs = await run('docker', ['service', 'logs', '--tail', '15', '--no-trunc', `${STACK}_${svc}`], { timeoutMs: 30_000 });
        console.log(`--- docker service logs ${STACK}_${svc}\n${logs.stdout}${logs.stderr}`);
      }
    }
    await removeStack();
    if (madeSwarm) {
      const leave = await run('docker', ['swarm', 'leave', '--force'], { timeoutMs: 60_000 });
      if (leave.code !== 0) console.error(`docker swarm leave --force failed: ${leave.stderr}`);
      // `swarm init` made this bridge and it outlives the swarm. Docker 20.10 often keeps a stale
      // ingress endpoint on it until dockerd restarts, which blocks the removal; the next `swarm init`
      // reuses it, so nothing piles up.
      if (!hadGwBridge) await run('docker', ['network', 'rm', 'docker_gwbridge'], { timeoutMs: 15_000 });
    }
  }, 5 * 60_000);

  it('deploys with the README commands; two Chromium pages chat through port 8000', async () => {
    expect((await wsTasks()).map((t) => t.name)).toEqual(['ws-1', 'ws-2', 'ws-3', 'ws-4']);
    const appIds = await chatTwoPages(PAGE, 'swarm-pages');
    for (const a of appIds) expect(['ws-1', 'ws-2', 'ws-3', 'ws-4']).toContain(a);
  }, 90_000);

  it('attachments (local driver, FILES_SECRET a Swarm secret): a PNG and a PDF shared and served through port 8000, 403 when tampered', async () => {
    const clients: TestClient[] = [];
    cleanups.push(() => clients.forEach((c) => c.terminate()));
    await shareFiles(PAGE, PAGE_WS, 'swarm-files', clients);
    for (const c of clients) c.terminate();
  }, 60_000);

  it('`docker service scale` to 6 gives 6 APPIDs, the task slots of `docker service ps`', async () => {
    await docker(['service', 'scale', `${STACK}_ws=6`], 120_000);
    const tasks = (await wsTasks()).map((t) => t.name);
    expect(tasks).toEqual(['ws-1', 'ws-2', 'ws-3', 'ws-4', 'ws-5', 'ws-6']);
    await waitForUp(6);
    const r = await loadTest(PAGE_WS, ['--clients', '120', '--senders', '6', '--rate', '24', '--duration', '3', '--ramp', '1']);
    expectCleanLoad(r, 120);
    expect(Object.keys(r.clients.byAppId).sort(byNumber)).toEqual(tasks);
  }, 180_000);

  it('a rolling `docker service update --force` of ws under traffic: every task replaced, 0 lost, 0 duplicated', async () => {
    const chat = new ChatUnderFault(PAGE_WS, 'swarm-rolling', 18);
    cleanups.push(() => chat.stop());
    const before = await wsTasks();
    await chat.start();
    await sleep(1000);
    const acked0 = chat.acked;
    const t0 = Date.now();
    await docker(['service', 'update', '--force', `${STACK}_ws`], 240_000);
    console.log(`  swarm: rolling update of ${before.length} ws tasks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await sleep(1500);
    const problems = await chat.finish();
    expect(problems).toEqual([]);
    expect(chat.acked).toBeGreaterThan(acked0 + 30);
    // Every slot running again (a task Swarm replaced for a missed healthcheck may still be starting).
    let after = await wsTasks();
    for (let i = 0; i < 60 && after.length < before.length; i++) {
      await sleep(1000);
      after = await wsTasks();
    }
    expect(after.map((t) => t.name)).toEqual(before.map((t) => t.name));
    for (const t of after) expect(before.map((b) => b.id)).not.toContain(t.id);
    expect((await docker(['service', 'inspect', '--format', '{{.UpdateStatus.State}}', `${STACK}_ws`])).trim()).toBe('completed');
    // Every client lost its server at least once and resumed on a new one.
    for (const c of chat.clients) expect(c.stats.connects, c.name).toBeGreaterThanOrEqual(2);
    chat.stop();
  }, 300_000);
});
