/**
 * A tiny in-process stand-in for livechat's large-room behaviour, to test the load tool's big-room
 * checks without the real cluster, including their ability to catch a misbehaving server:
 * several "servers" (one port and APPID each) share one room state; rooms above `threshold`
 * members get `joined` with a truncated list and `presence` count events (at most one a second),
 * smaller ones join/leave events with the count; `members` pages the list in pages of at most
 * `pageMax`. Faults: a count skewed on one APPID, a member repeated across pages, no count events,
 * joins answered `unavailable`.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ackFrame, errorFrame, joinedFrame, membersFrame, messageFrame, messageParts, presenceFrame, welcomeFrame, type Member, type Request,
} from '@livechat/protocol';

export interface FakeFaults {
  /** joined.count reported this much off on these APPIDs. */
  countSkew?: Record<string, number>;
  /** Each page after the first starts with the previous page's last member again. */
  repeatAcrossPages?: boolean;
  /** No count events in large rooms. */
  silentCounts?: boolean;
  /** The first this many joins are answered `unavailable` (retryAfterMs 100), as a server whose store timed out. */
  unavailableJoins?: number;
}

export interface FakeRooms { urls: string[]; appIds: string[]; close(): Promise<void> }

interface Room { members: Map<string, { member: Member; conns: Set<WebSocket> }>; lastId: number; lastCountAt: number; countTimer: NodeJS.Timeout | null }

export async function startFakeRooms(appIds: string[], opts: { threshold?: number; pageMax?: number; faults?: FakeFaults } = {}): Promise<FakeRooms> {
  const threshold = opts.threshold ?? 5;
  const pageMax = opts.pageMax ?? 500;
  const faults = opts.faults ?? {};
  const rooms = new Map<string, Room>();
  const sessions = new Map<string, Member>();
  const roomOf = (name: string) => {
    let r = rooms.get(name);
    if (!r) rooms.set(name, (r = { members: new Map(), lastId: 0, lastCountAt: 0, countTimer: null }));
    return r;
  };
  const everyone = (r: Room) => [...r.members.values()].flatMap((m) => [...m.conns]);
  const broadcast = (r: Room, frame: string) => { for (const ws of everyone(r)) ws.send(frame); };
  const countEvent = (name: string, r: Room) => {
    if (faults.silentCounts || r.countTimer) return;
    const wait = Math.max(0, r.lastCountAt + 1000 - Date.now());
    r.countTimer = setTimeout(() => {
      r.countTimer = null;
      r.lastCountAt = Date.now();
      broadcast(r, presenceFrame({ type: 'presence', room: name, event: 'count', count: r.members.size }));
    }, wait);
  };
  const changed = (name: string, r: Room, event: 'join' | 'leave', member: Member, except?: WebSocket) => {
    if (r.members.size > threshold || (event === 'leave' && r.members.size === threshold)) {
      countEvent(name, r);
      return;
    }
    const frame = presenceFrame({ type: 'presence', room: name, event, member, count: r.members.size });
    for (const ws of everyone(r)) if (ws !== except) ws.send(frame);
  };

  const servers = await Promise.all(appIds.map(async (appId) => {
    const http1 = http.createServer();
    const wss = new WebSocketServer({ server: http1, path: '/ws', handleProtocols: (p) => (p.has('livechat.v1') ? 'livechat.v1' : false) });
    wss.on('connection', (ws) => {
      let me: Member | null = null;
      const joined = new Set<string>();
      ws.on('message', (data) => {
        const req = JSON.parse(data.toString()) as Request;
        if (req.type === 'hello') {
          if (!me) {
            me = (req.session && sessions.get(req.session)) || { id: randomUUID(), name: req.name };
            const session = req.session && sessions.has(req.session) ? req.session : randomUUID();
            sessions.set(session, me);
            ws.send(welcomeFrame({ appId, session, member: me }));
          }
          return;
        }
        if (!me) { ws.send(errorFrame({ type: 'error', code: 'not_identified', message: 'hello first' })); return; }
        const r = 'room' in req ? roomOf(req.room) : null;
        switch (req.type) {
          case 'join': {
            if (faults.unavailableJoins && faults.unavailableJoins-- > 0) {
              ws.send(errorFrame({ type: 'error', code: 'unavailable', message: 'store timed out', retryAfterMs: 100 }));
              return;
            }
            const room = r!;
            let entry = room.members.get(me.id);
            const isNew = !entry;
            if (!entry) room.members.set(me.id, (entry = { member: me, conns: new Set() }));
            entry.conns.add(ws);
            joined.add(req.room);
            if (isNew) changed(req.room, room, 'join', me, ws);
            const list = [...room.members.values()].map((m) => m.member).sort((a, b) => (a.id < b.id ? -1 : 1));
            const count = room.members.size + (faults.countSkew?.[appId] ?? 0);
            ws.send(joinedFrame({ room: req.room, count, members: list.slice(0, threshold), membersTruncated: list.length > threshold, last: room.lastId }, []));
            return;
          }
          case 'members': {
            if (!joined.has(req.room)) { ws.send(errorFrame({ type: 'error', code: 'not_joined', message: 'join first' })); return; }
            const list = [...r!.members.values()].map((m) => m.member).sort((a, b) => (a.id < b.id ? -1 : 1));
            let from = req.after === undefined ? 0 : list.findIndex((m) => m.id > req.after!);
            if (from < 0) from = list.length;
            if (faults.repeatAcrossPages && req.after !== undefined && from > 0) from--;
            const page = list.slice(from, from + Math.min(pageMax, req.limit ?? 200));
            const more = from + page.length < list.length;
            ws.send(membersFrame({ room: req.room, members: page, ...(more ? { next: page[page.length - 1].id } : {}) }));
            return;
          }
          case 'send': {
            const id = ++r!.lastId;
            const ts = Date.now();
            ws.send(ackFrame({ cid: req.cid, room: req.room, id, ts }));
            broadcast(r!, messageFrame(messageParts(req.room, me, req.text, req.cid, appId), id, ts));
            return;
          }
          default:
            return;
        }
      });
      ws.on('close', () => {
        if (!me) return;
        for (const name of joined) {
          const r = roomOf(name);
          const entry = r.members.get(me.id);
          if (!entry) continue;
          entry.conns.delete(ws);
          if (entry.conns.size > 0) continue;
          r.members.delete(me.id);
          changed(name, r, 'leave', me);
        }
      });
    });
    await new Promise<void>((resolve) => http1.listen(0, '127.0.0.1', resolve));
    return { appId, http1, wss, port: (http1.address() as { port: number }).port };
  }));

  return {
    urls: servers.map((s) => `ws://127.0.0.1:${s.port}/ws`),
    appIds,
    close: async () => {
      for (const r of rooms.values()) if (r.countTimer) clearTimeout(r.countTimer);
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        for (const c of s.wss.clients) c.terminate();
        s.wss.close(() => s.http1.close(() => resolve()));
      })));
    },
  };
}
