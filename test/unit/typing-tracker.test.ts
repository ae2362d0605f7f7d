// TypingTracker: the room's typers from `y` signals, written to local members as `typing` frames — at
// most one a second per room, the newest five listed, typers lapsing after 6 s — with a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomRegistry } from '../../app/src/chat/rooms.js';
import { TYPING_MS, TypingTracker } from '../../app/src/chat/typing-tracker.js';
import { linkedClient, silent } from '../helpers/chat-harness.js';

const member = (i: number) => ({ id: `m${i}`, name: `M${i}` });

function setup() {
  const rooms = new RoomRegistry(0, { onMemberGone: () => {} });
  const { c, link } = linkedClient('watcher');
  const me = member(0);
  c.member = me;
  rooms.enter('r', c, me);
  rooms.open('r', c, 0);
  const published: Array<[string, string, boolean]> = [];
  const t = new TypingTracker(rooms, async (room, m, on) => { published.push([room, m.id, on]); }, silent, 1000, () => Date.now());
  const frames = () => link.take().filter((f) => f.type === 'typing');
  return { t, frames, published };
}

describe('TypingTracker', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('writes the set when it changes, at most once a second, the newest five with the count', async () => {
    const { t, frames } = setup();
    t.onSignal('r', member(1), true);
    await vi.advanceTimersByTimeAsync(0);
    expect(frames()).toEqual([{ type: 'typing', room: 'r', members: [member(1)], count: 1 }]);
    for (let i = 2; i <= 7; i++) t.onSignal('r', member(i), true);
    await vi.advanceTimersByTimeAsync(999);
    expect(frames()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(frames()).toEqual([{ type: 'typing', room: 'r', members: [7, 6, 5, 4, 3].map(member), count: 7 }]);
  });

  it('typers lapse after TYPING_MS; a stop takes one out at once (within the interval)', async () => {
    const { t, frames } = setup();
    t.onSignal('r', member(1), true);
    t.onSignal('r', member(2), true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(frames().at(-1)).toMatchObject({ count: 2 });
    t.onSignal('r', member(2), false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(frames()).toEqual([{ type: 'typing', room: 'r', members: [member(1)], count: 1 }]);
    await vi.advanceTimersByTimeAsync(TYPING_MS);
    expect(frames()).toEqual([{ type: 'typing', room: 'r', members: [], count: 0 }]);
  });

  it('a typer starting right after the empty frame still waits a second (frames never closer than the interval)', async () => {
    const { t, frames } = setup();
    const at: number[] = [];
    const collect = () => { for (const _ of frames()) at.push(Date.now()); };
    t.onSignal('r', member(1), true);
    await vi.advanceTimersByTimeAsync(0); collect();
    t.onSignal('r', member(1), false);
    await vi.advanceTimersByTimeAsync(1000); collect();
    t.onSignal('r', member(2), true);
    await vi.advanceTimersByTimeAsync(5); collect();
    await vi.advanceTimersByTimeAsync(1000); collect();
    expect(at).toHaveLength(3);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(1000);
  });

  it('a local member\'s typing is published once while the room knows it, and a send publishes its stop', async () => {
    const { t, published } = setup();
    await t.typing('r', member(1), true);
    t.onSignal('r', member(1), true);
    await t.typing('r', member(1), true);
    expect(published).toEqual([['r', 'm1', true]]);
    await vi.advanceTimersByTimeAsync(3500);
    await t.typing('r', member(1), true);
    expect(published).toHaveLength(2);
    t.sent('r', member(1));
    expect(published.at(-1)).toEqual(['r', 'm1', false]);
    t.sent('r', member(9));
    expect(published).toHaveLength(3);
  });

  it('a member who leaves the room stops typing there at once (through the chat service)', async () => {
    vi.useRealTimers();
    const { chatHarness } = await import('../helpers/chat-harness.js');
    const h = chatHarness();
    const ann = await h.member('Ann');
    const bob = await h.member('Bob');
    for (const x of [ann, bob]) await x.req({ type: 'join', room: 'r' });
    await bob.req({ type: 'typing', room: 'r' });
    await new Promise((r) => setTimeout(r, 20));
    expect(ann.take().filter((f) => f.type === 'typing').at(-1)).toMatchObject({ count: 1 });
    await bob.req({ type: 'leave', room: 'r' });
    await new Promise((r) => setTimeout(r, 1100));
    expect(ann.take().filter((f) => f.type === 'typing').at(-1)).toMatchObject({ count: 0, members: [] });
  });
});
