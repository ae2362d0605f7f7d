/**
 * The s3 variant for real: `docker compose -f docker-compose.yml -f docker-compose.s3.yml up --build`
 * (MinIO beside the stack, the servers on the s3 driver, nginx proxying /s3/ to MinIO), used through
 * the published page port: the servers made the bucket at their first start; the compose suite's
 * attachment step passes (a PNG and a PDF shared, served and refused as the contract says); the files
 * are still there after their server is SIGKILLed and restarted. `down -v` always.
 * MinIO: the pinned official image, or where no registry answers a local stand-in (s3rver behind
 * MinIO's command line, credentials and health checks, Signature V4 checked: scripts/docker/base-images.sh).
 * Vitest runs test files one at a time (vitest.config.ts), so this one uses the same host ports as
 * compose.test.ts and swarm.test.ts under a project name of its own.
 * SKIP_DOCKER_TESTS=1 skips this file (test/compose/lib/docker.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { expectStillThere, shareFiles } from './lib/attachments.js';
import { dockerEnv, ensureBaseImages, must, requireDocker, requirePortsFree, run, SKIP_DOCKER, until } from './lib/docker.js';

const PROJECT = 'livechat-compose-s3-test';
const FILES = ['-f', 'docker-compose.yml', '-f', 'docker-compose.s3.yml'];
const PAGE = 'http://127.0.0.1:8000';
const PAGE_WS = 'ws://127.0.0.1:8000/ws';

const compose = (args: string[], timeoutMs = 120_000) =>
  must('docker', ['compose', '-p', PROJECT, ...FILES, ...args], { timeoutMs, env: dockerEnv() });

describe.skipIf(SKIP_DOCKER)('docker compose with docker-compose.s3.yml: attachments in MinIO', () => {
  let failed = false;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    failed = true;
    await requireDocker();
    await run('docker', ['compose', '-p', PROJECT, ...FILES, 'down', '-v', '--remove-orphans', '-t', '3'], { timeoutMs: 120_000 });
    await requirePortsFree([8000, 8080, 8404]);
    await ensureBaseImages();
    const t0 = Date.now();
    await compose(['up', '--build', '--wait', '--wait-timeout', '180', '--quiet-pull'], 12 * 60_000);
    console.log(`  compose (s3): up --build --wait in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await run('docker', ['image', 'prune', '-f', '--filter', 'label=livechat.image'], { timeoutMs: 60_000 });
    failed = false;
  }, 20 * 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    for (const c of clients) c.terminate();
    if (failed) {
      const ps = await run('docker', ['compose', '-p', PROJECT, ...FILES, 'ps', '-a'], { timeoutMs: 30_000 });
      const logs = await run('docker', ['compose', '-p', PROJECT, ...FILES, 'logs', '--no-color', '--tail', '25'], { timeoutMs: 30_000 });
      console.log(`--- docker compose ps -a\n${ps.stdout}${ps.stderr}\n--- docker compose logs --tail 25\n${logs.stdout}${logs.stderr}`);
    }
    const down = await run('docker', ['compose', '-p', PROJECT, ...FILES, 'down', '-v', '--remove-orphans', '-t', '5'], { timeoutMs: 180_000 });
    if (down.code !== 0) console.error(`docker compose down -v failed: ${down.stderr}`);
  }, 4 * 60_000);

  it('starts healthy with MinIO; the servers are on the s3 driver and made the bucket; MinIO publishes no port', async () => {
    const states = await compose(['ps', '--format', '{{.Service}} {{.State}} {{.Health}}'], 30_000);
    for (const svc of ['redis', 'ws', 'haproxy', 'front', 'minio']) expect(states, svc).toMatch(new RegExp(`^${svc} running healthy$`, 'm'));
    const wsLog = await compose(['logs', '--no-color', 'ws'], 30_000);
    expect(wsLog).toContain('FILES s3');
    expect(wsLog).toMatch(/files: bucket (created|exists|ready)/);
    expect((await must('docker', ['port', `${PROJECT}-minio-1`], { timeoutMs: 30_000 })).trim()).toBe('');
    // MinIO's keys are the generated ones, in the secrets volume only.
    const env = await compose(['exec', '-T', 'ws', 'sh', '-c', 'cat /run/livechat/s3.env'], 30_000);
    expect(env).toMatch(/^export S3_SECRET_ACCESS_KEY=[0-9a-f]{48}$/m);
  });

  it('attachments through nginx\'s /s3/: a PNG and a PDF, served as the contract says, 403 when tampered; still there after their server is SIGKILLed and restarted', async () => {
    const shared = await shareFiles(PAGE, PAGE_WS, 'compose-s3-files', clients);
    for (const a of shared.attachments) expect(a.url).toMatch(/^\/s3\//);
    const victim = shared.senderAppId;
    expect(victim).toMatch(/^ws-\d+$/);
    await must('docker', ['kill', '-s', 'KILL', `${PROJECT}-${victim}`], { timeoutMs: 30_000 });
    await compose(['up', '-d', '--wait', '--wait-timeout', '120', '--no-build'], 180_000);
    await until(`${victim} running again`, async () =>
      (await compose(['ps', '--status', 'running', '--format', '{{.Name}}', 'ws'], 30_000)).includes(`${PROJECT}-${victim}`), 60_000);
    await expectStillThere(PAGE, PAGE_WS, shared, clients);
  }, 180_000);
});
