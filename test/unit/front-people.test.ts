// What the page tells people, without a DOM: the room a link names (a malformed one falls back to the
// default room with a notice, never a URIError), members' short tags (two "Alice"s told apart), what
// the live region reads for new messages, the unread count in the tab title, typed text made
// sendable, and avatar colours dark enough for their white initials.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOM, roomFromHash, safeDecode } from '../../chat-front/src/address.js';
import { rejectedRoomNotice } from '../../chat-front/src/texts.js';
import { arrivalLines, unreadTitle } from '../../chat-front/src/attention.js';
import { colourFor, contrastWithWhite, hslToRgb } from '../../chat-front/src/avatar.js';
import { cleanText } from '../../chat-front/src/controller.js';
import { memberLabel, memberTag } from '../../chat-front/src/nodes.js';
import type { ChatMessage, Member } from '@livechat/protocol';

describe('the room in the address', () => {
  it('reads a room name, with capitals and escapes, as the protocol has it', () => {
    expect(roomFromHash('#lobby')).toEqual({ room: 'lobby', rejected: null });
    expect(roomFromHash('#Design-Review')).toEqual({ room: 'design-review', rejected: null });
    expect(roomFromHash('#%6Cobby')).toEqual({ room: 'lobby', rejected: null });
    expect(roomFromHash('')).toEqual({ room: DEFAULT_ROOM, rejected: null });
    expect(roomFromHash('#')).toEqual({ room: DEFAULT_ROOM, rejected: null });
  });

  it('falls back to the default room, saying what it could not use, for a malformed escape or an invalid name', () => {
    expect(() => decodeURIComponent('%E0')).toThrow(URIError); // what the page used to die on
    expect(roomFromHash('#%E0')).toEqual({ room: DEFAULT_ROOM, rejected: '%E0' });
    expect(roomFromHash('#UPPER!')).toEqual({ room: DEFAULT_ROOM, rejected: 'UPPER!' });
    expect(roomFromHash('#two%20words')).toEqual({ room: DEFAULT_ROOM, rejected: 'two words' });
    expect(roomFromHash(`#${'x'.repeat(33)}`).rejected).toBe(`${'x'.repeat(33)}`);
    expect(roomFromHash(`#${'y'.repeat(100)}`).rejected).toBe(`${'y'.repeat(40)}…`);
    expect(rejectedRoomNotice('UPPER!', 'lobby')).toBe('“UPPER!” is not a room name (rooms are 1–32 of a–z, 0–9, - and _), so this is #lobby.');
    expect(safeDecode('%%')).toBe('%%');
  });
});

describe('member tags', () => {
  it('are the first 8 hex digits of the member id (32 bits to grind, not 16; an old page\'s 4 are their start)', () => {
    expect(memberTag('3f2a9c1e-1111-4000-8000-000000000000')).toBe('3f2a9c1e');
    expect(memberTag('3F2A9C1E')).toBe('3f2a9c1e');
    expect(memberTag('u_3f2a9c1e-1111-4000-8000-000000000000')).toBe('3f2a9c1e');
    expect(memberLabel({ id: '3f2a9c1e-1111-4000-8000-000000000000', name: 'Alice' })).toBe('Alice #3f2a9c1e');
  });

  it('differ for ids that share their first 4 hex digits (what a 16-bit grind would match)', () => {
    expect(memberTag('3f2a0000-1111-4000-8000-000000000000')).not.toBe(memberTag('3f2a9c1e-1111-4000-8000-000000000000'));
  });

  it('tell two people of the same name apart', () => {
    const a: Member = { id: '3f2a9c1e-1111-4000-8000-000000000000', name: 'Alice' };
    const b: Member = { id: '9d07c2aa-2222-4000-8000-000000000000', name: 'Alice' };
    expect(memberLabel(a)).not.toBe(memberLabel(b));
  });

  it('are 8 hex digits even for an id with fewer (from a hash of it)', () => {
    for (const id of ['a', 'zz', '__proto__', '', '😀', 'abcd1']) expect(memberTag(id)).toMatch(/^[0-9a-f]{8}$/);
    expect(memberTag('zz')).toBe(memberTag('zz'));
  });
});

describe('the live region and the tab title', () => {
  const m = (id: number, name: string, text: string): ChatMessage =>
    ({ type: 'message', room: 'lobby', id, ts: 1, from: { id: `abcdef0${id}`, name }, text, cid: `c${id}`, via: '1000' });

  it('reads each new message with its sender and tag; a burst is summarised', () => {
    expect(arrivalLines([m(1, 'Bob', 'hi')])).toEqual(['Bob #abcdef01: hi']);
    expect(arrivalLines([m(1, 'Bob', 'a'), m(2, 'Cy', 'b'), m(3, 'Bob', 'c')])).toHaveLength(3);
    expect(arrivalLines([m(1, 'Bob', 'a'), m(2, 'Cy', 'b'), m(3, 'Di', 'c'), m(4, 'Ed', 'd')])).toEqual(['4 new messages from Bob, Cy, Di and others.']);
    expect(arrivalLines([m(1, 'Bob', 'x'.repeat(400))])[0]).toBe(`Bob #abcdef01: ${'x'.repeat(300)}…`);
  });

  it('puts the unread count in front of the title', () => {
    expect(unreadTitle('#lobby · livechat', 0)).toBe('#lobby · livechat');
    expect(unreadTitle('#lobby · livechat', 3)).toBe('(3) #lobby · livechat');
    expect(unreadTitle('#lobby · livechat', 1000)).toBe('(99+) #lobby · livechat');
  });
});

describe('typed text and avatars', () => {
  it('drops what the server would refuse in a message (controls other than tab and newline, lone surrogates)', () => {
    expect(cleanText('  a\u0007b\tc\nd\r  ')).toBe('ab\tc\nd');
    expect(cleanText('x\ud800y')).toBe('x\ufffdy');
    expect(cleanText('😀 ok')).toBe('😀 ok');
  });

  it('gives every member an avatar colour with 4.5:1 contrast for white initials', () => {
    for (let i = 0; i < 2000; i++) {
      const hsl = /^hsl\((\d+) (\d+)% (\d+)%\)$/.exec(colourFor(`member-${i}`))!;
      const rgb = hslToRgb(Number(hsl[1]), Number(hsl[2]) / 100, Number(hsl[3]) / 100);
      expect(contrastWithWhite(rgb)).toBeGreaterThanOrEqual(4.5);
    }
  });
});
