/**
 * The page with a keyboard only, in Chromium on the native cluster: the Tab order of the login and
 * chat views, a visible focus indicator at every stop, Enter to join and to send, focus in the
 * message box after joining and again after a reconnect that lost it, and Escape closing what the
 * page opened (a notice, the room field). Keys are real key presses (page.keyboard), not clicks.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  connectedAppId, entries, useStage, openPage, status, type ChatPage,
} from './lib/browser.js';
import { routeChat, type ChatRoute } from './lib/ws-route.js';

/** The focused element, as "tag#id" or "tag 'name'" (links and buttons by their accessible text). */
const focused = (p: Page) => p.evaluate(() => {
  const e = document.activeElement as HTMLElement | null;
  if (!e || e === document.body) return 'body';
  const name = e.getAttribute('aria-label') ?? e.textContent?.trim() ?? '';
  return e.id ? `${e.tagName.toLowerCase()}#${e.id}` : `${e.tagName.toLowerCase()} '${name}'`;
});

/** Whether the focused element shows a focus ring: an outline of at least 2 px, on it or on the composer around it. */
const focusShows = (p: Page) => p.evaluate(() => {
  const e = document.activeElement as HTMLElement | null;
  if (!e || e === document.body) return false;
  const ring = (x: Element) => {
    const cs = getComputedStyle(x);
    return cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
  };
  return ring(e) || (e.closest('.composer') !== null && ring(e.closest('.composer')!));
});

/** Presses Tab from the top of the page `n` times; the stops, each checked for a visible focus ring. */
async function tabOrder(p: Page, n: number): Promise<string[]> {
  // Start sequential navigation at the top of the document (blur() alone would leave it after the blurred element).
  await p.evaluate(() => {
    document.body.tabIndex = -1;
    document.body.focus();
    document.body.removeAttribute('tabindex');
  });
  const stops: string[] = [];
  for (let i = 0; i < n; i++) {
    await p.keyboard.press('Tab');
    const stop = await focused(p);
    stops.push(stop);
    expect(await focusShows(p), `no visible focus on ${stop}`).toBe(true);
  }
  return stops;
}

describe('keyboard only', () => {
  const stage = useStage({ servers: 2, haproxyCheckInterMs: 300 });

  const open = (hash: string, setup?: Parameters<typeof openPage>[3]) =>
    openPage(stage.tb.browser, `${stage.cluster.pageUrl}${hash}`, { viewport: { width: 1280, height: 800 } }, setup);

  /** Joins with the keyboard: types the name where focus starts, presses Enter. */
  async function joinByKeyboard(p: ChatPage, name: string): Promise<void> {
    expect(await focused(p.page)).toBe('input#name');
    await p.page.keyboard.type(name);
    await p.page.keyboard.press('Enter');
    await connectedAppId(p.page);
    expect(await focused(p.page)).toBe('textarea#message');
  }

  it('Tab order and visible focus on login and chat; Enter joins and sends; focus lands in the message box', async () => {
    const p = await open('#kb-order');
    expect(await tabOrder(p.page, 4)).toEqual(["a 'livechat'", 'input#name', 'input#room', "button 'Join'"]);
    await p.page.getByRole('textbox', { name: 'Name', exact: true }).focus();
    await joinByKeyboard(p, 'Keyboard Kim');

    await p.page.keyboard.type('sent with Enter');
    await p.page.keyboard.press('Enter');
    await entries(p.page, 'sent with Enter').waitFor();
    expect(await p.page.locator('#message').inputValue()).toBe('');
    expect(await focused(p.page)).toBe('textarea#message');
    // Shift+Enter is a new line, not a send.
    await p.page.keyboard.type('two');
    await p.page.keyboard.press('Shift+Enter');
    await p.page.keyboard.type('lines');
    expect(await p.page.locator('#message').inputValue()).toBe('two\nlines');
    await p.page.keyboard.press('Enter');
    await entries(p.page, 'lines').waitFor();
    // Both stored (acked): a pending entry's node is replaced by the stored message's, which would
    // take the focus with it if the walk below were on it then (seen once under load).
    await expect.poll(() => p.page.locator('.outbox').count(), { timeout: 10_000 }).toBe(0);

    // Each message has one stop of its own: the button that discloses its actions.
    const actions = expect.stringMatching(/^button 'Actions for the message from Keyboard Kim #\w{8} at /);
    expect(await tabOrder(p.page, 11)).toEqual([
      "a 'livechat'", 'button#notify', 'input#room-switch', "button 'Go'", "a '# kb-order'", 'ul#members', 'div#scroller',
      actions, actions, 'textarea#message', "button 'Send'",
    ]);
    // The room field: a name and Enter goes there, and focus returns to the message box.
    await p.page.locator('#room-switch').focus();
    await p.page.keyboard.type('kb-other');
    await p.page.keyboard.press('Enter');
    await p.page.waitForURL(/#kb-other$/);
    await connectedAppId(p.page);
    expect(await focused(p.page)).toBe('textarea#message');
    expect(p.pageErrors).toEqual([]);
  });

  it('a message\'s actions by keyboard: Enter discloses them, Tab reaches each, Escape closes; ↑ edits, Escape cancels', async () => {
    const p = await open('#kb-actions');
    await joinByKeyboard(p, 'Action Al');
    await p.page.keyboard.type('act on me');
    await p.page.keyboard.press('Enter');
    // Wait for the stored message, not only "✓ sent": the ack can come before the broadcast, and
    // until then the entry is the outbox's, which has no actions (CI once pressed Shift+Tab there).
    const toggle = entries(p.page, 'act on me').getByRole('button', { name: /^Actions for the message from/ });
    await toggle.waitFor();
    await expect.poll(() => p.page.locator('.outbox').count(), { timeout: 10_000 }).toBe(0);
    await p.page.keyboard.press('Shift+Tab'); // from the message box back to the last message's actions
    expect(await focused(p.page)).toMatch(/^button 'Actions for the message from Action Al/);
    await p.page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const stops: string[] = [];
    for (let i = 0; i < 13; i++) {
      await p.page.keyboard.press('Tab');
      stops.push(await focused(p.page));
      expect(await focusShows(p.page), `no visible focus on ${stops.at(-1)}`).toBe(true);
    }
    expect(stops).toEqual([
      "button 'Reply'", "button 'Edit'", "button 'Delete'",
      ...['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'].map((e) => `button 'React with ${e}'`),
      'input#' + (await p.page.locator('.emoji-input').getAttribute('id')), "button 'React'",
    ]);
    await p.page.keyboard.press('Escape');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await focused(p.page)).toMatch(/^button 'Actions for the message from Action Al/);
    // A reaction by keyboard: the picker's 👍 becomes a pressed chip.
    await p.page.keyboard.press('Enter');
    for (let i = 0; i < 4; i++) await p.page.keyboard.press('Tab');
    expect(await focused(p.page)).toBe("button 'React with 👍'");
    await p.page.keyboard.press('Enter');
    const chip = entries(p.page, 'act on me').getByRole('button', { name: '👍 1 reaction' });
    await expect.poll(() => chip.getAttribute('aria-pressed')).toBe('true');
    // ↑ in the empty box edits it; Escape gives the box back as it was.
    await p.page.locator('#message').focus();
    await p.page.keyboard.press('ArrowUp');
    expect(await p.page.locator('#message').inputValue()).toBe('act on me');
    await p.page.keyboard.press('Escape');
    expect(await p.page.locator('#message').inputValue()).toBe('');
    expect(await p.page.locator('#composer-context').isHidden()).toBe(true);
    expect(p.pageErrors).toEqual([]);
  });

  it('Escape closes what opens: the notice, and the room field goes back to the message box', async () => {
    const p = await open('#kb-escape');
    await joinByKeyboard(p, 'Escape Eve');
    // A link to a malformed room: back to the default room, with a notice that Escape closes.
    await p.page.evaluate(() => { location.hash = 'UPPER!'; });
    const notice = p.page.locator('#notice');
    await notice.filter({ hasText: '“UPPER!” is not a room name' }).waitFor();
    await p.page.waitForURL(/#lobby$/);
    await p.page.getByRole('heading', { name: 'Room lobby' }).waitFor();
    await p.page.locator('#message').focus();
    await p.page.keyboard.press('Escape');
    await notice.waitFor({ state: 'hidden' });
    expect(await focused(p.page)).toBe('textarea#message');

    // Its close button is reachable and named, and Enter on it closes it too.
    await p.page.evaluate(() => { location.hash = '%E0'; });
    await notice.filter({ hasText: '“%E0” is not a room name' }).waitFor();
    await p.page.keyboard.press('Shift+Tab');
    expect(await focused(p.page)).toBe('button#notice-close');
    expect(await focusShows(p.page)).toBe(true);
    await p.page.keyboard.press('Enter');
    await notice.waitFor({ state: 'hidden' });
    expect(await focused(p.page)).toBe('textarea#message');

    await p.page.locator('#room-switch').focus();
    await p.page.keyboard.type('half-typed');
    await p.page.keyboard.press('Escape');
    expect(await p.page.locator('#room-switch').inputValue()).toBe('');
    expect(await focused(p.page)).toBe('textarea#message');
    expect(p.pageErrors).toEqual([]);
  });

  it('after a reconnect that lost focus, focus is back in the message box; what was typed waits and goes', async () => {
    let route: ChatRoute | undefined;
    const p = await open('#kb-reconnect', async (page) => { route = await routeChat(page); });
    await joinByKeyboard(p, 'Rita Reconnect');
    route!.offline = true;
    route!.drop();
    await status(p.page).filter({ hasText: 'reconnecting' }).waitFor();
    await p.page.keyboard.type('typed while away');
    await p.page.keyboard.press('Enter');
    await entries(p.page, 'typed while away').filter({ hasText: 'pending' }).waitFor();
    await p.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    expect(await focused(p.page)).toBe('body');
    route!.offline = false;
    await p.page.evaluate(() => window.dispatchEvent(new Event('online'))); // back online: retry at once
    await connectedAppId(p.page);
    await expect.poll(() => focused(p.page)).toBe('textarea#message');
    // Its state in words: pending, then sent (the tick has "sent" as text for screen readers).
    await expect.poll(async () => (await entries(p.page, 'typed while away').textContent()) ?? '').toMatch(/(?<!not )sent/);
    expect(p.pageErrors).toEqual([]);
  });
});
