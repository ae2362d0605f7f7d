// The page's controller over a fake WebSocket for a message's life: a reply goes out with `replyTo`;
// ↑-to-edit and Enter send an `edit`; delete and react go out under fresh cids and wait for their ack
// (again with the same cid after a reconnect or a rate_limited answer; a refusal is a notice); an acked
// react tells the page its own reaction; live updates change the window; a rejoin resumes after the last
// entry; typing is signalled at most every 3 s, stopped when the box is cleared, and never kept in the
// table of requests waiting for an answer. And the Notifier: it asks the browser only when told, keeps
// the choice, and notifies only while the tab is hidden.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Member } from '@livechat/protocol';
import { ChatController } from '../../chat-front/src/controller.js';
import { Notifier, NOTIFY_KEY, type NotificationCtor } from '../../chat-front/src/notifications.js';
import { FakeSocket, MemoryStore, reconnected, tick } from './front-fake-socket.js';

const ann: Member = { id: 'a', name: 'Ann' };
const bob: Member = { id: 'b', name: 'Bob' };
const msg = (id: number, from: Member, text = `t${id}`): ChatMessage =>
  ({ type: 'message', room: 'lobby', id, ts: id, from, text, cid: `x${id}`, via: '1000' });

async function joinedLobby(messages: ChatMessage[] = [msg(1, ann), msg(2, bob)]) {
  let n = 0;
  const c = new ChatController({
    url: 'ws://h/ws', WebSocket: FakeSocket, storage: new MemoryStore(), onChange: () => {},
    newCid: () => `cid-${++n}`, random: () => 0.5, now: () => Date.now(),
  });
  c.start('Ann', 'lobby');
  const ws = FakeSocket.last();
  ws.open();
  ws.receive({ type: 'welcome', appId: '1000', session: 's1', member: ann, rid: ws.ridOf('hello') });
  await tick();
  ws.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages, last: messages.at(-1)?.id ?? 0, rid: ws.ridOf('join') });
  return { c, ws };
}

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('a message\'s life through the controller', () => {
  it('a reply goes out with replyTo, and the box writes a new message again', async () => {
    const { c, ws } = await joinedLobby();
    expect(c.reply(2)).toBe(true);
    expect(c.state.composer).toMatchObject({ mode: 'reply', to: { id: 2, from: bob, text: 't2' } });
    c.send('answering Bob');
    expect(ws.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'answering Bob', cid: 'cid-1', replyTo: 2 }]);
    expect(c.state.composer.mode).toBe('message');
    expect(c.state.outbox[0].replyTo).toEqual({ id: 2, from: bob, text: 't2' });
    c.send('plain');
    expect(ws.sentOfType('send')[1]).not.toHaveProperty('replyTo');
  });

  it('↑ edits the last own message; Enter sends the edit (unchanged text sends nothing); the ack settles it', async () => {
    const { c, ws } = await joinedLobby([msg(1, ann, 'first'), msg(2, ann, 'second'), msg(3, bob)]);
    expect(c.editLast()).toBe(true);
    expect(c.state.composer).toEqual({ mode: 'edit', id: 2, text: 'second' });
    expect(c.send('not while editing')).toBe(false);
    expect(c.saveEdit('second')).toBe(true);
    expect(ws.sentOfType('edit')).toEqual([]);
    c.editMessage(2);
    expect(c.saveEdit('   ')).toBe(false); // empty: a notice, still editing
    expect(c.state.notice).toMatch(/cannot be empty/);
    expect(c.saveEdit(' second, better ')).toBe(true);
    expect(ws.sentOfType('edit')).toEqual([{ type: 'edit', room: 'lobby', id: 2, text: 'second, better', cid: 'cid-1' }]);
    expect(c.state.composer.mode).toBe('message');
    ws.receive({ type: 'ack', cid: 'cid-1', room: 'lobby', id: 4, ts: 4, rid: ws.ridOf('edit') });
    ws.receive({ type: 'update', room: 'lobby', id: 4, ts: 4, target: 2, from: ann, via: '1000', cid: 'cid-1', edit: { text: 'second, better', editedAt: 4 } });
    expect(c.state.messages.find((m) => m.id === 2)).toMatchObject({ text: 'second, better', editedAt: 4 });
    expect(c.state.outbox).toEqual([]); // the edit's ack was not taken for a message's
    expect(c.editMessage(3)).toBe(false); // not one's own
  });

  it('a change not acked goes again with the same cid after a reconnect, and after rate_limited when the delay has passed', async () => {
    const { c, ws } = await joinedLobby();
    expect(c.react(2, '👍')).toBe(true);
    expect(ws.sentOfType('react')).toEqual([{ type: 'react', room: 'lobby', id: 2, emoji: '👍', on: true, cid: 'cid-1' }]);
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down', cid: 'cid-1', retryAfterMs: 500, rid: ws.ridOf('react') });
    expect(c.state.notice).toBeNull();
    vi.advanceTimersByTime(499);
    expect(ws.sentOfType('react')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(ws.sentOfType('react')).toHaveLength(2);
    ws.drop();
    const ws2 = await reconnected(ann);
    expect(ws2.sentOfType('react')).toEqual([]); // not before the room is joined again
    ws2.receive({ type: 'joined', room: 'lobby', count: 2, members: [ann, bob], messages: [], last: 2, rid: ws2.ridOf('join') });
    expect(ws2.sentOfType('react')).toEqual([{ type: 'react', room: 'lobby', id: 2, emoji: '👍', on: true, cid: 'cid-1' }]);
    ws2.receive({ type: 'ack', cid: 'cid-1', room: 'lobby', id: 3, ts: 3, rid: ws2.ridOf('react') });
    // Acked, with no update (it was on already): the page knows it is its own now; the next click takes it off.
    expect(c.state.messages.find((m) => m.id === 2)?.mine).toEqual(['👍']);
    c.react(2, '👍');
    expect(ws2.sentOfType('react')[1]).toEqual({ type: 'react', room: 'lobby', id: 2, emoji: '👍', on: false, cid: 'cid-2' });
    expect(c.react(2, 'not an emoji')).toBe(false);
    expect(c.react(99, '👍')).toBe(false);
  });

  it('a refused change is a notice in the page\'s words; delete is offered for one\'s own only', async () => {
    const { c, ws } = await joinedLobby();
    expect(c.deleteMessage(2)).toBe(false); // Bob's, in a public room
    expect(c.deleteMessage(1)).toBe(true);
    expect(ws.sentOfType('delete')).toEqual([{ type: 'delete', room: 'lobby', id: 1, cid: 'cid-1' }]);
    ws.receive({ type: 'error', code: 'forbidden', message: 'not yours', cid: 'cid-1', rid: ws.ridOf('delete') });
    expect(c.state.notice).toBe('Only its author, or the owner of this private room, can delete that message.');
    vi.advanceTimersByTime(11_000); // the notice goes by itself (before the first ping)
    expect(c.state.notice).toBeNull();
    expect(ws.sentOfType('delete')).toHaveLength(1); // not retried
    // Without a rid (an older server), the cid tells which change it answers.
    c.react(2, '🎉');
    ws.receive({ type: 'error', code: 'bad_request', message: 'at most 20 reactions', cid: 'cid-2' });
    expect(c.state.notice).toBe('at most 20 reactions');
  });

  it('typing: a start, nothing more within 3 s, a stop when cleared; never kept waiting for an answer', async () => {
    const { c, ws } = await joinedLobby();
    c.typed('h');
    c.typed('he');
    vi.advanceTimersByTime(2_999);
    c.typed('hel');
    expect(ws.sentOfType('typing')).toEqual([{ type: 'typing', room: 'lobby' }]);
    vi.advanceTimersByTime(1);
    c.typed('hell');
    expect(ws.sentOfType('typing')).toHaveLength(2);
    expect(c.typingNow).toBe(true);
    c.typed('');
    expect(ws.sentOfType('typing')[2]).toEqual({ type: 'typing', room: 'lobby', stop: true });
    c.typed('');
    expect(ws.sentOfType('typing')).toHaveLength(3);
    // Its rids are of their own kind; an error about one is nobody's business.
    const rids = ws.rids.filter((_, i) => ws.sent[i].type === 'typing');
    expect(rids.every((r) => /^y\d+$/.test(r ?? ''))).toBe(true);
    ws.receive({ type: 'error', code: 'rate_limited', message: 'too many typing notices', rid: rids[0] });
    expect(c.state.notice).toBeNull();
    // Sending the message ends typing on the server: the next keystroke starts again.
    c.typed('x');
    c.send('x');
    c.typed('y');
    expect(ws.sentOfType('typing').slice(3)).toEqual([{ type: 'typing', room: 'lobby' }, { type: 'typing', room: 'lobby' }]);
    // Editing is not typing a message: the stop goes out.
    c.editLast();
    c.typed('edited text');
    expect(ws.sentOfType('typing').at(-1)).toEqual({ type: 'typing', room: 'lobby', stop: true });
  });

  it('live updates and typing frames reach the state; a rejoin resumes after the last entry, an update', async () => {
    const { c, ws } = await joinedLobby();
    ws.receive({ type: 'update', room: 'lobby', id: 3, ts: 3, target: 1, from: bob, via: '2000', cid: 'u3', reaction: { emoji: '👀', on: true, count: 1 } });
    ws.receive({ type: 'typing', room: 'lobby', members: [bob, ann], count: 2 });
    expect(c.state.messages[0].reactions).toEqual([{ emoji: '👀', count: 1 }]);
    expect(c.state.typing.count).toBe(2);
    ws.drop();
    expect(c.state.typing.count).toBe(0);
    const ws2 = await reconnected(ann);
    expect(ws2.sentOfType('join')).toEqual([{ type: 'join', room: 'lobby', after: 3 }]);
  });
});

describe('Notifier', () => {
  function fakeNotification(answer: 'granted' | 'denied') {
    const shown: Array<{ title: string; body?: string; tag?: string }> = [];
    let asked = 0;
    class N {
      static permission: 'default' | 'denied' | 'granted' = 'default';
      static requestPermission() { asked++; N.permission = answer; return Promise.resolve(answer); }
      onclick: ((ev: unknown) => void) | null = null;
      constructor(title: string, o?: { body?: string; tag?: string }) { shown.push({ title, body: o?.body, tag: o?.tag }); }
      close() {}
    }
    return { N: N as unknown as NotificationCtor, shown, asked: () => asked };
  }
  const mention = { ...msg(5, bob, 'hey @Ann'), room: 'lobby' };

  it('asks only when toggled, keeps the choice, and notifies while hidden only', async () => {
    const f = fakeNotification('granted');
    const storage = new MemoryStore();
    let hidden = false;
    const opened: string[] = [];
    const n = new Notifier({ Notification: f.N, storage, hidden: () => hidden, open: (r) => opened.push(r) });
    expect(f.asked()).toBe(0);
    expect(n.enabled).toBe(false);
    expect(n.arrived([mention], ann, 'lobby')).toBe(0);
    expect(await n.toggle()).toBe('on');
    expect(f.asked()).toBe(1);
    expect(storage.getItem(NOTIFY_KEY)).toBe('1');
    expect(n.arrived([mention], ann, 'lobby')).toBe(0); // visible
    hidden = true;
    expect(n.arrived([mention, msg(6, bob, 'no mention')], ann, 'lobby')).toBe(1);
    expect(f.shown).toEqual([{ title: 'Bob in #lobby', body: 'hey @Ann', tag: 'lobby' }]);
    // Kept on this device: a new page load is on without asking again.
    const again = new Notifier({ Notification: f.N, storage, hidden: () => true, open: () => {} });
    expect(again.enabled).toBe(true);
    expect(await again.toggle()).toBe('off');
    expect(storage.getItem(NOTIFY_KEY)).toBe('0');
    expect(f.asked()).toBe(1);
  });

  it('says so when the browser refuses, or cannot notify at all', async () => {
    const f = fakeNotification('denied');
    const n = new Notifier({ Notification: f.N, storage: null, hidden: () => true, open: () => {} });
    expect(await n.toggle()).toBe('denied');
    expect(n.enabled).toBe(false);
    const none = new Notifier({ Notification: undefined, storage: null, hidden: () => true, open: () => {} });
    expect(none.available).toBe(false);
    expect(await none.toggle()).toBe('unavailable');
  });
});
