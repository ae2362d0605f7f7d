/**
 * A message's life in Chromium on the native cluster (4 servers), two people on different servers:
 * a reply (its quote on both pages, activating it goes to the original), who is typing (shown, then
 * gone when the box is cleared), an edit with ↑ (the "(edited)" mark, and the reply's quote follows),
 * reactions (chips with counts, one's own pressed, toggled by a click, any emoji typed), a deletion
 * confirmed in a dialog (the tombstone, and the reply's quote says so) — each seen on the other page.
 * Then a page held offline while the other edits, reacts and deletes: after the reconnect it shows it
 * all, and it resumed after the last entry it saw (an update), not the last message. And opt-in
 * notifications: "Notify me" asks only when pressed; a hidden tab is notified of an @mention only.
 * Saves docs/screenshots/conversation.png with UPDATE_SCREENSHOTS=1 (else .run/screenshots).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/lib/configs.js';
import {
  connectedAppId, join as joinAs, joinElsewhere, log, openPage, send, status, useStage,
} from './lib/browser.js';
import { routeChat, type ChatRoute } from './lib/ws-route.js';

const shots = join(repoRoot(), process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.run/screenshots');
const run = Date.now().toString(36).slice(-5);
/** A typing change shows within a second (coalesced per room); the rest is slack for a loaded machine. */
const TYPING_WAIT_MS = 10_000;

/** Log entries whose own text (not a quote of it) holds `text`; a deleted one's tombstone counts as its text. */
const own = (p: Page, text: string): Locator => log(p).locator(':scope > *').filter({ has: p.locator('.text, .tombstone', { hasText: text }) });
/** The log entry whose own text holds `text`. */
const entry = (p: Page, text: string): Locator => own(p, text).first();
/** The button that discloses a message's actions. */
const actionsOf = (p: Page, text: string) => entry(p, text).getByRole('button', { name: /^Actions for the message from/ });
const chip = (p: Page, text: string, emoji: string) => entry(p, text).getByRole('button', { name: new RegExp(`^${emoji} \\d+ reactions?$`) });
const typingLine = (p: Page) => p.locator('#typing');

describe('replies, edits, deletions, reactions and typing across servers', () => {
  const stage = useStage({ servers: 4, haproxyCheckInterMs: 300 });
  const open = (room: string, setup?: Parameters<typeof openPage>[3]) =>
    openPage(stage.tb.browser, `${stage.cluster.pageUrl}#${room}`, { viewport: { width: 1280, height: 860 } }, setup);

  it('reply, typing, edit with ↑, reactions and a confirmed deletion appear on the other page', async () => {
    const room = `life-${run}`;
    const ann = await open(room);
    const bob = await open(room);
    const annAt = await joinAs(ann.page, 'Ann');
    await joinElsewhere(bob.page, 'Bob', annAt);

    await send(ann.page, 'Lunch at noon?');
    await entry(bob.page, 'Lunch at noon?').waitFor();

    // Bob replies, by keyboard: the actions button, Tab to Reply, Enter; the quote shows above the box.
    await actionsOf(bob.page, 'Lunch at noon?').focus();
    await bob.page.keyboard.press('Enter');
    expect(await actionsOf(bob.page, 'Lunch at noon?').getAttribute('aria-expanded')).toBe('true');
    await bob.page.keyboard.press('Tab');
    await bob.page.keyboard.press('Enter');
    const context = bob.page.locator('#composer-context');
    await context.filter({ hasText: /Replying to Ann #\w{8}: Lunch at noon\?/ }).waitFor();
    expect(await bob.page.evaluate(() => document.activeElement?.id)).toBe('message');
    // Escape cancels, Reply again brings it back.
    await bob.page.keyboard.press('Escape');
    await context.waitFor({ state: 'hidden' });
    await actionsOf(bob.page, 'Lunch at noon?').click();
    await entry(bob.page, 'Lunch at noon?').getByRole('button', { name: 'Reply', exact: true }).click();
    await context.waitFor();

    // Typing: Ann sees it while Bob types, and it goes when he clears the box. (The server may hold a
    // change of the room's typers until the next one lapses — up to 6 s — when someone typed just before.)
    const box = bob.page.getByRole('textbox', { name: 'Message', exact: true });
    await box.pressSequentially('Yes');
    await typingLine(ann.page).filter({ hasText: 'Bob is typing…' }).waitFor({ timeout: TYPING_WAIT_MS });
    expect(await typingLine(ann.page).getAttribute('aria-live')).toBe('polite');
    expect(await typingLine(bob.page).textContent()).toBe(''); // not oneself
    await box.fill('');
    await box.dispatchEvent('input');
    await expect.poll(() => typingLine(ann.page).textContent(), { timeout: TYPING_WAIT_MS }).toBe('');
    await send(bob.page, 'Yes, see you there');
    await context.waitFor({ state: 'hidden' });
    for (const p of [ann, bob]) {
      const quote = entry(p.page, 'Yes, see you there').getByRole('button', { name: /^In reply to Ann/ });
      await quote.waitFor();
      expect(await quote.textContent()).toContain('Lunch at noon?');
    }
    // Activating the quote goes to the original and focuses it.
    const original = await entry(ann.page, 'Lunch at noon?').getAttribute('data-id');
    await entry(ann.page, 'Yes, see you there').getByRole('button', { name: /^In reply to Ann/ }).press('Enter');
    await expect.poll(() => ann.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id)).toBe(original);

    // Ann edits her message with ↑ in the empty box; Enter saves.
    const annBox = ann.page.getByRole('textbox', { name: 'Message', exact: true });
    await annBox.focus();
    await ann.page.keyboard.press('ArrowUp');
    await ann.page.locator('#composer-context').filter({ hasText: 'Editing your message' }).waitFor();
    expect(await annBox.inputValue()).toBe('Lunch at noon?');
    await annBox.fill('Lunch at 12:30?');
    await annBox.press('Enter');
    for (const p of [ann, bob]) {
      const edited = entry(p.page, 'Lunch at 12:30?');
      await edited.locator('time.edited').waitFor();
      expect(await edited.locator('time.edited').textContent()).toMatch(/^\(edited \d/);
      // The reply quotes the current text.
      await entry(p.page, 'Yes, see you there').getByRole('button', { name: /Lunch at 12:30\?/ }).waitFor();
    }
    expect(await annBox.inputValue()).toBe('');

    // Reactions: Bob picks 👍, Ann adds hers with the chip, Bob types any emoji.
    await actionsOf(bob.page, 'Lunch at 12:30?').click();
    await entry(bob.page, 'Lunch at 12:30?').getByRole('button', { name: 'React with 👍' }).click();
    await chip(ann.page, 'Lunch at 12:30?', '👍').filter({ hasText: '1' }).waitFor();
    expect(await chip(ann.page, 'Lunch at 12:30?', '👍').getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => chip(bob.page, 'Lunch at 12:30?', '👍').getAttribute('aria-pressed')).toBe('true');
    await chip(ann.page, 'Lunch at 12:30?', '👍').click();
    for (const p of [ann, bob]) await chip(p.page, 'Lunch at 12:30?', '👍').filter({ hasText: '2' }).waitFor();
    await expect.poll(() => chip(ann.page, 'Lunch at 12:30?', '👍').getAttribute('aria-pressed')).toBe('true');
    await actionsOf(bob.page, 'Yes, see you there').click();
    await bob.page.getByRole('textbox', { name: 'Any emoji' }).fill('🦄');
    await bob.page.getByRole('textbox', { name: 'Any emoji' }).press('Enter');
    await chip(ann.page, 'Yes, see you there', '🦄').waitFor();
    // Bob takes his 👍 back.
    await chip(bob.page, 'Lunch at 12:30?', '👍').click();
    for (const p of [ann, bob]) await chip(p.page, 'Lunch at 12:30?', '👍').filter({ hasText: '1' }).waitFor();
    await expect.poll(() => chip(bob.page, 'Lunch at 12:30?', '👍').getAttribute('aria-pressed')).toBe('false');

    // Ann deletes her message: the dialog asks; Escape cancels, Delete deletes.
    await actionsOf(ann.page, 'Lunch at 12:30?').click();
    await entry(ann.page, 'Lunch at 12:30?').getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = ann.page.getByRole('dialog', { name: 'Delete this message?' });
    await dialog.waitFor();
    await ann.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await own(ann.page, 'Lunch at 12:30?').count()).toBe(1);
    await actionsOf(ann.page, 'Lunch at 12:30?').click();
    await entry(ann.page, 'Lunch at 12:30?').getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    for (const p of [ann, bob]) {
      await entry(p.page, 'This message was deleted').waitFor();
      await expect.poll(() => own(p.page, 'Lunch at 12:30?').count()).toBe(0);
      await entry(p.page, 'Yes, see you there').getByRole('button', { name: /deleted message/ }).waitFor();
      expect(await entry(p.page, 'This message was deleted').getByRole('button', { name: /^Actions/ }).count()).toBe(0);
    }

    // A conversation worth a screenshot: an edit, reactions, a mention, Bob typing while Ann replies to him.
    await send(ann.page, 'Meet at the usual place');
    // ↑ edits one's last *stored* message: wait for the ack (under load it came after the key press).
    await expect.poll(() => ann.page.locator('.outbox').count(), { timeout: 10_000 }).toBe(0);
    await annBox.press('ArrowUp');
    await ann.page.locator('#composer-context').filter({ hasText: 'Editing your message' }).waitFor();
    await annBox.fill('Meet at the café downstairs');
    await annBox.press('Enter');
    await entry(bob.page, 'café downstairs').locator('time.edited').waitFor();
    await actionsOf(bob.page, 'café downstairs').click();
    await entry(bob.page, 'café downstairs').getByRole('button', { name: 'React with 👍' }).click();
    await actionsOf(bob.page, 'café downstairs').click();
    await entry(bob.page, 'café downstairs').getByRole('button', { name: 'Reply', exact: true }).click();
    await send(bob.page, 'On my way!');
    await send(bob.page, 'I will bring the @Ann-approved cake 🎂');
    await actionsOf(ann.page, 'cake').click();
    await entry(ann.page, 'cake').getByRole('button', { name: 'React with 🎉' }).click();
    await entry(ann.page, 'cake').getByRole('button', { name: /^🎉 1 reaction$/ }).waitFor();
    await actionsOf(ann.page, 'cake').click();
    await entry(ann.page, 'cake').getByRole('button', { name: 'Reply', exact: true }).click();
    await annBox.pressSequentially('Chocolate, please');
    await box.pressSequentially('Also');
    await typingLine(ann.page).filter({ hasText: 'Bob is typing…' }).waitFor({ timeout: TYPING_WAIT_MS });
    await chip(ann.page, 'café downstairs', '👍').waitFor();
    await ann.page.mouse.move(0, 0);
    mkdirSync(shots, { recursive: true });
    await ann.page.screenshot({ path: join(shots, 'conversation.png') });
    await ann.page.setViewportSize({ width: 390, height: 844 });
    await ann.page.screenshot({ path: join(shots, 'conversation-phone.png') });
    await ann.page.setViewportSize({ width: 1280, height: 860 });
    expect([...ann.pageErrors, ...bob.pageErrors]).toEqual([]);
  });

  it('a page offline while the other edits, reacts and deletes shows all of it after the reconnect', async () => {
    const room = `away-${run}`;
    const ann = await open(room);
    let route: ChatRoute | undefined;
    const bob = await open(room, async (page) => { route = await routeChat(page); });
    const annAt = await joinAs(ann.page, 'Ann');
    await joinElsewhere(bob.page, 'Bob', annAt);
    for (const text of ['first words', 'second words', 'third words']) await send(ann.page, text);
    await entry(bob.page, 'third words').waitFor();
    // The newest entry Bob sees is an update (a reaction), not a message.
    await actionsOf(ann.page, 'third words').click();
    await entry(ann.page, 'third words').getByRole('button', { name: 'React with 👀' }).click();
    await chip(bob.page, 'third words', '👀').waitFor();
    const lastMessageId = Math.max(...await log(bob.page).locator(':scope > [data-id]')
      .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id))));

    route!.offline = true;
    route!.drop();
    await status(bob.page).filter({ hasText: 'reconnecting' }).waitFor();
    // Meanwhile Ann edits, reacts, deletes and writes.
    await actionsOf(ann.page, 'first words').click();
    await entry(ann.page, 'first words').getByRole('button', { name: 'Edit', exact: true }).click();
    const annBox = ann.page.getByRole('textbox', { name: 'Message', exact: true });
    expect(await annBox.inputValue()).toBe('first words');
    await annBox.fill('first words, edited');
    await annBox.press('Enter');
    await entry(ann.page, 'first words, edited').locator('time.edited').waitFor();
    await actionsOf(ann.page, 'second words').click();
    await entry(ann.page, 'second words').getByRole('button', { name: 'React with 🎉' }).click();
    await chip(ann.page, 'second words', '🎉').waitFor();
    await chip(ann.page, 'third words', '👀').click(); // her 👀 off again
    await expect.poll(() => chip(ann.page, 'third words', '👀').count()).toBe(0);
    await actionsOf(ann.page, 'third words').click();
    await entry(ann.page, 'third words').getByRole('button', { name: 'Delete', exact: true }).click();
    await ann.page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await entry(ann.page, 'This message was deleted').waitFor();
    await send(ann.page, 'fourth words');
    await entry(ann.page, 'fourth words').locator('.is-sent').waitFor();
    expect(await own(bob.page, 'first words, edited').count()).toBe(0);

    const joinsBefore = route!.sent.filter((f) => f.type === 'join').length;
    route!.offline = false;
    await bob.page.evaluate(() => window.dispatchEvent(new Event('online')));
    await connectedAppId(bob.page);
    await entry(bob.page, 'first words, edited').locator('time.edited').waitFor();
    await chip(bob.page, 'second words', '🎉').filter({ hasText: '1' }).waitFor();
    await entry(bob.page, 'This message was deleted').waitFor();
    await entry(bob.page, 'fourth words').waitFor();
    expect(await own(bob.page, 'third words').count()).toBe(0);
    expect(await bob.page.locator('.chip').filter({ hasText: '👀' }).count()).toBe(0);
    // It resumed after the last entry it had seen: the reaction's id, past the last message's.
    const rejoin = route!.sent.filter((f) => f.type === 'join').slice(joinsBefore)[0];
    expect(rejoin?.after).toBeGreaterThan(lastMessageId);
    expect(bob.pageErrors).toEqual([]);
  });

  it('notifications: asked for only from "Notify me"; a hidden tab is notified of an @mention, not of other messages', async () => {
    const room = `notify-${run}`;
    const ann = await open(room);
    // Bob's browser: a Notification that records, and a tab the test can hide.
    const bob = await open(room, async (page) => { await page.addInitScript(() => {
      const w = window as unknown as { __notes: Array<{ title: string; body?: string }>; __asked: number; __hidden: boolean };
      w.__notes = [];
      w.__asked = 0;
      w.__hidden = false;
      class FakeNotification {
        static permission = 'default';
        static requestPermission() { w.__asked++; FakeNotification.permission = 'granted'; return Promise.resolve('granted'); }
        onclick: unknown = null;
        constructor(title: string, opts?: { body?: string }) { w.__notes.push({ title, body: opts?.body }); }
        close() {}
      }
      Object.defineProperty(window, 'Notification', { value: FakeNotification, configurable: true });
      Object.defineProperty(Document.prototype, 'hidden', { get: () => w.__hidden, configurable: true });
    }); });
    const annAt = await joinAs(ann.page, 'Ann');
    await joinElsewhere(bob.page, 'Bob Notified', annAt);
    const notes = () => bob.page.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes);
    const notify = bob.page.getByRole('button', { name: 'Notify me', exact: true });
    expect(await bob.page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(0); // never on load
    expect(await notify.getAttribute('aria-pressed')).toBe('false');
    await notify.click();
    await expect.poll(() => notify.getAttribute('aria-pressed')).toBe('true');
    expect(await bob.page.evaluate(() => localStorage.getItem('livechat.notify'))).toBe('1');

    await bob.page.evaluate(() => { (window as unknown as { __hidden: boolean }).__hidden = true; });
    await send(ann.page, 'nothing for Bob here');
    await send(ann.page, 'hey @bob notified, look at this');
    await entry(bob.page, 'look at this').waitFor();
    await expect.poll(notes).toEqual([{ title: `Ann in #${room}`, body: 'hey @bob notified, look at this' }]);
    // Visible again: no notification.
    await bob.page.evaluate(() => { (window as unknown as { __hidden: boolean }).__hidden = false; });
    await send(ann.page, '@Bob Notified once more');
    await entry(bob.page, 'once more').waitFor();
    expect(await notes()).toHaveLength(1);
    expect(bob.pageErrors).toEqual([]);
  });
});
