// PasswordHasher's queue is fair per source address (issue 23, attack 6): served round-robin by
// address, and a full queue makes room for a quieter address by refusing the busiest one's newest.
import { describe, expect, it } from 'vitest';
import { KdfBusyError, PasswordHasher } from '../../app/src/accounts/password.js';

const settle = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof KdfBusyError ? 'busy' : String(e)));

describe('PasswordHasher fair queue', () => {
  it('a full queue refuses the flooding address, not a newcomer', async () => {
    const h = new PasswordHasher({ scryptLog2N: 10, kdfConcurrency: 1, kdfQueue: 4 });
    const flood = Array.from({ length: 6 }, () => settle(h.hash('password-a', 'A')));
    // 1 running + 4 waiting from A; the 6th from A is refused at once.
    expect(h.load).toBe(5);
    const victim = settle(h.hash('password-b', 'B'));
    expect(h.load).toBe(5);
    expect(await victim).toBe('ok');
    const results = await Promise.all(flood);
    expect(results.filter((r) => r === 'busy')).toHaveLength(2);
    expect(results.filter((r) => r === 'ok')).toHaveLength(4);
    expect(h.load).toBe(0);
  });

  it('serves waiting addresses in turn: a newcomer waits for one hash of each other address, not all of them', async () => {
    const h = new PasswordHasher({ scryptLog2N: 10, kdfConcurrency: 1, kdfQueue: 100 });
    const done: string[] = [];
    const all = [
      ...Array.from({ length: 5 }, (_, i) => h.hash('pw', 'A').then(() => done.push(`A${i}`))),
      h.hash('pw', 'B').then(() => done.push('B0')),
    ];
    await Promise.all(all);
    // A0 was running; A1 waited first; then B0's turn.
    expect(done.indexOf('B0')).toBeLessThanOrEqual(2);
  });

  it('with no queue, a hash past the running ones is refused', async () => {
    const h = new PasswordHasher({ scryptLog2N: 10, kdfConcurrency: 1, kdfQueue: 0 });
    const first = settle(h.hash('pw', 'A'));
    expect(await settle(h.hash('pw', 'B'))).toBe('busy');
    expect(await first).toBe('ok');
  });
});
