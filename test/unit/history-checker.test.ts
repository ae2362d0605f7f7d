/** The Jepsen-style checker (test/faults/lib/history-checker.ts) finds each kind of violation, and passes a clean run. */
import { describe, expect, it } from 'vitest';
import { checkHistory, type ClientView, type Entry } from '../faults/lib/history-checker.js';

const hist = (n: number): Entry[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, cid: `c${i + 1}` }));
const acksOf = (h: Entry[]) => new Map(h.map((e) => [e.cid!, e.id]));
const view = (name: string, ids: number[], cid = (id: number) => `c${id}`): ClientView => ({ name, ids, cidAt: new Map(ids.map((id) => [id, cid(id)])) });

describe('history checker', () => {
  it('a clean run: contiguous, every ack once, every view a prefix of the final order', () => {
    const h = hist(10);
    const v = checkHistory(h, acksOf(h), [view('a', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), view('late', [4, 5, 6]), view('idle', [])]);
    expect(v).toEqual({ problems: [], messages: 10, acked: 10, ackedLost: 0, duplicates: 0 });
  });

  it('an acked message missing from history is counted as lost', () => {
    const h = hist(5);
    const acks = acksOf(h);
    acks.set('gone', 6);
    const v = checkHistory(h, acks, []);
    expect(v.ackedLost).toBe(1);
    expect(v.problems.join('\n')).toMatch(/acked lost: cid gone/);
  });

  it('a cid stored twice is a duplicate', () => {
    const h = [...hist(3), { id: 4, cid: 'c2' }];
    const v = checkHistory(h, acksOf(hist(3)), []);
    expect(v.duplicates).toBe(1);
    expect(v.problems.join('\n')).toMatch(/duplicate: cid c2 stored at ids 2, 4/);
  });

  it('a hole or repeat in the ids, and an ack naming another id, are found', () => {
    const h = hist(4).filter((e) => e.id !== 2);
    expect(checkHistory(h, new Map(), []).problems.join('\n')).toMatch(/not contiguous/);
    const moved = new Map([['c3', 2]]);
    expect(checkHistory(hist(4), moved, []).problems.join('\n')).toMatch(/acked c3 as id 2, but history holds it at 3/);
  });

  it('a view that skipped, reordered, or saw other content is not a prefix', () => {
    const h = hist(6);
    const skipped = checkHistory(h, acksOf(h), [view('s', [1, 2, 4])]).problems.join('\n');
    expect(skipped).toMatch(/s: saw id 4 where the final order has 3/);
    const reordered = checkHistory(h, acksOf(h), [view('r', [3, 5, 4])]).problems.join('\n');
    expect(reordered).toMatch(/r: saw id 5/);
    const other = checkHistory(h, acksOf(h), [view('o', [2, 3], (id) => (id === 3 ? 'lost-write' : `c${id}`))]).problems.join('\n');
    expect(other).toMatch(/o: saw cid lost-write at id 3, history has c3/);
    const beyond = checkHistory(h, acksOf(h), [view('b', [6, 7])]).problems.join('\n');
    expect(beyond).toMatch(/b: saw id 7, which history does not hold/);
  });
});
