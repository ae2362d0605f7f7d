// The page's attachments, the pure parts: a chip's life (asking -> uploading -> done, failed and
// retried, asked again after a reconnect), what a send may carry, the checks before asking (size,
// name, type), a pasted image's name, an image's box, the outbox keeping the keys, fresh URLs from a
// newer frame, and the frame readers accepting well-formed `attachments` / `upload` and refusing the rest.
import { describe, expect, it } from 'vitest';
import { formatSize, LIMITS, type ChatMessage } from '@livechat/protocol';
import * as A from '../../chat-front/src/attachments-state.js';
import { isFileUrl, readAttachments } from '../../chat-front/src/file-frames.js';
import { readServerMessage } from '../../chat-front/src/frames.js';
import { quoteLabel, quoteOf } from '../../chat-front/src/message-changes.js';
import { enqueue, sendRequestOf, type WithOutbox } from '../../chat-front/src/outbox.js';
import { State } from '../../chat-front/src/connection.js';

const KEY = '0b0c7e0e-3f1a-4c52-9d4b-8a6f0e2d1c3b';
const KEY2 = '1b0c7e0e-3f1a-4c52-9d4b-8a6f0e2d1c3b';
const png = { name: 'cat.png', type: 'image/png', size: 2048 };

describe('a chip\'s life', () => {
  it('asking -> uploading -> done; the send then carries its key, name, type and size', () => {
    let l = [A.newPending('f1', 'lobby', png)];
    expect(l[0]).toMatchObject({ status: 'asking', name: 'cat.png', mime: 'image/png', size: 2048, loaded: 0 });
    expect(A.readyFiles(l, 'lobby')).toBeNull();
    expect(A.dueAsks(l, 'lobby', 0).map((f) => f.id)).toEqual(['f1']);
    l = A.markAsked(l, 'f1', 'c1');
    expect(A.dueAsks(l, 'lobby', 0)).toEqual([]);
    l = A.markAnswered(l, 'c1', KEY);
    expect(l[0]).toMatchObject({ status: 'uploading', key: KEY });
    l = A.markProgress(l, 'f1', 1024);
    expect(l[0].loaded).toBe(1024);
    expect(A.markProgress(l, 'f1', 1024)).toBe(l); // nothing changed: the same list
    l = A.markUploaded(l, 'f1');
    expect(l[0]).toMatchObject({ status: 'done', loaded: 2048 });
    expect(A.readyFiles(l, 'lobby')).toEqual([{ key: KEY, name: 'cat.png', mime: 'image/png', size: 2048 }]);
    // Another room's chips are not this room's: nothing to wait for there, nothing to carry.
    expect(A.readyFiles(l, 'other')).toEqual([]);
    expect(A.clearRoom(l, 'lobby')).toEqual([]);
  });

  it('an answer to a cid no chip has (removed meanwhile) changes nothing', () => {
    const l = A.markAsked([A.newPending('f1', 'lobby', png)], 'f1', 'c1');
    expect(A.markAnswered(l, 'other-cid', KEY)).toBe(l);
    expect(A.markAnswered(A.removeFile(l, 'f1'), 'c1', KEY)).toEqual([]);
  });

  it('failed: the reason shows, the key goes; Retry asks again from the start', () => {
    let l = A.markAnswered(A.markAsked([A.newPending('f1', 'lobby', png)], 'f1', 'c1'), 'c1', KEY);
    l = A.markFailed(l, 'f1', 'The upload failed (HTTP 500).');
    expect(l[0]).toMatchObject({ status: 'failed', error: 'The upload failed (HTTP 500).', loaded: 0 });
    expect(l[0].key).toBeUndefined();
    expect(A.readyFiles(l, 'lobby')).toBeNull(); // a failed chip holds the send until retried or removed
    l = A.markRetry(l, 'f1');
    expect(l[0]).toMatchObject({ status: 'asking', asked: false });
    expect(l[0].error).toBeUndefined();
    expect(A.dueAsks(l, 'lobby', 0)).toHaveLength(1);
  });

  it('rate_limited: asked again after the delay; a reconnect asks again what was in flight', () => {
    let l = A.markAsked([A.newPending('f1', 'lobby', png)], 'f1', 'c1');
    l = A.askLater(l, 'c1', 5000);
    expect(A.dueAsks(l, 'lobby', 4999)).toEqual([]);
    expect(A.nextAskAt(l, 1000)).toBe(5000);
    expect(A.dueAsks(l, 'lobby', 5000)).toHaveLength(1);
    l = A.markAsked(l, 'f1', 'c2');
    l = A.connectionLost(l);
    expect(A.dueAsks(l, 'lobby', 0)).toHaveLength(1);
    // An upload in progress goes on over HTTP: a dropped WebSocket does not touch it.
    const up = A.markAnswered(A.markAsked([A.newPending('f2', 'lobby', png)], 'f2', 'c3'), 'c3', KEY);
    expect(A.connectionLost(up)).toBe(up);
  });
});

describe('checks before asking', () => {
  it('a file over 10 MiB fails at once (and Retry cannot ask for it); an empty one too', () => {
    const big = A.newPending('f1', 'lobby', { name: 'big.bin', type: '', size: A.MAX_FILE_BYTES + 1 });
    expect(big.status).toBe('failed');
    expect(big.error).toContain(formatSize(A.MAX_FILE_BYTES));
    expect(A.markRetry([big], 'f1')[0].status).toBe('failed');
    expect(A.newPending('f2', 'lobby', { name: 'exact.bin', type: '', size: A.MAX_FILE_BYTES }).status).toBe('asking');
    expect(A.newPending('f3', 'lobby', { name: 'empty.txt', type: 'text/plain', size: 0 }).status).toBe('failed');
  });

  it('no type -> application/octet-stream; a type is lower-cased; junk is unknown', () => {
    expect(A.newPending('f', 'r', { name: 'x', type: '', size: 1 }).mime).toBe('application/octet-stream');
    expect(A.uploadMime('Application/PDF')).toBe('application/pdf');
    expect(A.uploadMime('not a type')).toBe('application/octet-stream');
  });

  it('names: separators go, a long one is shortened keeping its extension, an empty one is "file"', () => {
    expect(A.uploadName('a/b\\c.txt')).toBe('a_b_c.txt');
    const long = A.uploadName(`${'x'.repeat(300)}.pdf`);
    expect([...long]).toHaveLength(LIMITS.fileNameMax);
    expect(long.endsWith('.pdf')).toBe(true);
    expect(A.uploadName('   ')).toBe('file');
  });

  it('a pasted image is named by its time and type', () => {
    const at = new Date(2025, 0, 31, 14, 5, 2);
    expect(A.pastedName('image/png', at)).toBe('pasted-image-2025-01-31-140502.png');
    expect(A.pastedName('image/jpeg', at)).toBe('pasted-image-2025-01-31-140502.jpg');
  });
});

describe('an image\'s box', () => {
  it('scales down to fit, keeping proportions; never scales up', () => {
    expect(A.fitBox(1920, 1080, 360, 280)).toEqual({ width: 360, height: 203 });
    expect(A.fitBox(1000, 4000, 360, 280)).toEqual({ width: 70, height: 280 });
    expect(A.fitBox(100, 50, 360, 280)).toEqual({ width: 100, height: 50 });
    expect(A.fitBox(10_000, 1, 360, 280)).toEqual({ width: 360, height: 1 });
  });
});

describe('the outbox keeps the files', () => {
  const base: WithOutbox = { room: 'lobby', conn: State.Connected, joined: true, messages: [], outbox: [] };

  it('the send carries attachments: [{key}] (and only the keys), text may be empty', () => {
    const s = enqueue(base, { cid: 'c1', text: '', now: 1, attachments: [{ key: KEY, name: 'a.png', mime: 'image/png', size: 3 }] });
    expect(s.outbox[0].attachments).toEqual([{ key: KEY, name: 'a.png', mime: 'image/png', size: 3 }]);
    expect(sendRequestOf(s.outbox[0])).toEqual({ type: 'send', room: 'lobby', text: '', cid: 'c1', attachments: [{ key: KEY }] });
  });

  it('a message without files sends no attachments field', () => {
    const s = enqueue(base, { cid: 'c1', text: 'hi', now: 1, attachments: [] });
    expect(s.outbox[0]).not.toHaveProperty('attachments');
    expect(sendRequestOf(s.outbox[0])).toEqual({ type: 'send', room: 'lobby', text: 'hi', cid: 'c1' });
  });
});

const att = (over: object = {}) => ({ key: KEY, name: 'cat.png', mime: 'image/png', size: 10, url: '/files/k?s=1', width: 640, height: 480, thumb: '/files/k/thumb?s=1', ...over });
const message = (over: object = {}) => readServerMessage({
  type: 'message', room: 'lobby', id: 5, ts: 1, from: { id: 'a', name: 'Ann' }, text: '', cid: 'c', via: '1000', ...over,
}) as ChatMessage | null;

describe('reading attachments from frames', () => {
  it('a message keeps its well-formed files, rebuilt field by field', () => {
    const m = message({ attachments: [att({ extra: 'dropped' }), { key: KEY2, name: 'doc.pdf', mime: 'application/pdf', size: 99, url: 'https://s3.example/b/k?X-Amz=1' }] });
    expect(m?.attachments).toEqual([att(), { key: KEY2, name: 'doc.pdf', mime: 'application/pdf', size: 99, url: 'https://s3.example/b/k?X-Amz=1' }]);
  });

  it('a file whose URL could run code, or with a field missing, is left out; the message stays', () => {
    for (const bad of [att({ url: 'javascript:alert(1)' }), att({ url: 'data:text/html,x' }), att({ url: '//evil.example/x' }), att({ key: undefined }),
      att({ size: -1 }), att({ mime: 'not a type' }), att({ name: '' }), 'x', null]) {
      const m = message({ attachments: [bad] });
      expect(m, JSON.stringify(bad)).not.toBeNull();
      expect(m?.attachments, JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('a bad thumb or size is dropped, the file kept; a key twice once; at most 10', () => {
    expect(readAttachments([att({ thumb: 'javascript:x', width: 0 })])).toEqual([{ key: KEY, name: 'cat.png', mime: 'image/png', size: 10, url: '/files/k?s=1' }]);
    expect(readAttachments([att(), att()])).toHaveLength(1);
    const many = Array.from({ length: 12 }, (_, i) => att({ key: `k${i}` }));
    expect(readAttachments(many)).toHaveLength(LIMITS.attachmentsMax);
    expect(readAttachments('nope')).toBeNull();
  });

  it('a deleted message carries no files, whatever came with it', () => {
    const m = message({ deleted: true, attachments: [att()] });
    expect(m?.deleted).toBe(true);
    expect(m?.attachments).toBeUndefined();
  });

  it('file URLs: a path on this origin or http(s)', () => {
    expect(isFileUrl('/files/up/k?e=1&s=2')).toBe(true);
    expect(isFileUrl('http://127.0.0.1:9000/bucket/k')).toBe(true);
    for (const u of ['', 'files/x', '//x', '/\\x', 'ftp://x', 'JAVASCRIPT:x', '/a b', 42]) expect(isFileUrl(u), String(u)).toBe(false);
  });

  it('the upload answer: cid, key, a PUT target with its headers, expiry; anything malformed is not a frame', () => {
    const good = { type: 'upload', cid: 'c1', key: KEY, put: { url: '/files/up/k?e=1&s=2', headers: { 'Content-Type': 'image/png' } }, expiresAt: 1e12, rid: 'r9' };
    expect(readServerMessage(good)).toEqual(good);
    expect(readServerMessage({ ...good, put: { url: 'javascript:x', headers: {} } })).toBeNull();
    expect(readServerMessage({ ...good, put: { url: '/x', headers: { 'Bad Header': 'v' } } })).toBeNull();
    expect(readServerMessage({ ...good, put: { url: '/x', headers: { h: 1 } } })).toBeNull();
    expect(readServerMessage({ ...good, key: undefined })).toBeNull();
    expect(readServerMessage({ ...good, expiresAt: 'soon' })).toBeNull();
  });
});

describe('fresh URLs from a newer frame', () => {
  it('messages held take the files of the same message in a newer frame; others stay the same objects', () => {
    const old = { ...(message({ id: 5, attachments: [att({ url: '/files/old' })] }) as ChatMessage) };
    const other = { ...(message({ id: 6, text: 'hi' }) as ChatMessage) };
    const held = [old, other];
    const fresh = message({ id: 5, attachments: [att({ url: '/files/new' })] }) as ChatMessage;
    const out = A.freshFiles(held, [fresh]);
    expect(out[0].attachments?.[0].url).toBe('/files/new');
    expect(out[1]).toBe(other);
    expect(A.freshFiles(out, [fresh])).toBe(out); // the same URLs: nothing changes
    expect(A.freshFiles(held, [other])).toBe(held);
  });
});

describe('a reply to a message with files', () => {
  const from = { id: 'm-ann', name: 'Ann' };
  const files = [{ key: 'k1', name: 'a.pdf', mime: 'application/pdf', size: 3, url: '/files/r/x/k1.bin' }];
  const msg = (over: Partial<ChatMessage>): ChatMessage => ({ type: 'message', room: 'r', id: 4, ts: 1, from, text: '', cid: 'c', via: 'A', ...over });

  it('quotes their count: shown when the text is empty, dropped once the message is deleted', () => {
    expect(quoteOf(msg({ attachments: files }))).toEqual({ id: 4, from, text: '', files: 1 });
    expect(quoteLabel(quoteOf(msg({ attachments: [...files, { ...files[0], key: 'k2' }] })))).toBe('📎 2 files');
    expect(quoteLabel(quoteOf(msg({ attachments: files })))).toBe('📎 a file');
    expect(quoteLabel(quoteOf(msg({ text: 'see', attachments: files })))).toBe('see');
    expect(quoteLabel(quoteOf(msg({ deleted: true })))).toBe('deleted message');
  });

  it('the frame reader keeps a quote\'s file count, and only a count', () => {
    const reply = (replyTo: unknown) => readServerMessage({ ...msg({ id: 5, text: 'ok' }), replyTo }) as ChatMessage | null;
    expect(reply({ id: 4, from, text: '', files: 2 })?.replyTo).toEqual({ id: 4, from, text: '', files: 2 });
    expect(reply({ id: 4, from, text: '', files: 'many' })?.replyTo).toEqual({ id: 4, from, text: '' });
  });
});
