// Contract of the message lifecycle in History (edits, deletions, reactions, replies: shared/PROTOCOL.md
// "Message lifecycle"), run against every implementation. What the chat layer builds on: entries share the
// room's id sequence, a change is checked and applied in the store's one atomic step, `page` and a plain
// resume give messages in their current state, a resume with `after` replays every entry.
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeInput, EntryInput } from '../../app/src/history/history.js';
import { EntryRefusedError } from '../../app/src/store/errors.js';
import { eventually, factories, record } from './backends.js';

const ann = { id: 'm-ann', name: 'Ann' };
const bob = { id: 'm-bob', name: 'Bob' };
type Server = Awaited<ReturnType<ReturnType<(typeof factories)[number]>['server']>>;
const json = (e: { json: string }) => JSON.parse(e.json) as Record<string, any>;

for (const make of factories) {
  const f = make();
  describe(`Lifecycle contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    let n = 0;
    const cid = () => `c${++n}`;
    const send = (b: Server, room: string, text: string, from = ann, replyTo?: number) =>
      b.history.append({ room, cid: cid(), from, text, via: 'A', ...(replyTo === undefined ? {} : { replyTo }) });
    type Change = ChangeInput extends infer C ? (C extends ChangeInput ? Omit<C, 'cid' | 'via'> : never) : never;
    const change = (b: Server, input: Change) =>
      b.history.append({ cid: cid(), via: 'B', ...input } as EntryInput);
    const current = async (b: Server, room: string, id: number) => json((await b.history.page(room, { limit: 200 })).find((m) => m.id === id)!);

    it('an edit is the next entry: the message shows the new text and editedAt, the update says what changed', async () => {
      const b = await f.server('A');
      const seen = record(b);
      await send(b, 'r', 'helo');
      const e = await change(b, { kind: 'edit', room: 'r', target: 1, text: 'hello', from: ann });
      expect(e).toMatchObject({ id: 2, duplicate: false });
      expect(await current(b, 'r', 1)).toMatchObject({ type: 'message', id: 1, text: 'hello', editedAt: e.ts });
      await eventually(() => seen.length >= 2);
      expect(seen[1]).toEqual({
        type: 'update', room: 'r', id: 2, ts: e.ts, target: 1, from: ann, via: 'B', cid: expect.any(String),
        edit: { text: 'hello', editedAt: e.ts },
      });
      // History: messages only, in their current state (the update is left out, so ids skip).
      expect((await b.history.page('r', { limit: 50 })).map((m) => m.id)).toEqual([1]);
      expect((await b.history.resume('r', undefined, 50)).entries.map((m) => m.kind)).toEqual(['message']);
      // A resume replays every entry after `after`, updates of older messages too.
      const r = await b.history.resume('r', 1, 50);
      expect(r.entries.map((x) => [x.kind, x.id])).toEqual([['update', 2]]);
      expect(r).toMatchObject({ last: 2, truncated: false });
    });

    it('only the author edits; a missing or deleted target is refused; nothing is stored or published then', async () => {
      const b = await f.server('A');
      const seen = record(b);
      await send(b, 'r', 'mine');
      await expect(change(b, { kind: 'edit', room: 'r', target: 1, text: 'x', from: bob })).rejects.toEqual(new EntryRefusedError('not_allowed'));
      await expect(change(b, { kind: 'edit', room: 'r', target: 7, text: 'x', from: ann })).rejects.toEqual(new EntryRefusedError('no_target'));
      await expect(change(b, { kind: 'delete', room: 'r', target: 1, from: bob })).rejects.toEqual(new EntryRefusedError('not_allowed'));
      await change(b, { kind: 'delete', room: 'r', target: 1, from: ann });
      await expect(change(b, { kind: 'edit', room: 'r', target: 1, text: 'x', from: ann })).rejects.toEqual(new EntryRefusedError('no_target'));
      await expect(change(b, { kind: 'react', room: 'r', target: 1, emoji: '👍', on: true, from: bob })).rejects.toEqual(new EntryRefusedError('no_target'));
      await expect(send(b, 'r', 'answer', bob, 1)).rejects.toEqual(new EntryRefusedError('no_target'));
      await eventually(() => seen.length >= 2);
      expect(seen.map((s) => s.type)).toEqual(['message', 'update']);
      expect((await b.history.resume('r', 0, 50)).last).toBe(2);
    });

    it('a deletion leaves a tombstone; the owner of a private room may delete anyone\'s message', async () => {
      const b = await f.server('A');
      await b.access.create('p--team', 'Team', { id: 'u_owner', name: 'Owner' });
      await b.access.invite('p--team', { id: 'u_ann', name: 'Ann' }, 10);
      const annU = { id: 'u_ann', name: 'Ann' };
      await b.history.append({ room: 'p--team', cid: 'x1', from: annU, text: 'oops', via: 'A', restricted: true });
      await change(b, { kind: 'react', room: 'p--team', target: 1, emoji: '👍', on: true, from: annU, restricted: true });
      const d = await change(b, { kind: 'delete', room: 'p--team', target: 1, from: { id: 'u_owner', name: 'Owner' }, restricted: true });
      expect(d.id).toBe(3);
      const m = await current(b, 'p--team', 1);
      expect(m).toMatchObject({ id: 1, text: '', deleted: true, from: annU });
      expect(m).not.toHaveProperty('reactions');
      expect(m).not.toHaveProperty('editedAt');
    });

    it('reactions: counts per emoji in order of first use; a second on (or an off of nothing) changes nothing; at most 20 emoji', async () => {
      const b = await f.server('A');
      const seen = record(b);
      await send(b, 'r', 'react to me');
      const r1 = await change(b, { kind: 'react', room: 'r', target: 1, emoji: '👍', on: true, from: ann });
      await change(b, { kind: 'react', room: 'r', target: 1, emoji: '🎉', on: true, from: ann });
      await change(b, { kind: 'react', room: 'r', target: 1, emoji: '👍', on: true, from: bob });
      const again = await change(b, { kind: 'react', room: 'r', target: 1, emoji: '👍', on: true, from: bob });
      expect(again).toMatchObject({ noop: true, id: 4 });
      expect((await change(b, { kind: 'react', room: 'r', target: 1, emoji: '😀', on: false, from: bob })).noop).toBe(true);
      expect(await current(b, 'r', 1)).toMatchObject({ reactions: [{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }] });
      await change(b, { kind: 'react', room: 'r', target: 1, emoji: '👍', on: false, from: ann });
      await change(b, { kind: 'react', room: 'r', target: 1, emoji: '🎉', on: false, from: ann });
      expect((await current(b, 'r', 1)).reactions).toEqual([{ emoji: '👍', count: 1 }]);
      await eventually(() => seen.length >= 6);
      expect(seen.slice(1).map((s) => s.reaction)).toEqual([
        { emoji: '👍', on: true, count: 1 }, { emoji: '🎉', on: true, count: 1 }, { emoji: '👍', on: true, count: 2 },
        { emoji: '👍', on: false, count: 1 }, { emoji: '🎉', on: false, count: 0 },
      ]);
      expect(r1.id).toBe(2);
      const emoji = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂'];
      for (const e of emoji) await change(b, { kind: 'react', room: 'r', target: 1, emoji: e, on: true, from: ann });
      expect((await current(b, 'r', 1)).reactions).toHaveLength(20);
      await expect(change(b, { kind: 'react', room: 'r', target: 1, emoji: '🤖', on: true, from: ann }))
        .rejects.toEqual(new EntryRefusedError('reactions_full'));
      // One already there may still be added to.
      await change(b, { kind: 'react', room: 'r', target: 1, emoji: '😀', on: true, from: bob });
    });

    it('concurrent reactions from 4 servers give exact counts; a repeated cid applies once', async () => {
      const servers = await Promise.all(['A', 'B', 'C', 'D'].map((id) => f.server(id)));
      await send(servers[0], 'busy', 'popular');
      const members = Array.from({ length: 60 }, (_, i) => ({ id: `m${i}`, name: `M${i}` }));
      const inputs = members.map((m, i) => ({ kind: 'react' as const, room: 'busy', target: 1, emoji: i % 2 ? '👍' : '❤️', on: true, from: m, cid: `r-${m.id}`, via: 'X' }));
      await Promise.all(inputs.map((x, i) => servers[i % 4].history.append(x)));
      const repeats = await Promise.all(inputs.slice(0, 8).map((x, i) => servers[(i + 1) % 4].history.append(x)));
      expect(repeats.every((r) => r.duplicate)).toBe(true);
      const m = await current(servers[3], 'busy', 1);
      expect(Object.fromEntries(m.reactions.map((r: { emoji: string; count: number }) => [r.emoji, r.count]))).toEqual({ '👍': 30, '❤️': 30 });
      expect((await servers[1].history.resume('busy', 0, 0)).last).toBe(61);
    });

    it('a reply quotes its target (200 characters); the quote follows an edit and is emptied by a deletion, as are the edits\' texts', async () => {
      const b = await f.server('A');
      const long = 'é'.repeat(250);
      await send(b, 'r', long);
      const reply = await send(b, 'r', 'answer', bob, 1);
      expect((await current(b, 'r', reply.id)).replyTo).toEqual({ id: 1, from: ann, text: 'é'.repeat(200) });
      await change(b, { kind: 'edit', room: 'r', target: 1, text: 'secret plan', from: ann });
      expect((await current(b, 'r', reply.id)).replyTo.text).toBe('secret plan');
      await change(b, { kind: 'delete', room: 'r', target: 1, from: ann });
      expect((await current(b, 'r', reply.id)).replyTo).toEqual({ id: 1, from: ann, text: '' });
      const everything = await b.history.resume('r', 0, 0);
      expect(everything.entries.map((e) => e.json).join('\n')).not.toMatch(/secret|é/);
      if (f.redisUrl) {
        // Not in any key of the store.
        const admin = createClient({ url: f.redisUrl() });
        await admin.connect();
        for (const key of await admin.keys('*')) {
          const dump = JSON.stringify(await admin.sendCommand(['DUMP', key]));
          expect(Buffer.from(dump).includes(Buffer.from('secret')), key).toBe(false);
        }
        await admin.close();
      }
    });

    it('a message keeps its files through an edit and loses them with its deletion; a reply to it counts them (files), until the deletion', async () => {
      const b = await f.server('A');
      const files = [1, 2].map((i) => ({ key: `00000000-0000-4000-8000-00000000000${i}`, name: `f${i}.pdf`, mime: 'application/pdf', size: 10 * i, url: `/files/r/r/${i}.bin?e=1&s=x` }));
      await b.history.append({ room: 'r', cid: cid(), from: ann, text: '', via: 'A', attachments: files });
      expect(await current(b, 'r', 1)).toMatchObject({ text: '', attachments: files });
      const reply = await send(b, 'r', 'got them', bob, 1);
      expect((await current(b, 'r', reply.id)).replyTo).toEqual({ id: 1, from: ann, text: '', files: 2 });
      await change(b, { kind: 'edit', room: 'r', target: 1, text: 'two files', from: ann });
      expect(await current(b, 'r', 1)).toMatchObject({ text: 'two files', attachments: files });
      expect((await current(b, 'r', reply.id)).replyTo).toEqual({ id: 1, from: ann, text: 'two files', files: 2 });
      await change(b, { kind: 'delete', room: 'r', target: 1, from: ann });
      expect((await current(b, 'r', 1)).attachments).toBeUndefined();
      expect((await current(b, 'r', reply.id)).replyTo).toEqual({ id: 1, from: ann, text: '' });
    });

    it('updates never push a message out; a resume replays messages and updates in id order, the newest within the byte budget', async () => {
      const b = await f.server('A', { historyMax: 5 });
      for (let i = 0; i < 5; i++) await send(b, 'r', `m${i}`);
      for (let i = 0; i < 30; i++) await change(b, { kind: 'react', room: 'r', target: 1 + (i % 5), emoji: '👍', on: i % 10 < 5, from: ann });
      expect((await b.history.page('r', { limit: 50 })).map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
      const r = await b.history.resume('r', 30, 0);
      expect(r.entries.map((e) => e.id)).toEqual([31, 32, 33, 34, 35]);
      expect(r.entries.map((e) => e.kind)).toEqual(Array(5).fill('update'));
      expect(r.truncated).toBe(false);
      // Updates are kept among the newest 5 entries only: an older `after` is truncated.
      const old = await b.history.resume('r', 3, 0);
      expect(old.truncated).toBe(true);
      expect(old.entries.map((e) => e.id)).toEqual([4, 5, 31, 32, 33, 34, 35]);
      const small = await f.server('B', { historyMax: 1000, historyMaxBytes: 1500 });
      await send(small, 's', 'x');
      for (let i = 0; i < 20; i++) await change(small, { kind: 'edit', room: 's', target: 1, text: `edit number ${i}`, from: ann });
      const capped = await small.history.resume('s', 0, 0);
      expect(capped.truncated).toBe(true);
      expect(capped.entries.reduce((n, e) => n + e.json.length, 0)).toBeLessThanOrEqual(1500);
      expect(capped.entries.at(-1)!.id).toBe(21);
    });
  });
}
