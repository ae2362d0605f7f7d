/**
 * The page in real headless Chromium, through nginx -> HAProxy -> 4 node servers -> Redis (the native
 * cluster): two people chat both ways and see each other in Members; an XSS payload stays text; SIGKILL
 * the server a page is on and it reconnects to another APPID with nothing lost or doubled, including a
 * message typed while it was disconnected; a large room's member panel shows the exact count and pages
 * the list on scroll; a phone viewport works. Saves screenshots (docs/screenshots with UPDATE_SCREENSHOTS=1,
 * else .run/screenshots).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/configs.js';
import { TestClient } from '../helpers/ws-client.js';
import {
  connectedAppId, entries, join as joinAs, useStage, log, members, openPage, send, status,
  type ChatPage,
} from './lib/browser.js';
import { sigkillResume } from './lib/failover.js';

// The committed screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
const shots = join(repoRoot(), process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.run/screenshots');

/** Sends one message as a plain protocol client and waits until it is stored (retrying rate_limited, same cid). */
async function sendStored(c: TestClient, room: string, text: string, cid: string): Promise<void> {
  for (;;) {
    const r = await c.request({ type: 'send', room, text, cid }, 'ack');
    if (r.type === 'ack') return;
    if (r.type !== 'error' || r.code !== 'rate_limited') throw new Error(`send ${cid}: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, r.retryAfterMs ?? 100));
  }
}

describe('the page in Chromium on the native cluster', () => {
  const pages: ChatPage[] = [];
  // The history test's bot posts 130 messages: a person's send limit (a few a second) is lifted for it.
  const stage = useStage({ servers: 4, haproxyCheckInterMs: 300, env: { SEND_RATE_BURST: '1000', SEND_RATE_PER_SEC: '1000' } });

  const open = async (room: string, opts: Parameters<typeof openPage>[2] = {}) => {
    const p = await openPage(stage.tb.browser, `${stage.cluster.pageUrl}#${room}`, opts);
    pages.push(p);
    return p;
  };

  it('two pages chat in both directions and see each other in Members', async () => {
    const ann = await open('both-ways');
    const bob = await open('both-ways');
    await joinAs(ann.page, 'Ann');
    await joinAs(bob.page, 'Bob');
    for (const p of [ann, bob]) {
      await expect.poll(() => members(p.page).allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining('Ann'), expect.stringContaining('Bob')]));
    }
    await send(ann.page, 'hi Bob, from Ann');
    await send(bob.page, 'hello Ann, from Bob', 'button');
    for (const p of [ann, bob]) {
      await entries(p.page, 'hi Bob, from Ann').first().waitFor();
      await entries(p.page, 'hello Ann, from Bob').first().waitFor();
      expect(await entries(p.page, 'hi Bob, from Ann').count()).toBe(1);
      expect(await entries(p.page, 'hello Ann, from Bob').count()).toBe(1);
      // each message shows its sender and the APPID that accepted it
      const fromAnn = entries(p.page, 'hi Bob, from Ann');
      expect(await fromAnn.textContent()).toMatch(/Ann[\s\S]*via \d+000/);
    }
    // the page's origin sent a CSP, and nothing on the page ran into it
    const res = await ann.page.request.get(stage.cluster.pageUrl);
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    expect([...ann.cspViolations, ...bob.cspViolations, ...ann.pageErrors, ...bob.pageErrors]).toEqual([]);
  });

  it('remembers the name and session across a reload, and switches rooms through the hash', async () => {
    const p = await open('remember');
    const first = await joinAs(p.page, 'Rita');
    expect(first).toMatch(/^\d+000$/);
    const myId = () => p.page.locator('#members li.is-me').getAttribute('data-id');
    const idBefore = await myId();
    expect(idBefore).toBeTruthy();
    await p.page.reload();
    const name = p.page.getByRole('textbox', { name: 'Name', exact: true });
    expect(await name.inputValue()).toBe('Rita');
    await p.page.getByRole('button', { name: 'Join', exact: true }).click();
    await connectedAppId(p.page);
    await expect.poll(() => members(p.page).allTextContents()).toEqual([expect.stringContaining('Rita')]);
    expect(await myId()).toBe(idBefore); // same session, same member
    await send(p.page, 'in remember');
    await entries(p.page, 'in remember').waitFor();

    await p.page.getByRole('textbox', { name: 'Room', exact: true }).fill('Elsewhere');
    await p.page.getByRole('button', { name: 'Go', exact: true }).click();
    await p.page.waitForURL(/#elsewhere$/);
    await expect.poll(() => entries(p.page, 'in remember').count()).toBe(0);
    await send(p.page, 'in elsewhere');
    await entries(p.page, 'in elsewhere').waitFor();
    await p.page.getByRole('link', { name: '# remember' }).click();
    await entries(p.page, 'in remember').waitFor();
    expect(await entries(p.page, 'in elsewhere').count()).toBe(0);
    expect(await members(p.page).count()).toBe(1);
  });

  it('an XSS payload in a name and a message renders as text and runs nothing', async () => {
    const evilName = '<img src=x onerror=alert(1)>';
    const evilText = '<script>alert("x")</script><img src=x onerror="alert(2)"><b>bold</b>';
    const mallory = await open('xss');
    const victim = await open('xss');
    await joinAs(mallory.page, evilName);
    await joinAs(victim.page, 'Victim');
    await send(mallory.page, evilText);
    for (const p of [mallory, victim]) {
      await entries(p.page, evilText).first().waitFor();
      await expect.poll(() => members(p.page).allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(evilName)]));
      expect(await log(p.page).locator('img, script, b').count()).toBe(0);
      expect(await p.page.getByRole('list', { name: 'Members', exact: true }).locator('img').count()).toBe(0);
      expect(await entries(p.page, evilText).textContent()).toContain(evilName);
    }
    await victim.page.waitForTimeout(300);
    expect([...mallory.dialogs, ...victim.dialogs]).toEqual([]);
    expect([...mallory.cspViolations, ...victim.cspViolations]).toEqual([]);
  });

  it('SIGKILL the server a page is on: reconnecting, then connected to another APPID; nothing lost or doubled', async () => {
    const room = 'failover';
    // Timers of this page run on Playwright's clock so the reconnect can be held while a message is typed offline.
    const ann = await stage.tb.browser.newContext().then(async (ctx) => {
      const page = await ctx.newPage();
      await page.clock.install();
      await page.goto(`${stage.cluster.pageUrl}#${room}`);
      const cp: ChatPage = { page, dialogs: [], cspViolations: [], pageErrors: [] };
      page.on('pageerror', (e) => cp.pageErrors.push(e.message));
      pages.push(cp);
      return cp;
    });
    const bob = await open(room);
    const { before, after, seen } = await sigkillResume(stage, ann, bob);
    const iReconnecting = seen.findIndex((s) => s.includes('reconnecting'));
    expect(iReconnecting).toBeGreaterThan(0);
    expect(seen.slice(iReconnecting).some((s) => s.includes('connected') && !s.includes('reconnecting') && s.includes(after))).toBe(true);
    expect(ann.pageErrors).toEqual([]);

    await stage.cluster.startServer(before);
  });

  it('loads older history on scroll-up, and stays at the bottom unless the person scrolled up', async () => {
    const room = 'long-history';
    const bot = await TestClient.connect(stage.cluster.wsUrl);
    await bot.hello('Archivist');
    await bot.request({ type: 'join', room }, 'joined');
    for (let i = 1; i <= 130; i++) await sendStored(bot, room, `archived line ${i}`, `arch-${i}`);
    const reader = await open(room, { viewport: { width: 1000, height: 700 } });
    await joinAs(reader.page, 'Reader');
    const ids = () => log(reader.page).locator(':scope > [data-id]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
    await entries(reader.page, 'archived line 130').waitFor();
    expect((await ids())[0]).toBeGreaterThan(1); // the latest page only
    const scroller = reader.page.locator('#scroller');
    const atBottom = () => scroller.evaluate((s) => s.scrollHeight - s.scrollTop - s.clientHeight < 48);
    expect(await atBottom()).toBe(true);

    // Scroll to the top until the start of the room is reached.
    for (let i = 0; i < 10 && (await ids())[0] !== 1; i++) {
      await scroller.evaluate((s) => { s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); });
      await reader.page.waitForTimeout(250);
    }
    const all = await ids();
    expect(all).toEqual(Array.from({ length: 130 }, (_, i) => i + 1));
    await reader.page.getByText('This is the start of #long-history.').waitFor();

    // Scrolled up: a new message does not pull the list down, it shows a way back instead.
    await scroller.evaluate((s) => { s.scrollTop = 200; });
    const top = await scroller.evaluate((s) => s.scrollTop);
    await sendStored(bot, room, 'a new line while reading', 'arch-new-1');
    await entries(reader.page, 'a new line while reading').waitFor();
    expect(await scroller.evaluate((s) => s.scrollTop)).toBe(top);
    await reader.page.getByRole('button', { name: 'New messages' }).click();
    expect(await atBottom()).toBe(true);
    // At the bottom: it follows.
    await sendStored(bot, room, 'another new line', 'arch-new-2');
    await entries(reader.page, 'another new line').waitFor();
    await expect.poll(atBottom).toBe(true);
    bot.close();
  });

  it('large room member panel: exact count, first page, more on scroll, small again after sync', async () => {
    // At the default large-room threshold (200, small again at 180): 240 protocol bots fill the room.
    const room = 'crowd';
    const bots: Array<{ c: TestClient; id: string }> = [];
    const addBots = async (n: number, prefix: string) => {
      for (let i = 0; i < n; i += 40) {
        bots.push(...await Promise.all(Array.from({ length: Math.min(40, n - i) }, async (_, k) => {
          // Spread over 8 loopback addresses: at most 50 connections per address (LC_MAX_CONN_PER_IP).
          const c = await TestClient.connect(stage.cluster.wsUrl, { localAddress: `127.0.0.${10 + ((bots.length + i + k) % 8)}` });
          const w = await c.hello(`${prefix} ${i + k}`);
          const j = await c.request({ type: 'join', room }, 'joined', 10_000);
          if (j.type !== 'joined') throw new Error(`bot join: ${JSON.stringify(j)}`);
          return { c, id: w.member.id };
        })));
      }
    };
    const shownIds = (p: ChatPage) => members(p.page).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id ?? ''));
    const heading = (p: ChatPage) => p.page.locator('#members-title');
    const shown = (p: ChatPage) => p.page.locator('#members-shown');
    const scrollMembers = (p: ChatPage) => p.page.getByRole('list', { name: 'Members', exact: true })
      .evaluate((u) => { u.scrollTop = u.scrollHeight; u.dispatchEvent(new Event('scroll')); });
    /** Waits until the member panel's heading reads exactly `name` (its accessible name: the count is text). */
    const headingReads = (p: ChatPage, name: string) => p.page.getByRole('heading', { name, exact: true }).waitFor({ timeout: 15_000 });
    try {
      // Small: the panel as always, with the count.
      const early = await open(room, { viewport: { width: 1280, height: 800 } });
      await joinAs(early.page, 'Early');
      await expect.poll(() => members(early.page).count()).toBe(1);
      expect(await heading(early).textContent()).toMatch(/Members\s*1$/);

      // The room turns large while Early is in it: a `count` event, then a fresh first page.
      await addBots(240, 'Crowd');
      await headingReads(early, '241 members');
      await expect.poll(() => members(early.page).count(), { timeout: 15_000 }).toBe(200);
      await expect.poll(() => shown(early).textContent()).toMatch(/^Showing 200 of 241/);
      const firstPage = await shownIds(early);
      expect(new Set(firstPage).size).toBe(200);

      // A page that joins the large room: joined.membersTruncated, the first page, the exact count.
      const late = await open(room, { viewport: { width: 1280, height: 800 } });
      await joinAs(late.page, 'Late');
      await headingReads(late, '242 members');
      await headingReads(early, '242 members');
      await expect.poll(() => members(late.page).count()).toBe(200);

      // Scrolling to the end of the list loads the next pages, each member once. Late joined the room at
      // its full size, so its pages are the whole list; Early's first page was taken while bots were still
      // joining, so it holds that page plus everyone after its last id (a snapshot, never a ghost).
      const scrollToEnd = async (p: ChatPage) => {
        for (let i = 0; i < 5 && !/^Showing (\d+) of \1\b/.test((await shown(p).textContent()) ?? '') && (await members(p.page).count()) < 242; i++) {
          await scrollMembers(p);
          await p.page.waitForTimeout(300);
        }
      };
      await scrollToEnd(late);
      await expect.poll(() => members(late.page).count()).toBe(242);
      await expect.poll(() => shown(late).textContent()).toMatch(/^Showing 242 of 242/);
      const all = await shownIds(late);
      expect(new Set(all).size).toBe(242);
      expect(all).toEqual(expect.arrayContaining(bots.map((b) => b.id)));
      const ascending = [...all].sort();
      await scrollToEnd(early);
      await expect.poll(async () => (await shownIds(early)).length).toBeGreaterThan(200);
      const earlyIds = await shownIds(early);
      expect(new Set(earlyIds).size).toBe(earlyIds.length);
      expect(earlyIds.every((id) => all.includes(id))).toBe(true);
      // Early's list is its first page, then an unbroken run of the list in ascending id up to the end
      const earlyTail = earlyIds.filter((id) => !firstPage.includes(id)).sort();
      expect(earlyTail).toEqual(ascending.slice(ascending.length - earlyTail.length));
      expect(await shown(early).textContent()).toMatch(new RegExp(`^Showing ${earlyIds.length} of 242`));

      // Down to 172 (≤ 180): one `sync` with the whole list; the panel is the small one again.
      for (const b of bots.splice(0, 70)) b.c.close();
      for (const p of [early, late]) {
        await expect.poll(() => heading(p).textContent(), { timeout: 30_000 }).toMatch(/Members\s*172$/);
        await expect.poll(() => members(p.page).count()).toBe(172);
        expect(await p.page.locator('#members-more').isHidden()).toBe(true);
      }
      const listed = await shownIds(late);
      expect(listed).toEqual(expect.arrayContaining(bots.map((b) => b.id)));
      expect(listed.filter((id) => !bots.some((b) => b.id === id))).toHaveLength(2); // Early and Late
      // join/leave events resume: one more bot appears in the list by name
      await addBots(1, 'Newcomer');
      for (const p of [early, late]) {
        await expect.poll(() => members(p.page).filter({ hasText: 'Newcomer 0' }).count(), { timeout: 15_000 }).toBe(1);
        await expect.poll(() => heading(p).textContent()).toMatch(/Members\s*173$/);
      }
      expect([...early.pageErrors, ...late.pageErrors, ...early.cspViolations, ...late.cspViolations]).toEqual([]);
    } finally {
      for (const b of bots) b.c.close();
    }
  });

  it('works on a phone-sized screen (390×844), and saves screenshots', async () => {
    mkdirSync(shots, { recursive: true });
    const room = 'design-review';
    const desk = await open(room, { viewport: { width: 1280, height: 800 } });
    const phone = await open(room, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const rosa = await open(room);
    await joinAs(desk.page, 'Ada Lovelace');
    await joinAs(rosa.page, 'Rosalind Franklin');
    await joinAs(phone.page, 'Grace Hopper');
    const lines: Array<[ChatPage, string]> = [
      [desk, 'Morning! The new page is up on the cluster — four servers behind HAProxy.'],
      [rosa, 'Looks great. Each message shows which server accepted it.'],
      [phone, 'Trying it from my phone: the members strip fits nicely.'],
      [desk, 'Try killing a server: the page reconnects and resumes where it left off.'],
      [rosa, 'Just did. Status went to reconnecting… and back in under a second.'],
      [phone, 'Nothing lost, nothing doubled. Ship it!'],
    ];
    for (const [p, text] of lines) {
      await send(p.page, text);
      await entries(desk.page, text).waitFor();
    }
    for (const p of [desk, phone]) await entries(p.page, 'Nothing lost').waitFor();
    await expect.poll(() => members(phone.page).count()).toBe(3);

    // Phone: everything a person needs is on screen and nothing scrolls sideways.
    const vp = phone.page.viewportSize()!;
    for (const loc of [phone.page.getByRole('textbox', { name: 'Message', exact: true }), phone.page.getByRole('button', { name: 'Send', exact: true }), status(phone.page), members(phone.page).first()]) {
      const box = await loc.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(vp.width + 0.5);
      expect(box!.y + box!.height).toBeLessThanOrEqual(vp.height + 0.5);
    }
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(vp.width);
    await send(phone.page, 'Sent with Enter on the phone');
    await entries(desk.page, 'Sent with Enter on the phone').waitFor();
    await entries(phone.page, 'Sent with Enter on the phone').waitFor();
    await phone.page.getByRole('textbox', { name: 'Message', exact: true }).fill('');

    await desk.page.waitForTimeout(300);
    await desk.page.screenshot({ path: join(shots, 'desktop.png') });
    await phone.page.screenshot({ path: join(shots, 'phone.png') });
    await desk.page.emulateMedia({ colorScheme: 'dark' });
    await phone.page.emulateMedia({ colorScheme: 'dark' });
    await desk.page.screenshot({ path: join(shots, 'desktop-dark.png') });
    await phone.page.screenshot({ path: join(shots, 'phone-dark.png') });
    const login = await open('lobby', { viewport: { width: 1280, height: 800 } });
    await login.page.screenshot({ path: join(shots, 'login.png') });
  });
});
