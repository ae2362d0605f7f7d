// Contract of Sessions (app/src/sessions/sessions.ts), run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { factories, sleep } from './backends.js';

for (const make of factories) {
  const f = make();
  describe(`Sessions contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('resolves a saved token to the same member on any server', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      await a.sessions.save('tok-1', { id: 'm1', name: 'Zoë <b>' });
      expect(await b.sessions.resolve('tok-1')).toEqual({ id: 'm1', name: 'Zoë <b>' });
    });

    it('returns null for an unknown token', async () => {
      const a = await f.server('A');
      expect(await a.sessions.resolve('nope')).toBeNull();
    });

    it('forgets a token after its TTL', async () => {
      const a = await f.server('A', { sessionTtlSec: 1 });
      await a.sessions.save('short', { id: 'm2', name: 'x' });
      await sleep(1300);
      expect(await a.sessions.resolve('short')).toBeNull();
    });
  });
}
