/**
 * What people with other needs meet, in Chromium on the native cluster: a screen reader hears each new
 * message once (not the history a join replays) and connection changes; two people of the same name
 * are told apart by the tag from their member id; the tab title counts unread messages while the tab
 * is hidden; prefers-reduced-motion stops motion; the page works at 200 % zoom and at 320 px; a
 * link with a malformed room falls back to the default room with a notice instead of a dead page; and
 * over a long day the log holds a bounded window of messages, paging older and newer ones back in.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { repoRoot } from '../../scripts/lib/configs.js';
import { TestClient } from '../helpers/ws-client.js';
import {
  connectedAppId, entries, join as joinAs, useStage, log, members, openPage, recordStatus, send, status,
  type ChatPage,
} from './lib/browser.js';
import { routeChat, type ChatRoute } from './lib/ws-route.js';

// Screenshots of the reflowed layouts: docs/screenshots with UPDATE_SCREENSHOTS=1 (npm run screenshots), else .run/screenshots.
const shots = join(repoRoot(), process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.run/screenshots');

/** Lines the polite live region has said so far (recorded as they are added: it keeps only the last few). */
async function recordAnnouncements(p: Page): Promise<() => Promise<string[]>> {
  await p.evaluate(() => {
    const w = window as unknown as { __said: string[] };
    w.__said = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) w.__said.push(n.textContent ?? '');
    }).observe(document.getElementById('announcer')!, { childList: true });
  });
  return () => p.evaluate(() => (window as unknown as { __said: string[] }).__said);
}

/** Lets a test hide and show the tab (headless Chromium never hides one by itself). */
async function controllableVisibility(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __hidden: boolean };
    w.__hidden = false;
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => w.__hidden });
    Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (w.__hidden ? 'hidden' : 'visible') });
  });
}
const setHidden = (p: Page, hidden: boolean) => p.evaluate((h) => {
  (window as unknown as { __hidden: boolean }).__hidden = h;
  document.dispatchEvent(new Event('visibilitychange'));
}, hidden);

describe('assistive needs and long days', () => {
  // Bots post hundreds of messages for the long-day test: the per-member and per-connection send limits are lifted.
  const stage = useStage({
    servers: 2, haproxyCheckInterMs: 300,
    env: { SEND_RATE_BURST: '2000', SEND_RATE_PER_SEC: '2000', RATE_LIMIT_BURST: '2000', RATE_LIMIT_PER_SEC: '2000' },
  });

  const open = (hash: string, opts: Parameters<typeof openPage>[2] = {}, setup?: Parameters<typeof openPage>[3]) =>
    openPage(stage.tb.browser, `${stage.cluster.pageUrl}${hash}`, { viewport: { width: 1280, height: 800 }, ...opts }, setup);

  it('a screen reader hears each new message once, never the replayed history; connection changes are a status', async () => {
    const room = 'sr-room';
    const bot = await TestClient.connect(stage.cluster.wsUrl);
    await bot.hello('Historian');
    await bot.request({ type: 'join', room }, 'joined');
    for (let i = 1; i <= 3; i++) await bot.request({ type: 'send', room, text: `old line ${i}`, cid: `old-${i}` }, 'ack');
    let route: ChatRoute | undefined;
    const ann = await open(`#${room}`, {}, async (page) => { route = await routeChat(page); });
    const bob = await open(`#${room}`);
    const said = await recordAnnouncements(ann.page);
    const statusSeen = await recordStatus(ann.page);
    await joinAs(ann.page, 'Ann Reader');
    await entries(ann.page, 'old line 3').waitFor();
    await joinAs(bob.page, 'Bob Talker');
    await send(ann.page, 'my own words');
    await send(bob.page, 'a live line from Bob');
    await entries(ann.page, 'a live line from Bob').waitFor();
    await bot.request({ type: 'send', room, text: 'and one from the bot', cid: 'live-1' }, 'ack');
    await entries(ann.page, 'and one from the bot').waitFor();
    await ann.page.waitForTimeout(300);
    const bobTag = (await bob.page.locator('#members li.is-me').getAttribute('data-id'))!.replace(/-/g, '').slice(0, 8);
    expect(await said()).toEqual([`Bob Talker #${bobTag}: a live line from Bob`, expect.stringMatching(/^Historian #[0-9a-f]{8}: and one from the bot$/)]);

    // Connection changes go through the status (a polite live region by its role).
    route!.drop();
    await connectedAppId(ann.page);
    const seen = await statusSeen();
    expect(seen.findIndex((s) => s.includes('reconnecting'))).toBeGreaterThan(seen.findIndex((s) => /\bconnected\b/.test(s)));
    expect(await ann.page.getByRole('status').getAttribute('role')).toBe('status');
    // The log is named but not itself live (it would read the history out on every join).
    expect(await log(ann.page).getAttribute('aria-live')).toBe('off');
    expect(await said()).toHaveLength(2); // the resume after the reconnect is not read out again
    bot.close();
  });

  it('two people called Alice are told apart by the tag from their member id, in messages and in the member list', async () => {
    const a1 = await open('#two-alices');
    const a2 = await open('#two-alices');
    await joinAs(a1.page, 'Alice');
    await joinAs(a2.page, 'Alice');
    await send(a1.page, 'from the first Alice');
    await send(a2.page, 'from the second Alice');
    await entries(a1.page, 'from the second Alice').waitFor();
    await expect.poll(() => members(a1.page).count()).toBe(2);
    const ids = await members(a1.page).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id ?? ''));
    const tags = ids.map((id) => `#${id.replace(/-/g, '').slice(0, 8)}`);
    expect(new Set(tags).size).toBe(2);
    const listed = (await members(a1.page).allTextContents()).map((t) => t.replace(/\s+/g, ' '));
    for (const tag of tags) expect(listed.some((t) => t.includes(`Alice ${tag}`))).toBe(true);
    const sender = (text: string) => entries(a1.page, text).locator('.sender').textContent();
    const s1 = await sender('from the first Alice');
    const s2 = await sender('from the second Alice');
    expect(s1).toMatch(/^Alice #[0-9a-f]{8}$/);
    expect(s2).toMatch(/^Alice #[0-9a-f]{8}$/);
    expect(s1).not.toBe(s2);
    expect(tags).toEqual(expect.arrayContaining([s1!.slice(6), s2!.slice(6)]));
  });

  it('counts unread messages in the tab title while the tab is hidden, and clears it on return', async () => {
    const reader = await open('#unread', {}, controllableVisibility);
    const writer = await open('#unread');
    await joinAs(reader.page, 'Away Ava');
    await joinAs(writer.page, 'Busy Ben');
    expect(await reader.page.title()).toBe('#unread · livechat');
    await setHidden(reader.page, true);
    await send(writer.page, 'one');
    await send(writer.page, 'two');
    await send(reader.page, 'my own does not count');
    await entries(reader.page, 'two').waitFor();
    await expect.poll(() => reader.page.title()).toBe('(2) #unread · livechat');
    await setHidden(reader.page, false);
    expect(await reader.page.title()).toBe('#unread · livechat');
  });

  it('prefers-reduced-motion: messages and the status dot do not move', async () => {
    const p = await open('#calm', { reducedMotion: 'reduce' });
    await joinAs(p.page, 'Calm Cat');
    await send(p.page, 'no motion please');
    const node = entries(p.page, 'no motion please');
    await node.waitFor();
    // Polled: the pending entry is replaced by the stored message, and a detached node has no style.
    await expect.poll(() => node.evaluate((e) => (e.isConnected ? getComputedStyle(e).animationName : 'detached'))).toBe('none');
    expect(await p.page.locator('.status .dot').evaluate((e) => getComputedStyle(e).animationName)).toBe('none');
    const moving = await open('#calm', { reducedMotion: 'no-preference' });
    await joinAs(moving.page, 'Lively Lou');
    await expect.poll(() => entries(moving.page, 'no motion please').evaluate((e) => (e.isConnected ? getComputedStyle(e).animationName : 'detached'))).toBe('rise');
  });

  for (const [what, room, opts] of [
    ['200 % zoom of a 1280×800 window', 'zoom-200', { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 }],
    ['a 320 px wide phone', 'width-320', { viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
  ] as const) {
    it(`usable at ${what}: nothing scrolls sideways, everything needed is on screen`, async () => {
      const p = await open(`#${room}`, opts);
      const vp = p.page.viewportSize()!;
      const fits = async () => expect(await p.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(vp.width);
      await fits();
      await joinAs(p.page, 'Zoe Zoomed-In With A Long Name');
      await send(p.page, 'A long line that has to wrap instead of pushing the page sideways at this size, with averyveryverylongwordwithoutanybreaks.');
      await entries(p.page, 'A long line').waitFor();
      await fits();
      for (const loc of [p.page.getByRole('textbox', { name: 'Message', exact: true }), p.page.getByRole('button', { name: 'Send', exact: true }),
        status(p.page), entries(p.page, 'A long line'), p.page.getByRole('textbox', { name: 'Room', exact: true })]) {
        // Visible first: a message node is replaced when its stored copy arrives (pending -> sent), and a
        // replaced node has no box; under load the lookup can land between the two.
        let box = null;
        for (let i = 0; i < 5 && !box; i++) {
          await loc.waitFor({ state: 'visible' });
          box = await loc.boundingBox();
        }
        if (!box) throw new Error(`${String(loc)} has no box`);
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(vp.width + 0.5);
        expect(box.y + box.height).toBeLessThanOrEqual(vp.height + 0.5);
      }
      expect((await p.page.locator('#scroller').boundingBox())!.height).toBeGreaterThan(120);
      expect(p.pageErrors).toEqual([]);
      mkdirSync(shots, { recursive: true });
      await p.page.screenshot({ path: join(shots, `${room}.png`) });
    });
  }

  it('a link with a malformed room (#%E0, #UPPER!) opens the default room with a notice, not a dead page', async () => {
    for (const hash of ['#%E0', '#UPPER!']) {
      const p = await open(hash);
      const notice = p.page.locator('#login-notice');
      await notice.filter({ hasText: `“${hash.slice(1)}” is not a room name` }).waitFor();
      expect(await p.page.getByRole('textbox', { name: 'Room', exact: true }).inputValue()).toBe('lobby');
      expect(p.page.url()).toMatch(/#lobby$/);
      await joinAs(p.page, 'Linked Lee');
      await p.page.getByRole('heading', { name: 'Room lobby' }).waitFor();
      expect(p.pageErrors).toEqual([]);
    }
  });

  it('a long day: the log holds at most 400 messages; older pages come back on scroll-up, the newest with "New messages"', async () => {
    const room = 'long-day';
    const bot = await TestClient.connect(stage.cluster.wsUrl);
    await bot.hello('Chatterbox');
    await bot.request({ type: 'join', room }, 'joined');
    /** Posts lines from..to, 50 in flight at a time (answers come in request order). */
    const post = async (from: number, to: number) => {
      for (let i = from; i <= to; i += 50) {
        const last = Math.min(to, i + 49);
        for (let k = i; k <= last; k++) bot.send({ type: 'send', room, text: `line ${k}`, cid: `line-${k}` });
        const r = await bot.next((f) => f.type === 'error' || (f.type === 'ack' && f.cid === `line-${last}`), 10_000);
        if (r.type !== 'ack') throw new Error(`send: ${JSON.stringify(r)}`);
      }
    };
    await post(1, 460);
    const p = await open(`#${room}`);
    await joinAs(p.page, 'Long Day Lin');
    const shown = () => log(p.page).locator(':scope > [data-id]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
    await expect.poll(async () => (await shown()).at(-1)).toBe(460);
    await post(461, 900); // live, at the bottom: the window follows and drops the oldest
    await expect.poll(async () => (await shown()).at(-1), { timeout: 20_000 }).toBe(900);
    let ids = await shown();
    expect(ids.length).toBe(400);
    expect(ids).toEqual(ids.map((_, i) => 501 + i));

    // Back through the day: older pages load above, the newest leave below; never more than 400.
    const scroller = p.page.locator('#scroller');
    for (let i = 0; i < 20 && ids[0] > 100; i++) {
      await scroller.evaluate((s) => { s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); });
      await p.page.waitForTimeout(150);
      ids = await shown();
      expect(ids.length).toBeLessThanOrEqual(400);
    }
    expect(ids[0]).toBeLessThanOrEqual(100);
    expect(ids.at(-1)).toBeLessThan(900);
    expect(ids).toEqual(ids.map((_, i) => ids[0] + i)); // no gap

    // Something new arrives meanwhile: "New messages" brings the latest back.
    await post(901, 901);
    const jump = p.page.getByRole('button', { name: 'New messages' });
    await jump.waitFor();
    await jump.click();
    await expect.poll(async () => (await shown()).at(-1)).toBe(901);
    ids = await shown();
    expect(ids.length).toBeLessThanOrEqual(400);
    expect(await scroller.evaluate((s) => s.scrollHeight - s.scrollTop - s.clientHeight < 48)).toBe(true);
    await post(902, 902);
    await expect.poll(async () => (await shown()).at(-1)).toBe(902);
    expect(await p.page.evaluate(() => document.querySelectorAll('#messages > *').length)).toBeLessThanOrEqual(400);
    expect(p.pageErrors).toEqual([]);
    bot.close();
  }, 120_000);
});
