// Contract of Bus (app/src/bus/bus.ts), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
      const sent = Array.from({ length: 100 }, (_, i) => JSON.stringify({ n: i, s: 'ü"\\' }));
      for (const p of sent) void a.bus.publish(p);
      await eventually(() => gotA.length >= 100 && gotB.length >= 100);
      expect(gotA).toEqual(sent);
      expect(gotB).toEqual(sent);
    });
  });
}
