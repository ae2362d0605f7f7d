/**
 * A compose stack of docker-compose.yml plus an override file, for one suite: brought up (built, and
 * waited for healthy) before its tests under a project name of its own, its `ps` and last log lines
 * printed when a test failed, and `down -v` after, always. Used by the s3 and ha variants; vitest runs
 * these files one at a time, so they share the host ports (8000, 8080, 8404).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { dockerEnv, ensureBaseImages, must, requireDocker, requirePortsFree, run } from './docker.js';

export interface OverlayStack {
  /** `docker compose -p <project> -f … <args>`, bounded; throws on a non-zero exit. */
  compose(args: string[], timeoutMs?: number): Promise<string>;
}

export function useOverlayStack(project: string, overlay: string, label: string): OverlayStack {
  const files = ['-f', 'docker-compose.yml', '-f', overlay];
  const compose = (args: string[], timeoutMs = 120_000) =>
    must('docker', ['compose', '-p', project, ...files, ...args], { timeoutMs, env: dockerEnv() });
  const down = () => run('docker', ['compose', '-p', project, ...files, 'down', '-v', '--remove-orphans', '-t', '5'], { timeoutMs: 180_000 });
  let failed = false;

  beforeAll(async () => {
    failed = true;
    await requireDocker();
    await down();
    await requirePortsFree([8000, 8080, 8404]);
    await ensureBaseImages();
    const t0 = Date.now();
    await compose(['up', '--build', '--wait', '--wait-timeout', '180', '--quiet-pull'], 12 * 60_000);
    console.log(`  compose (${label}): up --build --wait in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await run('docker', ['image', 'prune', '-f', '--filter', 'label=livechat.image'], { timeoutMs: 60_000 });
    failed = false;
  }, 20 * 60_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    if (failed) {
      const ps = await run('docker', ['compose', '-p', project, ...files, 'ps', '-a'], { timeoutMs: 30_000 });
      const logs = await run('docker', ['compose', '-p', project, ...files, 'logs', '--no-color', '--tail', '25'], { timeoutMs: 30_000 });
      console.log(`--- docker compose ps -a\n${ps.stdout}${ps.stderr}\n--- docker compose logs --tail 25\n${logs.stdout}${logs.stderr}`);
    }
    const d = await down();
    if (d.code !== 0) console.error(`docker compose down -v failed: ${d.stderr}`);
  }, 4 * 60_000);

  return { compose };
}
