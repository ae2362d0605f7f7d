/**
 * The page when WebSocket is blocked (issue 25; shared/PROTOCOL.md "When WebSocket is blocked"), in
 * real Chromium through nginx -> HAProxy -> 4 node servers. The blocking is real: each blocked page's
 * browser context goes through an HTTP proxy (lib/no-ws-proxy.ts) that forwards plain requests and
 * refuses WebSockets (Chromium tunnels ws:// through a proxy with CONNECT; the proxy answers 403, as a
 * proxy that strips Upgrade does). The page tries WebSocket twice, falls back to Server-Sent Events and
 * says "fallback" in its status. Then: two pages on different servers chat, with their POSTs landing
 * on several servers (HAProxy's per-server request counts); SIGKILL the server holding a page's stream
 * and it resumes elsewhere with nothing lost or doubled; SIGTERM it and its close event (1001) moves the
 * page at once; an account's private room works, and signing out everywhere reaches each tab; once the
 * proxy lets WebSockets through, the page's probe (5 minutes on, by Playwright's clock) moves it back
 * to WebSocket while the other page talks, nothing lost. Without the proxy the page stays on
 * WebSocket; `?transport=sse` / `?transport=ws` force one. A middlebox that accepts the upgrade and
 * then passes nothing (playwright's routeWebSocket, never answering) costs two connect timeouts, then
 * SSE. The status text is axe-clean either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { LOOSE_LIMITS } from '../helpers/limits.js';
import { axeViolations } from './lib/axe.js';
import {
  connectedAppId, entries, join as joinAs, log, members, openPage, recordStatus, send, status, useStage, type ChatPage,
} from './lib/browser.js';
import { sigkillResume } from './lib/failover.js';
import { startNoWsProxy, type NoWsProxy } from './lib/no-ws-proxy.js';

const run = Date.now().toString(36).slice(-5);
const PASSWORD = 'correct horse battery';

/** HAProxy's HTTP requests per server so far (`req_tot` from its stats page, summed over backends). */
async function requestsPerServer(statsPort: number): Promise<Record<string, number>> {
  const csv = await (await fetch(`http://127.0.0.1:${statsPort}/;csv`)).text();
  const [head, ...rows] = csv.split('\n').filter(Boolean);
  const cols = head.replace(/^#\s*/, '').split(',');
  const [sv, req] = [cols.indexOf('svname'), cols.indexOf('req_tot')];
  const out: Record<string, number> = {};
  for (const f of rows.map((r) => r.split(','))) {
    if (f[sv] === 'FRONTEND' || f[sv] === 'BACKEND' || !f[req]) continue;
    out[f[sv]] = (out[f[sv]] ?? 0) + Number(f[req]);
  }
  return out;
}

/** The servers whose request count grew between two readings. */
const grew = (a: Record<string, number>, b: Record<string, number>) => Object.keys(b).filter((k) => b[k] > (a[k] ?? 0));

describe('the page over Server-Sent Events when WebSocket is blocked', () => {
  const stage = useStage({ servers: 4, haproxyCheckInterMs: 300, env: { ...LOOSE_LIMITS, SCRYPT_LOG2_N: '14' } });
  let proxy: NoWsProxy;
  const pages: ChatPage[] = [];
  beforeAll(async () => { proxy = await startNoWsProxy(); });
  afterAll(async () => { await proxy?.close(); });

  /** A page in a context of its own; `blocked`: through the proxy that refuses WebSockets. */
  const open = async (hash: string, blocked: boolean, opts: BrowserContextOptions = {}, setup?: (p: Page) => Promise<void>) => {
    const p = await openPage(stage.tb.browser, `${stage.cluster.pageUrl}${hash}`, blocked ? { ...opts, proxy: proxy.proxy } : opts, setup);
    pages.push(p);
    return p;
  };

  const statusAxe = async (p: Page) => (await axeViolations(p)).filter((v) => v.nodes.some((n) => /status/.test(n.target)));

  it('without blocking, the page uses WebSocket: no "fallback"', async () => {
    const ann = await open('#plain', false, { bypassCSP: true });
    await joinAs(ann.page, 'Ann');
    expect(await status(ann.page).textContent()).not.toContain('fallback');
    await send(ann.page, 'over a websocket');
    await entries(ann.page, 'over a websocket').waitFor();
    expect(await statusAxe(ann.page)).toEqual([]);
    expect(ann.pageErrors).toEqual([]);
  });

  it('WebSocket refused: two pages on different servers chat over SSE, their POSTs spread over the servers', async () => {
    const refusedBefore = proxy.refused;
    const ann = await open('#sse-chat', true, { bypassCSP: true });
    const bob = await open('#sse-chat', true);
    const annServer = await joinAs(ann.page, 'Ann');
    let bobServer = await joinAs(bob.page, 'Bob');
    for (let i = 0; i < 8 && bobServer === annServer; i++) {
      await bob.page.reload();
      bobServer = await joinAs(bob.page, 'Bob');
    }
    expect(bobServer, 'the two pages are on different servers').not.toBe(annServer);
    for (const p of [ann, bob]) expect(await status(p.page).textContent()).toMatch(/connected · APPID \S+ · fallback/);
    expect(proxy.refused - refusedBefore, 'WebSocket was tried, and refused').toBeGreaterThanOrEqual(4);

    for (const p of [ann, bob]) {
      await expect.poll(() => members(p.page).allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining('Ann'), expect.stringContaining('Bob')]));
    }
    const before = await requestsPerServer(stage.cluster.statsPort);
    const posts = proxy.forwarded.filter((r) => r.startsWith('POST /sse/')).length;
    for (let i = 1; i <= 6; i++) {
      await send(ann.page, `ann over sse ${i}`);
      await send(bob.page, `bob over sse ${i}`);
    }
    for (const p of [ann, bob]) {
      for (let i = 1; i <= 6; i++) {
        await entries(p.page, `ann over sse ${i}`).first().waitFor();
        await entries(p.page, `bob over sse ${i}`).first().waitFor();
        expect(await entries(p.page, `ann over sse ${i}`).count()).toBe(1);
        expect(await entries(p.page, `bob over sse ${i}`).count()).toBe(1);
      }
    }
    expect(proxy.forwarded.filter((r) => r.startsWith('POST /sse/')).length - posts).toBeGreaterThanOrEqual(12);
    const after = await requestsPerServer(stage.cluster.statsPort);
    expect(grew(before, after).length, 'POSTs landed on several servers (round-robin, no stickiness)').toBeGreaterThanOrEqual(3);
    expect(await statusAxe(ann.page)).toEqual([]);
    expect([...ann.pageErrors, ...bob.pageErrors]).toEqual([]);
  });

  it('SIGKILL the server holding a page\'s stream: it resumes on another, nothing lost or doubled', async () => {
    const room = 'sse-failover';
    // Ann's timers run on Playwright's clock so her reconnect can be held while she types offline.
    const ann = await open(`#${room}`, true, {}, (p) => p.clock.install());
    const bob = await open(`#${room}`, true);
    const { before, after, seen } = await sigkillResume(stage, ann, bob, { reconnectingWithinMs: 15_000, connectedWithinMs: 30_000 });
    for (const p of [ann, bob]) expect(await status(p.page).textContent()).toContain('fallback');
    expect(seen.some((s) => s.includes('reconnecting'))).toBe(true);
    expect(seen.at(-1)).toMatch(new RegExp(`connected · APPID ${after} · fallback`));
    expect([...ann.pageErrors, ...bob.pageErrors]).toEqual([]);
    await stage.cluster.startServer(before);
  });

  it('SIGTERM the server holding a page\'s stream: its close event (1001) sends the page to another server at once', async () => {
    const room = 'sse-drain';
    // Ann's page records the stream's close events (seen beside the page's own listener).
    const ann = await open(`#${room}`, true, {}, async (page) => { await page.addInitScript(() => {
      const w = window as unknown as { __closes: unknown[]; EventSource: typeof EventSource };
      const Native = w.EventSource;
      w.__closes = [];
      w.EventSource = class extends Native {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          this.addEventListener('message', (ev) => { if (String(ev.data).includes('"close"')) w.__closes.push(JSON.parse(String(ev.data))); });
        }
      };
    }); });
    const bob = await open(`#${room}`, true);
    const before = await joinAs(ann.page, 'Ann');
    await joinAs(bob.page, 'Bob');
    await send(bob.page, 'bob before the drain');
    await entries(ann.page, 'bob before the drain').waitFor();
    const statusLog = await recordStatus(ann.page);
    const stopped = stage.cluster.killServer(before, 'SIGTERM');
    await expect.poll(async () => (await statusLog()).some((s) => s.includes('reconnecting')), { timeout: 10_000 }).toBe(true);
    const after = await connectedAppId(ann.page);
    expect(after).not.toBe(before);
    expect(await status(ann.page).textContent()).toContain('fallback');
    expect(await ann.page.evaluate(() => (window as unknown as { __closes: unknown[] }).__closes)).toEqual([
      expect.objectContaining({ type: 'close', code: 1001 })]);
    await stopped;
    await send(bob.page, 'bob after the drain');
    await send(ann.page, 'ann after the drain');
    for (const p of [ann, bob]) {
      await entries(p.page, 'ann after the drain').waitFor();
      await entries(p.page, 'bob after the drain').waitFor();
      for (const text of ['bob before the drain', 'bob after the drain', 'ann after the drain']) {
        expect(await entries(p.page, text).count(), `${text} once`).toBe(1);
      }
    }
    expect([...ann.pageErrors, ...bob.pageErrors]).toEqual([]);
    await stage.cluster.startServer(before);
  });

  it('an account\'s private room works over SSE: create, invite, accept, chat; sign out everywhere reaches every tab', async () => {
    const [owner, guest] = [`own${run}`, `gst${run}`];
    const a = await open('', true);
    const b = await open('', true);
    for (const [p, user] of [[a.page, owner], [b.page, guest]] as const) {
      await p.getByRole('button', { name: 'New here? Create an account' }).click();
      await p.getByRole('textbox', { name: 'Username' }).fill(user);
      await p.getByLabel('Password').filter({ visible: true }).fill(PASSWORD);
      await p.getByRole('button', { name: 'Create account', exact: true }).click();
      await connectedAppId(p);
      expect(await status(p).textContent()).toContain('fallback');
    }
    const title = `Over SSE ${run}`;
    await a.page.getByRole('textbox', { name: 'New private room' }).fill(title);
    await a.page.getByRole('button', { name: 'Create', exact: true }).click();
    await a.page.getByRole('heading', { name: `Private room ${title}` }).waitFor();
    await a.page.getByRole('textbox', { name: 'Invite by username' }).fill(guest);
    await a.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await b.page.getByRole('button', { name: `Accept the invite to ${title} from ${owner}`, exact: true }).click({ timeout: 15_000 });
    await b.page.getByRole('heading', { name: `Private room ${title}` }).waitFor();
    await send(a.page, 'private hello over sse');
    await send(b.page, 'private answer over sse');
    for (const p of [a, b]) {
      await entries(p.page, 'private hello over sse').waitFor();
      await entries(p.page, 'private answer over sse').waitFor();
    }
    // A second tab of the guest's account (resumed from storage), also on SSE; "Sign out everywhere" on
    // the first: the server ends both streams with close 1008 "signed out", and both tabs sign out.
    const b2 = await b.page.context().newPage();
    await b2.goto(`${stage.cluster.pageUrl}#lobby`);
    await connectedAppId(b2);
    expect(await status(b2).textContent()).toContain('fallback');
    await b.page.getByRole('button', { name: 'Sign out everywhere' }).click();
    for (const p of [b.page, b2]) {
      await p.locator('#login-notice').filter({ hasText: 'signed out' }).waitFor({ timeout: 15_000 });
      await p.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    }
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });
  it('?transport=sse forces SSE where WebSocket works; ?transport=ws never falls back', async () => {
    const forced = await open('?transport=sse#forced', false);
    await joinAs(forced.page, 'Sse');
    expect(await status(forced.page).textContent()).toContain('fallback');
    await send(forced.page, 'forced over sse');
    await entries(forced.page, 'forced over sse').waitFor();
    await expect.poll(() => entries(forced.page, 'forced over sse').textContent()).not.toContain('pending');

    const streams = proxy.forwarded.filter((r) => r === 'GET /sse').length;
    const refused = proxy.refused;
    const ws = await open('?transport=ws#forced', true);
    await ws.page.getByRole('textbox', { name: 'Name', exact: true }).fill('Ws');
    await ws.page.getByRole('button', { name: 'Join', exact: true }).click();
    await expect.poll(() => proxy.refused - refused, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    expect(await status(ws.page).textContent()).not.toMatch(/\bconnected\b/);
    expect(proxy.forwarded.filter((r) => r === 'GET /sse').length).toBe(streams);
    await ws.page.context().close();
  });

  it('on SSE, once WebSocket works again the page moves back to it (a probe after 5 minutes), losing nothing', async () => {
    const room = 'sse-back';
    const ann = await open(`#${room}`, true, {}, (p) => p.clock.install());
    const bob = await open(`#${room}`, true);
    await joinAs(ann.page, 'Ann');
    await joinAs(bob.page, 'Bob');
    expect(await status(ann.page).textContent()).toContain('fallback');
    await send(bob.page, 'bob on sse');
    await entries(ann.page, 'bob on sse').waitFor();

    proxy.allowWebSocket = true;
    const tunnels = proxy.tunnels;
    try {
      await ann.page.clock.fastForward('05:01'); // the probe's timer
      // Bob talks while Ann's page probes, closes its stream and reconnects over WebSocket.
      for (let i = 1; i <= 3; i++) await send(bob.page, `bob during the move ${i}`);
      await expect.poll(() => status(ann.page).textContent(), { timeout: 20_000 }).toMatch(/connected · APPID \S+\s*$/);
      expect(proxy.tunnels - tunnels, 'the probe and the new socket went through').toBeGreaterThanOrEqual(2);
    } finally {
      proxy.allowWebSocket = false;
    }
    await send(ann.page, 'ann on websocket');
    const all = ['bob on sse', 'bob during the move 1', 'bob during the move 2', 'bob during the move 3', 'ann on websocket'];
    for (const p of [ann, bob]) {
      await entries(p.page, 'ann on websocket').waitFor();
      await entries(p.page, 'bob during the move 3').waitFor();
      await expect.poll(() => log(p.page).locator(':scope > .outbox').count(), { timeout: 15_000 }).toBe(0);
      for (const text of all) expect(await entries(p.page, text).count(), `${text} once`).toBe(1);
      const ids = await log(p.page).locator(':scope > [data-id]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
      expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
    }
    expect(await status(ann.page).textContent()).not.toContain('fallback');
    expect(await status(bob.page).textContent()).toContain('fallback'); // its timer has not come yet
    expect([...ann.pageErrors, ...bob.pageErrors]).toEqual([]);
  });
  it('a middlebox that accepts the upgrade and then passes nothing: after two connect timeouts the page is on SSE', async () => {
    // Playwright's routeWebSocket stands in for it: the socket opens, and nothing ever comes back.
    let stalled = 0;
    const p = await open('#sse-stall', false, {}, async (page) => {
      await page.clock.install();
      await page.routeWebSocket(/\/ws$/, () => { stalled++; });
    });
    await p.page.getByRole('textbox', { name: 'Name', exact: true }).fill('Stalled');
    await p.page.getByRole('button', { name: 'Join', exact: true }).click();
    for (let i = 0; i < 2; i++) {
      await expect.poll(() => stalled).toBe(i + 1);
      await p.page.clock.fastForward(10_500); // the connect timeout, then the backoff's first steps
    }
    await connectedAppId(p.page);
    expect(await status(p.page).textContent()).toContain('fallback');
    expect(stalled).toBe(2);
    await send(p.page, 'through the stall');
    await expect.poll(() => entries(p.page, 'through the stall').textContent()).not.toContain('pending');
  });
});
