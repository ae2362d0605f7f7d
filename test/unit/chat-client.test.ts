// ChatClient, one client's outbound stream: ack before the sender's own message, replies at once, slow consumers, close.
import { describe, expect, it } from 'vitest';
import { PreparedFrame } from '../../app/src/chat/prepared-frame.js';
import { asFrame } from '../../app/src/protocol/encode.js';
import { linkedClient } from '../helpers/chat-harness.js';

function client(buffered = 0) {
  let slow = 0;
  const { c, link } = linkedClient('c1', { slowConsumerBytes: 1000, onSlow: () => { slow++; } });
  link.buffered = buffered; // read on every write: tests may change it
  return { c, link, written: link.texts, closes: link.closes, slow: () => slow };
}

const room = (text: string) => new PreparedFrame(asFrame(text));
const frame = asFrame;

/** A store call the test finishes by hand. */
function pending<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('ChatClient', () => {
  it('writes room frames and replies as they come when nothing is in flight', () => {
    const { c, written } = client();
    c.push('x', room('m1'));
    c.reply(frame('pong'));
    c.push(undefined, room('presence'));
    expect(written).toEqual(['m1', 'pong', 'presence']);
  });

  it('writes the ack before its own message when the bus is faster than the store reply', async () => {
    const { c, written } = client();
    const store = pending<ReturnType<typeof frame>>();
    const sent = c.send('mine', () => store.promise);
    c.push('before', room('m0')); // not its own: goes out at once
    c.push('mine', room('m1'));
    c.push('theirs', room('m2'));
    c.push(undefined, room('presence'));
    c.reply(frame('pong')); // a reply to another request is not held behind room frames
    expect(written).toEqual(['m0', 'pong']);
    store.resolve(frame('ack1'));
    await sent;
    expect(written).toEqual(['m0', 'pong', 'ack1', 'm1', 'm2', 'presence']);
  });

  it('holds nothing when the store answers before the bus', async () => {
    const { c, written } = client();
    await c.send('mine', async () => frame('ack1'));
    c.push('mine', room('m1'));
    expect(written).toEqual(['ack1', 'm1']);
  });

  it('keeps holding at the next own message still waiting for its ack', async () => {
    const { c, written } = client();
    const a = pending<ReturnType<typeof frame>>();
    const b = pending<ReturnType<typeof frame>>();
    const sentA = c.send('a', () => a.promise);
    const sentB = c.send('b', () => b.promise);
    c.push('a', room('m1'));
    c.push('b', room('m2'));
    c.push('x', room('m3'));
    a.resolve(frame('ackA'));
    await sentA;
    expect(written).toEqual(['ackA', 'm1']);
    b.resolve(frame('ackB'));
    await sentB;
    expect(written).toEqual(['ackA', 'm1', 'ackB', 'm2', 'm3']);
  });

  it('a later ack does not release an earlier own message still in flight', async () => {
    const { c, written } = client();
    const a = pending<ReturnType<typeof frame>>();
    const b = pending<ReturnType<typeof frame>>();
    const sentA = c.send('a', () => a.promise);
    const sentB = c.send('b', () => b.promise);
    c.push('a', room('m1'));
    c.push('b', room('m2'));
    b.resolve(frame('ackB'));
    await sentB;
    expect(written).toEqual(['ackB']);
    a.resolve(frame('ackA'));
    await sentA;
    expect(written).toEqual(['ackB', 'ackA', 'm1', 'm2']);
  });

  it('on a store failure releases the held frames, writes no ack and rethrows', async () => {
    const { c, written } = client();
    const store = pending<ReturnType<typeof frame>>();
    const sent = c.send('mine', () => store.promise);
    c.push('mine', room('m1'));
    c.push('x', room('m2'));
    store.reject(new Error('store down'));
    await expect(sent).rejects.toThrow('store down');
    expect(written).toEqual(['m1', 'm2']);
    c.push('mine', room('m3')); // the cid is no longer in flight
    expect(written).toEqual(['m1', 'm2', 'm3']);
  });

  it('writes nothing once detached, held frames included', async () => {
    const { c, written, closes } = client();
    const store = pending<ReturnType<typeof frame>>();
    const sent = c.send('mine', () => store.promise);
    c.push('mine', room('m1'));
    c.detach();
    expect(c.closed).toBe(true);
    store.resolve(frame('ack1'));
    await sent;
    c.push('x', room('m2'));
    c.reply(frame('pong'));
    expect(written).toEqual([]);
    expect(closes).toEqual([]);
  });

  it('close closes the link once and stops writing', () => {
    const { c, written, closes } = client();
    c.close(1013, 'slow');
    c.close(1000, 'again');
    c.reply(frame('pong'));
    c.push(undefined, room('m1'));
    expect(closes).toEqual([[1013, 'slow']]);
    expect(written).toEqual([]);
    expect(c.closed).toBe(true);
  });

  it('reports a slow consumer instead of writing past the buffer limit', () => {
    const { c, written, slow } = client(5000);
    c.reply(frame('x'));
    c.push(undefined, room('y'));
    expect(written).toEqual([]);
    expect(slow()).toBe(2);
  });

  it('a big answer of its own does not get a reading client closed; a client that stops reading still is', () => {
    const { c, link, written, slow } = client();
    const big = `{"type":"history","room":"r","messages":["${'m'.repeat(4500)}"]}`;
    c.reply(frame(big)); // 4.5 KB against a 1000-byte limit (the allowance is capped at 4 × the limit)
    link.buffered = big.length; // unread so far
    c.push(undefined, room('live-1'));
    expect(written).toEqual([big, 'live-1']);
    link.buffered = 2000; // it reads: the allowance shrinks with the buffer
    c.push(undefined, room('live-2'));
    expect(slow()).toBe(0);
    link.buffered = 3500; // stops reading: past limit + what is left of the allowance
    c.push(undefined, room('live-3'));
    expect(written).toEqual([big, 'live-1', 'live-2']);
    expect(slow()).toBe(1);
  });
});
