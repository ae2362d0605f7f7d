// The load tool's big-room accounting: per-member presence tallies, member-page verification,
// count propagation, cross-server agreement, the probe's failure lines and the big-room bench load.
import { describe, expect, it } from 'vitest';
import { bigRoomLoad } from '../../bench/lib/big-room.js';
import { probeFailures, QUIET_MAX_MS, type LoadReport } from '../../bench/lib/load.js';
import { countAgreement, countsText, distribution, MemberPages, PresenceTally, propagation } from '../../bench/lib/presence-stats.js';
import { EV_COUNT, EV_JOIN, EV_LEAVE, EV_SYNC } from '../../bench/lib/wire.js';

describe('distribution', () => {
  it('is all zeros when empty', () => {
    expect(distribution([])).toEqual({ mean: 0, p50: 0, p90: 0, p99: 0, max: 0, min: 0, total: 0, n: 0 });
  });

  it('gives nearest-rank percentiles of unsorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    const d = distribution(values);
    expect([d.min, d.p50, d.p90, d.p99, d.max, d.n, d.total, d.mean]).toEqual([1, 50, 90, 99, 100, 100, 5050, 50.5]);
    expect(distribution([7])).toMatchObject({ p50: 7, p99: 7, max: 7, mean: 7 });
    expect(distribution([1, 1, 1, 40])).toMatchObject({ p50: 1, p90: 40, max: 40, mean: 10.75 });
  });
});

describe('PresenceTally', () => {
  it('counts frames and bytes per member, by event, over the given members only', () => {
    const t = new PresenceTally(4);
    t.record(0, EV_JOIN, 100);
    t.record(0, EV_JOIN, 100);
    t.record(0, EV_COUNT, 50);
    t.record(1, EV_COUNT, 50);
    t.record(2, EV_SYNC, 1000);
    t.record(3, EV_LEAVE, 10); // client 3 is not a member (never got ready)
    const s = t.summary([0, 1, 2]);
    expect(s.members).toBe(3);
    expect(s.frames).toMatchObject({ total: 5, max: 3, min: 1, mean: 1.67 });
    expect(s.bytes).toMatchObject({ total: 1300, max: 1000, min: 50 });
    expect(s.byEvent.join).toMatchObject({ total: 2, max: 2, p50: 0 });
    expect(s.byEvent.count).toMatchObject({ total: 2, max: 1, p50: 1 });
    expect(s.byEvent.sync.total).toBe(1);
    expect(s.byEvent.leave.total).toBe(0);
    expect(t.totals()).toEqual({ join: 2, leave: 1, count: 2, sync: 1, other: 0, bytes: 1310 });
  });
});

const ids = (...n: number[]) => n.map((k) => ({ id: `m${String(k).padStart(4, '0')}` }));
const set = (...n: number[]) => new Set(ids(...n).map((m) => m.id));

describe('MemberPages', () => {
  it('accepts a complete ascending list over several pages', () => {
    const p = new MemberPages();
    p.add(ids(1, 2, 3));
    p.add(ids(4, 5));
    p.add([]);
    const c = p.check(set(1, 2, 3, 4, 5));
    expect(c).toMatchObject({ pages: 3, listed: 5, unique: 5, duplicates: 0, outOfOrder: 0, missing: 0, unexpected: 0, ok: true });
  });

  it('finds a member listed twice (across pages), one missing, and an unexpected one', () => {
    const p = new MemberPages();
    p.add(ids(1, 2, 3));
    p.add(ids(3, 5, 9)); // 3 again (and not ascending), 4 missing, 9 unexpected
    const c = p.check(set(1, 2, 3, 4, 5));
    expect(c).toMatchObject({ listed: 6, unique: 5, duplicates: 1, outOfOrder: 1, missing: 1, unexpected: 1, unexpectedKnown: 0, ok: false });
    expect(c.missingSample).toEqual(['m0004']);
    expect(c.unexpectedSample).toEqual(['m0009']);
    expect(c.duplicateSample).toEqual(['m0003']);
  });

  it('tells lingering members of this run (clients that timed out) from unknown ones, and flags order', () => {
    const p = new MemberPages();
    p.add(ids(2, 1, 7, 8));
    const c = p.check(set(1, 2), set(7));
    expect(c).toMatchObject({ outOfOrder: 1, unexpected: 2, unexpectedKnown: 1, ok: false });
  });
});

describe('propagation', () => {
  it('counts members that saw the target within the window, and when', () => {
    const r = propagation([
      [10, 101], // next frame carries it
      [5, 100, 900, 101], // a stale count first, then the new one
      [50, 100], // never the target
      undefined, // nothing at all
      [3500, 101], // too late for a 3 s window
      [2999, 101, 3100, 101],
    ], 101, 3000);
    expect(r).toMatchObject({ members: 6, target: 101, reached: 3, nextMatched: 2, silent: 2, fraction: 0.5 });
    expect(r.ms).toMatchObject({ min: 10, max: 2999, n: 3 });
  });

  it('is 0 of 0 without members', () => {
    expect(propagation([], 5, 3000)).toMatchObject({ members: 0, reached: 0, fraction: 0 });
  });
});

describe('countAgreement', () => {
  it('is exact when every server reports the expected count', () => {
    const a = countAgreement([{ appId: '1000', count: 9 }, { appId: '2000', count: 9 }, { appId: '1000', count: 9 }], 9, ['1000', '2000']);
    expect(a).toMatchObject({ agree: true, exact: true, unreached: [], appIds: ['1000', '2000'] });
    expect(a.byAppId).toEqual({ 1000: [9, 9], 2000: [9] });
  });

  it('tells agreeing-but-wrong from disagreeing, and names APPIDs no probe reached', () => {
    expect(countAgreement([{ appId: 'a', count: 8 }, { appId: 'b', count: 8 }], 9)).toMatchObject({ agree: true, exact: false });
    expect(countAgreement([{ appId: 'a', count: 9 }, { appId: 'b', count: 10 }], 9, ['a', 'b', 'c']))
      .toMatchObject({ agree: false, exact: false, unreached: ['c'] });
    expect(countAgreement([{ appId: 'a', count: 9 }, { appId: '?', count: null, error: 'closed 1006' }], 9)).toMatchObject({ agree: false, exact: false });
    expect(countAgreement([], 9)).toMatchObject({ agree: false, exact: false });
  });

  it('prints the distinct counts per APPID', () => {
    expect(countsText([{ appId: 'a', count: 9 }, { appId: 'b', count: 9 }, { appId: 'a', count: 9 }, { appId: 'b', count: 8 },
      { appId: '?', count: null, error: 'ECONNREFUSED' }])).toBe('a: 9, b: 9/8, ?: ECONNREFUSED');
  });
});

describe('probeFailures', () => {
  type Probe = NonNullable<LoadReport['probe']>;
  const good: Probe = {
    error: null, appId: '1000', memberId: 'p', joinedCount: 11, expectedCount: 11, exact: true, joinMs: 3,
    members: { pages: 1, listed: 11, unique: 11, duplicates: 0, outOfOrder: 0, missing: 0, unexpected: 0, unexpectedKnown: 0,
      missingSample: [], unexpectedSample: [], duplicateSample: [], ok: true, ms: 2, error: null },
    servers: { via: 'lb', samples: [{ appId: '1000', count: 11 }, { appId: '2000', count: 11 }], byAppId: { 1000: [11], 2000: [11] },
      appIds: ['1000', '2000'], agree: true, exact: true, unreached: [] },
    propagation: { members: 10, target: 11, windowMs: 3000, reached: 10, fraction: 1, nextMatched: 10, silent: 0, ms: distribution([5]) },
  };

  it('is empty when every check held', () => {
    expect(probeFailures(good, true)).toEqual([]);
    expect(probeFailures(null, null)).toEqual([]);
  });

  it('names each check that did not hold', () => {
    const bad: Probe = {
      ...good, joinedCount: 12, exact: false,
      members: { ...good.members!, missing: 1, ok: false, error: 'members: error bad_request: not supported' },
      servers: { ...good.servers!, samples: [{ appId: '1000', count: 12 }, { appId: '2000', count: 11 }], agree: false, exact: false, unreached: ['3000'] },
      propagation: { ...good.propagation!, reached: 7 },
    };
    const f = probeFailures(bad, false);
    expect(f).toEqual([
      `presence did not go quiet within ${QUIET_MAX_MS / 1000} s`,
      'probe joined.count 12, expected 11',
      expect.stringMatching(/^member list: members: error bad_request: not supported; 11 listed of 11, missing 1/),
      'servers disagree on the count: 1000: 12, 2000: 11 (expected 11)',
      'probe did not reach APPID 3000',
      '3 of 10 members did not see count 11 within 3 s',
    ]);
    expect(probeFailures({ ...good, error: 'hello: connection ECONNREFUSED', joinedCount: null, exact: false, members: null, servers: null, propagation: null }, null))
      .toEqual(['probe: hello: connection ECONNREFUSED']);
  });
});

describe('bigRoomLoad', () => {
  it('joins 8000 members over 10 s from 40 addresses, with the probe asking every server', () => {
    const plan = { clients: 8000, rate: 10, senders: 10, duration: 10, warmup: 3 };
    const urls = ['ws://127.0.0.1:1/ws', 'ws://127.0.0.1:2/ws'];
    expect(bigRoomLoad(plan, 8000, { kind: 'cluster', wire: 'livechat', serverUrls: urls })).toMatchObject({
      clients: 8000, rooms: 1, ramp: 10, localIps: 40, rate: 10, senders: 10, duration: 10, warmup: 3, probe: true, probeUrls: urls,
    });
    expect(bigRoomLoad(plan, 2000, { kind: 'socketio', wire: 'socketio', serverUrls: [] })).toMatchObject({ ramp: 2.5, localIps: 10, probe: false, probeUrls: [] });
    // raw ws behind HAProxy speaks livechat's wire but has no presence: no probe.
    expect(bigRoomLoad(plan, 2000, { kind: 'raw-haproxy', wire: 'livechat', serverUrls: [] })).toMatchObject({ probe: false, probeUrls: [] });
    expect(bigRoomLoad(plan, 10, { kind: 'cluster', wire: 'livechat', serverUrls: [] }).localIps).toBe(1);
  });
});
