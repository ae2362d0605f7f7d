/**
 * The message lifecycle (shared/PROTOCOL.md "Message lifecycle") on the native cluster: 4 servers behind
 * real HAProxy, one real Redis, clients on different servers. Edits, deletions and reactions reach every
 * member; a client away during 20 changes resumes with all of them, ids contiguous; concurrent reactions
 * from 4 servers count exactly; a deleted message's text is in no Redis key; a typing storm in a room
 * costs each member at most one `typing` frame a second.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { LOOSE_LIMITS } from '../helpers/limits.js';
import { useCluster } from '../helpers/use-cluster.js';
import { TestClient } from '../helpers/ws-client.js';

type F = Record<string, any>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until a frame matching `pred` has arrived (whenever: it may have come before the last `next`). */
async function arrived(c: TestClient, pred: (f: F) => boolean, timeoutMs = 5000): Promise<F> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = (c.frames as F[]).find(pred);
    if (f) return f;
    if (Date.now() > deadline) throw new Error(`timed out; last frames ${JSON.stringify(c.frames.slice(-3))}`);
    await sleep(20);
  }
}
const EMOJI = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗'];

describe('message lifecycle (4 servers, HAProxy, Redis)', () => {
  const stage = useCluster({
    servers: 4, haproxyCheckInterMs: 300,
    env: { ...LOOSE_LIMITS, HISTORY_MAX: '50', RATE_LIMIT_BURST: '10000', RATE_LIMIT_PER_SEC: '10000' },
  });
  const { clients } = stage;

  /** A client on each server, in the room (its welcome and joined taken). */
  async function onEveryServer(room: string, prefix: string, after?: number) {
    const want = stage.cluster.servers.filter((s) => s.alive).map((s) => s.appId);
    const out: Array<{ c: TestClient; appId: string; id: string }> = [];
    for (const appId of want) {
      for (let i = 0; ; i++) {
        if (i > 40) throw new Error(`never landed on ${appId}`);
        const c = await TestClient.connect(stage.cluster.wsUrl);
        const w = await c.hello(`${prefix}${appId}`);
        if (w.appId !== appId) { c.close(); continue; }
        clients.push(c);
        await c.request({ type: 'join', room, ...(after === undefined ? {} : { after }) }, 'joined');
        out.push({ c, appId, id: w.member.id });
        break;
      }
    }
    return out;
  }

  it('edits, deletions and reactions from one server reach members on every server, after the ack; only the author edits', async () => {
    const [a, b, c, d] = await onEveryServer('life', 'u');
    const sent = await a.c.request({ type: 'send', room: 'life', text: 'first draft', cid: 'l1' }, 'ack') as F;
    const edit = await a.c.request({ type: 'edit', room: 'life', id: sent.id, text: 'final', cid: 'l2', rid: 'e' }, 'ack') as F;
    expect(edit).toMatchObject({ type: 'ack', cid: 'l2', id: sent.id + 1, rid: 'e' });
    const react = await b.c.request({ type: 'react', room: 'life', id: sent.id, emoji: '🎉', on: true, cid: 'l3' }, 'ack') as F;
    const refused = await c.c.request({ type: 'edit', room: 'life', id: sent.id, text: 'mine', cid: 'l4' }, 'ack') as F;
    expect(refused).toMatchObject({ type: 'error', code: 'forbidden', cid: 'l4' });
    const del = await a.c.request({ type: 'delete', room: 'life', id: sent.id, cid: 'l5' }, 'ack') as F;
    for (const u of [a, b, c, d]) {
      const upd = await arrived(u.c, (f) => f.type === 'update' && f.id === del.id);
      expect(upd).toMatchObject({ target: sent.id, delete: true, via: a.appId, from: { id: a.id } });
      const ups = u.c.frames.filter((f: F) => f.type === 'update') as F[];
      expect(ups.map((x) => x.id)).toEqual([edit.id, react.id, del.id]);
      expect(ups[1].reaction).toEqual({ emoji: '🎉', on: true, count: 1 });
      expect(ups.every((x) => !('rid' in x))).toBe(true);
    }
    // The sender got its ack before its own update.
    const own = a.c.frames.map((f: F) => `${f.type}:${f.cid ?? ''}`);
    expect(own.indexOf('ack:l2')).toBeLessThan(own.indexOf('update:l2'));
    const hist = await d.c.request<any>({ type: 'history', room: 'life' }, 'history');
    expect(hist.messages).toEqual([expect.objectContaining({ id: sent.id, text: '', deleted: true })]);
  });

  it('a client away during 20 changes resumes with all of them applied, entry ids contiguous, no duplicate', async () => {
    const [a, b] = await onEveryServer('away', 'w');
    for (let i = 0; i < 5; i++) await a.c.request({ type: 'send', room: 'away', text: `m${i}`, cid: `w${i}` }, 'ack') as F;
    await arrived(b.c, (f) => f.type === 'message' && f.id === 5);
    b.c.terminate();
    for (let i = 0; i < 20; i++) {
      const target = 1 + (i % 5);
      const req = i % 3 === 0 ? { type: 'edit', text: `edit ${i}` } : { type: 'react', emoji: EMOJI[i], on: true };
      await a.c.request({ ...req, room: 'away', id: target, cid: `x${i}` }, 'ack') as F;
    }
    // Back, on another server, with `after` = the last entry it saw.
    const back = await TestClient.connect(stage.cluster.wsUrl);
    clients.push(back);
    await back.hello('back');
    const j = await back.request<any>({ type: 'join', room: 'away', after: 5 }, 'joined');
    expect(j.last).toBe(25);
    expect(j.truncated).toBeUndefined();
    expect(j.messages.map((m: F) => m.id)).toEqual(Array.from({ length: 20 }, (_, i) => 6 + i));
    expect(j.messages.every((m: F) => m.type === 'update')).toBe(true);
    // Applied in order, they give the state history shows.
    const state = new Map<number, F>((await back.request<any>({ type: 'history', room: 'away' }, 'history')).messages.map((m: F) => [m.id, m]));
    const replay = new Map<number, { text: string; reactions: Map<string, number> }>();
    for (let id = 1; id <= 5; id++) replay.set(id, { text: `m${id - 1}`, reactions: new Map() });
    for (const u of j.messages as F[]) {
      const t = replay.get(u.target)!;
      if (u.edit) t.text = u.edit.text;
      if (u.reaction) t.reactions.set(u.reaction.emoji, u.reaction.count);
    }
    for (const [id, t] of replay) {
      expect(state.get(id)!.text).toBe(t.text);
      expect(Object.fromEntries((state.get(id)!.reactions ?? []).map((r: F) => [r.emoji, r.count]))).toEqual(Object.fromEntries(t.reactions));
    }
  });

  it('concurrent reactions from 4 servers give exact counts on every client; repeated cids apply once', async () => {
    const users = (await Promise.all([0, 1, 2].map((k) => onEveryServer('crowd', `r${k}-`)))).flat();
    const first = await users[0].c.request({ type: 'send', room: 'crowd', text: 'vote', cid: 'v0' }, 'ack') as F;
    await Promise.all(users.map((u, i) => u.c.request({ type: 'react', room: 'crowd', id: first.id, emoji: i % 2 ? '👍' : '👎', on: true, cid: `v-${i}` }, 'ack')));
    // The same cids again, and a second `on` with a new cid: nothing changes.
    await Promise.all(users.slice(0, 4).map((u, i) => u.c.request({ type: 'react', room: 'crowd', id: first.id, emoji: i % 2 ? '👍' : '👎', on: true, cid: `v-${i}` }, 'ack')));
    await users[1].c.request({ type: 'react', room: 'crowd', id: first.id, emoji: '👍', on: true, cid: 'v-again' }, 'ack') as F;
    const last = first.id + users.length;
    for (const u of users) {
      await arrived(u.c, (f) => f.type === 'update' && f.id === last);
      const ups = u.c.frames.filter((f: F) => f.type === 'update') as F[];
      expect(ups).toHaveLength(users.length);
      const final = new Map<string, number>();
      for (const x of ups) final.set(x.reaction.emoji, Math.max(final.get(x.reaction.emoji) ?? 0, x.reaction.count));
      expect(Object.fromEntries(final)).toEqual({ '👍': users.length / 2, '👎': users.length / 2 });
    }
    const h = await users[5].c.request<any>({ type: 'history', room: 'crowd' }, 'history');
    expect(h.messages[0].reactions).toEqual(expect.arrayContaining([{ emoji: '👍', count: 6 }, { emoji: '👎', count: 6 }]));
  });

  it('after many reactions history still holds the room\'s newest messages, and a deleted message\'s text is in no Redis key', async () => {
    const [a, b] = await onEveryServer('keep', 'k');
    for (let i = 0; i < 50; i++) a.c.send({ type: 'send', room: 'keep', text: `keep ${i}`, cid: `k${i}` });
    await arrived(a.c, (f) => f.type === 'ack' && f.cid === 'k49', 10_000);
    for (let i = 0; i < 120; i++) b.c.send({ type: 'react', room: 'keep', id: 50 - (i % 10), emoji: '👍', on: i % 20 < 10, cid: `kr${i}` });
    await arrived(b.c, (f) => f.type === 'ack' && f.cid === 'kr119', 10_000);
    const h = await b.c.request<any>({ type: 'history', room: 'keep', limit: 200 }, 'history');
    expect(h.messages.map((m: F) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await a.c.request({ type: 'send', room: 'keep', text: 'the launch code is 0000', cid: 'secret' }, 'ack') as F;
    const secret = (await arrived(a.c, (f) => f.type === 'message' && f.cid === 'secret')).id;
    await b.c.request({ type: 'send', room: 'keep', text: 'noted', cid: 'reply', replyTo: secret }, 'ack') as F;
    await a.c.request({ type: 'edit', room: 'keep', id: secret, text: 'the launch code is 1234', cid: 'secret-2' }, 'ack') as F;
    await a.c.request({ type: 'delete', room: 'keep', id: secret, cid: 'secret-3' }, 'ack') as F;
    const admin = createClient({ url: stage.cluster.redisAdminUrl });
    admin.on('error', () => {});
    await admin.connect();
    try {
      for (const key of await admin.keys('*')) {
        const dump = await admin.sendCommand<Buffer | null>(['DUMP', key], { returnBuffers: true } as never);
        expect(dump === null || !Buffer.from(dump).includes('launch code'), key).toBe(true);
      }
    } finally {
      await admin.close();
    }
  });

  it('a typing storm: every member of a room typing costs each member at most one typing frame a second', async () => {
    const users = (await Promise.all([0, 1, 2, 3, 4].map((k) => onEveryServer('storm', `t${k}-`)))).flat();
    const start = Date.now();
    for (let round = 0; round < 12; round++) {
      for (const u of users) u.c.send({ type: 'typing', room: 'storm' });
      await sleep(250);
    }
    await sleep(1200);
    const seconds = (Date.now() - start) / 1000;
    for (const u of users) {
      const typing = u.c.frames.filter((f: F) => f.type === 'typing') as F[];
      expect(typing.length).toBeGreaterThan(0);
      expect(typing.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      expect(typing.at(-1)!.count).toBe(users.length);
      expect(typing.at(-1)!.members).toHaveLength(5);
    }
    // Everyone stops: the last frame everyone gets lists nobody.
    for (const u of users) u.c.send({ type: 'typing', room: 'storm', stop: true });
    for (const u of users) await arrived(u.c, (f) => f.type === 'typing' && f.count === 0);
  });
});
