// Contract of Bus (app/src/bus/bus.ts), run against every implementation. Nothing publishes on the
// bus by itself: a stored message is published by History.append, so that is how payloads are made here.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeEntry } from '../../app/src/bus/envelope.js';
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
  });
}
