// The page's reader of server frames (chat-front/src/frames.ts): anything at all — not JSON, wrong
// types, missing fields, hostile keys, dates Intl cannot format, absurd retry delays — is dropped or
// rebuilt into exactly the protocol's shape, and it never throws (a property test over arbitrary JSON).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, readMember, readMessage, readServerFrame, readServerMessage } from '../../chat-front/src/frames.js';

const ann = { id: '3f2a9c1e-0000-4000-8000-000000000001', name: 'Ann' };
const message = { type: 'message', room: 'lobby', id: 7, ts: 1_700_000_000_000, from: ann, text: 'hi', cid: 'c7', via: '1000' };
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

describe('readServerFrame', () => {
  it('passes well-formed frames through as the same data', () => {
    const frames = [
      { type: 'welcome', appId: '1000', session: 's', member: ann },
      { type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [message], last: 7 },
      { type: 'joined', room: 'lobby', count: 300, members: [ann], membersTruncated: true, messages: [], last: 0, truncated: true },
      { type: 'left', room: 'lobby' },
      { type: 'ack', cid: 'c7', room: 'lobby', id: 7, ts: 1 },
      message,
      { type: 'presence', room: 'lobby', event: 'join', member: ann, count: 2 },
      { type: 'presence', room: 'lobby', event: 'leave', member: ann },
      { type: 'presence', room: 'lobby', event: 'count', count: 250 },
      { type: 'presence', room: 'lobby', event: 'sync', count: 1, members: [ann] },
      { type: 'history', room: 'lobby', messages: [message] },
      { type: 'members', room: 'lobby', members: [ann], next: ann.id },
      { type: 'members', room: 'lobby', members: [] },
      { type: 'pong' },
      { type: 'error', code: 'rate_limited', message: 'slow down', retryAfterMs: 250 },
      { type: 'error', code: 'bad_request', message: 'no', cid: 'c1' },
    ];
    for (const f of frames) expect(readServerFrame(JSON.stringify(f))).toEqual(f);
  });

  it('drops what is not a frame', () => {
    for (const text of ['', 'null', '42', '"welcome"', '[]', '{}', '{"type":7}', '{"type":"nope"}', '{"type":"message"', '\u0000']) {
      expect(readServerFrame(text)).toBeNull();
    }
    expect(readServerFrame(new ArrayBuffer(4))).toBeNull();
    expect(readServerFrame(undefined)).toBeNull();
  });

  it('drops frames whose fields the page reads have the wrong type', () => {
    const bad: object[] = [
      { type: 'welcome', appId: '1', session: 5, member: ann },
      { type: 'welcome', appId: '1', session: 's', member: { id: 1, name: 'x' } },
      { type: 'welcome', appId: '1', session: 's' },
      { type: 'joined', room: 5, members: [], messages: [] },
      { ...message, id: '7' },
      { ...message, id: -1 },
      { ...message, id: 1.5 },
      { ...message, from: null },
      { ...message, text: { toString: 1 } },
      { ...message, ts: 1e300 }, // Intl would throw a RangeError formatting it
      { ...message, ts: null },
      { type: 'ack', cid: 'c', room: 'lobby', id: 0, ts: 1 },
      { type: 'presence', room: 'lobby', event: 'join' },
      { type: 'presence', room: 'lobby', event: 'count', count: -3 },
      { type: 'presence', room: 'lobby', event: 'sync', count: 1, members: 'everyone' },
      { type: 'presence', room: 'lobby', event: 'explode' },
      { type: 'history', room: 'lobby', messages: null },
      { type: 'members', room: 'lobby' },
    ];
    for (const f of bad) expect(readServerFrame(JSON.stringify(f)), JSON.stringify(f)).toBeNull();
  });

  it('keeps the well-formed entries of a list and rebuilds each without extra fields', () => {
    const f = readServerMessage({
      type: 'joined', room: 'lobby', count: 'many', last: 'x',
      members: [ann, null, 5, { id: '', name: 'empty id' }, { id: 'b', name: 'Bob', isAdmin: true }],
      messages: [message, { ...message, id: 'eight' }, 'text', { ...message, id: 9, extra: '<b>' }],
    });
    expect(f).toEqual({
      type: 'joined', room: 'lobby', count: 2, last: 0,
      members: [ann, { id: 'b', name: 'Bob' }],
      messages: [message, { ...message, id: 9 }],
    });
  });

  it('is not fooled by __proto__ keys or prototype pollution attempts', () => {
    const f = readServerFrame('{"type":"message","room":"lobby","id":1,"ts":1,"text":"x","cid":"c","via":"1","from":{"id":"__proto__","name":"P"},"__proto__":{"polluted":true}}');
    expect(f).toEqual({ type: 'message', room: 'lobby', id: 1, ts: 1, text: 'x', cid: 'c', via: '1', from: { id: '__proto__', name: 'P' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('clamps a retry delay into [0, 60 s] and gives a message to an error without one', () => {
    expect(readServerMessage({ type: 'error', code: 'rate_limited', retryAfterMs: 1e15 })).toEqual({
      type: 'error', code: 'rate_limited', message: 'The server could not do that.', retryAfterMs: MAX_RETRY_AFTER_MS,
    });
    expect(readServerMessage({ type: 'error', code: 'unavailable', message: 'x', retryAfterMs: -5 })).toMatchObject({ retryAfterMs: 0 });
    expect(readServerMessage({ type: 'error', code: 'unavailable', message: 'x', retryAfterMs: 'soon' })).not.toHaveProperty('retryAfterMs');
  });

  it('never throws, and whatever it returns can be formatted and read (arbitrary JSON, and frame-shaped values)', () => {
    const member = fc.record({ id: fc.oneof(fc.string(), fc.integer()), name: fc.oneof(fc.string(), fc.constant(null)) });
    const msg = fc.record({
      type: fc.constant('message'), room: fc.oneof(fc.constant('lobby'), fc.string(), fc.integer()),
      id: fc.oneof(fc.integer(), fc.double(), fc.string()), ts: fc.oneof(fc.double(), fc.integer(), fc.constant(8.64e15 + 1)),
      from: fc.oneof(member, fc.anything()), text: fc.oneof(fc.string(), fc.anything()), cid: fc.string(), via: fc.anything(),
    }, { requiredKeys: [] });
    const frameLike = fc.record({
      type: fc.constantFrom('welcome', 'joined', 'left', 'ack', 'message', 'presence', 'history', 'members', 'pong', 'error', 'update', 'typing'),
      target: fc.anything(), delete: fc.anything(), replyTo: fc.anything(), reactions: fc.anything(), editedAt: fc.anything(),
      edit: fc.oneof(fc.record({ text: fc.anything(), editedAt: fc.anything() }), fc.anything()),
      reaction: fc.oneof(fc.record({ emoji: fc.oneof(fc.string(), fc.anything()), on: fc.anything(), count: fc.anything() }), fc.anything()),
      room: fc.oneof(fc.constant('lobby'), fc.anything()), event: fc.constantFrom('join', 'leave', 'count', 'sync', 'x'),
      member: fc.oneof(member, fc.anything()), members: fc.oneof(fc.array(fc.oneof(member, fc.anything())), fc.anything()),
      messages: fc.oneof(fc.array(fc.oneof(msg, fc.anything())), fc.anything()), count: fc.anything(), last: fc.anything(),
      id: fc.anything(), ts: fc.anything(), cid: fc.anything(), session: fc.anything(), appId: fc.anything(),
      code: fc.anything(), message: fc.anything(), retryAfterMs: fc.anything(), next: fc.anything(),
    }, { requiredKeys: ['type'] });
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), frameLike, msg), (value) => {
      let text: string;
      try { text = JSON.stringify(value) ?? 'null'; } catch { return true; }
      const f = readServerFrame(text);
      if (f === null) return true;
      const msgs = f.type === 'message' ? [f] : f.type === 'joined' || f.type === 'history' ? f.messages : [];
      for (const m of msgs) {
        timeFmt.format(m.ts);
        new Date(m.ts).toISOString();
        if (m.type === 'message') expect(typeof m.text).toBe('string');
        expect(readMember(m.from)).toEqual(m.from);
      }
      if ('room' in f) expect(typeof f.room).toBe('string');
      if (f.type === 'update') expect([f.edit, f.delete, f.reaction].filter((x) => x !== undefined)).toHaveLength(1);
      return true;
    }), { numRuns: 2000 });
  });

  it('readMessage and readMember reject non-objects', () => {
    for (const v of [null, undefined, 1, 'x', [], [message]]) {
      expect(readMessage(v)).toBeNull();
      expect(readMember(v)).toBeNull();
    }
  });
});

describe('a message\'s life: the new fields, `update` and `typing` frames', () => {
  const bob = { id: 'b0b', name: 'Bob' };
  const reply = { ...message, id: 8, replyTo: { id: 7, from: ann, text: 'hi' }, editedAt: 1_700_000_000_500, reactions: [{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }] };
  const update = { type: 'update', room: 'lobby', id: 9, ts: 1_700_000_001_000, target: 7, from: bob, via: '2000', cid: 'u9' };

  it('passes well-formed ones through as the same data', () => {
    const frames = [
      reply,
      { ...message, id: 10, text: '', deleted: true },
      { ...update, edit: { text: 'better', editedAt: 1_700_000_001_000 } },
      { ...update, delete: true },
      { ...update, reaction: { emoji: '❤️', on: false, count: 0 } },
      { type: 'typing', room: 'lobby', members: [ann, bob], count: 2 },
      { type: 'typing', room: 'lobby', members: [], count: 0 },
      { type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [message, { ...update, reaction: { emoji: '👍', on: true, count: 1 } }], last: 9 },
    ];
    for (const f of frames) expect(readServerFrame(JSON.stringify(f)), JSON.stringify(f)).toEqual(f);
  });

  it('drops an update without exactly one well-formed change, or with a bad target, member, emoji or count', () => {
    const bad: object[] = [
      update,
      { ...update, edit: { text: 'x', editedAt: 1 }, delete: true },
      { ...update, delete: false },
      { ...update, edit: { text: 5, editedAt: 1 } },
      { ...update, edit: { text: 'x', editedAt: 1e300 } },
      { ...update, reaction: { emoji: '👍', on: 'yes', count: 1 } },
      { ...update, reaction: { emoji: '👍', on: true, count: -1 } },
      { ...update, reaction: { emoji: '', on: true, count: 1 } },
      { ...update, reaction: { emoji: '👍'.repeat(9), on: true, count: 1 } }, // over 32 bytes
      { ...update, reaction: { emoji: '\u0000', on: true, count: 1 } },
      { ...update, delete: true, target: 0 },
      { ...update, delete: true, target: '7' },
      { ...update, delete: true, from: { id: '' } },
      { ...update, delete: true, room: 7 },
      { type: 'typing', room: 'lobby', members: 'Bob', count: 1 },
      { type: 'typing', room: 5, members: [], count: 0 },
    ];
    for (const f of bad) expect(readServerFrame(JSON.stringify(f)), JSON.stringify(f)).toBeNull();
  });

  it('keeps a message whose optional parts are malformed, without them; a tombstone carries nothing else', () => {
    expect(readMessage({ ...message, replyTo: { id: 'x', from: ann, text: 'q' }, editedAt: 'yesterday', reactions: 'lots' })).toEqual(message);
    expect(readMessage({ ...message, replyTo: { id: 3, from: ann, text: 'q'.repeat(401) } })).toEqual(message); // a quote is ≤ 200 characters
    expect(readMessage({ ...message, deleted: true, text: 'secret', replyTo: reply.replyTo, reactions: reply.reactions }))
      .toEqual({ ...message, text: '', deleted: true });
    // Reactions: counts ≥ 1, each emoji once, at most 20.
    const many = Array.from({ length: 25 }, (_, i) => ({ emoji: String.fromCodePoint(0x1f600 + i), count: i }));
    const r = readMessage({ ...message, reactions: [...many, { emoji: '😁', count: 9 }, { emoji: 5, count: 1 }] })!.reactions!;
    expect(r).toHaveLength(20);
    expect(r[0]).toEqual({ emoji: '😁', count: 1 });
    expect(r.every((x) => x.count >= 1)).toBe(true);
    expect(new Set(r.map((x) => x.emoji)).size).toBe(20);
  });

  it('a typing frame lists at most 5 members and counts no fewer than it lists', () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, name: `M${i}` }));
    expect(readServerMessage({ type: 'typing', room: 'lobby', members: [...six, null], count: 'x' }))
      .toEqual({ type: 'typing', room: 'lobby', members: six.slice(0, 5), count: 5 });
    expect(readServerMessage({ type: 'typing', room: 'lobby', members: [ann], count: 0 })).toMatchObject({ count: 1 });
  });
});
