// The load tool's delivery accounting: in-order, duplicate, out-of-order and lost deliveries per client.
import { describe, expect, it } from 'vitest';
import { AckedIds, DeliveryLedger } from '../../bench/lib/ledger.js';

describe('DeliveryLedger', () => {
  it('accepts an ascending run without complaint', () => {
    const l = new DeliveryLedger(0, 8);
    for (let id = 1; id <= 5000; id++) expect(l.record(id)).toBe('ok'); // grows past its initial size
    expect([l.received, l.duplicates, l.outOfOrder, l.highest]).toEqual([5000, 0, 0, 5000]);
    expect(l.caughtUp(5000)).toBe(true);
    expect(l.caughtUp(5001)).toBe(false);
  });

  it('counts a repeated id as a duplicate, not a new delivery', () => {
    const l = new DeliveryLedger(0);
    l.record(1);
    l.record(2);
    expect(l.record(2)).toBe('dup');
    expect(l.record(1)).toBe('dup');
    expect([l.received, l.duplicates, l.outOfOrder]).toEqual([2, 2, 0]);
  });

  it('counts ids at or below the joined `last` as duplicates (they came in joined.messages)', () => {
    const l = new DeliveryLedger(10);
    expect(l.record(10)).toBe('dup');
    expect(l.record(3)).toBe('dup');
    expect(l.record(11)).toBe('ok');
    expect(l.duplicates).toBe(2);
  });

  it('counts a late lower id as out of order, once', () => {
    const l = new DeliveryLedger(0);
    l.record(1);
    l.record(3);
    expect(l.record(2)).toBe('ooo');
    expect(l.record(2)).toBe('dup');
    expect([l.received, l.outOfOrder, l.duplicates, l.highest]).toEqual([3, 1, 1, 3]);
  });

  it('finds the acked ids a client never received, ignoring ids before it joined', () => {
    const acked = new AckedIds();
    for (const id of [4, 5, 6, 7, 8, 9]) acked.add(id);
    const l = new DeliveryLedger(5);
    l.record(6);
    l.record(8);
    expect(l.lostAmong(acked.all())).toBe(2); // 7 and 9; 4 and 5 predate the join
    expect(l.caughtUp(9)).toBe(false);
    l.record(9);
    l.record(7);
    expect(l.lostAmong(acked.all())).toBe(0);
    expect(l.outOfOrder).toBe(1);
  });

  it('does not count ids acked to nobody (other traffic) as lost', () => {
    const acked = new AckedIds();
    acked.add(2);
    const l = new DeliveryLedger(0);
    l.record(2);
    expect(l.lostAmong(acked.all())).toBe(0);
    expect(l.has(1)).toBe(false);
    expect(l.has(2)).toBe(true);
    expect(l.has(1_000_000)).toBe(false);
  });
});

describe('AckedIds', () => {
  it('tracks count and max', () => {
    const a = new AckedIds();
    a.add(3);
    a.add(1);
    a.add(2);
    expect([a.count, a.max]).toEqual([3, 3]);
  });
});
