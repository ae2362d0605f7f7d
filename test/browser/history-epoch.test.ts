/**
 * The page in Chromium on the native cluster when Redis loses a room's history (an operator's FLUSHALL,
 * as Redis restarted without its AOF would): the next join of the room on the page's server finds the
 * log behind what that server delivered and closes the page's connection (1013); the page reconnects,
 * rejoins with `after` and its `epoch`, is told (`joined.reset`), drops the messages it showed, says so
 * at the top of the log, and goes on: its next message is id 1 of the new history, shown once.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { entries, join as joinAs, openPage, send, useStage } from './lib/browser.js';

describe('the page when the server loses a room\'s history (native cluster)', () => {
  const stage = useStage({ servers: 2, haproxyCheckInterMs: 300 });

  it('drops the old messages, says the history was lost, and shows the new ones', async () => {
    const room = 'lost-history';
    const p = await openPage(stage.tb.browser, `${stage.cluster.pageUrl}#${room}`);
    try {
      const appId = await joinAs(p.page, 'Ann');
      for (const text of ['before the loss, one', 'before the loss, two']) {
        await send(p.page, text);
        // Stored, not only shown: the outbox row (the text with "sending…") is there before the store
        // has it, and a flush in between would store it as id 1 of the new history.
        await entries(p.page, text).and(p.page.locator('[data-id]')).first().waitFor();
      }
      const admin = createClient({ url: stage.cluster.redisAdminUrl });
      await admin.connect();
      await admin.flushAll();
      await admin.close();

      // Someone joins the room on the page's server: it finds the history restarted.
      const server = stage.cluster.servers.find((s) => s.appId === appId)!;
      const bob = await TestClient.connect(`ws://127.0.0.1:${server.port}/ws`);
      try {
        await bob.hello('Bob');
        expect(await bob.request({ type: 'join', room }, 'joined')).toMatchObject({ type: 'joined', last: 0 });

        const line = p.page.locator('#history-lost');
        await expect.poll(() => line.textContent(), { timeout: 20_000 })
          .toBe(`Earlier messages in #${room} were lost by the server; the conversation continues below.`);
        await expect.poll(() => entries(p.page, 'before the loss').count()).toBe(0);

        await send(p.page, 'after the loss');
        await entries(p.page, 'after the loss').first().waitFor();
        const m = await bob.next((f) => f.type === 'message' && f.text === 'after the loss', 10_000);
        expect(m).toMatchObject({ id: 1 });
        expect(await entries(p.page, 'after the loss').count()).toBe(1);
        expect(p.pageErrors).toEqual([]);
      } finally {
        bob.terminate();
      }
    } finally {
      await p.page.context().close();
    }
  });
});
