/**
 * The load engine: N clients that speak the protocol like any client (hello → welcome → join →
 * send with a UUID `cid`), a paced send loop, and the accounting of every delivery. Used by the
 * CLI (bench/loadtest.ts) and, through it, by the benchmark.
 *
 * Phases: connect (all clients, optionally ramped) → settle → send for `duration` s at `rate`
 * msg/s in total → drain (until every ack and every delivery is in, or `drain` s) → close.
 * Server CPU is sampled around send + drain; server memory before connecting and once connected.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Histogram, percentilesMs, type HistogramJson, type Percentiles } from './histogram.js';
import { AckedIds, DeliveryLedger } from './ledger.js';
import { RawWsClient } from './raw-ws-client.js';
import { cpuDelta, rssSumKB, sampleProcs, scrapeMetrics, type ProcSample } from './proc-stats.js';
import { messageText, scanMessage, startsWith, wireFor, type Scanned, type WireKind } from './wire.js';

export interface LoadOptions {
  url: string;
  wire: WireKind;
  clients: number;
  senders: number;
  /** Messages per second, in total across senders. */
  rate: number;
  /** Seconds of sending. */
  duration: number;
  rooms: number;
  /** Seconds over which clients connect (0: all at once). */
  ramp: number;
  /** Bytes of message text (at least the timestamp). */
  size: number;
  /** Seconds to wait for outstanding acks and deliveries after sending stops. */
  drain: number;
  /** Seconds a client may take from connecting to `joined`. */
  connectTimeout: number;
  /** Seconds to wait once connected before sending (lets the servers settle for the memory sample). */
  settle: number;
  /** Room name prefix (default: fresh per run, so ids start at 1 and no old traffic mixes in). */
  roomPrefix: string;
  pids: number[];
  metrics: string[];
  /** Spread client source addresses over 127.0.0.1..N when the target is loopback (ephemeral-port headroom). */
  localIps: number;
  /** Called once a second with the progress line; null for none. */
  onProgress: ((line: string) => void) | null;
}

export const defaultOptions: LoadOptions = {
  url: 'ws://127.0.0.1:8080/ws', wire: 'livechat', clients: 100, senders: 10, rate: 100, duration: 10, rooms: 1,
  ramp: 0, size: 64, drain: 5, connectTimeout: 20, settle: 1, roomPrefix: '', pids: [], metrics: [], localIps: 4,
  onProgress: null,
};

export interface SecondPoint { t: number; sent: number; delivered: number; p50: number; p99: number; max: number; errors: number }

export interface LoadReport {
  tool: 'livechat-loadtest';
  startedAt: string;
  options: Omit<LoadOptions, 'onProgress'>;
  phases: { connectMs: number; sendMs: number; drainMs: number };
  clients: { requested: number; ready: number; failed: number; disconnected: number; byAppId: Record<string, number> };
  connect: Percentiles & { histogram: HistogramJson };
  latency: Percentiles & { histogram: HistogramJson };
  ack: Percentiles;
  messages: {
    sent: number; acked: number; unacked: number; rejected: number; delivered: number; expected: number;
    lost: number; duplicated: number; outOfOrder: number; wrongRoom: number; deliveriesPerSec: number;
  };
  errors: Record<string, number>;
  timeseries: SecondPoint[];
  server: {
    source: 'pids' | 'metrics' | 'none';
    pids: number[];
    cpuMs: number; cpuMsPer1000Deliveries: number; cpuPercent: number;
    rssKBBefore: number; rssKBConnected: number; rssKBAfter: number; rssKBPerConnection: number;
    cpuMsByPid: Record<number, number>;
  };
  client: { cpuMs: number; cpuSystemMs: number; eventLoopUtilization: number; maxSendLagMs: number };
  ok: boolean;
  failures: string[];
}

interface Client {
  i: number;
  ws: RawWsClient | null;
  room: string;
  roomBuf: Buffer;
  startedAt: number;
  ready: boolean;
  closedUnexpectedly: boolean;
  ledger: DeliveryLedger | null;
  appId: string;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs one load test; resolves with its report (never rejects for server misbehaviour, only counts it). */
export async function runLoad(input: Partial<LoadOptions>): Promise<LoadReport> {
  const o: LoadOptions = { ...defaultOptions, ...input };
  validate(o);
  const wire = wireFor(o.wire);
  const prefixLen = wire.messagePrefix.length;
  const roomPrefix = o.roomPrefix || `lt${Math.random().toString(36).slice(2, 8)}`;
  const rooms = Array.from({ length: o.rooms }, (_, k) => `${roomPrefix}-${k}`);
  const acked = new Map(rooms.map((r) => [r, new AckedIds()]));
  const errors: Record<string, number> = {};
  const countError = (code: string) => { errors[code] = (errors[code] ?? 0) + 1; };
  const connectHist = new Histogram();
  const latency = new Histogram();
  const second = new Histogram();
  const ackHist = new Histogram();
  const pending = new Map<string, { t: number; room: string }>();
  const byAppId: Record<string, number> = {};
  const loopback = /^wss?:\/\/127\.\d+\.\d+\.\d+[:/]/.test(o.url);
  let sent = 0, ackedCount = 0, rejected = 0, delivered = 0, wrongRoom = 0, readyCount = 0, failed = 0, disconnected = 0;
  let closing = false;
  const scanned: Scanned = { id: -1, roomStart: 0, roomEnd: 0, sentAt: NaN };
  const clients: Client[] = [];

  const onFrame = (c: Client, data: Buffer, start: number, end: number) => {
    if (startsWith(data, start, end, wire.messagePrefix)) {
      scanMessage(data, start, end, prefixLen, scanned);
      if (scanned.id >= 0) {
        if (!c.ledger) { countError('message_before_joined'); return; }
        if (data.compare(c.roomBuf, 0, c.roomBuf.length, scanned.roomStart, scanned.roomEnd) !== 0) { wrongRoom++; return; }
        delivered++;
        c.ledger.record(scanned.id);
        if (scanned.sentAt === scanned.sentAt) {
          const us = (now() - scanned.sentAt) * 1000;
          latency.record(us);
          second.record(us);
        }
        return;
      }
    }
    let decoded;
    try {
      decoded = wire.decode(data.toString('utf8', start, end));
    } catch {
      countError('unparsable_frame');
      return;
    }
    if (!decoded) return;
    if (decoded.reply) c.ws?.send(decoded.reply);
    if (decoded.ready) c.ws?.send(wire.encode({ type: 'hello', name: `lt-${c.i}` }));
    const m = decoded.msg;
    if (!m) return;
    switch (m.type) {
      case 'welcome':
        c.appId = m.appId;
        byAppId[m.appId] = (byAppId[m.appId] ?? 0) + 1;
        connectHist.record((now() - c.startedAt) * 1000);
        c.ws?.send(wire.encode({ type: 'join', room: c.room }));
        break;
      case 'joined':
        if (m.room !== c.room || c.ready) break;
        c.ledger = new DeliveryLedger(m.last, Math.max(1024, o.rate * (o.duration + 1) / o.rooms));
        c.ready = true;
        readyCount++;
        break;
      case 'ack': {
        const p = pending.get(m.cid);
        if (!p) break;
        pending.delete(m.cid);
        ackHist.record((now() - p.t) * 1000);
        acked.get(p.room)?.add(m.id);
        ackedCount++;
        break;
      }
      case 'message':
        // Only reached when the fast scan could not read it (unexpected layout): account it anyway.
        if (c.ledger && m.room === c.room) { delivered++; c.ledger.record(m.id); }
        break;
      case 'error':
        countError(m.code);
        if (m.cid && pending.delete(m.cid)) rejected++;
        break;
      default:
        break;
    }
  };

  const open = (c: Client) => {
    c.startedAt = now();
    const localAddress = loopback && o.localIps > 1 ? `127.0.0.${1 + (c.i % o.localIps)}` : undefined;
    try {
      c.ws = new RawWsClient({ url: o.url, protocols: wire.protocols, localAddress, handshakeTimeout: o.connectTimeout * 1000 }, {
        onOpen: () => { if (!wire.needsConnect) c.ws?.send(wire.encode({ type: 'hello', name: `lt-${c.i}` })); },
        onText: (buf, start, end) => onFrame(c, buf, start, end),
        onError: (code) => countError(code.startsWith('http_') || code.includes('_') && code === code.toLowerCase() ? code : `socket:${code}`),
        onClose: (code) => {
          c.ws = null;
          if (closing) return;
          if (c.ready) { c.closedUnexpectedly = true; disconnected++; countError(`close_${code}`); } else failed++;
        },
      });
    } catch (err) {
      failed++;
      countError(`connect:${(err as Error).message}`);
    }
  };

  // ---- connect ----
  const before = sampleProcs(o.pids);
  const metricsBefore = o.metrics.length ? await scrapeMetrics(o.metrics) : null;
  const t0 = now();
  let progressTimer: NodeJS.Timeout | null = null;
  let phase = 'connect';
  let sendStart = 0;
  const timeseries: SecondPoint[] = [];
  const errorTotal = () => Object.values(errors).reduce((a, b) => a + b, 0);
  const fmt = (us: number) => (us / 1000).toFixed(us < 10_000 ? 2 : 0);
  const tickProgress = () => {
    const s = { p50: second.percentile(50), p99: second.percentile(99), max: second.max };
    if (phase !== 'connect') {
      timeseries.push({ t: Math.round((now() - sendStart) / 100) / 10, sent, delivered, p50: s.p50 / 1000, p99: s.p99 / 1000, max: s.max / 1000, errors: errorTotal() });
    }
    o.onProgress?.(`[${((now() - t0) / 1000).toFixed(0)}s ${phase}] connected ${readyCount}/${o.clients} sent ${sent} acked ${ackedCount} delivered ${delivered} p50 ${fmt(s.p50)}ms p99 ${fmt(s.p99)}ms errors ${errorTotal()}`);
    second.reset();
  };
  progressTimer = setInterval(tickProgress, 1000);

  for (let i = 0; i < o.clients; i++) {
    const room = rooms[i % o.rooms];
    clients.push({ i, ws: null, room, roomBuf: Buffer.from(room), startedAt: 0, ready: false, closedUnexpectedly: false, ledger: null, appId: '' });
  }
  const connectDeadline = t0 + (o.ramp + o.connectTimeout) * 1000;
  if (o.ramp > 0) {
    const gap = (o.ramp * 1000) / o.clients;
    for (const c of clients) {
      const due = t0 + c.i * gap;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      open(c);
    }
  } else {
    for (const c of clients) open(c);
  }
  while (readyCount + failed < o.clients && now() < connectDeadline) await sleep(20);
  const connectMs = now() - t0;
  for (const c of clients) if (!c.ready && c.ws) { countError('connect_timeout'); c.ws.terminate(); }
  if (o.settle > 0) await sleep(o.settle * 1000);
  const connected = sampleProcs(o.pids);
  const metricsConnected = o.metrics.length ? await scrapeMetrics(o.metrics) : null;

  // ---- send ----
  phase = 'send';
  const ready = clients.filter((c) => c.ready);
  // Senders: the first ready clients, which rotate over the rooms as clients do.
  const senders = ready.slice(0, Math.min(o.senders, ready.length));
  const cpuStart = sampleProcs(o.pids);
  const metricsStart = o.metrics.length ? await scrapeMetrics(o.metrics) : null;
  const clientCpuStart = process.cpuUsage();
  const eluStart = performance.eventLoopUtilization();
  sendStart = now();
  latency.reset(); // (nothing recorded yet; explicit for clarity)
  second.reset();
  let maxLag = 0;
  if (senders.length > 0 && o.rate > 0) {
    const total = Math.floor(o.rate * o.duration);
    let k = 0;
    await new Promise<void>((resolve) => {
      const step = () => {
        const t = now();
        const elapsed = t - sendStart;
        const due = Math.min(total, Math.floor((elapsed / 1000) * o.rate) + 1);
        if (due - sent > 1) maxLag = Math.max(maxLag, ((due - sent - 1) / o.rate) * 1000);
        while (sent < due) {
          const c = senders[k++ % senders.length];
          if (!c.ws || !c.ws.isOpen) { countError('sender_closed'); sent++; continue; }
          const cid = randomUUID();
          const at = now();
          pending.set(cid, { t: at, room: c.room });
          c.ws.send(wire.encode({ type: 'send', room: c.room, text: messageText(at, o.size), cid }));
          sent++;
        }
        if (sent >= total || elapsed >= o.duration * 1000) { clearInterval(timer); resolve(); }
      };
      const timer = setInterval(step, Math.max(1, Math.min(10, 1000 / o.rate)));
      step();
    });
  } else {
    await sleep(o.duration * 1000);
  }
  const sendMs = now() - sendStart;

  // ---- drain ----
  phase = 'drain';
  const drainStart = now();
  const caughtUp = () => {
    if (pending.size > 0) return false;
    for (const c of ready) {
      if (!c.ledger || c.closedUnexpectedly) continue;
      const max = acked.get(c.room)!.max;
      if (max > c.ledger.base && !c.ledger.caughtUp(max)) return false;
    }
    return true;
  };
  while (!caughtUp() && now() - drainStart < o.drain * 1000) await sleep(25);
  const drainMs = now() - drainStart;
  const cpuEnd = sampleProcs(o.pids);
  const metricsEnd = o.metrics.length ? await scrapeMetrics(o.metrics) : null;
  const clientCpu = process.cpuUsage(clientCpuStart);
  const elu = performance.eventLoopUtilization(eluStart);
  if (progressTimer) clearInterval(progressTimer);
  tickProgress();

  // ---- close ----
  closing = true;
  await closeAll(clients);

  // ---- accounting ----
  let lost = 0, duplicated = 0, outOfOrder = 0, expected = 0;
  for (const c of ready) {
    const l = c.ledger!;
    duplicated += l.duplicates;
    outOfOrder += l.outOfOrder;
    if (c.closedUnexpectedly) continue;
    const ids = acked.get(c.room)!.all();
    const missing = l.lostAmong(ids);
    lost += missing;
    expected += ids.filter((id) => id > l.base).length;
  }
  const unacked = pending.size;
  const server = serverFigures(o, before, connected, cpuStart, cpuEnd, metricsBefore, metricsConnected, metricsStart, metricsEnd,
    delivered, readyCount, sendMs + drainMs);
  const failures: string[] = [];
  if (lost > 0) failures.push(`${lost} deliveries lost`);
  if (duplicated > 0) failures.push(`${duplicated} duplicated`);
  if (outOfOrder > 0) failures.push(`${outOfOrder} out of order`);
  if (wrongRoom > 0) failures.push(`${wrongRoom} delivered to the wrong room`);
  if (disconnected > 0) failures.push(`${disconnected} clients disconnected during the run`);
  if (readyCount < o.clients) failures.push(`${o.clients - readyCount} of ${o.clients} clients never got ready`);
  if (unacked > 0) failures.push(`${unacked} sends never acked`);
  const { onProgress: _omit, ...options } = o;
  return {
    tool: 'livechat-loadtest',
    startedAt: new Date(Date.now() - (now() - t0)).toISOString(),
    options: { ...options, roomPrefix },
    phases: { connectMs: Math.round(connectMs), sendMs: Math.round(sendMs), drainMs: Math.round(drainMs) },
    clients: { requested: o.clients, ready: readyCount, failed: o.clients - readyCount, disconnected, byAppId },
    connect: { ...percentilesMs(connectHist), histogram: connectHist.toJSON() },
    latency: { ...percentilesMs(latency), histogram: latency.toJSON() },
    ack: percentilesMs(ackHist),
    messages: {
      sent, acked: ackedCount, unacked, rejected, delivered, expected, lost, duplicated, outOfOrder, wrongRoom,
      deliveriesPerSec: Math.round(delivered / Math.max(0.001, sendMs / 1000)),
    },
    errors,
    timeseries,
    server,
    client: {
      cpuMs: Math.round((clientCpu.user + clientCpu.system) / 1000),
      cpuSystemMs: Math.round(clientCpu.system / 1000),
      eventLoopUtilization: Math.round(elu.utilization * 1000) / 1000,
      maxSendLagMs: Math.round(maxLag),
    },
    ok: failures.length === 0,
    failures,
  };
}

function serverFigures(o: LoadOptions, before: ProcSample, connected: ProcSample, start: ProcSample, end: ProcSample,
  mBefore: Awaited<ReturnType<typeof scrapeMetrics>> | null, mConnected: typeof mBefore, mStart: typeof mBefore, mEnd: typeof mBefore,
  delivered: number, ready: number, windowMs: number): LoadReport['server'] {
  const per1000 = (cpu: number) => (delivered > 0 ? Math.round((cpu / delivered) * 1000 * 100) / 100 : 0);
  const perConn = (a: number, b: number) => (ready > 0 ? Math.round(((b - a) / ready) * 100) / 100 : 0);
  if (o.pids.length > 0) {
    const d = cpuDelta(start, end);
    const b = rssSumKB(before), c = rssSumKB(connected);
    return {
      source: 'pids', pids: o.pids, cpuMs: Math.round(d.total), cpuMsPer1000Deliveries: per1000(d.total),
      cpuPercent: Math.round((d.total / windowMs) * 1000) / 10,
      rssKBBefore: b, rssKBConnected: c, rssKBAfter: rssSumKB(end), rssKBPerConnection: perConn(b, c), cpuMsByPid: d.byPid,
    };
  }
  if (mBefore && mConnected && mStart && mEnd) {
    const cpu = mEnd.cpuMs - mStart.cpuMs;
    return {
      source: 'metrics', pids: [], cpuMs: Math.round(cpu), cpuMsPer1000Deliveries: per1000(cpu),
      cpuPercent: Math.round((cpu / windowMs) * 1000) / 10,
      rssKBBefore: Math.round(mBefore.rssKB), rssKBConnected: Math.round(mConnected.rssKB), rssKBAfter: Math.round(mEnd.rssKB),
      rssKBPerConnection: perConn(mBefore.rssKB, mConnected.rssKB), cpuMsByPid: {},
    };
  }
  return { source: 'none', pids: [], cpuMs: 0, cpuMsPer1000Deliveries: 0, cpuPercent: 0, rssKBBefore: 0, rssKBConnected: 0, rssKBAfter: 0, rssKBPerConnection: 0, cpuMsByPid: {} };
}

/** Closes every client (1000), then terminates the ones that have not finished within 2 s. */
async function closeAll(clients: Client[]): Promise<void> {
  for (const c of clients) {
    try { c.ws?.close(1000); } catch { c.ws?.terminate(); }
  }
  const deadline = now() + 2000;
  while (clients.some((c) => c.ws) && now() < deadline) await sleep(25);
  for (const c of clients) c.ws?.terminate();
}

function validate(o: LoadOptions): void {
  const pos = (n: number, name: string, min = 0) => {
    if (!Number.isFinite(n) || n < min) throw new RangeError(`--${name}: expected a number >= ${min}, got ${n}`);
  };
  pos(o.clients, 'clients', 1); pos(o.senders, 'senders'); pos(o.rate, 'rate'); pos(o.duration, 'duration');
  pos(o.rooms, 'rooms', 1); pos(o.ramp, 'ramp'); pos(o.size, 'size', 1); pos(o.drain, 'drain'); pos(o.connectTimeout, 'connect-timeout', 1);
  if (o.size > 4000) throw new RangeError('--size: at most 4000 (the protocol text limit)');
  if (o.clients > 200_000) throw new RangeError('--clients: at most 200000');
  if (o.duration > 3600) throw new RangeError('--duration: at most 3600 s');
  if (!/^wss?:\/\//.test(o.url)) throw new RangeError(`--url: expected ws://… or wss://…, got ${o.url}`);
}
