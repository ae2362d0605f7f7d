/**
 * Half-open peers: a client that vanishes without a FIN (it stops answering pings, or stops reading
 * altogether) is dropped by the heartbeat within two ping intervals, and leaves presence. A client
 * that answers pings is never dropped. Real server process with PING_INTERVAL_MS=500.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, sleep, waitFor, type ServerProc } from '../helpers/server-proc.js';
import { TestClient } from '../helpers/ws-client.js';
import { RawClient } from './lib/raw-ws.js';

const PING = 500;

describe('half-open clients (real server process, PING_INTERVAL_MS=500)', () => {
  let srv: ServerProc;
  const clients: TestClient[] = [];
  const raws: RawClient[] = [];

  beforeAll(async () => {
    srv = await startServer({ appId: 'halfopen-1', env: { PING_INTERVAL_MS: String(PING), PRESENCE_GRACE_MS: '200' } });
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    for (const r of raws) r.destroy();
    await srv?.kill('SIGKILL');
  });

  async function watcher(room: string): Promise<TestClient> {
    const w = await TestClient.connect(srv.url);
    clients.push(w);
    await w.hello('Watcher');
    await w.request({ type: 'join', room }, 'joined');
    return w;
  }

  it('a raw client that answers pings stays; once it stops answering (no FIN) it is dropped within two intervals and leaves', async () => {
    const w = await watcher('ho');
    const { client: raw } = await RawClient.handshake(srv.port);
    if (!raw) throw new Error('handshake refused');
    raws.push(raw);
    raw.sendText({ type: 'hello', name: 'Phantom' });
    raw.sendText({ type: 'join', room: 'ho' });
    await raw.until('joined', () => raw.json().some((f) => f.type === 'joined'));
    const phantomId = (raw.json().find((f) => f.type === 'welcome')!.member as { id: string }).id;

    await sleep(PING * 3.2);
    expect(raw.ended).toBe(false);
    expect(raw.frames.filter((f) => f.opcode === 9).length).toBeGreaterThanOrEqual(2);

    raw.answerPings = false;
    const t0 = Date.now();
    await raw.until('server drops the connection', () => raw.ended, PING * 4);
    const dropMs = Date.now() - t0;
    expect(dropMs).toBeLessThanOrEqual(PING * 2 + 200);
    expect(raw.closeCode).toBeNull(); // terminated (no close handshake with a dead peer)
    await w.next((f) => f.type === 'presence' && f.event === 'leave' && (f.member as { id: string }).id === phantomId, 3000);
    expect(srv.log()).toMatch(/missed pong, dropping/);
  });

  it('a ws client whose socket stops reading entirely is dropped within two intervals', async () => {
    await watcher('ho2');
    const c = await TestClient.connect(srv.url);
    clients.push(c);
    await c.hello('Frozen');
    await c.request({ type: 'join', room: 'ho2' }, 'joined');
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    const before = (srv.log().match(/missed pong, dropping/g) ?? []).length;
    socket.pause();
    const t0 = Date.now();
    await waitFor('server log: missed pong', () => (srv.log().match(/missed pong, dropping/g) ?? []).length > before, PING * 4, 20);
    expect(Date.now() - t0).toBeLessThanOrEqual(PING * 2 + 200);
    socket.resume();
    await c.closed;
  });
});
