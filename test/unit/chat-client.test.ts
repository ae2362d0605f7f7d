// Ordering rules of ChatClient: no duplicates, no step back, join buffering, ack before own message.
import { describe, expect, it } from 'vitest';
import { ChatClient } from '../../app/src/chat/client.js';

function client(opts: { buffered?: number } = {}) {
  const written: string[] = [];
  let slow = 0;
  const c = new ChatClient('c1', {
    write: (f) => written.push(String(f)),
    bufferedAmount: () => opts.buffered ?? 0, // read on every write: tests may change it
    close: () => {},
  }, 1000, { burst: 10, perSec: 10 }, () => { slow++; });
  return { c, written, slow: () => slow };
}

describe('ChatClient', () => {
  it('writes each id once and never steps back', () => {
    const { c, written } = client();
    c.beginJoin('r');
    c.finishJoin('r', 0);
    for (const id of [1, 2, 2, 1, 3]) c.deliver('r', id, `c${id}`, `m${id}`);
    expect(written).toEqual(['m1', 'm2', 'm3']);
  });

  it('holds live frames during a join and drops those already sent in joined', () => {
    const { c, written } = client();
    c.beginJoin('r');
    c.deliver('r', 5, 'a', 'm5');
    c.deliver('r', 0, undefined, 'presence');
    c.deliver('r', 6, 'b', 'm6');
    expect(written).toEqual([]);
    c.reply('joined(last=5)');
    c.finishJoin('r', 5);
    expect(written).toEqual(['joined(last=5)', 'presence', 'm6']);
  });

  it('ignores frames of rooms it has not joined', () => {
    const { c, written } = client();
    c.deliver('other', 1, 'x', 'm1');
    expect(written).toEqual([]);
  });

  it('writes the ack before its own message when the bus is faster than the store reply', () => {
    const { c, written } = client();
    c.beginJoin('r');
    c.finishJoin('r', 0);
    c.beginSend('mine');
    c.deliver('r', 1, 'mine', 'm1');
    c.deliver('r', 2, 'theirs', 'm2');
    expect(written).toEqual([]);
    c.reply('ack1');
    c.endSend('mine');
    expect(written).toEqual(['ack1', 'm1', 'm2']);
  });

  it('keeps holding at the next own message still waiting for its ack', () => {
    const { c, written } = client();
    c.beginJoin('r');
    c.finishJoin('r', 0);
    c.beginSend('a');
    c.beginSend('b');
    c.deliver('r', 1, 'a', 'm1');
    c.deliver('r', 2, 'b', 'm2');
    c.deliver('r', 3, 'x', 'm3');
    c.reply('ackA');
    c.endSend('a');
    expect(written).toEqual(['ackA', 'm1']);
    c.reply('ackB');
    c.endSend('b');
    expect(written).toEqual(['ackA', 'm1', 'ackB', 'm2', 'm3']);
  });

  it('reports a slow consumer instead of writing past the buffer limit', () => {
    const { c, written, slow } = client({ buffered: 5000 });
    c.reply('x');
    expect(written).toEqual([]);
    expect(slow()).toBe(1);
  });

  it('a big answer of its own does not get a reading client closed; a client that stops reading still is', () => {
    const opts = { buffered: 0 };
    const { c, written, slow } = client(opts);
    const big = `{"type":"history","room":"r","messages":["${'m'.repeat(4500)}"]}`;
    c.reply(big); // 4.5 KB against a 1000-byte limit (the allowance is capped at 4 × the limit)
    opts.buffered = big.length; // unread so far
    c.beginJoin('r');
    c.finishJoin('r', 0);
    c.deliver('r', 1, undefined, 'live-1');
    expect(written).toEqual([big, 'live-1']);
    opts.buffered = 2000; // it reads: the allowance shrinks with the buffer
    c.deliver('r', 2, undefined, 'live-2');
    expect(slow()).toBe(0);
    opts.buffered = 3500; // stops reading: past limit + what is left of the allowance
    c.deliver('r', 3, undefined, 'live-3');
    expect(written).toEqual([big, 'live-1', 'live-2']);
    expect(slow()).toBe(1);
  });
});
