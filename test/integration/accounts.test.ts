/**
 * Accounts, private rooms, DMs and read markers on the native cluster: 4 servers behind real HAProxy,
 * one real Redis. Each client is placed on a chosen APPID, so "on every server" is tested, not assumed:
 * a non-member that shares a server with members, a removed member with connections on two servers,
 * an account signed out everywhere while connected to three.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../helpers/use-cluster.js';
import { LOOSE_LIMITS } from '../helpers/limits.js';
import { TestClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let rids = 0;
/** Sends `obj` with a fresh rid and waits for the answer carrying it (pushed frames of the same type are skipped). */
const ask = (c: TestClient, obj: Record<string, unknown>): Promise<any> => {
  const rid = `q${++rids}`;
  c.send({ ...obj, rid });
  return c.next((f) => f.rid === rid);
};
const run = Date.now().toString(36);
/** Every password used here: none may show up in logs, Redis (keys, values, AOF) or metrics. */
const passwords: string[] = [];
const pw = (who: string) => {
  const p = `pw-${who}-${run}-Zq9!`;
  passwords.push(p);
  return p;
};

describe('accounts, private rooms and DMs (4 servers, HAProxy, Redis)', () => {
  const stage = useCluster({
    servers: 4,
    haproxyCheckInterMs: 300,
    // debug: the most the servers ever log, so the password check below covers every log line.
    env: { ...LOOSE_LIMITS, LOG_LEVEL: 'debug', SCRYPT_LOG2_N: '15', PRESENCE_GRACE_MS: '300' },
  });
  const { clients } = stage;

  const appIds = () => stage.cluster.servers.map((s) => s.appId);

  /** Identifies with `first` (signup, signin or hello) on a new connection, until it lands on `appId`. */
  async function identified(appId: string, first: Record<string, unknown>) {
    for (let i = 0; i < 40; i++) {
      const c = await TestClient.connect(stage.cluster.wsUrl);
      const w = await c.request<any>(first, 'welcome');
      if (w.type === 'error') {
        c.close();
        throw new Error(`${String(first.type)} refused: ${JSON.stringify(w)}`);
      }
      if (w.appId === appId) {
        clients.push(c);
        return { c, w };
      }
      c.close();
      // A sign-up made the account on the first try: sign in from then on.
      if (first.type === 'signup') first = { ...first, type: 'signin' };
      else if (first.type === 'signin' || first.session) first = { type: 'hello', name: 'x', session: w.session };
    }
    throw new Error(`never landed on ${appId}`);
  }

  async function account(name: string, appId: string) {
    const password = pw(name);
    const { c, w } = await identified(appId, { type: 'signup', username: `${name}-${run}`, password });
    return { c, w, username: `${name}-${run}`, password, id: w.member.id as string, session: w.session as string };
  }

  it('sign up on one server, sign in on another, resume the session on a third: the same account', async () => {
    const [a, b, c] = appIds();
    const ann = await account('ann', a);
    expect(ann.w.member.id).toMatch(/^u_/);
    expect(ann.w.account).toEqual({ username: ann.username });
    const again = await identified(b, { type: 'signin', username: ann.username.toUpperCase(), password: ann.password });
    expect(again.w.member).toEqual(ann.w.member);
    expect(again.w.session).not.toBe(ann.session);
    const resumed = await identified(c, { type: 'hello', name: 'ignored', session: again.w.session });
    expect(resumed.w.member).toEqual(ann.w.member);
    expect(resumed.w.account).toEqual({ username: ann.username });
  });

  it('wrong password and unknown username get the same auth_failed; a guest cannot take a registered name; a taken username is refused', async () => {
    const ann = await account('bea', appIds()[0]);
    const c1 = await TestClient.connect(stage.cluster.wsUrl);
    const c2 = await TestClient.connect(stage.cluster.wsUrl);
    const c3 = await TestClient.connect(stage.cluster.wsUrl);
    const c4 = await TestClient.connect(stage.cluster.wsUrl);
    clients.push(c1, c2, c3, c4);
    const wrong = await c1.request({ type: 'signin', username: ann.username, password: 'not-the-password' }, 'welcome');
    const unknown = await c2.request({ type: 'signin', username: `nobody-${run}`, password: 'not-the-password' }, 'welcome');
    expect(wrong).toMatchObject({ type: 'error', code: 'auth_failed' });
    expect(unknown).toEqual(wrong);
    // Fullwidth and upper case are the same username.
    const fullwidth = [...ann.username.toUpperCase()].map((ch) => (/[A-Z0-9]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join('');
    expect(await c3.request({ type: 'hello', name: fullwidth }, 'welcome')).toMatchObject({ type: 'error', code: 'name_taken' });
    expect(await c4.request({ type: 'signup', username: ann.username, password: pw('other') }, 'welcome')).toMatchObject({ type: 'error', code: 'name_taken' });
    // Account requests are for accounts.
    const guest = await identified(appIds()[1], { type: 'hello', name: `guest-${run}` });
    expect(await guest.c.request({ type: 'create', title: 'x' }, 'room')).toMatchObject({ type: 'error', code: 'forbidden' });
  });

  it('failed sign-ins are limited per (account, address) across servers, with retryAfterMs', async () => {
    const cy = await account('cy', appIds()[0]);
    // The default is 10 failures per account and address per window; spread over all four servers.
    for (let i = 0; i < 10; i++) {
      const t = await TestClient.connect(stage.cluster.wsUrl);
      clients.push(t);
      expect(await t.request({ type: 'signin', username: cy.username, password: `wrong-${i}-xxxx` }, 'welcome')).toMatchObject({ code: 'auth_failed' });
      t.close();
    }
    const t = await TestClient.connect(stage.cluster.wsUrl);
    clients.push(t);
    const refused = await t.request<any>({ type: 'signin', username: cy.username, password: cy.password }, 'welcome');
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(refused.retryAfterMs).toBeGreaterThan(1000);
  });

  it('private room: a non-member gets forbidden for join, history and send and receives none of its messages, even on a server hosting members', async () => {
    const [a, b] = appIds();
    const owner = await account('owner', a);
    const guestOnA = await identified(a, { type: 'hello', name: `g-${run}` });
    const strangerOnA = await account('stranger', a);
    const strangerOnB = await account('stranger2', b);
    const room = await owner.c.request<any>({ type: 'create', title: 'Team' }, 'room');
    expect(room).toMatchObject({ type: 'room', kind: 'private', title: 'Team', owner: owner.id });
    const name = room.room as string;
    expect(name).toMatch(/^p--/);
    const friend = await account('friend', b);
    expect((await owner.c.request<any>({ type: 'invite', room: name, username: friend.username }, 'room')).invited.map((m: any) => m.id))
      .toEqual([friend.id]);
    expect((await friend.c.request<any>({ type: 'accept', room: name }, 'room')).members.map((m: any) => m.id))
      .toEqual([owner.id, friend.id].sort());
    expect(await owner.c.request({ type: 'join', room: name }, 'joined')).toMatchObject({ type: 'joined', room: name });
    expect(await friend.c.request({ type: 'join', room: name }, 'joined')).toMatchObject({ type: 'joined', room: name });

    for (const x of [guestOnA.c, strangerOnA.c, strangerOnB.c]) {
      expect(await x.request({ type: 'join', room: name }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'join', room: name, after: 0 }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'history', room: name, after: 0 }, 'history')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'members', room: name }, 'members')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'room', room: name }, 'room')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'send', room: name, text: 'let me in', cid: `in-${Math.random()}` }, 'ack')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'invite', room: name, username: strangerOnA.username }, 'room')).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    // A room name that was never made is forbidden too (not created by joining).
    expect(await strangerOnA.c.request({ type: 'join', room: `p--${run}` }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });

    await owner.c.request({ type: 'send', room: name, text: 'secret plan', cid: `s1-${run}` }, 'ack');
    await friend.c.next((f) => f.type === 'message' && f.room === name);
    await sleep(300);
    for (const x of [guestOnA.c, strangerOnA.c, strangerOnB.c]) {
      expect(JSON.stringify(x.frames)).not.toContain('secret plan');
      expect(x.frames.filter((f) => f.room === name && f.type !== 'error')).toEqual([]);
    }
    // The owner's room answer lists members; members page works for members.
    expect(await friend.c.request<any>({ type: 'members', room: name }, 'members')).toMatchObject({ type: 'members' });
  });

  it('a removed member stops receiving within 1 s on every server, and cannot come back', async () => {
    const [a, b, c] = appIds();
    const owner = await account('own2', a);
    const dan = await account('dan', b);
    const danOnC = await identified(c, { type: 'hello', name: 'x', session: dan.session });
    const name = (await owner.c.request<any>({ type: 'create', title: 'Crew' }, 'room')).room as string;
    await owner.c.request({ type: 'invite', room: name, username: dan.username }, 'room');
    await dan.c.request({ type: 'accept', room: name }, 'room');
    for (const x of [owner.c, dan.c, danOnC.c]) expect(await x.request({ type: 'join', room: name }, 'joined')).toMatchObject({ type: 'joined' });
    await owner.c.request({ type: 'send', room: name, text: 'before', cid: `b-${run}` }, 'ack');
    for (const x of [dan.c, danOnC.c]) await x.next((f) => f.type === 'message' && f.text === 'before');

    const t0 = Date.now();
    const answer = await owner.c.request<any>({ type: 'remove', room: name, member: dan.id }, 'room');
    expect(answer.members.map((m: any) => m.id)).toEqual([owner.id]);
    // Sent right after the removal: it must reach neither of Dan's connections.
    await owner.c.request({ type: 'send', room: name, text: 'after', cid: `a-${run}` }, 'ack');
    for (const x of [dan.c, danOnC.c]) {
      await x.next((f) => f.type === 'left' && f.room === name && f.reason === 'removed', 1000);
    }
    expect(Date.now() - t0).toBeLessThan(1000);
    await sleep(300);
    for (const x of [dan.c, danOnC.c]) {
      expect(x.frames.some((f) => f.type === 'message' && f.text === 'after')).toBe(false);
      expect(await x.request({ type: 'join', room: name, after: 0 }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'send', room: name, text: 'hey', cid: `h-${Math.random()}` }, 'ack')).toMatchObject({ type: 'error', code: 'forbidden' });
      expect(await x.request({ type: 'history', room: name }, 'history')).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    // Dan's room lists (both connections) were pushed without the room.
    for (const x of [dan.c, danOnC.c]) {
      const lists = x.frames.filter((f) => f.type === 'rooms') as Array<Record<string, any>>;
      expect(lists.length).toBeGreaterThan(0);
      expect(lists.at(-1)!.rooms.some((r: any) => r.room === name)).toBe(false);
    }
    // The owner's presence list no longer has Dan.
    await sleep(200);
    const members = await owner.c.request<any>({ type: 'members', room: name }, 'members');
    expect(members.members.map((m: any) => m.id)).toEqual([owner.id]);
  });

  it('sign out everywhere closes the account\'s sockets on every server within a second', async () => {
    const [a, b, c, d] = appIds();
    const eve = await account('eve', a);
    const onB = await identified(b, { type: 'hello', name: 'x', session: eve.session });
    const viaSignin = await identified(c, { type: 'signin', username: eve.username, password: eve.password });
    const other = await account('frank', d);
    const sessions = await eve.c.request<any>({ type: 'sessions' }, 'sessions');
    expect(sessions.sessions.length).toBeGreaterThanOrEqual(2);
    expect(sessions.sessions.filter((s: any) => s.current)).toHaveLength(1);

    const t0 = Date.now();
    const revoked = await viaSignin.c.request<any>({ type: 'revoke' }, 'revoked');
    expect(revoked.count).toBeGreaterThanOrEqual(2);
    const codes = await Promise.all([eve.c.closed, onB.c.closed, viaSignin.c.closed]);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(codes).toEqual([1008, 1008, 1008]);
    // Another account is untouched.
    expect(await other.c.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    // The old session is gone: it identifies nobody (a guest hello with another name works, without account).
    const back = await TestClient.connect(stage.cluster.wsUrl);
    clients.push(back);
    const w = await back.request<any>({ type: 'hello', name: `after-${run}`, session: eve.session }, 'welcome');
    expect(w.type).toBe('welcome');
    expect(w.account).toBeUndefined();
    expect(w.member.id).not.toBe(eve.id);
  });

  it('revoking one session closes only the connections on it', async () => {
    const [a, b] = appIds();
    const gus = await account('gus', a);
    const second = await identified(b, { type: 'signin', username: gus.username, password: gus.password });
    const list = await second.c.request<any>({ type: 'sessions' }, 'sessions');
    // Sessions are listed by a prefix of their token's SHA-256 (placing a client may have made more).
    const first = list.sessions.find((s: any) => createHash('sha256').update(gus.session).digest('hex').startsWith(s.id));
    expect(first.current).toBe(false);
    expect(await second.c.request({ type: 'revoke', session: first.id }, 'revoked')).toMatchObject({ count: 1 });
    expect(await gus.c.closed).toBe(1008);
    expect(await second.c.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    // "Sign out" on one device: its own session, by `current`.
    const third = await identified(a, { type: 'signin', username: gus.username, password: gus.password });
    expect(await third.c.request({ type: 'revoke', session: 'current' }, 'revoked')).toMatchObject({ count: 1 });
    expect(await third.c.closed).toBe(1008);
    expect(await second.c.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
    const reuse = await TestClient.connect(stage.cluster.wsUrl);
    clients.push(reuse);
    expect(await reuse.request<any>({ type: 'hello', name: `g3-${run}`, session: third.w.session }, 'welcome')).not.toHaveProperty('account');
  });

  it('DM: both ends find the same room from either side; the other end is told; unread counts and read markers follow the account', async () => {
    const [a, b, c] = appIds();
    const hal = await account('hal', a);
    const ivy = await account('ivy', b);
    const ivyElsewhere = await identified(c, { type: 'hello', name: 'x', session: ivy.session });
    // They share no private room: Hal's dm is an invite Ivy sees (on every connection), and her dm accepts it.
    const fromHal = await hal.c.request<any>({ type: 'dm', member: ivy.id }, 'room');
    expect(fromHal).toMatchObject({ type: 'room', kind: 'dm', title: ivy.username, members: [{ id: hal.id }], invited: [{ id: ivy.id }] });
    expect(fromHal.room).toMatch(/^dm--[0-9a-f]{28}$/);
    await ivyElsewhere.c.next((f) => f.type === 'rooms' && (f.invites as any[]).some((i) => i.room === fromHal.room && i.kind === 'dm' && i.from.id === hal.id), 2000);
    expect(await hal.c.request({ type: 'join', room: fromHal.room }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });
    const fromIvy = await ivy.c.request<any>({ type: 'dm', member: hal.id }, 'room');
    expect(fromIvy.room).toBe(fromHal.room);
    expect(fromIvy.title).toBe(hal.username);
    const dm = fromHal.room as string;
    // Ivy's other connection was told its list changed.
    await ivyElsewhere.c.next((f) => f.type === 'rooms' && (f.rooms as any[]).some((r) => r.room === dm), 2000);

    // A guest cannot be DMed; nobody else can join.
    const guest = await identified(a, { type: 'hello', name: `g2-${run}` });
    expect(await hal.c.request({ type: 'dm', member: guest.w.member.id }, 'room')).toMatchObject({ type: 'error', code: 'bad_request' });
    const stranger = await account('jay', a);
    expect(await stranger.c.request({ type: 'join', room: dm }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await hal.c.request({ type: 'remove', room: dm, member: ivy.id }, 'room')).toMatchObject({ type: 'error', code: 'forbidden' });

    await hal.c.request({ type: 'join', room: dm }, 'joined');
    for (let i = 1; i <= 3; i++) await hal.c.request({ type: 'send', room: dm, text: `hi ${i}`, cid: `dm-${i}-${run}` }, 'ack');
    const listed = await ask(ivy.c, { type: 'rooms' });
    expect(listed.rooms.find((r: any) => r.room === dm)).toMatchObject({ kind: 'dm', title: hal.username, last: 3, read: 0, unread: 3 });

    // Ivy reads on one connection: her other connection hears of it, and a new device sees it.
    await ivy.c.request({ type: 'join', room: dm }, 'joined');
    expect(await ivy.c.request({ type: 'read', room: dm, id: 2 }, 'read')).toMatchObject({ type: 'read', room: dm, id: 2 });
    await ivyElsewhere.c.next((f) => f.type === 'read' && f.room === dm && f.id === 2, 1000);
    // Markers never move back.
    expect(await ivy.c.request({ type: 'read', room: dm, id: 1 }, 'read')).toMatchObject({ id: 2 });
    const device = await identified(appIds()[3], { type: 'signin', username: ivy.username, password: ivy.password });
    const onDevice = await device.c.request<any>({ type: 'rooms' }, 'rooms');
    expect(onDevice.rooms.find((r: any) => r.room === dm)).toMatchObject({ read: 2, unread: 1 });
    // A public room joined by an account goes on top of its list and stays there after leaving (recent rooms).
    await device.c.request({ type: 'join', room: `pub-${run}` }, 'joined');
    await sleep(100);
    expect((await device.c.request<any>({ type: 'rooms' }, 'rooms')).rooms[0]).toMatchObject({ room: `pub-${run}`, kind: 'public' });
    await device.c.request({ type: 'leave', room: `pub-${run}` }, 'left');
    await sleep(100);
    expect((await device.c.request<any>({ type: 'rooms' }, 'rooms')).rooms[0]).toMatchObject({ room: `pub-${run}` });
  });

  it('invites across servers: pending until accepted, declined, withdrawn; part takes a member out on every server; the owner parts last', async () => {
    const [a, b, c] = appIds();
    const ada = await account('ada', a);
    const ben = await account('ben', b);
    const benOnC = await identified(c, { type: 'hello', name: 'x', session: ben.session });
    const cyd = await account('cyd', c);
    const name = (await ask(ada.c, { type: 'create', title: 'Guild' })).room as string;
    const other = (await ask(ada.c, { type: 'create', title: 'Other' })).room as string;
    await ask(ada.c, { type: 'invite', room: name, username: ben.username });
    await ask(ada.c, { type: 'invite', room: other, username: ben.username });
    await ask(ada.c, { type: 'invite', room: name, username: cyd.username });
    // Pending: Ben (on another server) sees both invites, is not a member, and cannot read the room.
    await benOnC.c.next((f) => f.type === 'rooms' && (f.invites as any[]).length === 2, 2000);
    const listed = await ask(ben.c, { type: 'rooms' });
    expect(listed.rooms.some((r: any) => r.room === name)).toBe(false);
    expect(listed.invites.map((i: any) => [i.room, i.title, i.from.id])).toEqual([[other, 'Other', ada.id], [name, 'Guild', ada.id]]);
    expect(await ask(ben.c, { type: 'join', room: name })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect((await ask(ada.c, { type: 'room', room: name })).invited.map((m: any) => m.id)).toEqual([ben.id, cyd.id].sort());
    // Withdrawn by the owner: gone from Cyd's list.
    await ask(ada.c, { type: 'remove', room: name, member: cyd.id });
    expect((await ask(cyd.c, { type: 'rooms' })).invites).toEqual([]);
    expect(await ask(cyd.c, { type: 'accept', room: name })).toMatchObject({ type: 'error', code: 'bad_request' });
    // Declined on one server; accepted on another: Ben's other connection hears of both.
    expect((await ask(benOnC.c, { type: 'decline', room: other })).invites.map((i: any) => i.room)).toEqual([name]);
    expect((await ask(ben.c, { type: 'accept', room: name })).members.map((m: any) => m.id)).toEqual([ada.id, ben.id].sort());
    await benOnC.c.next((f) => f.type === 'rooms' && (f.rooms as any[]).some((r) => r.room === name) && (f.invites as any[]).length === 0, 2000);
    for (const x of [ada.c, ben.c, benOnC.c]) expect(await ask(x, { type: 'join', room: name })).toMatchObject({ type: 'joined' });
    await ask(ada.c, { type: 'send', room: name, text: 'welcome', cid: `w-${run}` });
    for (const x of [ben.c, benOnC.c]) await x.next((f) => f.type === 'message' && f.text === 'welcome');
    // The owner parts last.
    expect(await ask(ada.c, { type: 'part', room: name })).toMatchObject({ type: 'error', code: 'bad_request' });
    // Ben parts on B: both his connections leave the room at once, and nothing after reaches them.
    const parted = await ask(ben.c, { type: 'part', room: name });
    expect(parted.rooms.some((r: any) => r.room === name)).toBe(false);
    await ask(ada.c, { type: 'send', room: name, text: 'after part', cid: `ap-${run}` });
    for (const x of [ben.c, benOnC.c]) {
      await x.next((f) => f.type === 'left' && f.room === name, 1000).catch(() => undefined);
      expect(x.frames.some((f) => f.type === 'left' && f.room === name && f.reason === 'removed')).toBe(true);
    }
    await sleep(300);
    for (const x of [ben.c, benOnC.c]) {
      expect(x.frames.some((f) => f.type === 'message' && f.text === 'after part')).toBe(false);
      expect(await ask(x, { type: 'join', room: name })).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    // Alone now, the owner parts: the room goes.
    expect((await ask(ada.c, { type: 'part', room: name })).rooms.some((r: any) => r.room === name)).toBe(false);
    expect(await ask(ada.c, { type: 'join', room: name })).toMatchObject({ type: 'error', code: 'forbidden' });
  });

  it('after failover: an account whose server died resumes its private room elsewhere with after; a non-member still gets nothing', async () => {
    const [a, b, c] = appIds();
    const kim = await account('kim', a);
    const lee = await account('lee', b);
    const name = (await lee.c.request<any>({ type: 'create', title: 'Ops' }, 'room')).room as string;
    await lee.c.request({ type: 'invite', room: name, username: kim.username }, 'room');
    await kim.c.request({ type: 'accept', room: name }, 'room');
    for (const x of [kim.c, lee.c]) await x.request({ type: 'join', room: name }, 'joined');
    await lee.c.request({ type: 'send', room: name, text: 'one', cid: `f1-${run}` }, 'ack');
    await kim.c.next((f) => f.type === 'message' && f.room === name && f.id === 1);

    await stage.cluster.killServer(a, 'SIGKILL');
    await lee.c.request({ type: 'send', room: name, text: 'two', cid: `f2-${run}` }, 'ack');
    await lee.c.request({ type: 'send', room: name, text: 'three', cid: `f3-${run}` }, 'ack');
    const back = await identified(c, { type: 'hello', name: 'x', session: kim.session });
    expect(back.w.member.id).toBe(kim.id);
    const joined = await back.c.request<any>({ type: 'join', room: name, after: 1 }, 'joined');
    expect(joined.messages.map((m: any) => m.text)).toEqual(['two', 'three']);
    const outsider = await account('out', c);
    expect(await outsider.c.request({ type: 'join', room: name, after: 0 }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });
    await stage.cluster.startServer(a);
  });

  it('Redis restarts (AOF): accounts, sessions and member lists survive; the recheck after resubscribing keeps members in', async () => {
    const [a, b, c] = appIds();
    const own = await account('own3', a);
    const mia = await account('mia', b);
    const miaOnC = await identified(c, { type: 'hello', name: 'x', session: mia.session });
    const name = (await own.c.request<any>({ type: 'create', title: 'Survivors' }, 'room')).room as string;
    await own.c.request({ type: 'invite', room: name, username: mia.username }, 'room');
    await mia.c.request({ type: 'accept', room: name }, 'room');
    for (const x of [own.c, mia.c, miaOnC.c]) await x.request({ type: 'join', room: name }, 'joined');

    await stage.cluster.stopRedis();
    await sleep(500);
    await stage.cluster.startRedis();
    // Sends work again once the servers are back on Redis (they retry the same cid).
    let ack: any;
    for (let i = 0; i < 50; i++) {
      ack = await own.c.request<any>({ type: 'send', room: name, text: 'after the restart', cid: `rr-${run}` }, 'ack');
      if (ack.type === 'ack') break;
      await sleep(200);
    }
    expect(ack).toMatchObject({ type: 'ack' });
    for (const x of [mia.c, miaOnC.c]) {
      await x.next((f) => f.type === 'message' && f.text === 'after the restart', 3000);
      expect(x.frames.some((f) => f.type === 'left')).toBe(false);
    }
    expect(mia.c.closeCode).toBeNull();
    // New connections once HAProxy sees every server ready again (they fail /readyz while Redis is away).
    await stage.cluster.waitForHaproxy((states) => Object.values(states).every((st) => st === 'UP'), 15_000);
    const again = await identified(a, { type: 'signin', username: mia.username, password: mia.password });
    expect(again.w.member.id).toBe(mia.id);
    const outsider = await account('out2', c);
    expect(await outsider.c.request({ type: 'join', room: name }, 'joined')).toMatchObject({ type: 'error', code: 'forbidden' });
  });

  it('passwords appear nowhere: not in any server log, not in Redis (keys, values, AOF), not in /metrics', async () => {
    expect(passwords.length).toBeGreaterThan(5);
    const haystacks: Array<[string, string]> = [];
    for (const s of stage.cluster.servers) {
      haystacks.push([s.logFile, readFileSync(s.logFile, 'utf8')]);
      const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
      haystacks.push([`${s.appId} /metrics`, await res.text()]);
    }
    const redis = createClient({ url: stage.cluster.redisAdminUrl });
    await redis.connect();
    let dump = '';
    for await (const keys of redis.scanIterator({ COUNT: 1000 })) {
      for (const key of keys) {
        dump += `${key}\n`;
        const type = await redis.type(key);
        if (type === 'string') dump += `${await redis.get(key)}\n`;
        else if (type === 'hash') dump += `${JSON.stringify(await redis.hGetAll(key))}\n`;
        else if (type === 'zset') dump += `${JSON.stringify(await redis.zRange(key, 0, -1))}\n`;
        else if (type === 'set') dump += `${JSON.stringify(await redis.sMembers(key))}\n`;
        else if (type === 'list') dump += `${JSON.stringify(await redis.lRange(key, 0, -1))}\n`;
      }
    }
    await redis.close();
    haystacks.push(['redis keys and values', dump]);
    expect(dump).toContain('scrypt$'); // the hashes are there (the scan saw the accounts)
    // The AOF and any dump file on disk.
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
    for (const f of walk(stage.cluster.runDir)) if (/aof|rdb|\.log$/.test(f)) haystacks.push([f, readFileSync(f, 'latin1')]);
    for (const p of passwords) {
      for (const [where, text] of haystacks) expect(text.includes(p), `${where} contains a password`).toBe(false);
    }
  });
});
