// The page's room list between two `rooms` answers: the server counts unread messages (updates are
// nothing new to read) and mentions; the page bounds both as markers move and new ids arrive.
import { describe, expect, it } from 'vitest';
import type { RoomSummary } from '@livechat/protocol';
import { applyLast, applyRead, applyRooms, newAccount } from '../../chat-front/src/account.js';
import { readRoomSummary } from '../../chat-front/src/frames.js';

const lobby = (o: Partial<RoomSummary> = {}): RoomSummary =>
  ({ room: 'lobby', kind: 'public', title: 'lobby', last: 20, read: 10, unread: 3, mentions: 2, ...o });

describe('room list counts', () => {
  it('keeps the server\'s message count (not last - read) and its mentions', () => {
    const a = applyRooms(newAccount('ann'), { type: 'rooms', rooms: [lobby()] });
    expect(a.rooms![0]).toMatchObject({ unread: 3, mentions: 2 });
  });

  it('reading up to last clears both; reading part of the way bounds them by the ids left', () => {
    const a = applyRooms(newAccount('ann'), { type: 'rooms', rooms: [lobby()] });
    expect(applyRead(a, { room: 'lobby', id: 19 }).rooms![0]).toMatchObject({ read: 19, unread: 1, mentions: 1 });
    expect(applyRead(a, { room: 'lobby', id: 20 }).rooms![0]).toMatchObject({ read: 20, unread: 0, mentions: 0 });
  });

  it('new ids seen in the room shown add at most their number', () => {
    const a = applyRooms(newAccount('ann'), { type: 'rooms', rooms: [lobby()] });
    expect(applyLast(a, 'lobby', 22).rooms![0]).toMatchObject({ last: 22, unread: 5 });
  });

  it('a summary\'s mentions are read when present and never above its unread count', () => {
    expect(readRoomSummary({ ...lobby(), mentions: 9 })).toMatchObject({ unread: 3, mentions: 3 });
    expect(readRoomSummary({ ...lobby(), mentions: undefined })).not.toHaveProperty('mentions');
    expect(readRoomSummary({ ...lobby(), mentions: -1 })).not.toHaveProperty('mentions');
  });
});
