// A message's life in the page's pure state (shared/PROTOCOL.md "Message lifecycle"): updates applied
// live and replayed by a rejoin (in id order, idempotent, also to messages older than `after`, never
// twice), reactions with one's own told from others', the quotes of replies following an edit or a
// deletion, the composer's reply and edit (↑ edits the last own message; who may edit and delete), the
// typing line for 1, 2 and 3+ typers, when the page signals typing, and which messages notify.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Joined, Member, RoomResponse, Update } from '@livechat/protocol';
import { State } from '../../chat-front/src/connection.js';
import { namesMember, notificationFor } from '../../chat-front/src/notifications.js';
import * as S from '../../chat-front/src/state.js';
import { newAccount } from '../../chat-front/src/account.js';

const ann: Member = { id: 'a', name: 'Ann' };
const bob: Member = { id: 'b', name: 'Bob' };
const cat: Member = { id: 'c', name: 'Cat' };
const msg = (id: number, from = bob, extra: Partial<ChatMessage> = {}): ChatMessage =>
  ({ type: 'message', room: 'lobby', id, ts: 1_000 + id, from, text: `text ${id}`, cid: `c${id}`, via: '1000', ...extra });
const upd = (id: number, target: number, change: Pick<Update, 'edit' | 'delete' | 'reaction'>, from = bob): Update =>
  ({ type: 'update', room: 'lobby', id, ts: 2_000 + id, target, from, via: '2000', cid: `u${id}`, ...change });
const react = (id: number, target: number, emoji: string, on: boolean, count: number, from = bob) =>
  upd(id, target, { reaction: { emoji, on, count } }, from);
const edit = (id: number, target: number, text: string, from = bob) => upd(id, target, { edit: { text, editedAt: 9_000 + id } }, from);
const del = (id: number, target: number, from = bob) => upd(id, target, { delete: true }, from);

/** Ann has joined `room` with `messages` (the server's `last` defaults to the newest given). */
function joined(messages: ChatMessage[], last = messages.at(-1)?.id ?? 0, room = 'lobby'): S.ChatState {
  let s = S.startChat(S.initialState(room), room);
  s = S.applyWelcome(s, { type: 'welcome', appId: '1000', session: 's', member: ann });
  s = S.applyConnState(s, State.Connected);
  return S.applyJoined(s, { type: 'joined', room, count: 2, members: [ann, bob], messages: messages.map((m) => ({ ...m, room })), last });
}
const byId = (s: S.ChatState, id: number) => s.messages.find((m) => m.id === id)!;
const rejoin = (s: S.ChatState, entries: Joined['messages'], last: number): S.ChatState =>
  S.applyJoined(S.applyConnState(S.applyConnState(s, State.Reconnecting), State.Connected),
    { type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: entries, last });

describe('updates, live', () => {
  it('an edit sets the text and editedAt; a deletion leaves a tombstone without text, quote or reactions', () => {
    let s = joined([msg(1), msg(2, ann, { replyTo: { id: 1, from: bob, text: 'text 1' }, reactions: [{ emoji: '👍', count: 2 }] })]);
    s = S.applyUpdate(s, edit(3, 1, 'better words'));
    expect(byId(s, 1)).toMatchObject({ text: 'better words', editedAt: 9_003 });
    expect(byId(s, 2).replyTo?.text).toBe('better words'); // the reply quotes the current text
    s = S.applyUpdate(s, del(4, 2, ann));
    expect(byId(s, 2)).toEqual({ type: 'message', room: 'lobby', id: 2, ts: 1_002, from: ann, text: '', cid: 'c2', via: '1000', deleted: true });
    s = S.applyUpdate(s, del(5, 1));
    expect(byId(s, 1).deleted).toBe(true);
    // A deleted message changes no more.
    const before = s.messages;
    s = S.applyUpdate(s, edit(6, 1, 'back from the dead'));
    expect(s.messages).toBe(before);
    expect(s.lastEntry).toBe(6);
    expect(s.lastId).toBe(2); // updates are entries, not messages: the window does not "have newer"
    expect(S.hasNewer(s)).toBe(false);
  });

  it('a reaction\'s count is the emoji\'s whole count; its own are told apart from others\' by from.id; 0 removes the chip', () => {
    let s = joined([msg(1)]);
    s = S.applyUpdate(s, react(2, 1, '👍', true, 1, bob));
    expect(byId(s, 1).reactions).toEqual([{ emoji: '👍', count: 1 }]);
    expect(S.isMine(byId(s, 1), '👍')).toBe(false);
    s = S.applyUpdate(s, react(3, 1, '🎉', true, 1, ann));
    s = S.applyUpdate(s, react(4, 1, '👍', true, 2, ann));
    expect(byId(s, 1).reactions).toEqual([{ emoji: '👍', count: 2 }, { emoji: '🎉', count: 1 }]); // order of first use
    expect(byId(s, 1).mine).toEqual(['🎉', '👍']);
    s = S.applyUpdate(s, react(5, 1, '👍', false, 1, bob)); // Bob's goes: Ann's stays
    expect(S.isMine(byId(s, 1), '👍')).toBe(true);
    s = S.applyUpdate(s, react(6, 1, '🎉', false, 0, ann));
    expect(byId(s, 1).reactions).toEqual([{ emoji: '👍', count: 1 }]);
    expect(S.isMine(byId(s, 1), '🎉')).toBe(false);
    s = S.applyUpdate(s, react(7, 1, '👍', false, 0, ann));
    expect(byId(s, 1).reactions).toBeUndefined();
  });

  it('an acked react of one\'s own sets it on or off (a repeated one brings no update)', () => {
    let s = joined([msg(1, bob, { reactions: [{ emoji: '👍', count: 3 }] })]);
    expect(S.isMine(byId(s, 1), '👍')).toBe(false); // not known after a reload
    s = S.applyOwnReaction(s, 'lobby', 1, '👍', true);
    expect(S.isMine(byId(s, 1), '👍')).toBe(true);
    expect(S.applyOwnReaction(s, 'lobby', 1, '👍', true)).toBe(s);
    expect(S.applyOwnReaction(s, 'elsewhere', 1, '👍', false)).toBe(s);
    s = S.applyOwnReaction(s, 'lobby', 1, '👍', false);
    expect(S.isMine(byId(s, 1), '👍')).toBe(false);
  });

  it('is idempotent and in order: an update at or below the last entry seen changes nothing; other rooms neither', () => {
    let s = joined([msg(1), msg(2)]);
    s = S.applyUpdate(s, edit(3, 1, 'v1'));
    s = S.applyUpdate(s, edit(4, 1, 'v2'));
    expect(S.applyUpdate(s, edit(3, 1, 'v1'))).toBe(s); // a stale replay does not take it back
    expect(S.applyUpdate(s, edit(4, 1, 'v2'))).toBe(s);
    expect(S.applyUpdate(s, { ...edit(9, 1, 'x'), room: 'elsewhere' })).toBe(s);
    // A message for an update beyond the window (not held): only the entry id moves.
    const t = S.applyUpdate(s, edit(5, 99, 'not here'));
    expect(t.messages).toBe(s.messages);
    expect(t.lastEntry).toBe(5);
    expect(S.joinAfter(t)).toBe(5);
  });

  it('an account marks read up to the newest entry (the room\'s last counts updates), not just the newest message', () => {
    let s = joined([msg(1), msg(2)]);
    s = { ...s, account: newAccount('Ann') };
    s = S.applyUpdate(s, react(3, 2, '👍', true, 1));
    expect(S.readDue(s)).toEqual({ room: 'lobby', id: 3 });
  });

  it('the newest entry, not the newest message, is what a rejoin resumes after; a fresh join takes joined.last', () => {
    const s = joined([msg(1), msg(2)], 7); // entries 3..7 were updates
    expect(s.lastId).toBe(2);
    expect(s.lastEntry).toBe(7);
    expect(S.joinAfter(s)).toBe(7);
    expect(S.applyMessage(s, msg(8)).lastEntry).toBe(8);
  });
});

describe('updates replayed by a rejoin (join with after)', () => {
  it('applies the updates among the messages in id order, also to messages older than after, each once', () => {
    let s = joined([msg(1), msg(2), msg(3)]);
    s = S.applyUpdate(s, react(4, 1, '👀', true, 1));
    expect(S.joinAfter(s)).toBe(4);
    s = rejoin(s, [
      edit(5, 1, 'edited while away'), react(6, 2, '🎉', true, 1), msg(7), react(8, 7, '👍', true, 1, ann),
      del(9, 3), react(10, 1, '👀', false, 0), edit(11, 7, 'seven, edited'),
    ], 11);
    expect(s.messages.map((m) => m.id)).toEqual([1, 2, 3, 7]);
    expect(byId(s, 1)).toMatchObject({ text: 'edited while away', editedAt: 9_005 });
    expect(byId(s, 1).reactions).toBeUndefined();
    expect(byId(s, 2).reactions).toEqual([{ emoji: '🎉', count: 1 }]);
    expect(byId(s, 3).deleted).toBe(true);
    expect(byId(s, 7)).toMatchObject({ text: 'seven, edited', reactions: [{ emoji: '👍', count: 1 }], mine: ['👍'] });
    expect(s.lastId).toBe(7);
    expect(s.lastEntry).toBe(11);
    expect(S.joinAfter(s)).toBe(11);
    // The same replay again (a duplicate joined) changes nothing it shows.
    const again = rejoin(s, [edit(5, 1, 'edited while away'), react(6, 2, '🎉', true, 1), del(9, 3)], 11);
    expect(again.messages.map((m) => [m.id, m.text, m.reactions, m.deleted])).toEqual(s.messages.map((m) => [m.id, m.text, m.reactions, m.deleted]));
  });

  it('reading older pages (the window ends before the newest): the replay still changes the messages held', () => {
    let s = joined(Array.from({ length: 3 }, (_, i) => msg(i + 1)));
    s = S.applyMessage(s, msg(4));
    s = { ...s, messages: s.messages.slice(0, 2) }; // as if the window had moved back
    expect(S.hasNewer(s)).toBe(true);
    s = rejoin(s, [edit(5, 1, 'old one, edited'), msg(6)], 6);
    expect(byId(s, 1).text).toBe('old one, edited');
    expect(s.messages.map((m) => m.id)).toEqual([1, 2]);
    expect(s.lastId).toBe(6);
  });

  it('a reply or an edit whose message was deleted meanwhile ends', () => {
    let s = S.startReply(joined([msg(1), msg(2, ann)]), 1);
    expect(s.composer).toEqual({ mode: 'reply', to: { id: 1, from: bob, text: 'text 1' } });
    s = rejoin(s, [del(3, 1)], 3);
    expect(s.composer).toEqual(S.WRITING);
    s = S.startEdit(s, 2);
    expect(s.composer).toEqual({ mode: 'edit', id: 2, text: 'text 2' });
    s = S.applyUpdate(s, del(4, 2, ann));
    expect(s.composer).toEqual(S.WRITING);
  });
});

describe('the composer', () => {
  it('replies quote the first 200 characters (none of a deleted message); a reply goes out with replyTo', () => {
    const long = 'x'.repeat(150) + '😀'.repeat(100);
    let s = joined([msg(1, bob, { text: long }), msg(2, bob, { text: '', deleted: true })]);
    expect(S.startReply(s, 2)).toBe(s);
    expect(S.startReply(s, 42)).toBe(s);
    s = S.startReply(s, 1);
    expect(s.composer.mode === 'reply' && [...s.composer.to.text].length).toBe(200);
    s = S.enqueue(s, { cid: 'k1', text: 'answer', now: 5, replyTo: s.composer.mode === 'reply' ? s.composer.to : undefined });
    expect(s.outbox[0].replyTo?.id).toBe(1);
    expect(S.endCompose(s).composer).toEqual(S.WRITING);
  });

  it('↑ edits the newest own message that is not deleted; only own messages are editable', () => {
    const s = joined([msg(1, ann), msg(2, ann), msg(3, ann, { text: '', deleted: true }), msg(4, bob)]);
    expect(S.lastEditable(s)?.id).toBe(2);
    expect(S.startEdit(s, 4)).toBe(s);
    expect(S.startEdit(s, 3)).toBe(s);
    expect(S.startEdit(s, 2).composer).toEqual({ mode: 'edit', id: 2, text: 'text 2' });
    expect(S.lastEditable(joined([msg(1, bob)]))).toBeUndefined();
    expect(S.switchRoom(S.startEdit(s, 2), 'other').composer).toEqual(S.WRITING);
  });

  it('deletes: one\'s own anywhere; others\' only as the owner of a private room (from its `room` answer)', () => {
    const pub = joined([msg(1, ann), msg(2, bob)]);
    expect(S.canDelete(pub, byId(pub, 1))).toBe(true);
    expect(S.canDelete(pub, byId(pub, 2))).toBe(false);
    const room = 'p--team';
    const details = (owner: string): RoomResponse => ({ type: 'room', room, kind: 'private', title: 'Team', owner, members: [ann, bob] });
    let priv = joined([msg(1, ann), msg(2, bob)], 2, room);
    priv = { ...priv, account: newAccount('Ann') };
    expect(S.canDelete(priv, byId(priv, 2))).toBe(false); // owner not known yet
    expect(S.canDelete(S.applyRoomDetails(priv, details('b')), byId(priv, 2))).toBe(false);
    const owned = S.applyRoomDetails(priv, details('a'));
    expect(S.canDelete(owned, byId(owned, 2))).toBe(true);
    expect(S.canEdit(owned, byId(owned, 2))).toBe(false);
  });
});

describe('typing', () => {
  const line = (members: Member[], count = members.length, me = ann.id) => S.typingLine({ members, count }, me);

  it('says who types, this member left out of the names and the count', () => {
    expect(line([])).toBe('');
    expect(line([ann])).toBe('');
    expect(line([bob])).toBe('Bob is typing…');
    expect(line([ann, bob])).toBe('Bob is typing…');
    expect(line([bob, cat])).toBe('Bob and Cat are typing…');
    expect(line([bob, cat, ann])).toBe('Bob and Cat are typing…');
    expect(line([bob, cat, { id: 'd', name: 'Dan' }])).toBe('Bob and 2 others are typing…');
    expect(line([bob, cat, ann, { id: 'd', name: 'Dan' }, { id: 'e', name: 'Eve' }], 9)).toBe('Bob and 7 others are typing…');
    expect(line([bob], 2)).toBe('Bob and 1 other are typing…');
  });

  it('a typing frame of the room shown is kept until the next; a reconnect or another room forgets it', () => {
    let s = joined([]);
    s = S.applyTyping(s, { type: 'typing', room: 'lobby', members: [bob], count: 1 });
    expect(S.typingLine(s.typing, ann.id)).toBe('Bob is typing…');
    expect(S.applyTyping(s, { type: 'typing', room: 'other', members: [], count: 0 })).toBe(s);
    expect(S.applyConnState(s, State.Reconnecting).typing.count).toBe(0);
    expect(S.switchRoom(s, 'other').typing.count).toBe(0);
    s = S.applyTyping(s, { type: 'typing', room: 'lobby', members: [], count: 0 });
    expect(S.typingLine(s.typing, ann.id)).toBe('');
  });

  it('signals a start, again at most every 3 s while typing goes on, and a stop when the box is cleared', () => {
    let sig = S.IDLE;
    const step = (text: string, now: number) => { const r = S.typingSignal(sig, text, now); sig = r.next; return r.send; };
    expect(step('', 0)).toBeNull();
    expect(step('h', 1_000)).toBe('start');
    expect(step('he', 2_000)).toBeNull();
    expect(step('hel', 3_999)).toBeNull();
    expect(step('hell', 4_000)).toBe('start');
    expect(step('   ', 4_500)).toBe('stop');
    expect(step('', 4_600)).toBeNull();
    expect(step('again', 4_700)).toBe('start');
    expect(S.TYPING_EVERY_MS).toBe(3_000);
  });
});

describe('notifications', () => {
  it('@name is a mention in any case, not as the start of a longer word', () => {
    expect(namesMember('hi @ann!', 'Ann')).toBe(true);
    expect(namesMember('@ANN', 'Ann')).toBe(true);
    expect(namesMember('ask @Ann Axe about it', 'Ann Axe')).toBe(true);
    expect(namesMember('hi @anna', 'Ann')).toBe(false);
    expect(namesMember('hi ann', 'Ann')).toBe(false);
    expect(namesMember('mail ann@ann.example and @ann', 'Ann')).toBe(true);
    expect(namesMember('@', '')).toBe(false);
  });

  it('a message notifies when it is another member\'s in a DM or names me; never my own or a deleted one', () => {
    const m = (extra: Partial<ChatMessage>) => msg(1, bob, extra);
    expect(notificationFor(m({ text: 'lunch?' }), ann, 'lobby')).toBeNull();
    expect(notificationFor(m({ text: 'lunch, @Ann?' }), ann, 'lobby')).toEqual({ title: 'Bob in #lobby', body: 'lunch, @Ann?', tag: 'lobby' });
    expect(notificationFor(m({ room: 'dm--ab', text: 'psst' }), ann, 'Bob')).toEqual({ title: 'Bob', body: 'psst', tag: 'dm--ab' });
    expect(notificationFor(m({ room: 'p--t', text: '@ann see this' }), ann, 'Team')?.title).toBe('Bob in Team');
    expect(notificationFor(msg(1, ann, { room: 'dm--ab', text: 'mine' }), ann, 'Bob')).toBeNull();
    expect(notificationFor(m({ room: 'dm--ab', text: '', deleted: true }), ann, 'Bob')).toBeNull();
    expect(notificationFor(m({ room: 'dm--ab' }), null, 'Bob')).toBeNull();
    expect([...notificationFor(m({ room: 'dm--ab', text: 'y'.repeat(500) }), ann, 'Bob')!.body]).toHaveLength(181);
  });
});
