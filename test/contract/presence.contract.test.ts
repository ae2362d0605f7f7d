// Contract of Presence (app/src/presence/presence.ts), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, factories, record, sleep } from './backends.js';

const alice = { id: 'm-alice', name: 'Alice' };
const bob = { id: 'm-bob', name: 'Bob' };

for (const make of factories) {
  const f = make();
  describe(`Presence contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    const events = (seen: Array<Record<string, unknown>>) =>
      seen.filter((e) => e.type === 'presence').map((e) => `${e.event}:${(e.member as { name: string }).name}`);

    it('lists a member once however many servers hold them, and announces join and leave once', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(a);
      await a.presence.join('room', [alice]);
      await b.presence.join('room', [alice]);
      await b.presence.join('room', [bob]);
      expect((await a.presence.members('room')).sort((x, y) => x.id.localeCompare(y.id))).toEqual([alice, bob]);
      expect(await b.presence.members('room')).toHaveLength(2);
      await a.presence.leave('room', [alice.id]);
      expect((await b.presence.members('room')).map((m) => m.id).sort()).toEqual(['m-alice', 'm-bob']);
      await b.presence.leave('room', [alice.id]);
      expect(await a.presence.members('room')).toEqual([bob]);
      await eventually(() => events(seen).length >= 3);
      expect(events(seen)).toEqual(['join:Alice', 'join:Bob', 'leave:Alice']);
      expect(seen[0]).toEqual({ type: 'presence', room: 'room', event: 'join', member: alice });
    });

    it('refreshing an entry publishes nothing; leaving twice publishes one leave', async () => {
      const a = await f.server('A');
      const seen = record(a);
      await a.presence.join('r', [alice]);
      await a.presence.join('r', [alice]);
      await a.presence.leave('r', [alice.id]);
      await a.presence.leave('r', [alice.id]);
      await sleep(50);
      expect(events(seen)).toEqual(['join:Alice', 'leave:Alice']);
    });

    it('a dead server\'s entries expire: the sweep of any server removes them and announces the leave', async () => {
      const dead = await f.server('DEAD', { presenceTtlMs: 300 });
      const live = await f.server('LIVE', { presenceTtlMs: 300 });
      const seen = record(live);
      await dead.presence.join('r', [alice]);
      await live.presence.join('r', [bob]);
      await sleep(150);
      await live.presence.join('r', [bob]); // live refreshes, dead does not
      await sleep(250);
      await live.presence.sweep();
      expect(await live.presence.members('r')).toEqual([bob]);
      await eventually(() => events(seen).includes('leave:Alice'));
      await live.presence.sweep();
      await sleep(30);
      expect(events(seen).filter((e) => e === 'leave:Alice')).toHaveLength(1);
    });

    it('an entry held elsewhere survives the expiry of another server\'s entry for the same member', async () => {
      const a = await f.server('A', { presenceTtlMs: 200 });
      const b = await f.server('B', { presenceTtlMs: 60_000 });
      const seen = record(b);
      await a.presence.join('r', [alice]);
      await b.presence.join('r', [alice]);
      await sleep(300);
      await b.presence.sweep();
      expect(await b.presence.members('r')).toEqual([alice]);
      await sleep(30);
      expect(events(seen)).toEqual(['join:Alice']);
    });

    it('expireSoon lets a server\'s entries lapse after the given time (shutdown grace)', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const seen = record(b);
      await a.presence.join('r', [alice, bob]);
      await a.presence.expireSoon('r', [alice.id, bob.id], 150);
      await b.presence.join('r', [bob]); // bob reconnected elsewhere within the grace
      await b.presence.sweep();
      expect(await b.presence.members('r')).toHaveLength(2);
      await sleep(250);
      await b.presence.sweep();
      expect(await b.presence.members('r')).toEqual([bob]);
      await eventually(() => events(seen).includes('leave:Alice'));
      expect(events(seen)).toEqual(['join:Alice', 'join:Bob', 'leave:Alice']);
    });

    it('keeps rooms apart', async () => {
      const a = await f.server('A');
      await a.presence.join('one', [alice]);
      await a.presence.join('two', [bob]);
      expect(await a.presence.members('one')).toEqual([alice]);
      expect(await a.presence.members('two')).toEqual([bob]);
      expect(await a.presence.members('three')).toEqual([]);
    });
  });
}
