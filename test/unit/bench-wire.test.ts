// The load tool's frame scanning (ids, rooms and send stamps read from bytes; presence event and count) for both wires.
import { describe, expect, it } from 'vitest';
import { messageFrame, messageParts, presenceFrame } from '@livechat/protocol';
import {
  EV_COUNT, EV_JOIN, EV_LEAVE, EV_OTHER, EV_SYNC, messageText, scanMessage, scanPresence, startsWith, wireFor, type Scanned,
} from '../../bench/lib/wire.js';

const fresh = (): Scanned => ({ id: -1, roomStart: 0, roomEnd: 0, sentAt: NaN });

describe('scanMessage', () => {
  it('reads id, room and the stamp from a frame the server builds', () => {
    const text = messageText(12345.678, 64);
    expect(text).toHaveLength(64);
    const json = messageFrame(messageParts('lobby', { id: 'm1', name: 'a "quoted" text":"name' }, text, 'c-1', '1000'), 42, Date.now());
    const buf = Buffer.concat([Buffer.from('junk'), Buffer.from(json), Buffer.from('more')]);
    const wire = wireFor('livechat');
    const start = 4;
    const end = 4 + Buffer.byteLength(json);
    expect(startsWith(buf, start, end, wire.messagePrefix)).toBe(true);
    const s = scanMessage(buf, start, end, wire.messagePrefix.length, fresh());
    expect(s.id).toBe(42);
    expect(buf.toString('utf8', s.roomStart, s.roomEnd)).toBe('lobby');
    expect(s.sentAt).toBeCloseTo(12345.678, 3);
  });

  it('reports NaN for a text without a stamp, and -1 for a frame without an id', () => {
    const wire = wireFor('livechat');
    const json = Buffer.from(messageFrame(messageParts('r', { id: 'm', name: 'n' }, 'hello there', 'c', 'v'), 7, 1));
    const s = scanMessage(json, 0, json.length, wire.messagePrefix.length, fresh());
    expect(s.id).toBe(7);
    expect(Number.isNaN(s.sentAt)).toBe(true);
    const bad = Buffer.from('{"type":"message","room":"r"}');
    expect(scanMessage(bad, 0, bad.length, wire.messagePrefix.length, fresh()).id).toBe(-1);
  });

  it('does not read past the end of the frame', () => {
    const wire = wireFor('livechat');
    const first = '{"type":"message","room":"r","text":"x"}';
    const buf = Buffer.from(`${first}{"type":"message","room":"r","id":9,"text":"1.5"}`);
    expect(scanMessage(buf, 0, first.length, wire.messagePrefix.length, fresh()).id).toBe(-1);
  });

  it('reads Socket.IO event frames the same way', () => {
    const wire = wireFor('socketio');
    const frame = Buffer.from(`42["message",${JSON.stringify({ room: 'r1', id: 3, ts: 1, from: { id: 'a', name: 'b' }, text: messageText(99.5, 20), cid: 'c', via: 'x' })}]`);
    expect(startsWith(frame, 0, frame.length, wire.messagePrefix)).toBe(true);
    const s = scanMessage(frame, 0, frame.length, wire.messagePrefix.length, fresh());
    expect([s.id, s.sentAt, frame.toString('utf8', s.roomStart, s.roomEnd)]).toEqual([3, 99.5, 'r1']);
  });
});

describe('wires', () => {
  it('livechat frames are the protocol JSON', () => {
    const w = wireFor('livechat');
    expect(JSON.parse(w.encode({ type: 'send', room: 'r', text: 't', cid: 'c' }))).toEqual({ type: 'send', room: 'r', text: 't', cid: 'c' });
    expect(w.decode('{"type":"pong"}')).toEqual({ msg: { type: 'pong' } });
    expect(w.protocols).toEqual(['livechat.v1']);
  });

  it('socketio speaks Engine.IO v4 framing', () => {
    const w = wireFor('socketio');
    expect(w.encode({ type: 'join', room: 'r' })).toBe('42["join",{"room":"r"}]');
    expect(w.decode('0{"sid":"x"}')).toEqual({ reply: '40' });
    expect(w.decode('2')).toEqual({ reply: '3' });
    expect(w.decode('40{"sid":"y"}')).toEqual({ ready: true });
    expect(w.decode('42["ack",{"cid":"c","id":4}]')).toEqual({ msg: { type: 'ack', cid: 'c', id: 4 } });
  });
});

describe('scanPresence', () => {
  const wire = wireFor('livechat');
  const scan = (frame: string, pad = '') => {
    const buf = Buffer.from(`${pad}${frame}{"type":"presence","room":"r","event":"count","count":999}`);
    const start = Buffer.byteLength(pad);
    const end = start + Buffer.byteLength(frame);
    expect(startsWith(buf, start, end, wire.presencePrefix)).toBe(true);
    return { ...scanPresence(buf, start, end, wire.presencePrefix.length, { event: -1, count: -1 }) };
  };
  const tricky = { id: 'm1', name: 'a "count":5 "event":"leave"' };

  it('reads the event and count of every presence frame the server builds', () => {
    expect(scan(presenceFrame({ type: 'presence', room: 'big', event: 'count', count: 8001 }))).toEqual({ event: EV_COUNT, count: 8001 });
    expect(scan(presenceFrame({ type: 'presence', room: 'r', event: 'join', member: tricky, count: 12 }), 'xx')).toEqual({ event: EV_JOIN, count: 12 });
    expect(scan(presenceFrame({ type: 'presence', room: 'r', event: 'leave', member: tricky, count: 3 }))).toEqual({ event: EV_LEAVE, count: 3 });
    expect(scan(presenceFrame({ type: 'presence', room: 'r', event: 'sync', count: 2, members: [tricky, { id: 'm2', name: 'b' }] }))).toEqual({ event: EV_SYNC, count: 2 });
  });

  it('gives count -1 for a frame without one, without reading into the next frame', () => {
    expect(scan(presenceFrame({ type: 'presence', room: 'r', event: 'join', member: tricky }))).toEqual({ event: EV_JOIN, count: -1 });
  });

  it('reads the layout the Redis presence script publishes, and calls an unknown event other', () => {
    expect(scan('{"type":"presence","room":"r","event":"leave","member":{"id":"x","name":"y"},"count":0}')).toEqual({ event: EV_LEAVE, count: 0 });
    expect(scan('{"type":"presence","room":"r","event":"joined"}')).toEqual({ event: EV_OTHER, count: -1 });
    expect(scan('{"type":"presence","room":"r"}')).toEqual({ event: EV_OTHER, count: -1 });
  });
});
