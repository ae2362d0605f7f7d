/**
 * A client that behaves as the protocol asks a real one to: it keeps its session, tracks the last
 * message id per room, reconnects with full-jitter backoff when its connection drops (to whatever
 * server `pickUrl` names: HAProxy, or one of the servers), joins again with `after`, and retries
 * every unacked `send` with the same `cid`. It speaks over WebSocket, or over the SSE fallback
 * (`dial: dialSse`, client-transport.ts): the same client, the same accounting.
 *
 * Accounting for "zero lost, zero duplicated": each client counts ids that arrive out of order
 * (duplicate: id <= last; gap: id > last + 1); a Ledger collects every ack. After the run, every
 * acked id must be at most each receiver's last id (with no gap on the way, that means received).
 */
import { v4 as uuidv4 } from 'uuid';
import { dialWs, type ClientTransport, type Dial } from './client-transport.js';

export interface ClientStats {
  connects: number;
  closeCodes: number[];
  duplicates: string[];
  gaps: string[];
  truncated: number;
  unavailable: number;
}

/** Every ack of a run: room -> cid -> id. A cid acked twice must get the same id. */
export class Ledger {
  readonly acks = new Map<string, Map<string, number>>();
  readonly conflicts: string[] = [];

  record(room: string, cid: string, id: number): void {
    let m = this.acks.get(room);
    if (!m) this.acks.set(room, (m = new Map()));
    const prev = m.get(cid);
    if (prev !== undefined && prev !== id) this.conflicts.push(`${room}/${cid}: ${prev} then ${id}`);
    m.set(cid, id);
  }

  ids(room: string): number[] {
    return [...(this.acks.get(room)?.values() ?? [])].sort((a, b) => a - b);
  }
}

interface PendingSend {
  room: string;
  cid: string;
  text: string;
  resolve: (id: number) => void;
}

export class ResumingClient {
  readonly lastId = new Map<string, number>();
  /** Ids received per room since the first join, in arrival order. */
  readonly received = new Map<string, number[]>();
  readonly stats: ClientStats = { connects: 0, closeCodes: [], duplicates: [], gaps: [], truncated: 0, unavailable: 0 };
  appId = '';
  memberId = '';
  link: ClientTransport | null = null;
  /** Resolves each time the client is identified and joined to all its rooms. */
  private readyWaiters: Array<() => void> = [];
  ready = false;
  private session: string | undefined;
  private pending = new Map<string, PendingSend>();
  private joinedRooms = new Set<string>();
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly name: string,
    readonly rooms: string[],
    private readonly pickUrl: () => string,
    private readonly ledger: Ledger,
    private readonly opts: { maxBackoffMs?: number; onMessage?: (room: string, id: number) => void; dial?: Dial } = {},
  ) {}

  /** Connects (retrying) and resolves once joined to every room. */
  async start(timeoutMs = 10_000): Promise<void> {
    this.connect();
    await this.waitReady(timeoutMs);
  }

  waitReady(timeoutMs = 10_000): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: not ready within ${timeoutMs} ms (${JSON.stringify(this.stats)})`)), timeoutMs);
      this.readyWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  /** Sends a message; resolves with its id once acked (retrying across reconnects and `unavailable`). */
  send(room: string, text: string): Promise<number> {
    const cid = uuidv4();
    return new Promise((resolve) => {
      const p: PendingSend = { room, cid, text, resolve };
      this.pending.set(cid, p);
      this.write(p);
    });
  }

  get unacked(): number {
    return this.pending.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.link?.terminate();
  }

  private write(p: PendingSend): void {
    if (this.ready && this.link?.open) this.link.send({ type: 'send', room: p.room, text: p.text, cid: p.cid });
  }

  private connect(): void {
    if (this.stopped) return;
    this.ready = false;
    this.joinedRooms.clear();
    const link: ClientTransport = (this.opts.dial ?? dialWs)(this.pickUrl(), {
      onOpen: () => {
        this.stats.connects++;
        link.send({ type: 'hello', name: this.name, ...(this.session ? { session: this.session } : {}) });
      },
      onFrame: (f) => this.onFrame(link, f),
      onClose: (code) => this.onClose(link, code),
    });
    this.link = link;
  }

  private onClose(link: ClientTransport, code: number): void {
    if (this.link !== link) return;
    this.stats.closeCodes.push(code);
    this.ready = false;
    if (this.stopped) return;
    // Full jitter: a whole server's clients must not come back in lockstep.
    const cap = Math.min(this.opts.maxBackoffMs ?? 1000, 100 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => this.connect(), Math.random() * cap);
  }

  private onFrame(link: ClientTransport, f: Record<string, any>): void {
    switch (f.type) {
      case 'welcome':
        this.session = f.session;
        this.appId = f.appId;
        this.memberId = f.member.id;
        for (const room of this.rooms) {
          const after = this.lastId.get(room);
          link.send({ type: 'join', room, ...(after !== undefined ? { after } : {}) });
        }
        return;
      case 'joined': {
        const room = f.room as string;
        if (f.truncated) this.stats.truncated++;
        if (!this.lastId.has(room)) {
          // First join: start counting from the newest message the room had.
          this.lastId.set(room, f.last);
          this.received.set(room, []);
        } else {
          for (const m of f.messages) this.onMessage(room, m.id);
        }
        this.joinedRooms.add(room);
        if (this.joinedRooms.size === this.rooms.length) {
          this.ready = true;
          this.attempt = 0;
          for (const w of this.readyWaiters.splice(0)) w();
          for (const p of this.pending.values()) this.write(p);
        }
        return;
      }
      case 'message':
        this.onMessage(f.room, f.id);
        return;
      case 'ack': {
        this.ledger.record(f.room, f.cid, f.id);
        const p = this.pending.get(f.cid);
        if (p) {
          this.pending.delete(f.cid);
          p.resolve(f.id);
        }
        return;
      }
      case 'error': {
        const p = f.cid ? this.pending.get(f.cid) : undefined;
        if (f.code === 'unavailable') this.stats.unavailable++;
        if (p) setTimeout(() => this.write(p), Math.min(f.retryAfterMs ?? 200, 500));
        return;
      }
    }
  }

  private onMessage(room: string, id: number): void {
    const last = this.lastId.get(room);
    if (last === undefined) return;
    if (id <= last) this.stats.duplicates.push(`${room}#${id} after ${last}`);
    else {
      if (id > last + 1) this.stats.gaps.push(`${room}: ${last} -> ${id}`);
      this.lastId.set(room, id);
      this.received.get(room)!.push(id);
      this.opts.onMessage?.(room, id);
    }
  }
}

/**
 * Checks a run: no ack conflicts; every client saw no duplicate and no gap; every acked id reached
 * every client (its last id is at least the highest ack). Returns a list of problems (empty = ok).
 */
export function audit(ledger: Ledger, clients: ResumingClient[], room: string): string[] {
  const problems = [...ledger.conflicts];
  const acked = ledger.ids(room);
  const top = acked.at(-1) ?? 0;
  for (const c of clients) {
    if (c.stats.duplicates.length) problems.push(`${c.name}: duplicates ${c.stats.duplicates.slice(0, 5).join(', ')}`);
    if (c.stats.gaps.length) problems.push(`${c.name}: gaps ${c.stats.gaps.slice(0, 5).join(', ')}`);
    const got = new Set(c.received.get(room) ?? []);
    const base = (c.lastId.get(room) ?? 0) - got.size;
    const missing = acked.filter((id) => id > base && !got.has(id));
    if (missing.length) problems.push(`${c.name}: missing ${missing.length} acked ids, e.g. ${missing.slice(0, 5).join(',')} (last ${c.lastId.get(room)}, top ack ${top})`);
    if (c.stats.truncated) problems.push(`${c.name}: resume truncated`);
  }
  return problems;
}
