// The bus/history envelope (fill, decode, garbage) and the frame encoders: each one's JSON is the typed object it was given.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countEntry, decodeEntry, fillEntry, messageEntryTemplate, presenceEntry, storedEntry, storedMessage, transientEntry,
} from '../../app/src/bus/envelope.js';
import {
  ackFrame, asFrame, errorFrame, historyFrame, joinedFrame, leftFrame, membersFrame, messageFrame, messageParts,
  PONG_FRAME, presenceFrame, welcomeFrame, type Frame,
} from '../../app/src/protocol/encode.js';
import type {
  Ack, ChatMessage, ErrorCode, ErrorResponse, HistoryResponse, Joined, Left, Member, MembersResponse, Presence, Welcome,
} from '../../app/src/protocol/messages.js';

const alice: Member = { id: 'a-1', name: 'Alice' };

/** Any UTF-16 string: quotes, backslashes, newlines, control characters, lone surrogates, astral characters. */
const anyString = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\r', ' ', '\u2028', '\ud800', '\udfff', '😀', 'é', '\u0000', 'x') }),
  fc.string({ unit: 'binary' }),
);
const room = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/);
const member = fc.record({ id: anyString, name: anyString });
const nat = fc.nat({ max: 999_999_999_999_999 });
/** Message ids start at 1 (0 is what id-less presence frames use). */
const messageId = fc.integer({ min: 1, max: 999_999_999_999_999 });

function message(r: string, from: Member, text: string, cid: string, via: string, id: number, ts: number) {
  const expected: ChatMessage = { type: 'message', room: r, id, ts, from, text, cid, via };
  return { frame: messageFrame(messageParts(r, from, text, cid, via), id, ts), expected };
}
const messageArb = fc.tuple(room, member, anyString, anyString, anyString, nat, nat).map((a) => message(...a));
const parse = (f: Frame): unknown => JSON.parse(f);

describe('message entries', () => {
  it('round-trip through fillEntry and decodeEntry, awkward cids included', () => {
    const cids = ['c 1', 'with "quotes"', 'new\nline', 'back\\slash', 'ünïcödé 😀', '\ud800 lone', 'trail\udc00', ''];
    for (const cid of cids) {
      const entry = fillEntry(messageEntryTemplate('room-1', alice, 'hi\n"there"', cid, '1000'), 42, 1_700_000_000_123);
      const e = decodeEntry(entry);
      expect(e).toMatchObject({ kind: 'message', room: 'room-1', id: 42, ts: 1_700_000_000_123, cid });
      const frame = e && e.kind === 'message' ? e.frame : '';
      expect(JSON.parse(frame)).toEqual({
        type: 'message', room: 'room-1', id: 42, ts: 1_700_000_000_123, from: alice, text: 'hi\n"there"', cid, via: '1000',
      });
      expect(storedMessage(entry)).toEqual({ id: 42, cid, json: frame });
    }
  });

  it('round-trip for any text, cid, member and via (property)', () => {
    fc.assert(fc.property(room, member, anyString, anyString, anyString, messageId, nat, (r, from, text, cid, via, id, ts) => {
      const entry = fillEntry(messageEntryTemplate(r, from, text, cid, via), id, ts);
      const { frame, expected } = message(r, from, text, cid, via, id, ts);
      expect(decodeEntry(entry)).toEqual({ kind: 'message', room: r, id, ts, cid, frame });
      expect(JSON.parse(frame)).toEqual(expected);
    }));
  });
});

describe('presence entries', () => {
  it('p, s and c entries decode to their kind, room, count and frame', () => {
    const join = presenceFrame({ type: 'presence', room: 'r', event: 'join', member: alice, count: 3 });
    const sync = presenceFrame({ type: 'presence', room: 'r', event: 'sync', count: 1, members: [alice] });
    expect(decodeEntry(presenceEntry('p', 'r', 3, join))).toEqual({ kind: 'presence', room: 'r', count: 3, frame: join });
    expect(decodeEntry(presenceEntry('s', 'r', 1, sync))).toEqual({ kind: 'sync', room: 'r', count: 1, frame: sync });
    expect(decodeEntry(countEntry('big-room', 12_345))).toEqual({ kind: 'count', room: 'big-room', count: 12_345 });
    expect(storedMessage(presenceEntry('p', 'r', 3, join))).toBeNull();
  });
});

describe('update and transient entries', () => {
  it('an e entry is a log entry like m (its own id, ts and cid); storedEntry reads both, storedMessage only m', () => {
    const frame = asFrame('{"type":"update","room":"r","id":7,"ts":5,"target":3}');
    const entry = `e r 7 5 "c-7"\n${frame}`;
    expect(decodeEntry(entry)).toEqual({ kind: 'update', room: 'r', id: 7, ts: 5, cid: 'c-7', frame });
    expect(storedEntry(entry)).toEqual({ kind: 'update', id: 7, cid: 'c-7', json: frame });
    expect(storedMessage(entry)).toBeNull();
    const m = fillEntry(messageEntryTemplate('r', alice, 'hi', 'c-1', 'A'), 1, 2);
    expect(storedEntry(m)).toMatchObject({ kind: 'message', id: 1, cid: 'c-1' });
  });

  it('a t entry carries a room and a frame, nothing else; it is not a log entry', () => {
    const frame = asFrame('{"type":"typing","room":"r","members":[],"count":0}');
    expect(decodeEntry(transientEntry('r', frame))).toEqual({ kind: 'transient', room: 'r', frame });
    expect(storedEntry(transientEntry('r', frame))).toBeNull();
    expect(decodeEntry('t r\n')).toEqual({ kind: 'transient', room: 'r', frame: '' });
    expect(decodeEntry(`t r 1\n${frame}`)).toBeNull();
    expect(decodeEntry('t r')).toBeNull();
  });
});

describe('decodeEntry on garbage', () => {
  it('returns null for what is not an entry', () => {
    const garbage = [
      '', 'x', 'm', 'm r', 'm r 1 2', 'm r 1 2 "c"', 'mm r 1 2 "c"\n{}', ' m r 1 2 "c"\n{}', 'x r 1 2 "c"\n{}',
      'm r a 2 "c"\n{}', 'm r 1.5 2 "c"\n{}', 'm r 1 2 c\n{}', 'm r 1 2 5\n{}', 'm r 1 x "c"\n{}', 'm r 1 2 "c\n"}',
      'p r\n{}', 'p r x\n{}', 'p r 3', 's r 1.5\n{}', 'c r', 'c r x', 'c r 1.5', '{"type":"message"}',
    ];
    for (const g of garbage) expect(decodeEntry(g), JSON.stringify(g)).toBeNull();
  });

  // BUG (app/src/bus/envelope.ts): numbers are read with Number(), so an empty field reads as 0 and
  // hex, exponent or negative forms pass. Flip to `it` once decodeEntry accepts decimal digits only.
  it('an empty, negative or non-decimal number field is garbage too', () => {
    for (const g of ['c r ', 'm r  5 "c"\n{}', 'm r -1 5 "c"\n{}', 'p r 0x10\n{}', 'm r 1e3 5 "c"\n{}']) {
      expect(decodeEntry(g), JSON.stringify(g)).toBeNull();
    }
  });

  it('never throws, and what it accepts is well-formed (property)', () => {
    const headish = fc.string({ unit: fc.constantFrom('m', 'e', 't', 'y', 'p', 's', 'c', ' ', '\n', '"', '1', '0', '-', '.', 'r', '{', '}', '\\') });
    fc.assert(fc.property(fc.oneof(anyString, headish), (s) => {
      const e = decodeEntry(s);
      if (e?.kind === 'message' || e?.kind === 'update') {
        expect(Number.isSafeInteger(e.id)).toBe(true);
        expect(typeof e.cid).toBe('string');
      } else if (e?.kind === 'transient') {
        expect(e.room).not.toContain(' ');
      } else if (e?.kind === 'typing') {
        expect(typeof e.member.id).toBe('string');
      } else if (e) {
        expect(Number.isSafeInteger(e.count)).toBe(true);
      }
    }), { numRuns: 2000 });
  });
});

describe('frame encoders (property: the JSON is the typed object given)', () => {
  const same = <T>(f: Frame, expected: T): void => { expect(parse(f)).toEqual(expected); };

  it('welcome, left, ack, pong', () => {
    fc.assert(fc.property(anyString, anyString, member, anyString, nat, nat, (appId, session, m, s, id, ts) => {
      const w: Welcome = { type: 'welcome', appId, session, member: m };
      same(welcomeFrame(w), w);
      const l: Left = { type: 'left', room: s };
      same(leftFrame(l), l);
      const a: Ack = { type: 'ack', cid: s, room: appId, id, ts };
      same(ackFrame(a), a);
    }));
    same(PONG_FRAME, { type: 'pong' });
  });

  it('error, with and without cid and retryAfterMs', () => {
    const code = fc.constantFrom<ErrorCode>('bad_request', 'not_identified', 'not_joined', 'rate_limited', 'unavailable');
    fc.assert(fc.property(code, anyString, fc.option(anyString, { nil: undefined }), fc.option(nat, { nil: undefined }),
      (c, message, cid, retryAfterMs) => {
        const e: ErrorResponse = { type: 'error', code: c, message };
        if (cid !== undefined) e.cid = cid;
        if (retryAfterMs !== undefined) e.retryAfterMs = retryAfterMs;
        same(errorFrame(e), e);
      }));
  });

  it('message, joined and history (stored frames spliced in)', () => {
    fc.assert(fc.property(messageArb, anyString, fc.array(messageArb, { maxLength: 4 }), fc.array(member, { maxLength: 4 }),
      nat, nat, fc.boolean(), fc.boolean(), (one, r, msgs, members, count, last, membersTruncated, truncated) => {
        same(one.frame, one.expected);
        const j: Joined = { type: 'joined', room: r, count, members, messages: msgs.map((m) => m.expected), last };
        if (membersTruncated) j.membersTruncated = true;
        if (truncated) j.truncated = true;
        same(joinedFrame({ ...j, membersTruncated, truncated }, msgs.map((m) => m.frame)), j);
        const h: HistoryResponse = { type: 'history', room: r, messages: msgs.map((m) => m.expected) };
        same(historyFrame(r, msgs.map((m) => m.frame)), h);
      }));
  });

  it('members, with and without next', () => {
    fc.assert(fc.property(anyString, fc.array(member, { maxLength: 5 }), fc.option(anyString, { nil: undefined }), (r, members, next) => {
      const m: MembersResponse = { type: 'members', room: r, members };
      if (next !== undefined) m.next = next;
      same(membersFrame(m), m);
    }));
  });

  it('presence: join/leave with and without count, count, sync', () => {
    const presence: fc.Arbitrary<Presence> = fc.oneof(
      fc.record({ type: fc.constant('presence' as const), room: anyString, event: fc.constantFrom('join' as const, 'leave' as const), member }),
      fc.record({ type: fc.constant('presence' as const), room: anyString, event: fc.constantFrom('join' as const, 'leave' as const), member, count: nat }),
      fc.record({ type: fc.constant('presence' as const), room: anyString, event: fc.constant('count' as const), count: nat }),
      fc.record({ type: fc.constant('presence' as const), room: anyString, event: fc.constant('sync' as const), count: nat, members: fc.array(member, { maxLength: 5 }) }),
    );
    fc.assert(fc.property(presence, (p) => { same(presenceFrame(p), p); }));
  });

  it('members are written as id and name only', () => {
    const extra = { id: 'x', name: 'X', token: 'secret' } as Member;
    expect(parse(welcomeFrame({ appId: '1', session: 's', member: extra }))).toEqual({ type: 'welcome', appId: '1', session: 's', member: { id: 'x', name: 'X' } });
  });
});
