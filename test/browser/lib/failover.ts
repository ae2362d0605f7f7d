/**
 * The browser suites' "SIGKILL the server a page is on" scenario, over whichever transport the pages
 * use (page.test.ts: WebSocket; sse-fallback.test.ts: SSE): Ann and Bob exchange messages; Ann's
 * server is SIGKILLed while her reconnect is held on Playwright's clock; Bob talks on and Ann types a
 * message that waits in her outbox; Ann's clock resumes and she reconnects to another server. Then, on
 * both pages: every message once, ids consecutive (0 lost, 0 doubled), the outbox empty.
 * Ann's page must have installed Playwright's clock. The caller restarts the server.
 */
import { expect } from 'vitest';
import type { Stage } from './browser.js';
import { connectedAppId, entries, join as joinAs, log, recordStatus, send, status, type ChatPage } from './browser.js';

export interface FailoverResult {
  /** Ann's server before and after. */
  before: string;
  after: string;
  /** Ann's status texts from the kill on. */
  seen: string[];
}

export async function sigkillResume(stage: Stage, ann: ChatPage, bob: ChatPage, opts: { reconnectingWithinMs?: number; connectedWithinMs?: number } = {}): Promise<FailoverResult> {
  const before = await joinAs(ann.page, 'Ann');
  await joinAs(bob.page, 'Bob');
  for (let i = 1; i <= 3; i++) {
    await send(ann.page, `ann before ${i}`);
    await send(bob.page, `bob before ${i}`);
  }
  await entries(ann.page, 'bob before 3').waitFor();
  await entries(bob.page, 'ann before 3').waitFor();

  const statusLog = await recordStatus(ann.page);
  await ann.page.clock.pauseAt(Date.now() + 1000); // hold Ann's reconnect timer
  expect(await stage.cluster.killServer(before, 'SIGKILL')).toBeNull();
  await status(ann.page).filter({ hasText: 'reconnecting' }).waitFor({ timeout: opts.reconnectingWithinMs ?? 10_000 });
  expect(await status(ann.page).textContent()).not.toMatch(/\bconnected\b/);

  // While Ann is away: Bob (maybe on the same dead server, then he reconnects) keeps talking,
  // and Ann types a message that must wait in her outbox.
  await connectedAppId(bob.page);
  for (let i = 1; i <= 3; i++) await send(bob.page, `bob during ${i}`);
  await send(ann.page, 'ann typed while offline');
  const offline = entries(ann.page, 'ann typed while offline');
  await offline.waitFor();
  expect(await offline.textContent()).toContain('pending');

  await ann.page.clock.resume();
  const after = await connectedAppId(ann.page, opts.connectedWithinMs);
  expect(after).not.toBe(before);
  expect(stage.cluster.servers.filter((s) => s.alive).map((s) => s.appId)).toContain(after);
  await send(ann.page, 'ann after');
  await send(bob.page, 'bob after');

  const all = [1, 2, 3].flatMap((i) => [`ann before ${i}`, `bob before ${i}`]).concat(
    [1, 2, 3].map((i) => `bob during ${i}`), ['ann typed while offline', 'ann after', 'bob after']);
  for (const p of [ann, bob]) {
    await entries(p.page, 'bob after').waitFor();
    await entries(p.page, 'ann after').waitFor();
    await expect.poll(async () => (await entries(p.page, 'ann typed while offline').textContent()) ?? '').not.toContain('pending');
    // Every message of the page's own stored (acked and delivered back): nothing waits in the outbox.
    await expect.poll(() => log(p.page).locator(':scope > .outbox').count(), { timeout: 15_000 }).toBe(0);
    for (const text of all) expect(await entries(p.page, text).count(), `${text} once`).toBe(1);
    // ids in the log are consecutive: no gap, no double, in order
    const ids = await log(p.page).locator(':scope > [data-id]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
    expect(ids.length, '0 lost, 0 doubled').toBe(all.length);
    expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
  }
  return { before, after, seen: await statusLog() };
}
