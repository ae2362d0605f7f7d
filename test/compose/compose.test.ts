/**
 * `docker compose up` for real: the images built from Dockerfile.back and Dockerfile.front, the stack
 * of docker-compose.yml unchanged (its default fd limits on this host, whose hard limit is 20 000),
 * used through the published page port as people and the load tool would:
 *   up --build --wait; two Chromium pages chat through http://127.0.0.1:8000; the load tool through
 *   nginx reaches every replica, named as `docker compose ps` names them (ws-1 … ws-4); --scale ws=8
 *   gives 8 with no edit; the SSE fallback through nginx; a replica stopped under traffic (SIGTERM) or killed (SIGKILL); Redis
 *   restarted; attachments (the local driver: nginx keeps them on the files volume) shared, served
 *   and refused as the contract says, and still there after a SIGKILLed server's restart.
 *   `down -v` always, also after a failure. compose-s3.test.ts runs the same attachment step on
 *   docker-compose.s3.yml (MinIO).
 * Base images: pulled, or local stand-ins where no registry answers (scripts/docker/base-images.sh).
 * SKIP_DOCKER_TESTS=1 skips this file (test/compose/lib/docker.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { dockerEnv, ensureBaseImages, must, parseStatsCsv, requireDocker, requirePortsFree, run, SKIP_DOCKER, sleep, until, upServers } from './lib/docker.js';
import { ChatUnderFault, chatTwoPages, expectCleanLoad, loadTest } from './lib/scenarios.js';
import { expectStillThere, shareFiles } from './lib/attachments.js';

const PROJECT = 'livechat-compose-test';
const PAGE = 'http://127.0.0.1:8000';
const PAGE_WS = 'ws://127.0.0.1:8000/ws';

// The load tool's runs below come from this host through Docker's port proxy, from one address: the
// stack runs with the load-test switch, as the README says to start it for load tests (compose-s3
// runs with the defaults, 50 connections per address).
const compose = (args: string[], timeoutMs = 120_000) =>
  must('docker', ['compose', '-p', PROJECT, '-f', 'docker-compose.yml', ...args], { timeoutMs, env: dockerEnv({ LC_LOAD_TEST: '1' }) });

/** Replica names of the running ws containers, as `docker compose ps` lists them: ws-1, ws-2, … */
async function replicas(): Promise<string[]> {
  const out = await compose(['ps', '--status', 'running', '--format', '{{.Name}}', 'ws'], 30_000);
  return out.split('\n').filter(Boolean).map((n) => n.slice(PROJECT.length + 1)).sort(byNumber);
}
const byNumber = (a: string, b: string) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')) || a.localeCompare(b);

let statsPassword = '';
/** HAProxy's stats page (published on the host's 127.0.0.1:8404, user admin): its ws servers. */
async function haproxyServers() {
  const res = await fetch('http://127.0.0.1:8404/;csv', {
    headers: { authorization: `Basic ${Buffer.from(`admin:${statsPassword}`).toString('base64')}` },
    signal: AbortSignal.timeout(3000),
  });
  if (res.status !== 200) throw new Error(`stats page: HTTP ${res.status}`);
  return parseStatsCsv(await res.text());
}
const waitForUp = (n: number, timeoutMs = 45_000) =>
  until(`HAProxy to have exactly ${n} ws servers UP`, async () => upServers(await haproxyServers()).length === n, timeoutMs);

describe.skipIf(SKIP_DOCKER)('docker compose: the stack of docker-compose.yml on a real engine', () => {
  let failed = false;
  const cleanups: Array<() => void> = [];

  beforeAll(async () => {
    failed = true; // until the stack is up: a failed setup prints the logs too
    await requireDocker();
    // A run that died before its `down` left containers under this project name: only those go.
    await run('docker', ['compose', '-p', PROJECT, '-f', 'docker-compose.yml', 'down', '-v', '--remove-orphans', '-t', '3'], { timeoutMs: 120_000 });
    await requirePortsFree([8000, 8080, 8404]);
    await ensureBaseImages();
    const t0 = Date.now();
    await compose(['up', '--build', '--wait', '--wait-timeout', '180', '--quiet-pull'], 12 * 60_000);
    console.log(`  compose: up --build --wait in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Old images of earlier builds (untagged by this one) would pile up run after run.
    await run('docker', ['image', 'prune', '-f', '--filter', 'label=livechat.image'], { timeoutMs: 60_000 });
    const env = await compose(['exec', '-T', 'haproxy', 'cat', '/run/livechat/haproxy.env'], 30_000);
    statsPassword = /LC_STATS_PASSWORD=(\S+)/.exec(env)?.[1] ?? '';
    expect(statsPassword, 'the generated stats password').toMatch(/^[0-9a-f]{48}$/);
    failed = false;
  }, 20 * 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    for (const c of cleanups) c();
    if (failed) {
      const ps = await run('docker', ['compose', '-p', PROJECT, 'ps', '-a'], { timeoutMs: 30_000 });
      const logs = await run('docker', ['compose', '-p', PROJECT, 'logs', '--no-color', '--tail', '25'], { timeoutMs: 30_000 });
      console.log(`--- docker compose ps -a\n${ps.stdout}${ps.stderr}\n--- docker compose logs --tail 25\n${logs.stdout}${logs.stderr}`);
    }
    const down = await run('docker', ['compose', '-p', PROJECT, '-f', 'docker-compose.yml', 'down', '-v', '--remove-orphans', '-t', '5'],
      { timeoutMs: 180_000 });
    if (down.code !== 0) console.error(`docker compose down -v failed: ${down.stderr}`);
  }, 4 * 60_000);

  it('starts healthy with the default fd limits on this host; each server is named after its replica (APPID ws-N)', async () => {
    const states = await compose(['ps', '--format', '{{.Service}} {{.State}} {{.Health}}'], 30_000);
    for (const svc of ['redis', 'ws', 'haproxy', 'front']) expect(states, svc).toMatch(new RegExp(`^${svc} running healthy$`, 'm'));
    expect(await replicas()).toEqual(['ws-1', 'ws-2', 'ws-3', 'ws-4']);
    // The compose default (LC_NOFILE 16384) fits under this host's hard limit, and HAProxy sized itself to it.
    const limit = await compose(['exec', '-T', 'ws', 'sh', '-c', 'ulimit -Hn'], 30_000);
    expect(Number(limit.trim())).toBe(16384);
    const haproxyLog = await compose(['logs', '--no-color', 'haproxy'], 30_000);
    expect(haproxyLog).toMatch(/maxconn 7692 \(fd hard limit 16384\)/);
    const wsLog = await compose(['logs', '--no-color', 'ws'], 30_000);
    for (const r of ['ws-1', 'ws-2', 'ws-3', 'ws-4']) expect(wsLog).toContain(`ws-start: APPID ${r}`);
    await waitForUp(4);
  });

  it('two Chromium pages chat through http://127.0.0.1:8000 (nginx -> HAProxy -> the servers)', async () => {
    const appIds = await chatTwoPages(PAGE, 'compose-pages');
    for (const a of appIds) expect(['ws-1', 'ws-2', 'ws-3', 'ws-4']).toContain(a);
  }, 90_000);

  it('the load tool through nginx reaches all 4 replicas (APPIDs = `docker compose ps` names), 0 lost', async () => {
    const r = await loadTest(PAGE_WS, ['--clients', '200', '--senders', '10', '--rate', '40', '--duration', '4', '--rooms', '2', '--ramp', '1']);
    expectCleanLoad(r, 200);
    expect(Object.keys(r.clients.byAppId).sort(byNumber)).toEqual(await replicas());
    for (const n of Object.values(r.clients.byAppId)) expect(n).toBeGreaterThanOrEqual(40);
  }, 120_000);

  it('the SSE fallback through nginx (GET /sse, POST /sse/<stream> relayed to the stream\'s replica): every replica holds streams, 0 lost', async () => {
    const r = await loadTest(PAGE_WS, ['--transport', 'sse', '--no-baseline', '--clients', '100', '--senders', '8', '--rate', '20', '--duration', '4', '--ramp', '1']);
    expectCleanLoad(r, 100);
    expect(r.options.transport).toBe('sse');
    expect(Object.keys(r.clients.byAppId).sort(byNumber)).toEqual(await replicas());
  }, 120_000);

  it('--scale ws=8 gives 8 APPIDs with no config edit (HAProxy finds them over Docker DNS), and back to 4', async () => {
    await compose(['up', '-d', '--wait', '--wait-timeout', '120', '--no-build', '--scale', 'ws=8'], 180_000);
    const names = await replicas();
    expect(names).toEqual(['ws-1', 'ws-2', 'ws-3', 'ws-4', 'ws-5', 'ws-6', 'ws-7', 'ws-8']);
    await waitForUp(8);
    const r = await loadTest(PAGE_WS, ['--clients', '160', '--senders', '8', '--rate', '30', '--duration', '3', '--ramp', '1']);
    expectCleanLoad(r, 160);
    expect(Object.keys(r.clients.byAppId).sort(byNumber)).toEqual(names);
    await compose(['up', '-d', '--wait', '--wait-timeout', '120', '--no-build', '--scale', 'ws=4'], 180_000);
    expect(await replicas()).toEqual(['ws-1', 'ws-2', 'ws-3', 'ws-4']);
    await waitForUp(4);
  }, 300_000);

  it('stopping one replica under traffic (SIGTERM, as `compose stop` does): its clients resume elsewhere, 0 lost, 0 duplicated', async () => {
    const chat = new ChatUnderFault(PAGE_WS, 'compose-stop');
    cleanups.push(() => chat.stop());
    await chat.start();
    await sleep(1000);
    const before = chat.byAppId();
    const [victim, moved] = Object.entries(before).sort((a, b) => b[1].length - a[1].length)[0];
    expect(victim).toMatch(/^ws-\d+$/);
    const acked0 = chat.acked;
    // compose v2 stops whole services; one replica is its container, stopped the same way (SIGTERM,
    // then SIGKILL after the service's stop_grace_period).
    await must('docker', ['stop', `${PROJECT}-${victim}`], { timeoutMs: 60_000 });
    await sleep(1500);
    const problems = await chat.finish();
    expect(problems).toEqual([]);
    expect(chat.acked).toBeGreaterThan(acked0 + 20);
    const after = chat.byAppId();
    expect(after[victim]).toBeUndefined();
    for (const name of moved) expect(chat.clients.find((c) => c.name === name)!.stats.connects).toBeGreaterThanOrEqual(2);
    chat.stop();
    await compose(['start', 'ws'], 60_000);
    await waitForUp(4);
  }, 180_000);

  it("a replica killed with SIGKILL: its members leave every other server's list within 30 s", async () => {
    // Members spread by HAProxy's round robin; the victim is the replica holding the first two on one server.
    const conns: TestClient[] = [];
    cleanups.push(() => conns.forEach((c) => c.terminate()));
    const members: Array<{ c: TestClient; appId: string; id: string }> = [];
    for (let i = 0; i < 12; i++) {
      const c = await TestClient.connect(PAGE_WS);
      conns.push(c);
      const w = await c.hello(`k${i}`);
      expect(w.type, JSON.stringify(w)).toBe('welcome');
      expect((await c.request({ type: 'join', room: 'compose-kill' }, 'joined')).type).toBe('joined');
      members.push({ c, appId: w.appId, id: w.member.id });
    }
    const victim = members[0].appId;
    const ghosts = members.filter((m) => m.appId === victim);
    const watchers = members.filter((m) => m.appId !== victim);
    const spread = JSON.stringify(members.map((m) => m.appId)) + JSON.stringify(await haproxyServers());
    expect(ghosts.length, spread).toBeGreaterThanOrEqual(2);
    expect(new Set(watchers.map((w) => w.appId)).size, spread).toBeGreaterThanOrEqual(2);
    const t0 = Date.now();
    await must('docker', ['kill', '-s', 'KILL', `${PROJECT}-${victim}`], { timeoutMs: 30_000 });
    const left = (w: TestClient, id: string) =>
      w.frames.some((f) => f.type === 'presence' && f.event === 'leave' && (f.member as { id: string }).id === id);
    await until('every watcher to see every ghost leave', async () => watchers.every((w) => ghosts.every((g) => left(w.c, g.id))), 30_000, 200);
    console.log(`  compose: SIGKILLed ${victim}'s members left every list in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(Date.now() - t0).toBeLessThan(30_000);
    // A late joiner on any server lists none of them.
    const late = await TestClient.connect(PAGE_WS);
    conns.push(late);
    await late.hello('late');
    const j = await late.request({ type: 'join', room: 'compose-kill' }, 'joined');
    const listed = (j as unknown as { members: Array<{ id: string }> }).members.map((m) => m.id);
    for (const g of ghosts) expect(listed).not.toContain(g.id);
    for (const w of watchers) expect(listed).toContain(w.id);
    for (const c of conns) c.terminate();
    await compose(['up', '-d', '--wait', '--wait-timeout', '120', '--no-build'], 180_000);
    await waitForUp(4);
  }, 120_000);

  it('a replica cut off from Redis (network disconnect): not ready, its clients closed with 1013 and resumed elsewhere, its members gone within 30 s; back when reconnected', async () => {
    const conns: TestClient[] = [];
    cleanups.push(() => conns.forEach((c) => c.terminate()));
    const members: Array<{ c: TestClient; appId: string; id: string; session: string }> = [];
    for (let i = 0; i < 12; i++) {
      const c = await TestClient.connect(PAGE_WS);
      conns.push(c);
      const w = await c.hello(`cut${i}`);
      expect((await c.request({ type: 'join', room: 'compose-cut' }, 'joined')).type).toBe('joined');
      members.push({ c, appId: w.appId, id: w.member.id, session: w.session });
    }
    const victim = members[0].appId;
    const cut = members.filter((m) => m.appId === victim);
    const watchers = members.filter((m) => m.appId !== victim);
    expect(cut.length).toBeGreaterThanOrEqual(2);
    const container = `${PROJECT}-${victim}`;
    const t0 = Date.now();
    await must('docker', ['network', 'disconnect', `${PROJECT}_store`, container], { timeoutMs: 30_000 });
    // REDIS_CUTOFF_MS (10 s): its clients are closed with 1013 (try again later)…
    await until('the cut-off replica to close its clients with 1013', async () => cut.every((m) => m.c.closeCode === 1013), 25_000, 200);
    const closedAfter = (Date.now() - t0) / 1000;
    // …and HAProxy, seeing /readyz fail, stops sending it anyone.
    await until('HAProxy to mark it down', async () => upServers(await haproxyServers()).length === 3, 20_000, 300);
    const left = (w: TestClient, id: string) =>
      w.frames.some((f) => f.type === 'presence' && f.event === 'leave' && (f.member as { id: string }).id === id);
    await until('every watcher to see the cut-off members leave', async () => watchers.every((w) => cut.every((g) => left(w.c, g.id))), 30_000, 200);
    const goneAfter = (Date.now() - t0) / 1000;
    expect(goneAfter).toBeLessThan(30);
    // The closed clients resume (same session) on another replica and see what was said meanwhile.
    const said = await watchers[0].c.request({ type: 'send', room: 'compose-cut', text: 'while you were away', cid: `cut-${Date.now()}` }, 'ack');
    expect(said.type).toBe('ack');
    for (const m of cut) {
      const c = await TestClient.connect(PAGE_WS);
      conns.push(c);
      const w = await c.hello(`cut-again`, m.session);
      expect(w.appId).not.toBe(victim);
      expect(w.member.id).toBe(m.id);
      const j = await c.request({ type: 'join', room: 'compose-cut', after: 0 }, 'joined');
      expect(JSON.stringify(j)).toContain('while you were away');
    }
    console.log(`  compose: ${victim} cut off from Redis: clients closed (1013) after ${closedAfter.toFixed(1)} s, members gone from every list after ${goneAfter.toFixed(1)} s`);
    // Reconnected: ready again, HAProxy sends it clients again.
    await must('docker', ['network', 'connect', `${PROJECT}_store`, container], { timeoutMs: 30_000 });
    await waitForUp(4, 60_000);
    let back = false;
    for (let i = 0; i < 12 && !back; i++) {
      const c = await TestClient.connect(PAGE_WS);
      conns.push(c);
      back = (await c.hello(`back${i}`)).appId === victim;
    }
    expect(back).toBe(true);
    for (const c of conns) c.terminate();
  }, 150_000);

  it('attachments (local driver): a PNG and a PDF through nginx, served as the contract says, 403 when tampered; still there after their server is SIGKILLed and restarted', async () => {
    const clients: TestClient[] = [];
    cleanups.push(() => clients.forEach((c) => c.terminate()));
    const shared = await shareFiles(PAGE, PAGE_WS, 'compose-files', clients);
    const victim = shared.senderAppId;
    expect(victim).toMatch(/^ws-\d+$/);
    await must('docker', ['kill', '-s', 'KILL', `${PROJECT}-${victim}`], { timeoutMs: 30_000 });
    await compose(['up', '-d', '--wait', '--wait-timeout', '120', '--no-build'], 180_000);
    await waitForUp(4);
    await expectStillThere(PAGE, PAGE_WS, shared, clients);
    // nginx wrote them on the files volume, as its worker user.
    const owner = await compose(['exec', '-T', 'front', 'sh', '-c', 'stat -c %U "$FILES_DIR" "$FILES_DIR/r/compose-files"'], 30_000);
    expect(owner.trim().split('\n')).toEqual(['nginx', 'nginx']);
    for (const c of clients) c.terminate();
  }, 180_000);

  it('restart redis: acked history is kept (AOF on the volume) and ids continue', async () => {
    const room = 'compose-durable';
    const chat = new ChatUnderFault(PAGE_WS, room, 2);
    cleanups.push(() => chat.stop());
    await chat.start();
    await sleep(1500);
    const problems = await chat.finish();
    expect(problems).toEqual([]);
    const before = chat.ledger.ids(room);
    expect(before.length).toBeGreaterThan(5);
    chat.stop();
    await compose(['restart', 'redis'], 90_000);
    await compose(['up', '-d', '--wait', '--wait-timeout', '120', '--no-build'], 180_000);
    // The servers reconnect to Redis on their own; a reader joins as soon as one answers.
    const { c: reader, j } = await until('a reader to join after the restart', async () => {
      const c = await TestClient.connect(PAGE_WS);
      cleanups.push(() => c.terminate());
      const w = await c.request({ type: 'hello', name: 'reader' }, 'welcome', 5000);
      const joined = w.type === 'welcome' ? await c.request({ type: 'join', room, after: 0 }, 'joined', 10_000) : w;
      if (joined.type === 'joined') return { c, j: joined as unknown as { messages: Array<{ id: number }>; last: number } };
      c.terminate();
      return null;
    }, 30_000, 1000);
    expect(j.messages.map((m) => m.id)).toEqual(before);
    expect(j.last).toBe(before.at(-1));
    const ack = await reader.request({ type: 'send', room, text: 'after the restart', cid: 'compose-after-restart' }, 'ack', 10_000);
    expect(ack).toMatchObject({ type: 'ack', id: before.length + 1 });
    reader.terminate();
  }, 180_000);
});
