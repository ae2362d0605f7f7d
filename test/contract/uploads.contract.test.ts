// Contract of Uploads (app/src/uploads/uploads.ts): upload grants, run against every implementation.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { factories, sleep } from './backends.js';

const grant = (key: string) => ({ key, member: 'm1', room: 'lobby', name: 'cat.png', mime: 'image/png', size: 1234 });
const KEY = '0b6c3c2e-0a7f-4c1e-9a53-4a3f0c1d2e3f';

for (const make of factories) {
  const f = make();
  describe(`Uploads contract: ${f.name}`, () => {
    beforeAll(() => f.setup());
    afterAll(() => f.teardown());
    beforeEach(() => f.reset());

    it('a grant issued on one server is read on another, as issued', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      expect(await b.uploads.get(KEY)).toBeNull();
      await a.uploads.issue(grant(KEY), 60_000);
      expect(await b.uploads.get(KEY)).toEqual(grant(KEY));
    });

    it('one send claims a key: its retries (same cid) may, another cid may not until a release; a commit is kept', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      expect(await a.uploads.claim(KEY, 'c1')).toBeNull(); // nothing issued
      await a.uploads.issue(grant(KEY), 60_000);
      expect(await a.uploads.claim(KEY, 'c1')).toBe('new');
      expect(await b.uploads.claim(KEY, 'c1')).toBe('ours');
      expect(await b.uploads.claim(KEY, 'c2')).toBeNull();
      await b.uploads.release(KEY, 'c2'); // not the claimer: nothing changes
      expect(await a.uploads.claim(KEY, 'c2')).toBeNull();
      await a.uploads.release(KEY, 'c1');
      expect(await b.uploads.claim(KEY, 'c2')).toBe('new');
      await b.uploads.commit(KEY, { mime: 'image/png', width: 10, height: 20, thumb: true });
      expect(await a.uploads.claim(KEY, 'c1')).toBeNull();
      expect(await a.uploads.claim(KEY, 'c2')).toBe('ours');
      await b.uploads.release(KEY, 'c2'); // refused for another file: the checked file is free again, still checked
      expect(await a.uploads.claim(KEY, 'c3')).toBe('new');
      expect(await a.uploads.get(KEY)).toEqual({ ...grant(KEY), committed: { mime: 'image/png', width: 10, height: 20, thumb: true } });
    });

    it('concurrent claims by different cids: exactly one wins', async () => {
      const a = await f.server('A');
      const b = await f.server('B');
      await a.uploads.issue(grant(KEY), 60_000);
      const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).uploads.claim(KEY, `c${i}`)));
      expect(wins.filter((w) => w === 'new')).toHaveLength(1);
      expect(wins.filter((w) => w === 'ours')).toHaveLength(0);
    });

    it('a grant expires, and dropping one forgets it; neither can be claimed or committed back to life', async () => {
      const a = await f.server('A');
      await a.uploads.issue(grant(KEY), 150);
      await a.uploads.issue(grant(KEY.replace('0b', '1b')), 60_000);
      await sleep(300);
      expect(await a.uploads.get(KEY)).toBeNull();
      expect(await a.uploads.claim(KEY, 'c1')).toBeNull();
      await a.uploads.commit(KEY, { mime: 'image/png' });
      expect(await a.uploads.get(KEY)).toBeNull();
      await a.uploads.drop(KEY.replace('0b', '1b'));
      expect(await a.uploads.get(KEY.replace('0b', '1b'))).toBeNull();
    });
  });
}
