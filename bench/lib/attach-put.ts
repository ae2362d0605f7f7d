/**
 * The attach scenario's PUTs: the file's bytes over HTTP to the page's origin (nginx, the `local`
 * driver; or wherever `put.url` points), as a browser would. At most `concurrency` PUTs are in flight
 * at once, all clients together, the rest wait in order; each goes out from its client's source
 * address (`localAddress`, as the WebSockets do on loopback), over a keep-alive agent per address
 * with at most `concurrency` sockets — so the tool adds at most that many connections per address to
 * the ones it already holds (the per-address limits: nginx's limit_conn, LC_MAX_CONN_PER_IP).
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';

export interface PutResult {
  /** HTTP status (0 when the request failed before one came back). */
  status: number;
  /** `http_403`, `ECONNRESET`, `timeout`… when not 2xx; null when stored. */
  error: string | null;
  /** Queued → started → done, performance.now() ms. */
  queuedAt: number; startedAt: number; doneAt: number;
}

interface Job { url: URL; headers: Record<string, string>; body: Buffer; localAddress?: string; queuedAt: number; done: (r: PutResult) => void }

export class PutPool {
  private readonly queue: Job[] = [];
  private readonly agents = new Map<string, http.Agent>();
  private running = 0;
  /** Bytes stored, PUTs done, and the time at least one PUT was in flight (ms). */
  bytes = 0;
  puts = 0;
  busyMs = 0;
  private busySince = 0;
  maxQueued = 0;

  constructor(private readonly concurrency: number, private readonly timeoutMs = 60_000) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`--attach-concurrency: expected an integer >= 1, got ${concurrency}`);
  }

  get inFlight(): number {
    return this.running + this.queue.length;
  }

  /** Queues one PUT; resolves with how it went (never rejects). */
  put(url: URL, headers: Record<string, string>, body: Buffer, localAddress?: string): Promise<PutResult> {
    return new Promise((done) => {
      this.queue.push({ url, headers, body, localAddress, queuedAt: performance.now(), done });
      this.maxQueued = Math.max(this.maxQueued, this.queue.length);
      this.pump();
    });
  }

  /** Closes the agents' idle sockets. */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private agent(tls: boolean, localAddress?: string): http.Agent {
    const key = `${tls ? 's' : ''}${localAddress ?? ''}`;
    let a = this.agents.get(key);
    if (!a) {
      const opts = { keepAlive: true, maxSockets: this.concurrency, maxFreeSockets: this.concurrency };
      a = tls ? new https.Agent(opts) : new http.Agent(opts);
      this.agents.set(key, a);
    }
    return a;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (this.running === 0) this.busySince = performance.now();
      this.running++;
      this.start(job);
    }
  }

  private start(job: Job): void {
    const startedAt = performance.now();
    let settled = false;
    const finish = (status: number, error: string | null) => {
      if (settled) return;
      settled = true;
      const doneAt = performance.now();
      this.running--;
      if (this.running === 0) this.busyMs += doneAt - this.busySince;
      if (!error) { this.bytes += job.body.length; this.puts++; }
      job.done({ status, error, queuedAt: job.queuedAt, startedAt, doneAt });
      this.pump();
    };
    const tls = job.url.protocol === 'https:';
    const req = (tls ? https : http).request(job.url, {
      method: 'PUT',
      headers: { ...job.headers, 'Content-Length': String(job.body.length) },
      agent: this.agent(tls, job.localAddress),
      localAddress: job.localAddress,
      timeout: this.timeoutMs,
    }, (res) => {
      res.resume(); // nginx's answer to a PUT is empty (201/204); drain it so the socket is reused
      res.on('end', () => finish(res.statusCode ?? 0, (res.statusCode ?? 0) < 300 ? null : `http_${res.statusCode}`));
      res.on('error', (err) => finish(res.statusCode ?? 0, (err as NodeJS.ErrnoException).code ?? 'response_error'));
    });
    req.on('timeout', () => { req.destroy(); finish(0, 'timeout'); });
    req.on('error', (err) => finish(0, (err as NodeJS.ErrnoException).code ?? 'request_error'));
    req.end(job.body);
  }
}
