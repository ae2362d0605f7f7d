/**
 * Accounts in the page, in Chromium on the native cluster (docs/protocol.md, "Accounts, private rooms
 * and direct messages"): two people sign up in two browser contexts and meet in a public room; one
 * asks for a DM from the other's name in Members ("Message …") — they share no private room, so the
 * other sees an invite and accepts it; they talk; the other account's second tab, in another room,
 * counts the DM's unread messages and drops the count once the DM is read on the first tab; then two
 * private rooms are created and the other account invited to both: it sees the invites (Accept /
 * Decline), declines one, accepts the other, chats there, is removed — its page says so and is back
 * in the lobby — and, invited again, leaves it with "Leave room". Also: a wrong password is refused by
 * the form, "Sign out everywhere" signs out every tab of the account, the Sessions panel signs out
 * another device of the account (its page is back at the login view), "Change password" refuses a wrong
 * current password in the form and signs the other device out, and a guest's Join stays one click.
 * Saves the signed-in screenshot (docs/screenshots/rooms.png with UPDATE_SCREENSHOTS=1).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { repoRoot } from '../../scripts/lib/configs.js';
import { LOOSE_LIMITS } from '../helpers/limits.js';
import { connectedAppId, entries, members, send, useStage } from './lib/browser.js';

const shots = join(repoRoot(), process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.run/screenshots');
/** Usernames unique per run (accounts live in Redis for the whole cluster). */
const run = Date.now().toString(36).slice(-5);
const PASSWORD = 'correct horse battery';

describe('accounts, private rooms and DMs in the page', () => {
  // Fast password hashing for tests (2^14 instead of 2^17); people's rates are not under test here.
  const stage = useStage({ servers: 2, haproxyCheckInterMs: 300, env: { ...LOOSE_LIMITS, SCRYPT_LOG2_N: '14' } });
  const errors: string[] = [];

  async function newTab(ctx: BrowserContext, hash: string): Promise<Page> {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stage.cluster.pageUrl}${hash}`);
    return page;
  }

  /** Signs up through the account form (opened from "Create an account"); waits for the chat. */
  async function signUp(p: Page, username: string): Promise<void> {
    await p.getByRole('button', { name: 'New here? Create an account' }).click();
    await p.getByRole('textbox', { name: 'Username' }).fill(username);
    await p.getByLabel('Password').filter({ visible: true }).fill(PASSWORD);
    await p.getByRole('button', { name: 'Create account', exact: true }).click();
    await connectedAppId(p);
  }

  const roomLink = (p: Page, name: RegExp) => p.getByRole('navigation', { name: 'Your rooms' }).getByRole('link', { name });

  it('sign up twice, a DM from a member\'s name, unread on another tab, a private room: invite, join, remove', async () => {
    const ann = `ann-${run}`;
    const bob = `bob-${run}`;
    const lobby = `acc-${run}`;
    const elsewhere = `acc-other-${run}`;
    const ctxA = await stage.tb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ctxB = await stage.tb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const a = await newTab(ctxA, `#${lobby}`);
      const b1 = await newTab(ctxB, `#${lobby}`);
      // The guest form is still there, one click away; the account forms are labelled for password managers.
      await a.getByRole('button', { name: 'Join', exact: true }).waitFor();
      expect(await a.locator('#signin-password').getAttribute('autocomplete')).toBe('current-password');
      expect(await a.locator('#signup-password').getAttribute('autocomplete')).toBe('new-password');
      await signUp(a, ann);
      await signUp(b1, bob);
      // Both in the shared room, each listed once; the other account's name is a "Message" button.
      await expect.poll(() => members(a).count()).toBe(2);
      await roomLink(a, new RegExp(lobby)).waitFor();

      // A asks for the DM from B's name in Members: they share no private room, so it is an invite B accepts.
      await a.getByRole('button', { name: new RegExp(`^${bob} #[0-9a-f]{8} Message$`) }).click();
      await a.locator('#notice').filter({ hasText: `${bob} was asked to accept your direct message` }).waitFor({ timeout: 15_000 });
      await b1.getByRole('button', { name: `Accept the direct message from ${ann}`, exact: true }).click({ timeout: 15_000 });
      await b1.getByRole('heading', { name: `Direct messages with ${ann}` }).waitFor();
      const dmRoom = new URL(b1.url()).hash.slice(1);
      expect(dmRoom).toMatch(/^dm--[0-9a-f]+$/);
      // B goes back to the shared room; A opens the DM from its list (pushed when it was made).
      await roomLink(b1, new RegExp(lobby)).click();
      await b1.getByRole('heading', { name: `Room ${lobby}` }).waitFor();
      await roomLink(a, new RegExp(`^@?\\s*${bob}`)).click({ timeout: 15_000 });
      await a.getByRole('heading', { name: `Direct messages with ${bob}` }).waitFor();
      expect(new URL(a.url()).hash.slice(1)).toBe(dmRoom);
      await send(a, `hi ${bob}, this is private`);
      await entries(a, 'this is private').waitFor();

      // B's second tab (same context: the same account, resumed from storage) is in another room:
      // the DM is in its list with an unread count (asked for every 10 s).
      const b2 = await newTab(ctxB, `#${elsewhere}`);
      await connectedAppId(b2);
      await b2.getByRole('heading', { name: `Room ${elsewhere}` }).waitFor();
      await expect.poll(() => roomLink(b2, new RegExp(`^@?\\s*${ann}\\s*,\\s*1 unread$`)).count(), { timeout: 25_000 }).toBe(1);

      // B reads it on the first tab (from the list) and answers; A gets the answer.
      await roomLink(b1, new RegExp(`^@?\\s*${ann}`)).click();
      await b1.getByRole('heading', { name: `Direct messages with ${ann}` }).waitFor();
      expect(new URL(b1.url()).hash.slice(1)).toBe(dmRoom);
      await entries(b1, 'this is private').waitFor();
      await send(b1, `hello ${ann}, got it`);
      await entries(a, 'got it').waitFor();
      // Read on one tab is read on the other (a pushed `read`): the badge goes.
      await expect.poll(() => roomLink(b2, new RegExp(`^@?\\s*${ann}$`)).count(), { timeout: 15_000 }).toBe(1);

      // A creates two private rooms and invites B to both: pending invites (B is not a member yet).
      const title = `Team ${run}`;
      const other = `Other ${run}`;
      const create = async (t: string) => {
        await a.getByRole('textbox', { name: 'New private room' }).fill(t);
        await a.getByRole('button', { name: 'Create', exact: true }).click();
        await a.getByRole('heading', { name: `Private room ${t}` }).waitFor();
        await a.waitForURL(/#p--[0-9a-f]+$/);
        await a.getByRole('textbox', { name: 'Invite by username' }).fill(bob);
        await a.getByRole('button', { name: 'Invite', exact: true }).click();
        await a.getByRole('button', { name: `Withdraw the invite of ${bob}`, exact: true }).waitFor();
      };
      await create(other);
      await create(title);
      await send(a, 'welcome to the team');
      // B's tabs list both invites, with Accept and Decline named after them; neither is among its rooms.
      const acceptTeam = (p: Page) => p.getByRole('button', { name: `Accept the invite to ${title} from ${ann}`, exact: true });
      await acceptTeam(b1).waitFor({ timeout: 15_000 });
      await acceptTeam(b2).waitFor({ timeout: 15_000 });
      expect(await roomLink(b1, new RegExp(title)).count()).toBe(0);

      // The signed-in view with its room list, unread badges and pending invites.
      mkdirSync(shots, { recursive: true });
      await b2.waitForTimeout(300);
      await b2.screenshot({ path: join(shots, 'rooms.png') });

      // B declines one: gone from both tabs (and from A's panel once A looks again).
      await b1.getByRole('button', { name: `Decline the invite to ${other} from ${ann}`, exact: true }).click();
      for (const p of [b1, b2]) await expect.poll(() => p.getByRole('button', { name: `Decline the invite to ${other} from ${ann}` }).count(), { timeout: 15_000 }).toBe(0);
      // B accepts the other: the room opens, with the message waiting; A's panel now offers to remove B.
      await acceptTeam(b1).click();
      await b1.getByRole('heading', { name: `Private room ${title}` }).waitFor();
      await entries(b1, 'welcome to the team').waitFor();
      await expect.poll(() => members(a).count()).toBe(2);
      await a.getByRole('button', { name: `Remove ${bob}`, exact: true }).waitFor({ timeout: 15_000 });
      await send(b1, 'glad to be here');
      await entries(a, 'glad to be here').waitFor();

      // A removes B: B's page says so, leaves the room and is back in the lobby; the room leaves its list.
      await a.getByRole('button', { name: `Remove ${bob}`, exact: true }).click();
      await b1.locator('#notice').filter({ hasText: `You were removed from ${title}` }).waitFor({ timeout: 15_000 });
      await b1.getByRole('heading', { name: 'Room lobby' }).waitFor();
      await b1.waitForURL(/#lobby$/);
      await expect.poll(() => roomLink(b1, new RegExp(title)).count(), { timeout: 15_000 }).toBe(0);
      await expect.poll(() => a.getByRole('button', { name: `Remove ${bob}` }).count()).toBe(0);
      expect(await entries(b1, 'welcome to the team').count()).toBe(0);
      // A message after the removal never reaches B.
      await send(a, 'after bob left');
      await entries(a, 'after bob left').waitFor();

      // Invited again, B accepts and then leaves on its own with "Leave room": its page says so, and A's list loses it.
      await a.getByRole('textbox', { name: 'Invite by username' }).fill(bob);
      await a.getByRole('button', { name: 'Invite', exact: true }).click();
      await acceptTeam(b1).click({ timeout: 15_000 });
      await b1.getByRole('heading', { name: `Private room ${title}` }).waitFor();
      await b1.getByRole('button', { name: `Leave room ${title}`, exact: true }).click();
      await b1.locator('#notice').filter({ hasText: `You left ${title}` }).waitFor({ timeout: 15_000 });
      await b1.getByRole('heading', { name: 'Room lobby' }).waitFor();
      await expect.poll(() => roomLink(b1, new RegExp(title)).count(), { timeout: 15_000 }).toBe(0);
      await expect.poll(() => members(a).count(), { timeout: 15_000 }).toBe(1);

      // "Sign out everywhere" on one tab: every tab of the account is back at the login view, saying so.
      await b2.getByRole('button', { name: 'Sign out everywhere' }).click();
      for (const p of [b1, b2]) {
        await p.locator('#login-notice').filter({ hasText: 'signed out' }).waitFor({ timeout: 15_000 });
        await p.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      }
      // A reload does not sign B in again (the session is forgotten).
      await b1.reload();
      await b1.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      await b1.waitForTimeout(500);
      expect(await b1.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);

      // Sign in again; a wrong password first, refused by the form.
      await b1.getByRole('textbox', { name: 'Username' }).fill(bob);
      await b1.getByLabel('Password').filter({ visible: true }).fill('not the password');
      await b1.getByRole('button', { name: 'Sign in', exact: true }).click();
      await b1.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
      await b1.getByLabel('Password').filter({ visible: true }).fill(PASSWORD);
      await b1.getByRole('button', { name: 'Sign in', exact: true }).click();
      await connectedAppId(b1);
      await roomLink(b1, new RegExp(`^@?\\s*${ann}`)).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await ctxA.close();
      await ctxB.close();
    }
  }, 180_000);

  it('Sessions: the same account on two devices; the first signs the other out from its list', async () => {
    const cat = `cat-${run}`;
    const ctxA = await stage.tb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ctxB = await stage.tb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const a = await newTab(ctxA, `#sess-${run}`);
      const b = await newTab(ctxB, `#sess-${run}`);
      await signUp(a, cat);
      await b.getByRole('textbox', { name: 'Username' }).fill(cat);
      await b.getByLabel('Password').filter({ visible: true }).fill(PASSWORD);
      await b.getByRole('button', { name: 'Sign in', exact: true }).click();
      await connectedAppId(b);

      // Opening the panel loads the list: this device, and the other one with a "Sign out" button.
      const panel = a.locator('#sessions');
      await panel.locator('summary').click();
      await panel.getByText('this device', { exact: true }).waitFor();
      const other = panel.getByRole('button', { name: /^Sign out the session from / });
      await expect.poll(() => other.count()).toBe(1);
      await other.click();
      // The other device is closed with 1008 "signed out": back at the login view, saying so.
      await b.locator('#login-notice').filter({ hasText: 'You were signed out' }).waitFor({ timeout: 15_000 });
      await b.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      // The list is asked for again: only this device is left, and this page is still signed in.
      await expect.poll(() => other.count(), { timeout: 10_000 }).toBe(0);
      expect(await panel.locator('.session').count()).toBe(1);
      expect(await a.getByRole('button', { name: 'Sign out everywhere' }).isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await ctxA.close();
      await ctxB.close();
    }
  }, 90_000);

  it('Change password: a wrong current password is refused in the form; the right one signs the other device out', async () => {
    const dot = `dot-${run}`;
    const ctxA = await stage.tb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ctxB = await stage.tb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const a = await newTab(ctxA, `#pw-${run}`);
      const b = await newTab(ctxB, `#pw-${run}`);
      await signUp(a, dot);
      await b.getByRole('textbox', { name: 'Username' }).fill(dot);
      await b.getByLabel('Password').filter({ visible: true }).fill(PASSWORD);
      await b.getByRole('button', { name: 'Sign in', exact: true }).click();
      await connectedAppId(b);

      await a.locator('#password-panel summary').click();
      const current = a.getByLabel('Current password');
      const next = a.getByLabel('New password');
      expect(await current.getAttribute('autocomplete')).toBe('current-password');
      expect(await next.getAttribute('autocomplete')).toBe('new-password');
      await current.fill('not the password');
      await next.fill('a brand new secret');
      await a.getByRole('button', { name: 'Change password', exact: true }).click();
      await a.getByRole('alert').filter({ hasText: 'The current password is wrong.' }).waitFor();
      await current.fill(PASSWORD);
      await a.getByRole('button', { name: 'Change password', exact: true }).click();
      await a.getByRole('status').filter({ hasText: 'Password changed. 1 other session was signed out.' }).waitFor();
      expect(await current.inputValue()).toBe('');
      // The other device is closed with 1008 "signed out"; this page stays signed in.
      await b.locator('#login-notice').filter({ hasText: 'You were signed out' }).waitFor({ timeout: 15_000 });
      expect(await a.getByRole('button', { name: 'Sign out everywhere' }).isVisible()).toBe(true);
      // The new password signs in; the old one no longer does.
      await b.getByRole('textbox', { name: 'Username' }).fill(dot);
      await b.getByLabel('Password').filter({ visible: true }).fill('a brand new secret');
      await b.getByRole('button', { name: 'Sign in', exact: true }).click();
      await connectedAppId(b);
      expect(errors).toEqual([]);
    } finally {
      await ctxA.close();
      await ctxB.close();
    }
  }, 90_000);

  it('a guest still joins with one click; a guest sent to a private room is told and lands in the lobby', async () => {
    const ctx = await stage.tb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const g = await newTab(ctx, '#p--0123456789abcdef');
      await g.getByRole('textbox', { name: 'Name', exact: true }).fill(`Guest ${run}`);
      await g.getByRole('button', { name: 'Join', exact: true }).click();
      await connectedAppId(g);
      await g.locator('#notice').filter({ hasText: 'You cannot open that room' }).waitFor();
      await g.getByRole('heading', { name: 'Room lobby' }).waitFor();
      // No account parts for a guest.
      expect(await g.getByRole('navigation', { name: 'Your rooms' }).count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
