// Contract of Limits (app/src/limits/limits.ts): token buckets that span servers and outlive
// connections, run against every implementation.
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { factories, sleep } from './backends.js';

const rate = { burst: 3, perSec: 10 };

for (const make of factories) {
  const f = make();
  describe(`Limits contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('a burst is taken across servers; past it the wait until a token is there', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      expect(await a.limits.take('m:1:send', rate)).toBe(0);
      expect(await b.limits.take('m:1:send', rate)).toBe(0);
      expect(await a.limits.take('m:1:send', rate)).toBe(0);
      const wait = await b.limits.take('m:1:send', rate);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(100);
      // Another key has its own bucket.
      expect(await b.limits.take('m:2:send', rate)).toBe(0);
    });

    it('refills at its rate, never past the burst; a refusal takes nothing', async () => {
      const a = await f.server('A');
      for (let i = 0; i < 3; i++) expect(await a.limits.take('k', rate)).toBe(0);
      expect(await a.limits.take('k', rate)).toBeGreaterThan(0);
      expect(await a.limits.take('k', rate)).toBeGreaterThan(0); // the refusals took nothing…
      await sleep(130);
      expect(await a.limits.take('k', rate)).toBe(0); // …so one token is there after 100 ms
      await sleep(450);
      let taken = 0;
      while ((await a.limits.take('k', rate)) === 0) taken++;
      expect(taken).toBe(3);
    });

    it('takes n at once (bytes); more than the burst is never allowed', async () => {
      const a = await f.server('A');
      const bytes = { burst: 1000, perSec: 100 };
      expect(await a.limits.take('a:x:bytes', bytes, 600)).toBe(0);
      const wait = await a.limits.take('a:x:bytes', bytes, 600);
      expect(wait).toBeGreaterThan(1500);
      expect(wait).toBeLessThanOrEqual(2000);
      expect(await a.limits.take('a:x:bytes', bytes, 400)).toBe(0);
      expect(await a.limits.take('a:y:bytes', bytes, 1001)).toBe(Infinity);
      expect(await a.limits.take('a:y:bytes', bytes, 1000)).toBe(0);
    });

    it('takeAll takes from every bucket or from none, and names the one with the longest wait', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const member = { burst: 2, perSec: 10 };
      const bytes = { burst: 1000, perSec: 100 };
      const three = (n: number) => [{ key: 'm:1:send', rate: member }, { key: 'a:x:store', rate: bytes, n }, { key: 'm:1:store', rate: bytes, n }];
      expect(await a.limits.takeAll(three(400))).toEqual({ wait: 0, refused: -1 });
      // The byte buckets refuse 700 (600 left): nothing is taken, not even the send token.
      const refused = await b.limits.takeAll(three(700));
      expect(refused.refused).toBe(1);
      expect(refused.wait).toBeGreaterThan(900);
      expect(refused.wait).toBeLessThanOrEqual(1000);
      expect(await a.limits.take('m:1:send', member)).toBe(0); // the second token is still there
      const bySend = await a.limits.takeAll(three(100));
      expect(bySend.refused).toBe(0);
      expect(bySend.wait).toBeGreaterThan(0);
      expect(bySend.wait).toBeLessThanOrEqual(100);
      // Past a burst is never: Infinity, whatever the others say.
      expect(await b.limits.takeAll([{ key: 'm:2:send', rate: member }, { key: 'a:y:store', rate: bytes, n: 1001 }])).toEqual({ wait: Infinity, refused: 1 });
      expect(await b.limits.take('a:y:store', bytes, 1000)).toBe(0); // and it took nothing from either
      expect(await b.limits.take('m:2:send', member, 2)).toBe(0);
    });

    it('give puts tokens back, up to the burst', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      const slow = { burst: 2, perSec: 0.01 };
      expect(await a.limits.take('g', slow)).toBe(0);
      expect(await a.limits.take('g', slow)).toBe(0);
      expect(await a.limits.take('g', slow)).toBeGreaterThan(0);
      await b.limits.give('g', slow, 5);
      expect(await a.limits.take('g', slow)).toBe(0);
      expect(await a.limits.take('g', slow)).toBe(0);
      expect(await a.limits.take('g', slow)).toBeGreaterThan(0);
      await b.limits.give('never-taken', slow, 1); // nothing to give back to: nothing kept
    });

    if (f.redisUrl) {
      it('a bucket is kept only until it would have refilled (the key expires)', async () => {
        const a = await f.server('A');
        await a.limits.take('exp', { burst: 10, perSec: 10 }, 5);
        const r = createClient({ url: f.redisUrl!() });
        r.on('error', () => {});
        await r.connect();
        try {
          const ttl = await r.pTTL('lc:lim:exp');
          expect(ttl).toBeGreaterThan(400);
          expect(ttl).toBeLessThanOrEqual(1500);
          await a.limits.give('never', { burst: 1, perSec: 1 }, 1);
          expect(await r.exists('lc:lim:never')).toBe(0);
        } finally {
          await r.close();
        }
      });
    }
  });
}
