/**
 * The alternative people would pick: a Socket.IO 4 node with @socket.io/redis-adapter, websocket
 * transport only. The same requests as the livechat protocol travel as Socket.IO events
 * (`hello`, `join`, `send`, `ping` → `welcome`, `joined`, `ack`, `message`, `pong`), so the load
 * tool can drive it with the same scenario. Per-room ids come from Redis INCR (a cluster-wide
 * order, as a real chat needs); the message is appended to a capped Redis list for history without
 * waiting, then acked and broadcast with io.to(room).emit — the textbook Socket.IO chat. GET /readyz
 * answers 200 for HAProxy's health check.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

export interface SocketIoNode { port: number; close(): Promise<void> }

/** Starts one Socket.IO node on host:port (0 = free) using Redis at redisUrl. */
export async function startSocketIoServer(opts: { port: number; host?: string; appId: string; redisUrl: string }): Promise<SocketIoNode> {
  const pub = createClient({ url: opts.redisUrl });
  const sub = pub.duplicate();
  const store = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect(), store.connect()]);
  const server = http.createServer((req, res) => {
    if (req.url === '/readyz' || req.url === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
  const io = new Server(server, {
    transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 64 * 1024,
    adapter: createAdapter(pub, sub),
  });
  io.on('connection', (socket) => {
    let member: { id: string; name: string } | null = null;
    const joined = new Set<string>();
    socket.on('hello', (req: { name?: string }) => {
      member = { id: randomUUID(), name: String(req?.name ?? 'anon').slice(0, 32) };
      socket.emit('welcome', { appId: opts.appId, session: randomUUID(), member });
    });
    socket.on('join', async (req: { room: string }) => {
      if (!member) { socket.emit('error', { code: 'not_identified', message: 'hello first' }); return; }
      const room = String(req?.room);
      await socket.join(room);
      joined.add(room);
      const last = Number((await store.get(`sio:last:${room}`)) ?? 0);
      socket.emit('joined', { room, members: [], messages: [], last });
    });
    socket.on('send', async (req: { room: string; text: string; cid: string }) => {
      const room = String(req?.room);
      if (!member || !joined.has(room)) { socket.emit('error', { code: 'not_joined', message: 'join first', cid: req?.cid }); return; }
      try {
        const id = await store.incr(`sio:last:${room}`);
        const ts = Date.now();
        const msg = { room, id, ts, from: member, text: String(req.text), cid: String(req.cid), via: opts.appId };
        void store.multi().rPush(`sio:history:${room}`, JSON.stringify(msg)).lTrim(`sio:history:${room}`, -1000, -1).exec().catch(() => {});
        socket.emit('ack', { cid: msg.cid, room, id, ts });
        io.to(room).emit('message', msg);
      } catch {
        socket.emit('error', { code: 'unavailable', message: 'store down', cid: req?.cid });
      }
    });
    socket.on('ping', () => socket.emit('pong', {}));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      await new Promise<void>((r) => io.close(() => r()));
      await Promise.all([pub.quit(), sub.quit(), store.quit()].map((p) => p.catch(() => {})));
    },
  };
}
