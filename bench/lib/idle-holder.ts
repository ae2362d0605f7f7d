/**
 * Idle members for the memory slope (memory-slope.ts): each client connects (RawWsClient, either wire),
 * says hello, joins one room (rooms of `roomSize`), and then only stays — answering Engine.IO pings
 * and WebSocket pings, sending nothing. Clients are added in batches and held until `close()`.
 */
import { RawWsClient } from './raw-ws-client.js';
import { wireFor, type WireKind } from './wire.js';

export interface IdleHolderOptions {
  url: string;
  wire: WireKind;
  roomSize: number;
  /** Spread source addresses over 127.0.0.1..N. */
  localIps: number;
  prefix: string;
}

export class IdleHolder {
  private readonly clients: RawWsClient[] = [];
  private joined = 0;
  private lost = 0;

  constructor(private readonly o: IdleHolderOptions) {}

  get held(): number {
    return this.joined - this.lost;
  }

  /** Adds `n` members, `batch` connecting at a time; resolves once all of them joined (rejects after `timeoutMs`). */
  async add(n: number, batch = 100, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let done = 0; done < n; done += batch) {
      const k = Math.min(batch, n - done);
      await Promise.all(Array.from({ length: k }, () => this.one(Math.max(1000, deadline - Date.now()))));
    }
  }

  private one(timeoutMs: number): Promise<void> {
    const i = this.clients.length;
    const wire = wireFor(this.o.wire);
    const room = `${this.o.prefix}-${Math.floor(i / this.o.roomSize)}`;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`idle member ${i} not joined within ${timeoutMs} ms`)), timeoutMs);
      const hello = () => c.send(wire.encode({ type: 'hello', name: `idle-${i}` }));
      const c: RawWsClient = new RawWsClient({ url: this.o.url, protocols: wire.protocols, localAddress: `127.0.0.${1 + (i % this.o.localIps)}` }, {
        onOpen: () => { if (!wire.needsConnect) hello(); },
        onText: (buf, start, end) => {
          const d = wire.decode(buf.toString('utf8', start, end));
          if (!d) return;
          if (d.reply) c.send(d.reply);
          if (d.ready) hello();
          if (d.msg?.type === 'welcome') c.send(wire.encode({ type: 'join', room }));
          else if (d.msg?.type === 'joined' && !done) { this.joined++; finish(); }
          else if (d.msg?.type === 'error' && !done) finish(new Error(`idle member ${i}: ${d.msg.code}`));
        },
        onClose: () => { if (done) this.lost++; else finish(new Error(`idle member ${i}: closed before joining`)); },
        onError: () => {},
      });
      this.clients.push(c);
    });
  }

  close(): void {
    for (const c of this.clients) c.terminate();
  }
}
