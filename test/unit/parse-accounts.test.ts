// The account requests' validation, and the bus entries about accounts: pure functions.
import { describe, expect, it } from 'vitest';
import { decodeAccountEntry, isAccountEntry, readEntry, removedEntry, revokedEntry, roomsEntry } from '../../app/src/bus/envelope.js';
import { dmRoomId } from '../../app/src/chat/features/private-rooms.js';
import { parseRequest } from '../../app/src/protocol/parse.js';
import { usernameKey } from '../../app/src/protocol/text.js';
import { LIMITS, roomKind } from '../../app/src/protocol/messages.js';

const parse = (o: unknown) => parseRequest(JSON.stringify(o));

describe('account requests', () => {
  it('signup/signin: the username is cleaned like a name; the password is kept as sent and never quoted in errors', () => {
    expect(parse({ type: 'signup', username: ' Ann\u200b ', password: '  spaces kept  ' }))
      .toEqual({ ok: true, value: { type: 'signup', username: 'Ann', password: '  spaces kept  ' } });
    const short = parse({ type: 'signin', username: 'ann', password: 'secret1' });
    expect(short.ok).toBe(false);
    expect(JSON.stringify(short)).not.toContain('secret1');
    expect(parse({ type: 'signin', username: 'ann', password: 'x'.repeat(LIMITS.passwordMax + 1) }).ok).toBe(false);
    expect(parse({ type: 'signin', username: 'ann', password: '\ud800abcdefgh' }).ok).toBe(false);
    expect(parse({ type: 'signin', username: 'a\u0007b', password: 'password-1' }).ok).toBe(false);
    expect(parse({ type: 'signin', username: 'ann' }).ok).toBe(false);
  });

  it('usernames are one key ignoring case, width and invisible characters', () => {
    expect(new Set(['Ann', 'ANN', 'Ａｎｎ', 'A\u200dnn', ' ann '].map(usernameKey))).toEqual(new Set(['ann']));
  });

  it('room-scoped requests check the room; member ids are bounded; read ids are integers', () => {
    expect(parse({ type: 'invite', room: 'p--abc', username: 'bob' }).ok).toBe(true);
    expect(parse({ type: 'invite', room: 'P--abc', username: 'bob' }).ok).toBe(false);
    expect(parse({ type: 'remove', room: 'p--abc', member: 'x'.repeat(65) }).ok).toBe(false);
    expect(parse({ type: 'dm', member: 'u_1' })).toEqual({ ok: true, value: { type: 'dm', member: 'u_1' } });
    expect(parse({ type: 'read', room: 'lobby', id: 1.5 }).ok).toBe(false);
    expect(parse({ type: 'read', room: 'lobby', id: 3 })).toEqual({ ok: true, value: { type: 'read', room: 'lobby', id: 3 } });
    expect(parse({ type: 'revoke' })).toEqual({ ok: true, value: { type: 'revoke' } });
    expect(parse({ type: 'revoke', session: '' }).ok).toBe(false);
    expect(parse({ type: 'create', title: '  Team  ' })).toEqual({ ok: true, value: { type: 'create', title: 'Team' } });
    expect(parse({ type: 'create', title: 'x'.repeat(LIMITS.titleMax + 1) }).ok).toBe(false);
  });

  it('room kinds by prefix; a DM id is the same from both sides and a valid room name', () => {
    expect(['lobby', 'p--x', 'dm--x', 'p-x', 'dm-x'].map(roomKind)).toEqual(['public', 'private', 'dm', 'public', 'public']);
    const id = dmRoomId('u_a', 'u_b');
    expect(dmRoomId('u_b', 'u_a')).toBe(id);
    expect(dmRoomId('u_a', 'u_c')).not.toBe(id);
    expect(id).toMatch(LIMITS.roomPattern);
    expect(roomKind(id)).toBe('dm');
  });
});

describe('account bus entries', () => {
  it('round-trip, and nothing else reads as one', () => {
    expect(decodeAccountEntry(removedEntry('p--a', 'u_1'))).toEqual({ kind: 'removed', room: 'p--a', member: 'u_1' });
    expect(decodeAccountEntry(revokedEntry('u_1', 'ab12'))).toEqual({ kind: 'revoked', member: 'u_1', session: 'ab12' });
    expect(decodeAccountEntry(roomsEntry('u_1'))).toEqual({ kind: 'rooms', member: 'u_1' });
    expect(decodeAccountEntry(readEntry('u_1', 'lobby', 7))).toEqual({ kind: 'read', member: 'u_1', room: 'lobby', id: 7 });
    for (const bad of ['x p--a', 'r u_1 lobby -1', 'r u_1 lobby 1e3', 'u ', 'k u_1  ab', 'u u_1\nx', 'z a b']) {
      expect(decodeAccountEntry(bad), bad).toBeNull();
    }
    expect(isAccountEntry('m lobby 1 2 "c"\n{}')).toBe(false);
    expect(isAccountEntry('p lobby 3\n{}')).toBe(false);
    expect(isAccountEntry(roomsEntry('u_1'))).toBe(true);
  });
});
