/**
 * Headless Debian Chromium for the page's browser tests (playwright-core, no downloaded browsers),
 * and the few steps every test takes on the page, through the accessible names the page promises:
 * textbox "Name", button "Join", textbox "Message", button "Send", list "Members", log "Messages",
 * and the status.
 */
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startCluster, type Cluster, type ClusterOptions } from '../../../scripts/lib/cluster.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser { browser: Browser; close(): Promise<void> }

/**
 * Launches Chromium headless. `chromium.launch` gives every launch a fresh temporary profile
 * (--user-data-dir in a new temp dir, removed on close); it refuses that flag from the caller.
 */
export const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  return { browser, close: () => browser.close().catch(() => {}) };
}

/** A native cluster and Chromium, for the pages of one suite. */
export interface Stage {
  readonly cluster: Cluster;
  readonly tb: TestBrowser;
}

/**
 * Starts a native cluster and Chromium for the enclosing `describe` and stops both after it (hooks a
 * suite registers later run before this teardown). Read `stage.cluster` and `stage.tb` inside tests.
 */
export function useStage(opts: ClusterOptions): Stage {
  let cluster: Cluster | undefined;
  let tb: TestBrowser | undefined;
  beforeAll(async () => {
    cluster = await startCluster(opts);
    tb = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await tb?.close();
    await cluster?.stop();
  }, 60_000);
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the stage is not started (use it inside a test)');
    return v;
  };
  return { get cluster() { return started(cluster); }, get tb() { return started(tb); } };
}

export interface ChatPage {
  page: Page;
  /** Dialogs opened (an XSS that ran would open one). */
  dialogs: string[];
  /** Console lines mentioning the Content Security Policy (a blocked inline script/style). */
  cspViolations: string[];
  pageErrors: string[];
}

/**
 * A new context + page on `url`, recording dialogs, CSP violations and page errors. `setup` runs
 * before the page loads (a WebSocket route, an init script, a clock).
 */
export async function openPage(browser: Browser, url: string, opts: BrowserContextOptions = {}, setup?: (page: Page) => Promise<void>): Promise<ChatPage> {
  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  await setup?.(page);
  const cp: ChatPage = { page, dialogs: [], cspViolations: [], pageErrors: [] };
  page.on('dialog', (d) => { cp.dialogs.push(d.message()); void d.dismiss(); });
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cp.cspViolations.push(m.text()); });
  page.on('pageerror', (e) => cp.pageErrors.push(e.message));
  await page.goto(url);
  return cp;
}

export const status = (p: Page) => p.getByRole('status');
export const log = (p: Page) => p.getByRole('log', { name: 'Messages', exact: true });
export const members = (p: Page) => p.getByRole('list', { name: 'Members', exact: true }).getByRole('listitem');
/** Children of the log that contain `text` (one per message). */
export const entries = (p: Page, text: string) => log(p).locator(':scope > *').filter({ hasText: text });

/** Fills Name, presses Join, waits for "connected"; returns the APPID shown in the status. */
export async function join(p: Page, name: string): Promise<string> {
  await p.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
  await p.getByRole('button', { name: 'Join', exact: true }).click();
  return connectedAppId(p);
}

/** Joins as `name`; while the page landed on the server `avoid` holds, reloads and joins again (HAProxy round-robin). */
export async function joinElsewhere(p: Page, name: string, avoid: string): Promise<string> {
  let appId = await join(p, name);
  for (let i = 0; i < 8 && appId === avoid; i++) {
    await p.reload();
    appId = await join(p, name);
  }
  expect(appId, 'the two pages are on different servers').not.toBe(avoid);
  return appId;
}

/** Waits until the status says connected and returns the APPID it names. */
export async function connectedAppId(p: Page, timeout = 20_000): Promise<string> {
  await status(p).filter({ hasText: /\bconnected\b/ }).waitFor({ timeout });
  const text = (await status(p).textContent()) ?? '';
  const m = /\bconnected\b.*?APPID\s+(\S+)/.exec(text);
  if (!m) throw new Error(`status does not name the APPID: ${JSON.stringify(text)}`);
  return m[1];
}

/** Types into Message and presses Enter (or clicks Send). */
export async function send(p: Page, text: string, via: 'enter' | 'button' = 'enter'): Promise<void> {
  const box = p.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(text);
  if (via === 'enter') await box.press('Enter');
  else await p.getByRole('button', { name: 'Send', exact: true }).click();
}

/** Records every text the status shows (transitions can be shorter than a poll interval). */
export async function recordStatus(p: Page): Promise<() => Promise<string[]>> {
  await p.evaluate(() => {
    const el = document.querySelector('[role="status"]')!;
    const w = window as unknown as { __statusLog: string[] };
    w.__statusLog = [el.textContent ?? ''];
    new MutationObserver(() => w.__statusLog.push(el.textContent ?? '')).observe(el, { subtree: true, childList: true, characterData: true });
  });
  return () => p.evaluate(() => (window as unknown as { __statusLog: string[] }).__statusLog.map((s) => s.trim()));
}
