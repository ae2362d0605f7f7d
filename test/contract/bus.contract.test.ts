// Contract of Bus (app/src/bus/bus.ts), run against every implementation. A stored message is published
// by History.append (in the step that stores it); only what is never stored goes out by publishTransient.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeEntry, transientEntry } from '../../app/src/bus/envelope.js';
import { asFrame } from '../../app/src/protocol/encode.js';
import { eventually, factories } from './backends.js';

for (const make of factories) {
  const f = make();
  describe(`Bus contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('delivers every payload to every server, the publisher included, in publish order', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const gotA: string[] = [];
      const gotB: string[] = [];
      a.bus.subscribe((p) => gotA.push(p));
      b.bus.subscribe((p) => gotB.push(p));
      const from = { id: 'm1', name: 'Ann' };
      await Promise.all(Array.from({ length: 100 }, (_, i) =>
        a.history.append({ room: 'r', cid: `c${i}`, from, text: `ü"\\ ${i}`, via: 'A' })));
      await eventually(() => gotA.length >= 100 && gotB.length >= 100);
      expect(gotB).toEqual(gotA);
      const ids = gotA.map((p) => { const e = decodeEntry(p); return e?.kind === 'message' ? e.id : -1; });
      expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    it('publishTransient reaches every server, in order among the stored entries, and stores nothing', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const got: string[] = [];
      b.bus.subscribe((p) => got.push(p));
      const from = { id: 'm1', name: 'Ann' };
      const frame = asFrame('{"type":"typing","room":"t","members":[],"count":0}');
      await a.history.append({ room: 't', cid: 'c1', from, text: 'one', via: 'A' });
      await a.bus.publishTransient(transientEntry('t', frame));
      await a.history.append({ room: 't', cid: 'c2', from, text: 'two', via: 'A' });
      await eventually(() => got.length >= 3);
      expect(got.map((p) => decodeEntry(p)?.kind)).toEqual(['message', 'transient', 'message']);
      expect(decodeEntry(got[1])).toEqual({ kind: 'transient', room: 't', frame });
      const kept = await b.history.resume('t', 0, 0);
      expect(kept.entries.map((e) => e.kind)).toEqual(['message', 'message']);
      expect(kept.last).toBe(2);
    });
  });
}
