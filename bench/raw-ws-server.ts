/**
 * The floor for the benchmark: a single-process broadcast server on plain `ws`, with no store, no
 * bus and no presence. It speaks just enough of the protocol for the load tool — hello → welcome,
 * join → joined, send → ack + `message` (per-room ids 1, 2, 3, … from a counter) to every member,
 * ping → pong — and answers GET /readyz so HAProxy can health-check it like a real server.
 * Each message is serialized once and the same Buffer is handed to every member's ws.send.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { messageFrame, messageParts, SUBPROTOCOL } from '@livechat/protocol';

export interface RawServer { port: number; close(): Promise<void> }

interface Conn { ws: WebSocket; member: { id: string; name: string } | null; rooms: Set<string> }

/** Starts the raw broadcast server on host:port (0 = a free port). */
export function startRawServer(opts: { port: number; host?: string; appId?: string }): Promise<RawServer> {
  const appId = opts.appId ?? 'raw';
  const rooms = new Map<string, { last: number; members: Set<Conn> }>();
  const roomOf = (name: string) => {
    let r = rooms.get(name);
    if (!r) rooms.set(name, (r = { last: 0, members: new Set() }));
    return r;
  };
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/readyz' || req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' }).end('ok\n');
  });
  const wss = new WebSocketServer({
    noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/ws')) { socket.destroy(); return; }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });
  const reply = (ws: WebSocket, obj: object) => ws.send(JSON.stringify(obj));

  function onConnection(ws: WebSocket): void {
    const c: Conn = { ws, member: null, rooms: new Set() };
    ws.on('message', (data, isBinary) => {
      if (isBinary) { ws.close(1003); return; }
      let req: Record<string, unknown>;
      try { req = JSON.parse(data.toString()) as Record<string, unknown>; } catch { reply(ws, { type: 'error', code: 'bad_request', message: 'bad JSON' }); return; }
      const room = typeof req.room === 'string' ? req.room : '';
      if (req.type === 'hello') {
        c.member = { id: randomUUID(), name: String(req.name ?? 'anon').slice(0, 32) };
        reply(ws, { type: 'welcome', appId, session: randomUUID(), member: c.member });
      } else if (!c.member) {
        reply(ws, { type: 'error', code: 'not_identified', message: 'hello first' });
      } else if (req.type === 'join') {
        const r = roomOf(room);
        r.members.add(c);
        c.rooms.add(room);
        reply(ws, { type: 'joined', room, members: [], messages: [], last: r.last });
      } else if (req.type === 'send') {
        const r = rooms.get(room);
        if (!r || !c.rooms.has(room)) { reply(ws, { type: 'error', code: 'not_joined', message: 'join first', cid: req.cid }); return; }
        const id = ++r.last;
        const ts = Date.now();
        const cid = String(req.cid);
        reply(ws, { type: 'ack', cid, room, id, ts });
        const frame = Buffer.from(messageFrame(messageParts(room, c.member, String(req.text), cid, appId), id, ts));
        for (const m of r.members) m.ws.send(frame, { binary: false });
      } else if (req.type === 'ping') {
        reply(ws, { type: 'pong' });
      } else if (req.type === 'leave') {
        rooms.get(room)?.members.delete(c);
        c.rooms.delete(room);
        reply(ws, { type: 'left', room });
      }
    });
    ws.on('close', () => { for (const name of c.rooms) rooms.get(name)?.members.delete(c); });
    ws.on('error', () => ws.terminate());
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          for (const ws of wss.clients) ws.terminate();
          wss.close();
          server.close(() => done());
        }),
      });
    });
  });
}
