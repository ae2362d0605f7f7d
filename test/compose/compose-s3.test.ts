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
import { afterAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { expectStillThere, shareFiles } from './lib/attachments.js';
import { must, SKIP_DOCKER, until } from './lib/docker.js';
import { useOverlayStack } from './lib/overlay-stack.js';

const PROJECT = 'livechat-compose-s3-test';
const PAGE = 'http://127.0.0.1:8000';
const PAGE_WS = 'ws://127.0.0.1:8000/ws';

describe.skipIf(SKIP_DOCKER)('docker compose with docker-compose.s3.yml: attachments in MinIO', () => {
  const { compose } = useOverlayStack(PROJECT, 'docker-compose.s3.yml', 's3');
  const clients: TestClient[] = [];
  afterAll(() => { for (const c of clients) c.terminate(); });

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
