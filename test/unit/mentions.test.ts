// Mentions (issue 21): which names a text mentions (pure), and what the server makes of them — the
// message's `mentions`, an account's unread-mention count in its room list, cleared by reading past it.
import { describe, expect, it } from 'vitest';
import { MENTIONS_MAX, mentionTokens } from '../../app/src/chat/mentions.js';
import { chatHarness } from '../helpers/chat-harness.js';

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('mentionTokens', () => {
  it('finds @names at word starts, by username key, without trailing punctuation, each once', () => {
    expect(mentionTokens('hi @Ann, and @bob! @ANN again')).toEqual(['ann', 'bob']);
    expect(mentionTokens('@Zoë: look')).toEqual(['zoë']);
    expect(mentionTokens('mail me at ann@example.com')).toEqual([]);
    expect(mentionTokens('no mentions here')).toEqual([]);
    expect(mentionTokens('(@ann)')).toEqual(['ann']);
    expect(mentionTokens('@')).toEqual([]);
    expect(mentionTokens(`@${'x'.repeat(33)}`)).toEqual([]);
  });

  it('resolves at most MENTIONS_MAX names per message', () => {
    const text = Array.from({ length: 30 }, (_, i) => `@n${i}`).join(' ');
    expect(mentionTokens(text)).toHaveLength(MENTIONS_MAX);
  });
});

describe('mentions on the server', () => {
  it('@username of an account and @name of a guest in the room become the message\'s mentions; unknown names do not', async () => {
    const h = chatHarness();
    const ann = await h.account('Ann');
    const bob = await h.account('Bob');
    const gus = await h.member('Gus');
    for (const x of [ann, bob, gus]) await x.req({ type: 'join', room: 'lobby' });
    await settle();
    for (const x of [ann, bob, gus]) x.take();
    await ann.req({ type: 'send', room: 'lobby', text: 'hey @bob and @gus, not @nobody', cid: 'm1' });
    const msg = gus.take().find((f) => f.type === 'message')!;
    expect(new Set(msg.mentions)).toEqual(new Set([bob.m.id, gus.m.id]));
    await ann.req({ type: 'send', room: 'lobby', text: 'no names', cid: 'm2' });
    expect(gus.take().find((f) => f.type === 'message')).not.toHaveProperty('mentions');
  });

  it('an account named counts the message in its room list until it reads past it; its own mention does not count', async () => {
    const h = chatHarness();
    const ann = await h.account('Ann');
    const bob = await h.account('Bob');
    for (const x of [ann, bob]) await x.req({ type: 'join', room: 'lobby' });
    await ann.req({ type: 'send', room: 'lobby', text: '@Bob look', cid: 'a1' });
    await ann.req({ type: 'send', room: 'lobby', text: 'and again @bob', cid: 'a2' });
    await bob.req({ type: 'send', room: 'lobby', text: 'me, @bob', cid: 'b1' });
    await settle();
    bob.take();
    await bob.req({ type: 'rooms' });
    expect(bob.take().find((f) => f.type === 'rooms')!.rooms).toEqual([expect.objectContaining({ room: 'lobby', unread: 3, mentions: 2 })]);
    // A reaction takes an id of the room's log but is nothing new to read.
    await ann.req({ type: 'react', room: 'lobby', id: 1, emoji: '👍', on: true, cid: 'a3' });
    await bob.req({ type: 'rooms' });
    expect(bob.take().find((f) => f.type === 'rooms')!.rooms[0]).toMatchObject({ last: 4, unread: 3, mentions: 2 });
    await bob.req({ type: 'read', room: 'lobby', id: 1 });
    await bob.req({ type: 'rooms' });
    expect(bob.take().find((f) => f.type === 'rooms')!.rooms[0]).toMatchObject({ read: 1, mentions: 1 });
    await ann.req({ type: 'rooms' });
    expect(ann.take().find((f) => f.type === 'rooms')!.rooms[0]).toMatchObject({ mentions: 0 });
  });

  it('in a private room only members of it are mentioned', async () => {
    const h = chatHarness();
    const owner = await h.account('Owner');
    await h.account('Outsider');
    const mate = await h.account('Mate');
    await owner.req({ type: 'create', title: 'Team' });
    const room = owner.take().find((f) => f.type === 'room')!.room as string;
    await owner.req({ type: 'invite', room, username: 'mate' });
    await mate.req({ type: 'accept', room });
    for (const x of [owner, mate]) await x.req({ type: 'join', room });
    await settle();
    mate.take();
    await owner.req({ type: 'send', room, text: '@mate and @outsider', cid: 'p1' });
    expect(mate.take().find((f) => f.type === 'message')!.mentions).toEqual([mate.m.id]);
  });
});
