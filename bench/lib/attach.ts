/**
 * `--attach`: some of the senders' messages carry an image (attach-spec.ts says which), sent as a page
 * does (shared/PROTOCOL.md "Attachments"): `upload` {room, name, mime, size, cid} → the `upload` answer's
 * signed target → PUT of the bytes over HTTP to the page's origin (attach-put.ts: bounded, from the
 * client's source address) → `send` with `attachments: [{key}]`, its text carrying the send time like
 * any load message. The engine sends it and accounts its ack and deliveries as a message's; this module
 * times the steps and checks every delivered copy carries the attachment.
 *
 * Measured: upload request → `upload` answer (grant), queued → PUT start (wait), PUT, `send` → `ack`,
 * and the whole upload request → `ack`; PUT throughput (bytes over the time any PUT was in flight);
 * delivery latency (send → arrival, as the engine measures it) of messages with and without an
 * attachment separately, beside the engine's over all; failures by step and code (`upload:rate_limited`,
 * `put:http_403`, `send:bad_request`, `delivery:…`). At the end one delivered attachment's `url` and
 * `thumb` are fetched from the page's origin (as an <img> would).
 */
import { randomUUID } from 'node:crypto';
import { Histogram, percentilesMs, type Percentiles } from './histogram.js';
import type { DeliveryLedger } from './ledger.js';
import { PutPool } from './attach-put.js';
import { attaches, attachSpecText, makeImage, type AttachSpec, type TestImage } from './attach-spec.js';

/** A client as this module sees it (the engine's Client fits). */
export interface AttachClient {
  i: number; room: string; ws: { send(text: string): void; readonly isOpen: boolean } | null;
  ledger: DeliveryLedger | null; closedUnexpectedly: boolean;
}

export interface AttachContext {
  pageUrl: string;
  concurrency: number;
  /** Loopback source addresses 127.0.0.1..N (as the WebSockets), used when the page URL is on 127.x. */
  localIps: number;
  encode(req: { type: string } & Record<string, unknown>): string;
  /** Sends a message with these attachments as the engine's own (pending, ack, ledger); returns its cid. */
  sendMessage(c: AttachClient, attachments: Array<{ key: string }>): string;
  now(): number;
}

export interface AttachFigures {
  spec: string; pageUrl: string; concurrency: number;
  image: { bytes: number; width: number; height: number; mime: 'image/png' };
  /** Messages drawn to carry an image; uploads asked, granted, PUT, sent, acked; failed (any step); still in flight at the end. */
  uploads: { started: number; granted: number; put: number; sent: number; acked: number; failed: number; unfinished: number };
  /** Failures by step and code. */
  errors: Record<string, number>;
  /** ms: upload → grant, queued → PUT start, PUT, send → ack, and upload → ack (the whole thing a person waits for). */
  grant: Percentiles; putWait: Percentiles; put: Percentiles; sendToAck: Percentiles; uploadToAck: Percentiles;
  /** Bytes PUT; MB/s (10^6) over the time any PUT was in flight, and over the send + drain window. */
  throughput: { bytes: number; puts: number; busyS: number; mbPerSecBusy: number; mbPerSecWindow: number; maxQueued: number };
  /** Delivery latency (send → each client's arrival) of every message, of those without and of those with an attachment. */
  delivery: { all: Percentiles; plain: Percentiles; attached: Percentiles };
  /** Copies of attached messages that arrived carrying their attachment as sent, expected (acked × the room's clients), wrong. */
  attachedDeliveries: { ok: number; expected: number; bad: number };
  /** One delivered attachment fetched at the end: HTTP statuses and the thumbnail's type (null: none delivered). */
  sample: { url: number; thumb: number; thumbType: string } | null;
  /** The baseline run (no attachments) of the same invocation, when it ran (loadtest.ts). */
  baseline?: { latency: Percentiles; messages: number; delivered: number; lost: number; ok: boolean; failures: string[] };
}

interface Upload { c: AttachClient; t0: number; tGrant: number; tPut: number; tSend: number; key: string }

const ATTACHMENTS_KEY = Buffer.from(',"attachments":[{"key":"');
const bump = (rec: Record<string, number>, code: string) => { rec[code] = (rec[code] ?? 0) + 1; };

export class AttachRun {
  /** Messages each sender has sent (attach-spec's `attaches` is applied per sender, see take()). */
  private readonly counts = new Map<number, number>();
  private k = 0;
  private started = 0; private granted = 0; private putDone = 0; private sent = 0; private acked = 0; private failed = 0;
  private readonly errors: Record<string, number> = {};
  /** By the upload's cid until granted; then by key (PUT); then by the message's cid (until acked). */
  private readonly asked = new Map<string, Upload>();
  private readonly putting = new Set<Upload>();
  private readonly sending = new Map<string, Upload>();
  /** Keys sent, and per room the acked ids of attached messages. */
  private readonly keys = new Set<string>();
  private readonly ackedIds = new Map<string, number[]>();
  private readonly h = { grant: new Histogram(), putWait: new Histogram(), put: new Histogram(), sendToAck: new Histogram(), uploadToAck: new Histogram(),
    plain: new Histogram(), attached: new Histogram() };
  private okDeliveries = 0; private badDeliveries = 0;
  private sampleAt: { url: string; thumb: string } | null = null;
  private readonly pool: PutPool;
  private readonly pageLoopback: boolean;

  private constructor(readonly spec: AttachSpec, readonly image: TestImage, private readonly x: AttachContext) {
    this.pool = new PutPool(x.concurrency);
    this.pageLoopback = /^127\.\d+\.\d+\.\d+$/.test(new URL(x.pageUrl).hostname);
  }

  /** Makes the run's image (once), then the run. */
  static async create(spec: AttachSpec, x: AttachContext): Promise<AttachRun> {
    return new AttachRun(spec, await makeImage(spec.bytes), x);
  }

  /** Uploads in flight: asked, PUT queued or running, or sent and not yet answered. */
  get inFlight(): number {
    return this.asked.size + this.putting.size + this.sending.size;
  }

  /**
   * The engine is about to send a message from `c`: true when this one carries an image (this module
   * sends it). Counted per sender, each from its own offset: the engine's senders take turns, so a
   * count over the run would give every image to the same few senders (1 in 20 with 10 senders: all
   * to one, over the servers' per-member upload rate), while this spreads them evenly, N of every M
   * of each sender's messages, not all senders in the same round.
   */
  take(c: AttachClient): boolean {
    const n = this.counts.get(c.i) ?? 0;
    this.counts.set(c.i, n + 1);
    if (!attaches(this.spec, n + c.i * 7)) return false;
    this.k++;
    const cid = randomUUID();
    this.asked.set(cid, { c, t0: this.x.now(), tGrant: 0, tPut: 0, tSend: 0, key: '' });
    this.started++;
    c.ws!.send(this.x.encode({ type: 'upload', room: c.room, name: `lt-${this.k}.png`, mime: 'image/png', size: this.image.png.length, cid }));
    return true;
  }

  /** An `upload` answer. */
  onUpload(m: { cid?: string; key?: string; put?: { url: string; headers: Record<string, string> } }): void {
    const u = m.cid === undefined ? undefined : this.asked.get(m.cid);
    if (!u) return;
    this.asked.delete(m.cid!);
    if (!m.key || !m.put) { this.fail('upload:malformed_answer'); return; }
    u.tGrant = this.x.now();
    u.key = m.key;
    this.granted++;
    this.h.grant.record((u.tGrant - u.t0) * 1000);
    this.putting.add(u);
    const from = this.pageLoopback && this.x.localIps > 1 ? `127.0.0.${1 + (u.c.i % this.x.localIps)}` : undefined;
    void this.pool.put(new URL(m.put.url, this.x.pageUrl), m.put.headers, this.image.png, from).then((r) => {
      this.putting.delete(u);
      if (r.error) { this.fail(`put:${r.error}`); return; }
      this.putDone++;
      this.h.putWait.record((r.startedAt - r.queuedAt) * 1000);
      this.h.put.record((r.doneAt - r.startedAt) * 1000);
      if (!u.c.ws?.isOpen) { this.fail('send:sender_closed'); return; }
      u.tPut = r.doneAt;
      u.tSend = this.x.now();
      this.keys.add(u.key);
      this.sending.set(this.x.sendMessage(u.c, [{ key: u.key }]), u);
      this.sent++;
    });
  }

  /** An ack: true when it answers an attached message (the engine has accounted it as a message already). */
  onAck(cid: string, id: number): boolean {
    const u = this.sending.get(cid);
    if (!u) return false;
    this.sending.delete(cid);
    const t = this.x.now();
    this.acked++;
    this.h.sendToAck.record((t - u.tSend) * 1000);
    this.h.uploadToAck.record((t - u.t0) * 1000);
    const ids = this.ackedIds.get(u.c.room) ?? [];
    ids.push(id);
    this.ackedIds.set(u.c.room, ids);
    return true;
  }

  /** An error naming a message's cid the engine had pending: counted when it is an attached one. */
  onSendRejected(cid: string, code: string): void {
    if (this.sending.delete(cid)) this.fail(`send:${code}`);
  }

  /** An error the engine did not place: true when it answers an `upload`. */
  onError(code: string, cid: string | undefined): boolean {
    if (cid === undefined || !this.asked.delete(cid)) return false;
    this.fail(`upload:${code}`);
    return true;
  }

  private fail(code: string): void {
    this.failed++;
    bump(this.errors, code);
  }

  /** A `message` frame in bytes [start, end) of `data`, delivered `us` µs after it was sent (NaN: no time in it). */
  onMessage(data: Buffer, start: number, end: number, us: number): void {
    const at = data.subarray(start, end).indexOf(ATTACHMENTS_KEY);
    if (at < 0) {
      if (us === us) this.h.plain.record(us);
      return;
    }
    if (us === us) this.h.attached.record(us);
    const bad = this.check(data.toString('utf8', start, end));
    if (bad) { this.badDeliveries++; bump(this.errors, `delivery:${bad}`); } else this.okDeliveries++;
  }

  /** What is wrong with an attached message's attachments as delivered, or null. */
  private check(text: string): string | null {
    let a: Record<string, unknown>[];
    try {
      a = (JSON.parse(text) as { attachments: Record<string, unknown>[] }).attachments;
    } catch {
      return 'unparsable';
    }
    if (!Array.isArray(a) || a.length !== 1) return 'attachment_count';
    const f = a[0];
    if (typeof f.key !== 'string' || !this.keys.has(f.key)) return 'unknown_key';
    if (f.mime !== 'image/png' || f.size !== this.image.png.length) return 'mime_or_size';
    if (f.width !== this.image.width || f.height !== this.image.height) return 'dimensions';
    if (typeof f.url !== 'string' || typeof f.thumb !== 'string') return 'no_url_or_thumb';
    this.sampleAt ??= { url: f.url, thumb: f.thumb };
    return null;
  }

  /** The progress line's part. */
  progress(): string {
    return ` attach ${this.acked}/${this.started} puts ${this.putDone} (${(this.pool.bytes / 1e6).toFixed(1)} MB) failed ${this.failed}`;
  }

  /** The figures once the run is over ([from, to): send start to drain end, ms); `all`: the engine's latency over every message. */
  async figures(ready: readonly AttachClient[], from: number, to: number, all: Percentiles): Promise<AttachFigures> {
    let expected = 0;
    for (const c of ready) {
      if (!c.ledger || c.closedUnexpectedly) continue;
      for (const id of this.ackedIds.get(c.room) ?? []) if (id > c.ledger.base) expected++;
    }
    const sample = this.sampleAt ? await this.fetchSample(this.sampleAt) : null;
    this.pool.close();
    const p = this.pool;
    const r2 = (v: number) => Math.round(v * 100) / 100;
    return {
      spec: attachSpecText(this.spec), pageUrl: this.x.pageUrl, concurrency: this.x.concurrency,
      image: { bytes: this.image.png.length, width: this.image.width, height: this.image.height, mime: 'image/png' },
      uploads: { started: this.started, granted: this.granted, put: this.putDone, sent: this.sent, acked: this.acked, failed: this.failed, unfinished: this.inFlight },
      errors: this.errors,
      grant: percentilesMs(this.h.grant), putWait: percentilesMs(this.h.putWait), put: percentilesMs(this.h.put),
      sendToAck: percentilesMs(this.h.sendToAck), uploadToAck: percentilesMs(this.h.uploadToAck),
      throughput: {
        bytes: p.bytes, puts: p.puts, busyS: r2(p.busyMs / 1000), mbPerSecBusy: r2(p.busyMs > 0 ? p.bytes / 1e6 / (p.busyMs / 1000) : 0),
        mbPerSecWindow: r2(p.bytes / 1e6 / Math.max(0.001, (to - from) / 1000)), maxQueued: p.maxQueued,
      },
      delivery: { all, plain: percentilesMs(this.h.plain), attached: percentilesMs(this.h.attached) },
      attachedDeliveries: { ok: this.okDeliveries, expected, bad: this.badDeliveries },
      sample,
    };
  }

  private async fetchSample(s: { url: string; thumb: string }): Promise<AttachFigures['sample']> {
    const get = async (u: string) => {
      try {
        const res = await fetch(new URL(u, this.x.pageUrl), { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        return { status: res.status, type: res.headers.get('content-type') ?? '' };
      } catch {
        return { status: 0, type: '' };
      }
    };
    const [url, thumb] = await Promise.all([get(s.url), get(s.thumb)]);
    return { url: url.status, thumb: thumb.status, thumbType: thumb.type };
  }
}

/** Failures an attach run adds to the run's (lost deliveries are the engine's). */
export function attachFailures(f: AttachFigures): string[] {
  const out: string[] = [];
  const u = f.uploads;
  if (u.failed > 0) out.push(`${u.failed} attachments failed (${Object.entries(f.errors).filter(([k]) => !k.startsWith('delivery:')).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  if (u.unfinished > 0) out.push(`${u.unfinished} uploads unfinished at the end of the drain`);
  const d = f.attachedDeliveries;
  if (d.bad > 0) out.push(`${d.bad} attached messages delivered with a wrong attachment`);
  if (d.ok < d.expected) out.push(`${d.expected - d.ok} of ${d.expected} attached deliveries without their attachment`);
  if (u.started > 0 && u.acked === 0) out.push('no attached message got through');
  if (f.sample && (f.sample.url !== 200 || f.sample.thumb !== 200)) out.push(`attachment fetch: url ${f.sample.url}, thumb ${f.sample.thumb}`);
  return out;
}
