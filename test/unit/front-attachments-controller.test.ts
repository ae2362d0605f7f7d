// Attachments through the page's controller over a fake WebSocket and a fake PUT: a file picked asks
// `upload` once the room is joined; the answer starts the PUT (its progress shows on the chip); once
// every chip is uploaded, a send — text may be empty — carries `attachments: [{key}]`; a send queued
// offline keeps its files and goes out after the reconnect with the same cid; an `upload` refused
// fails the chip (Retry asks again under a fresh cid), rate_limited asks again by itself; a request
// in flight when the connection drops is asked again; removing a chip aborts its PUT.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Member, PutTarget } from '@livechat/protocol';
import { ChatController } from '../../chat-front/src/controller.js';
import type { PutFile, PutResult } from '../../chat-front/src/upload-put.js';
import { FakeSocket, MemoryStore, reconnected, tick } from './front-fake-socket.js';

const ann: Member = { id: 'a', name: 'Ann' };
const KEY = '0b0c7e0e-3f1a-4c52-9d4b-8a6f0e2d1c3b';
const KEY2 = '1b0c7e0e-3f1a-4c52-9d4b-8a6f0e2d1c3b';
interface FakePut { target: PutTarget; body: Blob; progress: (n: number) => void; end: (r: PutResult) => void; aborted: boolean }

async function joined() {
  let n = 0;
  const puts: FakePut[] = [];
  const put: PutFile = (target, body, progress, end) => {
    const p: FakePut = { target, body, progress, end, aborted: false };
    puts.push(p);
    return { abort: () => { p.aborted = true; } };
  };
  const c = new ChatController({
    url: 'ws://h/ws', WebSocket: FakeSocket, storage: new MemoryStore(), onChange: () => {},
    newCid: () => `cid-${++n}`, random: () => 0.5, now: () => Date.now(), put,
  });
  c.start('Ann', 'lobby');
  const ws = FakeSocket.last();
  ws.open();
  ws.receive({ type: 'welcome', appId: '1000', session: 's1', member: ann, rid: ws.ridOf('hello') });
  await tick();
  ws.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0, rid: ws.ridOf('join') });
  return { c, ws, puts };
}

const file = (name: string, type: string, bytes = 'abc') => new File([bytes], name, { type });
const target = (key: string): PutTarget => ({ url: `/files/up/${key}?e=9&s=x`, headers: { 'Content-Type': 'image/png' } });

/** Plays the server answering the last `upload` with `key`, then the PUT finishing. */
function uploadOk(ws: FakeSocket, puts: FakePut[], key: string) {
  const req = ws.sentOfType('upload').at(-1)!;
  ws.receive({ type: 'upload', cid: req.cid, key, put: target(key), expiresAt: Date.now() + 600_000, rid: ws.ridOf('upload') });
  puts.at(-1)!.end({ ok: true });
}

beforeEach(() => { FakeSocket.reset(); vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('attachments through the controller', () => {
  it('asks upload, PUTs the bytes with the answer\'s headers, then a send with no text carries the keys', async () => {
    const { c, ws, puts } = await joined();
    const png = file('cat.png', 'image/png');
    expect(c.uploads.attach([png, file('notes', '', 'hello')])).toBe(2);
    expect(ws.sentOfType('upload')).toEqual([
      { type: 'upload', room: 'lobby', name: 'cat.png', mime: 'image/png', size: 3, cid: 'cid-1' },
      { type: 'upload', room: 'lobby', name: 'notes', mime: 'application/octet-stream', size: 5, cid: 'cid-2' },
    ]);
    // Not uploaded yet: Send waits (and says why).
    expect(c.send('')).toBe(false);
    expect(c.state.notice).toMatch(/finish uploading/);
    ws.receive({ type: 'upload', cid: 'cid-1', key: KEY, put: target(KEY), expiresAt: Date.now() + 600_000, rid: ws.rids[ws.sent.findIndex((f) => f.cid === 'cid-1')] });
    expect(puts).toHaveLength(1);
    expect(puts[0].target).toEqual(target(KEY));
    expect(puts[0].body).toBe(png);
    expect(c.state.uploads[0]).toMatchObject({ status: 'uploading', key: KEY });
    puts[0].progress(2);
    expect(c.state.uploads[0].loaded).toBe(2);
    puts[0].end({ ok: true });
    expect(c.state.uploads[0].status).toBe('done');
    ws.receive({ type: 'upload', cid: 'cid-2', key: KEY2, put: target(KEY2), expiresAt: Date.now() + 600_000 });
    puts[1].end({ ok: true });

    expect(c.send('  ')).toBe(true);
    expect(ws.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: '', cid: 'cid-3', attachments: [{ key: KEY }, { key: KEY2 }] }]);
    expect(c.state.uploads).toEqual([]); // the chips went with the message
    expect(c.state.outbox[0].attachments?.map((f) => f.name)).toEqual(['cat.png', 'notes']);
    // Its own message settles the outbox item.
    ws.receive({ type: 'ack', cid: 'cid-3', room: 'lobby', id: 1, ts: 5 });
    ws.receive({ type: 'message', room: 'lobby', id: 1, ts: 5, from: ann, text: '', cid: 'cid-3', via: '1000',
      attachments: [{ key: KEY, name: 'cat.png', mime: 'image/png', size: 3, url: '/files/k', width: 2, height: 1, thumb: '/files/t' }] });
    expect(c.state.outbox).toEqual([]);
    expect(c.state.messages[0].attachments?.[0]).toMatchObject({ key: KEY, width: 2, thumb: '/files/t' });
  });

  it('an empty send with no files is still refused; text alone goes as before', async () => {
    const { c, ws } = await joined();
    expect(c.send('')).toBe(false);
    expect(c.send('hi')).toBe(true);
    expect(ws.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'hi', cid: 'cid-1' }]);
  });

  it('a send queued offline keeps its files: after the reconnect it goes with the same cid and keys', async () => {
    const { c, ws, puts } = await joined();
    c.uploads.attach([file('cat.png', 'image/png')]);
    uploadOk(ws, puts, KEY);
    ws.drop();
    expect(c.send('look')).toBe(true);
    expect(c.state.outbox[0]).toMatchObject({ status: 'pending', cid: 'cid-2', attachments: [{ key: KEY, name: 'cat.png' }] });
    const ws2 = await reconnected(ann);
    ws2.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0, rid: ws2.ridOf('join') });
    expect(ws2.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'look', cid: 'cid-2', attachments: [{ key: KEY }] }]);
    // Sent but dropped before its ack: the retry carries them again.
    ws2.drop();
    vi.advanceTimersByTime(300);
    const ws3 = FakeSocket.last();
    ws3.open();
    ws3.receive({ type: 'welcome', appId: '3000', session: 's1', member: ann, rid: ws3.ridOf('hello') });
    await tick();
    ws3.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0, rid: ws3.ridOf('join') });
    expect(ws3.sentOfType('send')).toEqual([{ type: 'send', room: 'lobby', text: 'look', cid: 'cid-2', attachments: [{ key: KEY }] }]);
  });

  it('an upload request in flight when the connection drops is asked again once joined', async () => {
    const { c, ws } = await joined();
    c.uploads.attach([file('a.txt', 'text/plain')]);
    expect(ws.sentOfType('upload')).toHaveLength(1);
    ws.drop();
    const ws2 = await reconnected(ann);
    expect(ws2.sentOfType('upload')).toEqual([]); // not before the room is joined
    ws2.receive({ type: 'joined', room: 'lobby', count: 1, members: [ann], messages: [], last: 0, rid: ws2.ridOf('join') });
    expect(ws2.sentOfType('upload')).toEqual([{ type: 'upload', room: 'lobby', name: 'a.txt', mime: 'text/plain', size: 3, cid: 'cid-2' }]);
    expect(c.state.uploads[0].status).toBe('asking');
  });

  it('refused (bad_request): the chip fails with the reason; Retry asks again under a fresh cid', async () => {
    const { c, ws } = await joined();
    c.uploads.attach([file('page.html', 'text/html')]);
    ws.receive({ type: 'error', code: 'bad_request', message: 'That type of file is not allowed.', cid: 'cid-1', rid: ws.ridOf('upload') });
    expect(c.state.uploads[0]).toMatchObject({ status: 'failed', error: 'That type of file is not allowed.' });
    expect(c.state.notice).toBeNull(); // the chip says it, not a notice
    c.uploads.retry(c.state.uploads[0].id);
    expect(ws.sentOfType('upload').map((u) => u.cid)).toEqual(['cid-1', 'cid-2']);
  });

  it('forbidden says so on the chip; an error naming the cid without a rid finds it too', async () => {
    const { c, ws } = await joined();
    c.uploads.attach([file('a.txt', 'text/plain')]);
    ws.receive({ type: 'error', code: 'forbidden', message: 'no', cid: 'cid-1' });
    expect(c.state.uploads[0]).toMatchObject({ status: 'failed', error: 'You cannot send files in this room.' });
  });

  it('rate_limited: asked again by itself after the delay the answer names', async () => {
    const { c, ws } = await joined();
    c.uploads.attach([file('a.txt', 'text/plain')]);
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down', cid: 'cid-1', retryAfterMs: 2000, rid: ws.ridOf('upload') });
    expect(c.state.uploads[0].status).toBe('asking');
    vi.advanceTimersByTime(1999);
    expect(ws.sentOfType('upload')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(ws.sentOfType('upload').map((u) => u.cid)).toEqual(['cid-1', 'cid-2']);
  });

  it('a PUT refused fails the chip with its status; removing a chip aborts its PUT and its answer is ignored', async () => {
    const { c, ws, puts } = await joined();
    c.uploads.attach([file('a.png', 'image/png'), file('b.png', 'image/png')]);
    const [a, b] = c.state.uploads;
    ws.receive({ type: 'upload', cid: 'cid-1', key: KEY, put: target(KEY), expiresAt: Date.now() + 600_000 });
    puts[0].end({ ok: false, status: 403 });
    expect(c.state.uploads[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/expired/) });
    ws.receive({ type: 'upload', cid: 'cid-2', key: KEY2, put: target(KEY2), expiresAt: Date.now() + 600_000 });
    c.uploads.remove(b.id);
    expect(puts[1].aborted).toBe(true);
    c.uploads.remove(a.id);
    expect(c.state.uploads).toEqual([]);
    expect(c.send('')).toBe(false);
  });

  it('a file over 10 MiB fails on its chip without asking; at most 10 files per message', async () => {
    const { c, ws } = await joined();
    const big = new File([new Uint8Array(10 * 1024 * 1024 + 1)], 'big.bin');
    c.uploads.attach([big]);
    expect(c.state.uploads[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/10 MB/) });
    expect(ws.sentOfType('upload')).toEqual([]);
    c.uploads.remove(c.state.uploads[0].id);
    expect(c.uploads.attach(Array.from({ length: 12 }, (_, i) => file(`f${i}.txt`, 'text/plain')))).toBe(10);
    expect(c.state.notice).toMatch(/At most 10 files/);
  });

  it('a send whose keys the server refuses (bad_request with the cid) fails like any refused message', async () => {
    const { c, ws, puts } = await joined();
    c.uploads.attach([file('a.png', 'image/png')]);
    uploadOk(ws, puts, KEY);
    c.send('x');
    ws.receive({ type: 'error', code: 'bad_request', message: 'That file was not uploaded.', cid: 'cid-2', rid: ws.ridOf('send') });
    expect(c.state.outbox[0]).toMatchObject({ status: 'failed', error: 'That file was not uploaded.', attachments: [{ key: KEY }] });
  });
});
