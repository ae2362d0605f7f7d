/**
 * The page measured by axe-core in Chromium on the native cluster: zero violations (axe's default
 * rules — WCAG 2.x A/AA and best practices, all impacts — plus WCAG 2.2 target-size) on every view
 * a person meets: login, a login error with a malformed-room notice, chat after joining and sending,
 * a large room's member panel (the cluster runs with a large-room threshold of 5), a refused message
 * with a server notice, reconnecting with a message pending, and signed in: the room list with unread
 * badges, the Sessions disclosure open, and a private room's owner view (invite, remove; on a phone with the rooms panel open),
 * and a message's life (a reply's quote, reactions with one's own pressed, "(edited)", a tombstone, a
 * message's actions open with the emoji picker, the reply box, the edit box, who is typing, the
 * deletion dialog). Each view is checked in light and
 * dark (prefers-color-scheme) at 1280 px and at 390 px; a failure lists every rule, node and why.
 * And Lighthouse: 100 for accessibility, best practices and SEO on the login view (~10 s).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TestClient } from '../helpers/ws-client.js';
import { axeViolations, formatViolations } from './lib/axe.js';
import { runLighthouse } from './lib/lighthouse.js';
import {
  entries, join as joinAs, useStage, members, openPage, send, status, type ChatPage,
} from './lib/browser.js';
import { routeChat, type ChatRoute } from './lib/ws-route.js';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SCHEMES = ['light', 'dark'] as const;
/** What each view scored, for the summary line at the end. */
const summary: string[] = [];

describe('axe-core finds nothing on any view, light and dark, desktop and phone', () => {
  const bots: TestClient[] = [];
  const stage = useStage({ servers: 2, haproxyCheckInterMs: 300, env: { LARGE_ROOM_THRESHOLD: '5', SCRYPT_LOG2_N: '14' } });
  afterAll(async () => {
    for (const b of bots) b.close();
    if (summary.length) console.log(`axe-core ${summary.length} checks, violations per view:\n${summary.join('\n')}`);
  }, 60_000);

  /** A page in a context that may inject axe (CSP bypassed in this test context only). */
  const open = (hash: string, setup?: Parameters<typeof openPage>[3]) =>
    openPage(stage.tb.browser, `${stage.cluster.pageUrl}${hash}`, { bypassCSP: true, viewport: DESKTOP }, setup);
  /** The same with the page's sockets routed through a ChatRoute (set up before the page loads). */
  const openRouted = async (hash: string) => {
    let route: ChatRoute | undefined;
    const p = await open(hash, async (page) => { route = await routeChat(page); });
    return { p, route: route! };
  };

  /** Runs axe in all four combinations; the view must be in the same state after each resize. */
  async function expectClean(p: ChatPage, view: string): Promise<void> {
    // A message that just appeared fades in (0.16 s): contrast is judged once it has (endless ones, like
    // the reconnecting dot's pulse, are not waited for).
    await p.page.evaluate(() => Promise.all(document.getAnimations()
      .filter((a) => a.effect?.getTiming().iterations !== Infinity)
      .map((a) => a.finished.catch(() => undefined))));
    const failures: string[] = [];
    for (const scheme of SCHEMES) {
      for (const vp of [DESKTOP, PHONE]) {
        await p.page.emulateMedia({ colorScheme: scheme });
        await p.page.setViewportSize(vp);
        const found = await axeViolations(p.page);
        summary.push(`  ${view}, ${scheme}, ${vp.width}px: ${found.length}`);
        if (found.length) failures.push(`${view} — ${scheme}, ${vp.width}px:\n${formatViolations(found)}`);
      }
    }
    await p.page.emulateMedia({ colorScheme: 'light' });
    await p.page.setViewportSize(DESKTOP);
    expect(failures.join('\n'), failures.join('\n')).toBe('');
    expect(p.pageErrors).toEqual([]);
  }

  it('login', async () => {
    const p = await open('#lobby');
    await p.page.getByRole('button', { name: 'Join', exact: true }).waitFor();
    await expectClean(p, 'login');
    // The harness itself: a nameless button planted on the page is found.
    await p.page.evaluate(() => document.querySelector('.card')!.append(document.createElement('button')));
    expect((await axeViolations(p.page)).map((v) => v.id)).toContain('button-name');
  });

  it('login with an error, after a link with a malformed room', async () => {
    const p = await open('#UPPER!');
    await p.page.locator('#login-notice').filter({ hasText: 'is not a room name' }).waitFor();
    await p.page.getByRole('button', { name: 'Join', exact: true }).click();
    await p.page.getByRole('alert').filter({ hasText: 'Enter a name' }).waitFor();
    await expectClean(p, 'login error + notice');
  });

  it('chat after joining and sending (own and others\' messages, members, rooms)', async () => {
    const ann = await open('#axe-chat');
    const bob = await open('#axe-chat');
    await joinAs(ann.page, 'Ann Axe');
    await joinAs(bob.page, 'Bob Axe');
    await send(ann.page, 'Hello from Ann — checking contrast of my own bubble.');
    await send(bob.page, 'And Bob answers, in a bubble of someone else.');
    await entries(ann.page, 'And Bob answers').waitFor();
    await expect.poll(() => members(ann.page).count()).toBe(2);
    await expectClean(ann, 'chat');
  });

  it('a large room\'s member panel', async () => {
    const room = 'axe-crowd';
    for (let i = 0; i < 9; i++) {
      const c = await TestClient.connect(stage.cluster.wsUrl);
      bots.push(c);
      await c.hello(`Crowd ${i}`);
      await c.request({ type: 'join', room }, 'joined', 10_000);
    }
    const p = await open(`#${room}`);
    await joinAs(p.page, 'Late Axe');
    await p.page.getByRole('heading', { name: '10 members', exact: true }).waitFor({ timeout: 15_000 });
    await p.page.locator('#members-shown').filter({ hasText: /^Showing 10 of 10/ }).waitFor({ timeout: 15_000 });
    await expectClean(p, 'large room');
    // On a phone the strip does not reach its end: the first page only, and a button for more.
    const phone = await openPage(stage.tb.browser, `${stage.cluster.pageUrl}#${room}`, { bypassCSP: true, viewport: PHONE });
    await joinAs(phone.page, 'Phone Axe');
    await phone.page.getByRole('button', { name: 'Load more members', exact: true }).waitFor({ timeout: 15_000 });
    await expectClean(phone, 'large room, first page + load more');
  });

  it('a message the server refused, and a notice from the server', async () => {
    const { p, route } = await openRouted('#axe-errors');
    await joinAs(p.page, 'Err Axe');
    route.answer = (req) => (req.type === 'send' && req.text === 'this one is refused'
      ? { type: 'error', code: 'bad_request', message: 'The server refused this message.', cid: req.cid } : null);
    await send(p.page, 'this one goes through');
    await send(p.page, 'this one is refused');
    await entries(p.page, 'this one is refused').filter({ hasText: 'not sent' }).waitFor();
    await p.page.getByRole('button', { name: /^Retry sending/ }).waitFor();
    route.push({ type: 'error', code: 'rate_limited', message: 'Too many requests; slow down.', retryAfterMs: 60_000 });
    await p.page.locator('#notice').filter({ hasText: 'Too many requests; slow down.' }).waitFor();
    await expectClean(p, 'refused message + notice');
  });

  it('reconnecting, with a message typed meanwhile pending', async () => {
    const { p, route } = await openRouted('#axe-reconnect');
    await joinAs(p.page, 'Offline Axe');
    route.offline = true;
    route.drop();
    await status(p.page).filter({ hasText: 'reconnecting' }).waitFor();
    await send(p.page, 'typed while offline');
    await entries(p.page, 'typed while offline').filter({ hasText: 'pending' }).waitFor();
    await expectClean(p, 'reconnecting + pending');
  });

  it('a message\'s life: a reply\'s quote, reactions, an edited mark, a tombstone, open actions, the reply and edit boxes, who is typing, the deletion dialog', async () => {
    const ann = await open('#axe-life');
    const bob = await open('#axe-life');
    await joinAs(ann.page, 'Ann Life');
    await joinAs(bob.page, 'Bob Life');
    const own = (p: ChatPage, text: string) => p.page.locator('#messages > *').filter({ has: p.page.locator('.text', { hasText: text }) }).first();
    const actions = (p: ChatPage, text: string) => own(p, text).getByRole('button', { name: /^Actions for the message from/ });
    await send(ann.page, 'A message that will be edited.');
    await send(ann.page, 'A message that will be deleted.');
    await send(bob.page, 'Bob asks @Ann Life a question.');
    await own(ann, 'Bob asks').waitFor();
    // Bob replies to Ann and reacts; Ann reacts too (her chip pressed), edits one and deletes the other.
    await actions(bob, 'will be edited').click();
    await own(bob, 'will be edited').getByRole('button', { name: 'Reply', exact: true }).click();
    await send(bob.page, 'A reply, with the quote above it.');
    await actions(bob, 'will be edited').click();
    await own(bob, 'will be edited').getByRole('button', { name: 'React with 🎉' }).click();
    await actions(ann, 'Bob asks').click();
    await own(ann, 'Bob asks').getByRole('button', { name: 'React with 👍' }).click();
    await own(ann, 'Bob asks').getByRole('button', { name: /^👍 1 reaction$/ }).waitFor();
    await actions(ann, 'will be edited').click();
    await own(ann, 'will be edited').getByRole('button', { name: 'Edit', exact: true }).click();
    await ann.page.getByRole('textbox', { name: 'Message', exact: true }).fill('A message that was edited.');
    await ann.page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await actions(ann, 'will be deleted').click();
    await own(ann, 'will be deleted').getByRole('button', { name: 'Delete', exact: true }).click();
    await ann.page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await ann.page.getByText('This message was deleted').waitFor();
    await own(ann, 'was edited').locator('time.edited').waitFor();
    await own(ann, 'A reply, with the quote').getByRole('button', { name: /^In reply to Ann Life/ }).waitFor();
    await own(ann, 'was edited').getByRole('button', { name: /^🎉 1 reaction$/ }).waitFor();
    // Ann's view: replying to Bob, one message's actions open (the picker and the emoji field), Bob typing.
    await actions(ann, 'Bob asks').click();
    await own(ann, 'Bob asks').getByRole('textbox', { name: 'Any emoji' }).waitFor();
    await own(ann, 'Bob asks').getByRole('button', { name: 'Reply', exact: true }).click();
    await actions(ann, 'A reply, with the quote').click();
    await bob.page.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('typing…');
    await ann.page.locator('#typing').filter({ hasText: 'Bob Life is typing…' }).waitFor({ timeout: 10_000 });
    await ann.page.locator('#composer-context').filter({ hasText: 'Replying to Bob Life' }).waitFor();
    await expectClean(ann, 'a message\'s life, reply box');
    // The edit box.
    await ann.page.keyboard.press('Escape');
    await ann.page.getByRole('textbox', { name: 'Message', exact: true }).focus();
    await ann.page.keyboard.press('ArrowUp');
    await ann.page.locator('#composer-context').filter({ hasText: 'Editing your message' }).waitFor();
    await expectClean(ann, 'edit box');
    // The deletion's confirmation.
    await ann.page.keyboard.press('Escape');
    await actions(ann, 'was edited').click();
    await own(ann, 'was edited').getByRole('button', { name: 'Delete', exact: true }).click();
    await ann.page.getByRole('dialog', { name: 'Delete this message?' }).waitFor();
    await expectClean(ann, 'deletion dialog');
    await ann.page.keyboard.press('Escape');
  });

  it('signed in: the room list with unread badges, and a private room\'s owner view', async () => {
    const run = Date.now().toString(36).slice(-5);
    const signUp = async (p: ChatPage, username: string) => {
      await p.page.getByRole('button', { name: 'New here? Create an account' }).click();
      await p.page.getByRole('textbox', { name: 'Username' }).fill(username);
      await p.page.getByLabel('Password').filter({ visible: true }).fill('correct horse battery');
      await p.page.getByRole('button', { name: 'Create account', exact: true }).click();
      await status(p.page).filter({ hasText: /\bconnected\b/ }).waitFor({ timeout: 20_000 });
    };
    const owner = await open(`#axe-acc-${run}`);
    const other = await open(`#axe-acc-${run}`);
    await signUp(owner, `Owner ${run}`);
    await signUp(other, `Invitee ${run}`);
    // Each lists the other with a button named by what it shows: "Owner … #1a2b3c4d Message".
    await other.page.getByRole('button', { name: new RegExp(`^Owner ${run} #[0-9a-f]{8} Message$`) }).waitFor();
    await expectClean(other, 'signed in, another account listed with its Message button');
    // They share no private room: the DM is an invite the owner sees (Accept / Decline) and accepts.
    await other.page.getByRole('button', { name: new RegExp(`^Owner ${run} #[0-9a-f]{8} Message$`) }).click();
    const accept = owner.page.getByRole('button', { name: `Accept the direct message from Invitee ${run}`, exact: true });
    await accept.click({ timeout: 15_000 });
    await owner.page.getByRole('heading', { name: `Direct messages with Invitee ${run}` }).waitFor();
    const nav = owner.page.getByRole('navigation', { name: 'Your rooms' });
    await nav.getByRole('link', { name: new RegExp(`axe-acc-${run}`) }).click();
    await owner.page.getByRole('heading', { name: `Room axe-acc-${run}` }).waitFor();
    await other.page.getByRole('navigation', { name: 'Your rooms' }).getByRole('link', { name: new RegExp(`Owner ${run}`) }).click({ timeout: 15_000 });
    await other.page.getByRole('heading', { name: `Direct messages with Owner ${run}` }).waitFor();
    await send(other.page, 'A direct message, unread on the other side.');
    await entries(other.page, 'A direct message').waitFor();
    // And a private room the owner is invited to: a pending invite (Accept / Decline) in its list.
    await other.page.getByRole('textbox', { name: 'New private room' }).fill('Book club');
    await other.page.getByRole('button', { name: 'Create', exact: true }).click();
    await other.page.getByRole('heading', { name: 'Private room Book club' }).waitFor();
    await other.page.getByRole('textbox', { name: 'Invite by username' }).fill(`Owner ${run}`);
    await other.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await owner.page.getByRole('button', { name: `Accept the invite to Book club from Invitee ${run}`, exact: true }).waitFor({ timeout: 15_000 });
    await nav.getByRole('link', { name: /1 unread/ }).waitFor({ timeout: 25_000 });
    // The other account has left the room shown (after the presence grace): only the owner is listed.
    await expect.poll(() => owner.page.locator('.member-dm').count(), { timeout: 15_000 }).toBe(0);
    await expectClean(owner, 'signed in, room list with unread badges and a pending invite');
    // The Sessions disclosure open, with its list (this device only: no other session).
    await owner.page.locator('#sessions > summary').click();
    await owner.page.locator('#sessions').getByText('this device', { exact: true }).waitFor();
    await expectClean(owner, 'signed in, sessions open');
    // The Change password disclosure open, with a refusal in its alert line.
    await owner.page.locator('#password-panel > summary').click();
    await owner.page.getByRole('button', { name: 'Change password', exact: true }).click();
    await owner.page.getByRole('alert').filter({ hasText: 'Enter your password.' }).waitFor();
    await expectClean(owner, 'signed in, change password open');

    await owner.page.getByRole('textbox', { name: 'New private room' }).fill('Design review');
    await owner.page.getByRole('button', { name: 'Create', exact: true }).click();
    await owner.page.getByRole('heading', { name: 'Private room Design review' }).waitFor();
    await owner.page.getByRole('textbox', { name: 'Invite by username' }).fill(`Invitee ${run}`);
    await owner.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await owner.page.getByRole('button', { name: `Withdraw the invite of Invitee ${run}`, exact: true }).waitFor();
    await send(owner.page, 'Only invited people read this.');
    await entries(owner.page, 'Only invited people read this.').waitFor();
    await expectClean(owner, 'private room, owner view');
    // On a phone the account's panel folds behind "Your rooms": open, it is clean too.
    const failures: string[] = [];
    await owner.page.setViewportSize(PHONE);
    await owner.page.getByRole('button', { name: /^Your rooms/ }).click();
    await owner.page.getByRole('button', { name: `Withdraw the invite of Invitee ${run}`, exact: true }).waitFor();
    for (const scheme of SCHEMES) {
      await owner.page.emulateMedia({ colorScheme: scheme });
      const found = await axeViolations(owner.page);
      summary.push(`  rooms panel open, ${scheme}, ${PHONE.width}px: ${found.length}`);
      if (found.length) failures.push(`rooms panel open — ${scheme}:\n${formatViolations(found)}`);
    }
    expect(await owner.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(failures.join('\n'), failures.join('\n')).toBe('');
  });

  it('Lighthouse: 100 for accessibility, best practices and SEO on the login view', async () => {
    const r = await runLighthouse(stage.cluster.pageUrl, ['accessibility', 'best-practices', 'seo']);
    console.log(`Lighthouse ${r.version} on the login view: ${JSON.stringify(r.scores)}`);
    expect(r.scores, r.failing.join('\n')).toEqual({ accessibility: 100, 'best-practices': 100, seo: 100 });
  }, 120_000);
});
