// Unit tests of the request parser: every rule of the protocol, and a property test that no input throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanName, parseRequest, validateRequest } from '@livechat/protocol';

const ok = (v: unknown) => {
  const r = validateRequest(v);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const bad = (v: unknown) => {
  const r = validateRequest(v);
  expect(r.ok).toBe(false);
  return r.ok ? undefined : r.error;
};

describe('parseRequest', () => {
  it('rejects non-JSON and non-objects', () => {
    expect(parseRequest('{').ok).toBe(false);
    for (const v of [null, 1, 'x', [], true]) bad(v);
    bad({});
    bad({ type: 1 });
    bad({ type: 'nope' });
  });

  it('rid: 1-64 characters, kept on the request and on its error; an unusable rid is the error', () => {
    expect(ok({ type: 'ping', rid: 'r1' })).toEqual({ type: 'ping', rid: 'r1' });
    expect(ok({ type: 'join', room: 'lobby', rid: 'x'.repeat(64) })).toEqual({ type: 'join', room: 'lobby', rid: 'x'.repeat(64) });
    expect(ok({ type: 'ping' })).toEqual({ type: 'ping' });
    expect(bad({ type: 'join', room: 'Lobby!', rid: 'r2' })).toMatchObject({ rid: 'r2' });
    expect(bad({ type: 'send', room: 'lobby', text: '', cid: 'c', rid: 'r3' })).toMatchObject({ rid: 'r3', cid: 'c' });
    expect(bad({ type: 'nope', rid: 'r4' })).toMatchObject({ rid: 'r4', message: 'unknown request type' });
    for (const rid of ['', 'x'.repeat(65), 7, null, {}]) {
      const e = bad({ type: 'ping', rid });
      expect(e?.message).toMatch(/rid must be/);
      expect(e?.rid).toBeUndefined();
    }
  });

  it('hello: refuses control characters and lone surrogates; NFKC, invisible characters stripped, trimmed; 1-32 with one visible; optional session', () => {
    bad({ type: 'hello', name: 'Bob\u0007' });
    bad({ type: 'hello', name: 'Al\u0000ice' });
    bad({ type: 'hello', name: 'Bo\u0085b' });
    bad({ type: 'hello', name: 'Bob\ud800' });
    bad({ type: 'hello', name: '\u200b\u200e\u3164' });
    bad({ type: 'hello', name: '\u2800 \u115f' });
    expect(ok({ type: 'hello', name: '  Al\u200bi\u202ece\u2066 ' })).toEqual({ type: 'hello', name: 'Alice' });
    expect(ok({ type: 'hello', name: 'ＡＬＩＣＥ' })).toEqual({ type: 'hello', name: 'ALICE' });
    expect(ok({ type: 'hello', name: 'ﬁsh' })).toEqual({ type: 'hello', name: 'fish' });
    expect(ok({ type: 'hello', name: 'x', session: 's' })).toEqual({ type: 'hello', name: 'x', session: 's' });
    expect(ok({ type: 'hello', name: '😀'.repeat(32) })).toMatchObject({ type: 'hello' });
    bad({ type: 'hello', name: '😀'.repeat(33) });
    bad({ type: 'hello', name: '   ' });
    bad({ type: 'hello', name: '\u0001\u0002' });
    bad({ type: 'hello' });
    bad({ type: 'hello', name: 5 });
    bad({ type: 'hello', name: 'x', session: 5 });
  });

  it('join: room pattern and after >= 0 integer', () => {
    expect(ok({ type: 'join', room: 'lobby' })).toEqual({ type: 'join', room: 'lobby' });
    expect(ok({ type: 'join', room: 'a-b_c9', after: 0 })).toEqual({ type: 'join', room: 'a-b_c9', after: 0 });
    expect(ok({ type: 'join', room: 'a'.repeat(32) })).toMatchObject({ type: 'join' });
    for (const room of ['', 'A', '-x', 'a'.repeat(33), 'a b', 'ä', 5, undefined]) bad({ type: 'join', room });
    for (const after of [-1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 1]) bad({ type: 'join', room: 'r', after });
  });

  it('send: text trimmed 1-4000, cid 1-64, errors carry a usable cid', () => {
    expect(ok({ type: 'send', room: 'r', text: '  hi  ', cid: 'c' })).toEqual({ type: 'send', room: 'r', text: 'hi', cid: 'c' });
    expect(ok({ type: 'send', room: 'r', text: 'x'.repeat(4000), cid: 'c' })).toMatchObject({ type: 'send' });
    expect(bad({ type: 'send', room: 'r', text: 'x'.repeat(4001), cid: 'c1' })).toMatchObject({ cid: 'c1' });
    expect(bad({ type: 'send', room: 'r', text: '   ', cid: 'c2' })).toMatchObject({ cid: 'c2' });
    expect(bad({ type: 'send', room: 'BAD', text: 'x', cid: 'c3' })).toMatchObject({ cid: 'c3' });
    expect(bad({ type: 'send', room: 'r', text: 'x', cid: '' })?.cid).toBeUndefined();
    bad({ type: 'send', room: 'r', text: 'x', cid: 'c'.repeat(65) });
    bad({ type: 'send', room: 'r', text: 5, cid: 'c' });
    // control characters other than tab and newline, and lone surrogates, are refused (naming the cid)
    expect(bad({ type: 'send', room: 'r', text: 'a\u0000b', cid: 'c4' })).toMatchObject({ cid: 'c4' });
    bad({ type: 'send', room: 'r', text: '\u0007'.repeat(4000), cid: 'c' });
    bad({ type: 'send', room: 'r', text: 'a\rb', cid: 'c' });
    bad({ type: 'send', room: 'r', text: 'a\u009bb', cid: 'c' });
    bad({ type: 'send', room: 'r', text: 'half \udc00', cid: 'c' });
    expect(ok({ type: 'send', room: 'r', text: 'a\tb\nc 😀', cid: 'c' })).toMatchObject({ text: 'a\tb\nc 😀' });
  });

  it('history: before or after (not both), limit 1-200', () => {
    expect(ok({ type: 'history', room: 'r' })).toEqual({ type: 'history', room: 'r' });
    expect(ok({ type: 'history', room: 'r', before: 10, limit: 200 })).toEqual({ type: 'history', room: 'r', before: 10, limit: 200 });
    expect(ok({ type: 'history', room: 'r', after: 0, limit: 1 })).toEqual({ type: 'history', room: 'r', after: 0, limit: 1 });
    bad({ type: 'history', room: 'r', before: 1, after: 2 });
    for (const limit of [0, 201, 1.5, '5']) bad({ type: 'history', room: 'r', limit });
  });

  it('leave and ping', () => {
    expect(ok({ type: 'leave', room: 'r' })).toEqual({ type: 'leave', room: 'r' });
    bad({ type: 'leave' });
    expect(ok({ type: 'ping' })).toEqual({ type: 'ping' });
  });

  it('cleanName keeps ordinary unicode', () => {
    expect(cleanName(' Zoë 李 ')).toBe('Zoë 李');
  });

  it('never throws, whatever the input (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const r = parseRequest(s);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 2000 });
    const types = fc.constantFrom('hello', 'join', 'leave', 'send', 'history', 'members', 'ping', 'x');
    fc.assert(fc.property(fc.record({ type: types }, { requiredKeys: [] }).chain((base) =>
      fc.dictionary(fc.constantFrom('name', 'session', 'room', 'after', 'before', 'limit', 'text', 'cid', '__proto__', 'toString'), fc.jsonValue())
        .map((extra) => ({ ...extra, ...base }))), (obj) => {
      const r = parseRequest(JSON.stringify(obj));
      if (r.ok) expect(['hello', 'join', 'leave', 'send', 'history', 'members', 'ping']).toContain(r.value.type);
    }), { numRuns: 3000 });
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(() => validateRequest(v)).not.toThrow();
    }), { numRuns: 2000 });
  });
});
