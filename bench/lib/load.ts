/**
 * The load engine: N clients that speak the protocol like any client (hello → welcome → join →
 * send with a UUID `cid`), a paced send loop, and the accounting of every delivery. Used by the
 * CLI (bench/loadtest.ts) and, through it, by the benchmark.
 *
 * Phases: [warm-up] → connect (all clients, optionally ramped) → [until presence is quiet] → settle →
 * [probe] → send for `duration` s at `rate` msg/s in total → drain (until every ack and every
 * delivery is in, or `drain` s) → close. Server CPU is sampled around send + drain; server memory
 * before connecting (after the warm-up) and once connected, per process.
 *
 * Big rooms (`--rooms 1` at thousands of clients, `--probe`): every client times hello → joined,
 * counts the presence frames and bytes it receives by event (a prefix scan, no JSON.parse), and
 * remembers the `joined.count` and the last count it saw. Once presence has gone quiet, a probe
 * member joins (lib/probe.ts): its count must be exact, the paged member list complete, every
 * server must agree, and every member should see the new count within `propagationWindow` s.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { attachFailures, AttachRun, type AttachFigures } from './attach.js';
import { attachSendersNeeded, DEFAULT_PUT_CONCURRENCY, pageUrlFor, type AttachSpec } from './attach-spec.js';
import { Histogram, percentilesMs, type HistogramJson, type Percentiles } from './histogram.js';
import { AckedIds, DeliveryLedger } from './ledger.js';
import { isDefaultMix, mixFailures, MixRun, sendersNeeded, type Mix, type MixFigures } from './mix.js';
import { TYPING_PREFIX, UPDATE_PREFIX } from './mix-scan.js';
import { countsText, distribution, PresenceTally, propagation, type Dist, type PresenceSummary, type PropagationResult } from './presence-stats.js';
import { runProbe, type ProbeReport } from './probe.js';
import { RawSseClient } from './raw-sse-client.js';
import { RawWsClient } from './raw-ws-client.js';
import { cpuDelta, procLabel, rssSumKB, sampleProcs, scrapeMetrics, type ProcSample } from './proc-stats.js';
import {
  messageText, PRESENCE_EVENTS, scanMessage, scanPresence, startsWith, wireFor, type PresenceEventName, type Scanned,
  type ScannedPresence, type WireKind,
} from './wire.js';

export interface LoadOptions {
  url: string;
  wire: WireKind;
  /** How clients reach the servers: WebSocket (`url`), or Server-Sent Events + POSTs on `url`'s host (`/sse`). */
  transport: 'ws' | 'sse';
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
  /**
   * Seconds of a small load (up to 200 clients, 50 msg/s, its own room) before the memory baseline,
   * so that per-member memory is measured from warmed-up servers (0: none).
   */
  warmup: number;
  /** Big-room checks once presence is quiet: exact count, paged member list, servers agree, count propagation (livechat wire). */
  probe: boolean;
  /** Per-server URLs for the probe's count check (default: through `url` until every APPID was reached). */
  probeUrls: string[];
  /** Seconds within which every member should see the count the probe's join made. */
  propagationWindow: number;
  /** Called once a second with the progress line; null for none. */
  onProgress: ((line: string) => void) | null;
  /**
   * What the senders' `rate` actions a second are (lib/mix.ts: send/edit/delete/react weights, and the
   * percentage of actions a `typing` request precedes). Absent: sends only, today's load (livechat wire for any other).
   */
  mix?: Mix;
  /**
   * N of every M messages carry an image (lib/attach.ts): `upload`, PUT to the page's origin, `send`
   * with the key. Absent: no attachments (livechat wire only).
   */
  attach?: AttachSpec;
  /** The page's origin for the PUTs (default: the ws URL's, `ws://h:8000/ws` → `http://h:8000/`). */
  pageUrl?: string;
  /** PUTs in flight at once (default DEFAULT_PUT_CONCURRENCY). */
  attachConcurrency?: number;
}

/** Messages per second one sender sends at most (below the server's default SEND_RATE_PER_SEC of 5). */
export const MAX_RATE_PER_SENDER = 4;

export const defaultOptions: LoadOptions = {
  url: 'ws://127.0.0.1:8080/ws', wire: 'livechat', transport: 'ws', clients: 100, senders: 10, rate: 100, duration: 10, rooms: 1,
  ramp: 0, size: 64, drain: 5, connectTimeout: 20, settle: 1, roomPrefix: '', pids: [], metrics: [], localIps: 4,
  warmup: 0, probe: false, probeUrls: [], propagationWindow: 3, onProgress: null,
};

/** Presence counts as settled once no presence frame arrived for this long (count events come at most once a second). */
export const QUIET_MS = 2000;
/** …waiting at most this long after the connect phase. */
export const QUIET_MAX_MS = 30_000;
/** Page size of the probe's `members` requests (the protocol's maximum). */
export const MEMBERS_PAGE = 500;

export interface JoinFigures {
  /** hello sent → `joined` received, and TCP connect started → `joined`, over clients that got it. */
  helloToJoined: Percentiles;
  connectToJoined: Percentiles;
  /** Clients without `joined` when the connect phase ended (ramp + connect timeout), and how many of them never got `welcome`. */
  neverJoined: number;
  noWelcome: number;
  /** Clients that got `joined`, but more than the connect timeout after they started connecting. */
  late: number;
  /** First connect started → last `joined` received. */
  firstConnectToLastJoinedMs: number;
  /**
   * Error answers to hello/join, by code and APPID. `unavailable` and `rate_limited` are retried after
   * `retryAfterMs` (as the page does) until the connect phase ends, so hello→joined includes the retries.
   */
  errors: Record<string, Record<string, number>>;
  /** Clients that needed at least one retry, and retries in all. */
  retriedClients: number;
  retries: number;
}

export interface CountFigures {
  /** `joined.count` each ready client saw (n: those whose joined had one). */
  joined: Dist;
  /** Length of `joined.members`, how many joined frames said `membersTruncated`, and joined frame sizes (bytes). */
  joinedMembers: Dist;
  truncated: number;
  joinedBytes: Dist;
  /** joined frames whose count and list disagree (count below the list's length, or a whole list of another length). */
  inconsistent: number;
  /** The last count each member knew (from joined or a later presence frame) when the storm ended. */
  lastSeen: Dist;
  /** Members whose last count equals the members the load holds in their room. */
  converged: number;
  members: number;
}

export interface PresenceFigures {
  /** First connect → last presence frame (or joined) of the storm. */
  stormMs: number;
  /** Whether presence went quiet (QUIET_MS without a frame) within QUIET_MAX_MS; only waited for with `probe`. */
  quiet: boolean | null;
  /** Per-member frames and bytes over the storm (connect until quiet, or until the end of the settle pause). */
  storm: PresenceSummary;
  /** Frames of each event after the storm (probe, send and drain), all clients together. */
  after: Record<PresenceEventName, number> & { bytes: number };
}

export interface PidMemory { pid: number; label: string; rssKBBefore: number; rssKBConnected: number; rssKBAfter: number; kbPerMember: number }

export interface SecondPoint { t: number; sent: number; delivered: number; p50: number; p99: number; max: number; errors: number }

/** One transport's figures under a load (`--transport sse` prints SSE's beside WebSocket's: lib/transport-report.ts). */
export interface TransportFigures {
  transport: 'ws' | 'sse';
  clients: number;
  ready: number;
  deliveryP50: number;
  deliveryP99: number;
  ackP99: number;
  lost: number;
  duplicated: number;
  cpuMsPer1000: number | null;
  rssKBPerClient: number | null;
}

export interface LoadReport {
  tool: 'livechat-loadtest';
  startedAt: string;
  options: Omit<LoadOptions, 'onProgress'>;
  phases: { warmupMs: number; connectMs: number; quietMs: number; probeMs: number; sendMs: number; drainMs: number };
  clients: { requested: number; ready: number; failed: number; disconnected: number; byAppId: Record<string, number> };
  connect: Percentiles & { histogram: HistogramJson };
  latency: Percentiles & { histogram: HistogramJson };
  ack: Percentiles;
  join: JoinFigures;
  counts: CountFigures;
  presence: PresenceFigures;
  /** The big-room probe (`probe` option), null when not run. */
  probe: (ProbeReport & { propagation: PropagationResult | null }) | null;
  warmup: { seconds: number; clients: number; ok: boolean; failures: string[] } | null;
  /**
   * Sends and their `message` deliveries; lost / duplicated / outOfOrder / wrongRoom are over every entry
   * of the rooms, messages and (with a mix) updates, which share the ids.
   */
  messages: {
    sent: number; acked: number; unacked: number; rejected: number; delivered: number; expected: number;
    lost: number; duplicated: number; outOfOrder: number; wrongRoom: number; deliveriesPerSec: number;
  };
  /** Per kind of action (lib/mix.ts), only with a `mix` other than sends only. */
  mix?: MixFigures;
  /** Attachments (lib/attach.ts), only with `attach`. */
  attach?: AttachFigures;
  /** With `--transport sse`: the same load's figures over WebSocket, run first (lib/transport-report.ts). */
  transportBaseline?: TransportFigures;
  errors: Record<string, number>;
  timeseries: SecondPoint[];
  server: {
    source: 'pids' | 'metrics' | 'none';
    pids: number[];
    cpuMs: number; cpuMsPer1000Deliveries: number; cpuPercent: number;
    rssKBBefore: number; rssKBConnected: number; rssKBAfter: number;
    /** (RSS once connected − RSS before) / clients held, all processes summed; the same per process in byPid. */
    rssKBPerConnection: number;
    cpuMsByPid: Record<number, number>;
    byPid: PidMemory[];
  };
  client: { cpuMs: number; cpuSystemMs: number; eventLoopUtilization: number; maxSendLagMs: number };
  ok: boolean;
  failures: string[];
}

interface Client {
  i: number;
  ws: RawWsClient | RawSseClient | null;
  room: string;
  roomBuf: Buffer;
  startedAt: number;
  helloAt: number;
  ready: boolean;
  welcomed: boolean;
  closedUnexpectedly: boolean;
  ledger: DeliveryLedger | null;
  appId: string;
  memberId: string;
  /** joined: count (-1 when absent), members listed, truncated, frame bytes, arrival. */
  joinedCount: number;
  joinedMembers: number;
  joinedTruncated: boolean;
  joinedBytes: number;
  joinedAt: number;
  /** The latest count this client learned (joined or presence), -1 when none. */
  lastCount: number;
  /** Count-bearing presence frames after the probe's join: [ms after it, count, …]. */
  probeEvents: number[] | null;
  /** hello/join retries after an error answer. */
  retries: number;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** A client's hello and join, each with its request id: an error answering one names it (shared/PROTOCOL.md "Request ids"). */
const helloReq = (c: { i: number }) => ({ type: 'hello' as const, name: `lt-${c.i}`, rid: 'hello' });
const joinReq = (c: { room: string }) => ({ type: 'join' as const, room: c.room, rid: 'join' });

/** Runs one load test; resolves with its report (never rejects for server misbehaviour, only counts it). */
export async function runLoad(input: Partial<LoadOptions>): Promise<LoadReport> {
  const o: LoadOptions = { ...defaultOptions, ...input };
  validate(o);
  // Each sender sends like a person at most (the server's per-member send rate is sized for people,
  // 5/s by default): a higher rate is spread over more senders rather than tripping the abuse limit.
  o.senders = Math.min(o.clients, Math.max(o.senders, isDefaultMix(o.mix) ? Math.ceil(o.rate / MAX_RATE_PER_SENDER) : sendersNeeded(o.rate, o.mix!),
    o.attach ? attachSendersNeeded(o.rate, o.attach) : 0));
  const wire = wireFor(o.wire);
  const prefixLen = wire.messagePrefix.length;
  const presenceLen = wire.presencePrefix.length;
  const loopback = /^wss?:\/\/127\.\d+\.\d+\.\d+[:/]/.test(o.url);

  // ---- warm-up (before the memory baseline) ----
  const tw = now();
  let warmup: LoadReport['warmup'] = null;
  if (o.warmup > 0) {
    // A quarter of the run's clients (at most 2,000), the same room layout: the servers' young
    // generation, HAProxy's buffer pools and Redis's structures grow to their working size here, so
    // the memory baseline after it holds those per-process costs and the figure is per connection.
    const clients = Math.max(Math.min(200, o.clients), Math.min(2000, Math.ceil(o.clients / 4)));
    o.onProgress?.(`[warm-up] ${clients} clients, 50 msg/s for ${o.warmup}s (figures dropped)`);
    const w = await runLoad({
      url: o.url, wire: o.wire, clients, senders: Math.min(10, clients), rate: 50, duration: o.warmup, drain: 2, settle: 0,
      ramp: Math.min(o.ramp, clients / 800), connectTimeout: o.connectTimeout, localIps: o.localIps, rooms: o.rooms, size: o.size,
    });
    warmup = { seconds: o.warmup, clients, ok: w.ok, failures: w.failures };
    await sleep(5000); // the warm-up's members leave presence after the servers' grace (3 s): not during the run
  }
  const warmupMs = now() - tw;

  const roomPrefix = o.roomPrefix || `lt${Math.random().toString(36).slice(2, 8)}`;
  const rooms = Array.from({ length: o.rooms }, (_, k) => `${roomPrefix}-${k}`);
  const acked = new Map(rooms.map((r) => [r, new AckedIds()]));
  const errors: Record<string, number> = {};
  const countError = (code: string) => { errors[code] = (errors[code] ?? 0) + 1; };
  const connectHist = new Histogram();
  const latency = new Histogram();
  const second = new Histogram();
  const ackHist = new Histogram();
  const pending = new Map<string, { t: number; room: string; i: number }>();
  /** Edits, deletions, reactions and typing (null: sends only, nothing of the mix on any path). */
  const mix = isDefaultMix(o.mix) ? null : new MixRun(o.mix!, o.size, wire.encode, now);
  /** Attachments (null: none, nothing of them on any path). The image is made here, before connecting. */
  const attach = o.attach ? await AttachRun.create(o.attach, {
    pageUrl: pageUrlFor(o.url, o.pageUrl), concurrency: o.attachConcurrency ?? DEFAULT_PUT_CONCURRENCY, localIps: loopback ? o.localIps : 1,
    encode: wire.encode, now,
    sendMessage: (c, attachments) => {
      const cid = randomUUID();
      const at = now();
      pending.set(cid, { t: at, room: c.room, i: c.i });
      c.ws!.send(wire.encode({ type: 'send', room: c.room, text: messageText(at, o.size), cid, attachments }));
      return cid;
    },
  }) : null;
  const byAppId: Record<string, number> = {};
  const helloJoined = new Histogram();
  const connectJoined = new Histogram();
  const tally = new PresenceTally(o.clients);
  const sp: ScannedPresence = { event: 0, count: -1 };
  let lastJoinedAt = 0;
  const joinErrors: JoinFigures['errors'] = {};
  let lastPresenceAt = 0;
  let presenceFrames = 0;
  /** When the probe's join went out (0: not yet): count-bearing presence frames from then on are kept per client. */
  let probeT0 = 0;
  let sent = 0, ackedCount = 0, rejected = 0, delivered = 0, wrongRoom = 0, readyCount = 0, failed = 0, disconnected = 0;
  let closing = false;
  const scanned: Scanned = { id: -1, roomStart: 0, roomEnd: 0, sentAt: NaN };
  const clients: Client[] = [];

  const onFrame = (c: Client, data: Buffer, start: number, end: number) => {
    if (startsWith(data, start, end, wire.presencePrefix)) {
      scanPresence(data, start, end, presenceLen, sp);
      tally.record(c.i, sp.event, end - start);
      presenceFrames++;
      const t = now();
      lastPresenceAt = t;
      if (sp.count >= 0) {
        c.lastCount = sp.count;
        if (probeT0 > 0) (c.probeEvents ??= []).push(t - probeT0, sp.count);
      }
      return;
    }
    if (startsWith(data, start, end, wire.messagePrefix)) {
      scanMessage(data, start, end, prefixLen, scanned);
      if (scanned.id >= 0) {
        if (!c.ledger) { countError('message_before_joined'); return; }
        if (data.compare(c.roomBuf, 0, c.roomBuf.length, scanned.roomStart, scanned.roomEnd) !== 0) { wrongRoom++; return; }
        delivered++;
        c.ledger.record(scanned.id);
        const us = scanned.sentAt === scanned.sentAt ? (now() - scanned.sentAt) * 1000 : NaN;
        if (us === us) {
          latency.record(us);
          second.record(us);
        }
        attach?.onMessage(data, start, end, us);
        return;
      }
    }
    if (mix && startsWith(data, start, end, UPDATE_PREFIX)) {
      const bad = mix.onUpdate(c, data, start, end);
      if (bad === 'wrong_room') wrongRoom++;
      else if (bad) countError(bad);
      return;
    }
    if (mix && startsWith(data, start, end, TYPING_PREFIX)) { mix.onTyping(c.i, now()); return; }
    let decoded;
    try {
      decoded = wire.decode(data.toString('utf8', start, end));
    } catch {
      countError('unparsable_frame');
      return;
    }
    if (!decoded) return;
    if (decoded.reply) c.ws?.send(decoded.reply);
    if (decoded.ready) { c.helloAt = now(); c.ws?.send(wire.encode(helloReq(c))); }
    const m = decoded.msg;
    if (!m) return;
    switch (m.type) {
      case 'welcome':
        if (c.welcomed) break;
        c.welcomed = true;
        c.appId = m.appId;
        c.memberId = m.member?.id ?? '';
        byAppId[m.appId] = (byAppId[m.appId] ?? 0) + 1;
        connectHist.record((now() - c.startedAt) * 1000);
        c.ws?.send(wire.encode(joinReq(c)));
        break;
      case 'joined': {
        if (m.room !== c.room || c.ready) break;
        const t = now();
        c.ledger = new DeliveryLedger(m.last, Math.max(1024, o.rate * (o.duration + 1) / o.rooms));
        c.ready = true;
        readyCount++;
        c.joinedAt = t;
        lastJoinedAt = t;
        if (c.helloAt > 0) helloJoined.record((t - c.helloAt) * 1000);
        connectJoined.record((t - c.startedAt) * 1000);
        c.joinedCount = typeof m.count === 'number' ? m.count : -1;
        if (c.joinedCount >= 0) c.lastCount = c.joinedCount;
        c.joinedMembers = Array.isArray(m.members) ? m.members.length : 0;
        c.joinedTruncated = m.membersTruncated === true;
        c.joinedBytes = end - start;
        break;
      }
      case 'ack': {
        const p = pending.get(m.cid);
        if (!p) { mix?.onAck(m.cid, m.id); break; }
        pending.delete(m.cid);
        ackHist.record((now() - p.t) * 1000);
        acked.get(p.room)?.add(m.id);
        ackedCount++;
        mix?.onSendAcked(p.i, p.room, m.id);
        attach?.onAck(m.cid, m.id);
        break;
      }
      case 'upload': {
        attach?.onUpload(m);
        break;
      }
      case 'message':
        // Only reached when the fast scan could not read it (unexpected layout): account it anyway.
        if (c.ledger && m.room === c.room) { delivered++; c.ledger.record(m.id); }
        break;
      case 'error':
        countError(m.code);
        if (m.cid && pending.delete(m.cid)) { rejected++; mix?.onSendError(m.code); attach?.onSendRejected(m.cid, m.code); break; }
        if (mix?.onError(m.code, m.cid, m.rid)) break;
        if (attach?.onError(m.code, m.cid)) break;
        // The answer to hello or join (by its rid; a server that echoes no rid: by what is in flight):
        // retry what the page would retry, after the delay it asks for.
        if (m.rid === 'hello' || m.rid === 'join' || (!m.rid && !m.cid && !c.ready)) {
          const byApp = (joinErrors[m.code] ??= {});
          const app = c.appId || '(before welcome)';
          byApp[app] = (byApp[app] ?? 0) + 1;
          if (m.code === 'unavailable' || m.code === 'rate_limited') {
            c.retries++;
            setTimeout(() => {
              if (closing || c.ready || !c.ws?.isOpen) return;
              if (!c.welcomed) c.helloAt = c.helloAt || now();
              c.ws.send(wire.encode(c.welcomed ? joinReq(c) : helloReq(c)));
            }, Math.max(50, m.retryAfterMs ?? 1000)).unref();
          }
        }
        break;
      default:
        break;
    }
  };

  const open = (c: Client) => {
    c.startedAt = now();
    const localAddress = loopback && o.localIps > 1 ? `127.0.0.${1 + (c.i % o.localIps)}` : undefined;
    try {
      const Transport = o.transport === 'sse' ? RawSseClient : RawWsClient;
      c.ws = new Transport({ url: o.url, protocols: wire.protocols, localAddress, handshakeTimeout: o.connectTimeout * 1000 }, {
        onOpen: () => {
          if (wire.needsConnect) return;
          c.helloAt = now();
          c.ws?.send(wire.encode(helloReq(c)));
        },
        onText: (buf, start, end) => onFrame(c, buf, start, end),
        onError: (code) => {
          if (closing) return; // EPIPE/ECONNRESET while both sides close thousands of sockets at once are not the server's fault
          countError(code.startsWith('http_') || code.includes('_') && code === code.toLowerCase() ? code : `socket:${code}`);
        },
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
    if (phase === 'send' || phase === 'drain') {
      timeseries.push({ t: Math.round((now() - sendStart) / 100) / 10, sent, delivered, p50: s.p50 / 1000, p99: s.p99 / 1000, max: s.max / 1000, errors: errorTotal() });
    }
    o.onProgress?.(`[${((now() - t0) / 1000).toFixed(0)}s ${phase}] connected ${readyCount}/${o.clients} sent ${sent} acked ${ackedCount} delivered ${delivered} p50 ${fmt(s.p50)}ms p99 ${fmt(s.p99)}ms errors ${errorTotal()} presence ${presenceFrames}${mix ? mix.progress() : ''}${attach ? attach.progress() : ''}`);
    second.reset();
  };
  progressTimer = setInterval(tickProgress, 1000);

  for (let i = 0; i < o.clients; i++) {
    const room = rooms[i % o.rooms];
    clients.push({
      i, ws: null, room, roomBuf: Buffer.from(room), startedAt: 0, helloAt: 0, ready: false, welcomed: false, closedUnexpectedly: false,
      ledger: null, appId: '', memberId: '', joinedCount: -1, joinedMembers: 0, joinedTruncated: false, joinedBytes: 0, joinedAt: 0,
      lastCount: -1, probeEvents: null, retries: 0,
    });
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
  const notReady = clients.filter((c) => !c.ready);
  for (const c of notReady) if (c.ws) { countError('connect_timeout'); c.ws.terminate(); }
  const join: JoinFigures = {
    helloToJoined: percentilesMs(helloJoined), connectToJoined: percentilesMs(connectJoined),
    neverJoined: notReady.length, noWelcome: notReady.filter((c) => !c.welcomed).length,
    late: clients.filter((c) => c.ready && c.joinedAt - c.startedAt > o.connectTimeout * 1000).length,
    firstConnectToLastJoinedMs: lastJoinedAt > 0 ? Math.round(lastJoinedAt - t0) : 0,
    errors: joinErrors, retriedClients: clients.filter((c) => c.retries > 0).length, retries: clients.reduce((a, c) => a + c.retries, 0),
  };

  // ---- the storm settles: no presence frame for QUIET_MS (with the probe) ----
  phase = o.probe ? 'quiet' : 'settle';
  const tq = now();
  let quiet: boolean | null = null;
  if (o.probe) {
    const since = () => Math.max(lastPresenceAt, lastJoinedAt, tq - QUIET_MS / 2);
    while (now() - since() < QUIET_MS && now() - tq < QUIET_MAX_MS) await sleep(50);
    quiet = now() - since() >= QUIET_MS;
  }
  const quietMs = now() - tq;
  if (o.settle > 0) await sleep(o.settle * 1000);
  const readyClients = clients.filter((c) => c.ready);
  const heldIn = new Map<string, number>();
  for (const c of readyClients) heldIn.set(c.room, (heldIn.get(c.room) ?? 0) + 1);
  const presence: Omit<PresenceFigures, 'after'> = {
    stormMs: Math.round(Math.max(lastPresenceAt, lastJoinedAt, t0) - t0), quiet, storm: tally.summary(readyClients.map((c) => c.i)),
  };
  const stormTotals = tally.totals();
  const counts = countFigures(readyClients, heldIn);
  const connected = sampleProcs(o.pids);
  const metricsConnected = o.metrics.length ? await scrapeMetrics(o.metrics) : null;

  // ---- probe ----
  let probe: LoadReport['probe'] = null;
  const tp = now();
  if (o.probe && o.wire === 'livechat') {
    phase = 'probe';
    const room = rooms[0];
    const members = readyClients.filter((c) => c.room === room);
    let prop: PropagationResult | null = null;
    const report = await runProbe({
      url: o.url, room, serverUrls: o.probeUrls, appIds: Object.keys(byAppId).sort(),
      localAddress: loopback && o.localIps > 1 ? `127.0.0.${1 + (o.clients % o.localIps)}` : undefined,
      memberIds: new Set(members.map((c) => c.memberId)), knownIds: new Set(notReady.map((c) => c.memberId).filter(Boolean)),
      timeoutMs: o.connectTimeout * 1000, pageLimit: MEMBERS_PAGE,
      onJoinSent: () => { probeT0 = now(); },
      afterJoined: async (target) => {
        const windowMs = o.propagationWindow * 1000;
        const reachedAll = () => members.every((c) => c.probeEvents?.some((v, k) => k % 2 === 1 && v === target));
        while (now() - probeT0 < windowMs + 100 && !reachedAll()) await sleep(25);
        prop = propagation(members.map((c) => c.probeEvents ?? undefined), target, windowMs);
      },
    });
    probe = { ...report, propagation: prop };
  }
  const probeMs = now() - tp;

  // ---- send ----
  phase = 'send';
  const ready = readyClients;
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
          if (mix?.act(c, (text) => c.ws!.send(text))) { sent++; continue; }
          if (attach?.take(c)) { sent++; continue; }
          const cid = randomUUID();
          const at = now();
          pending.set(cid, { t: at, room: c.room, i: c.i });
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
    if (pending.size > 0 || (mix && mix.inFlightCount > 0) || (attach && attach.inFlight > 0)) return false;
    for (const c of ready) {
      if (!c.ledger || c.closedUnexpectedly) continue;
      const max = mix ? Math.max(acked.get(c.room)!.max, mix.maxAcked(c.room)) : acked.get(c.room)!.max;
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
  const sends = sent - (mix?.nonSends ?? 0);
  const mixFigures = mix?.figures(ready, sendStart, drainStart + drainMs, {
    sent: sends, acked: ackedCount, rejected, unacked, ack: percentilesMs(ackHist), delivered, expected, lost, duplicated, outOfOrder,
    latency: percentilesMs(latency),
  }, (room) => acked.get(room)?.all() ?? []);
  lost += mixFigures?.updates.lost ?? 0;
  const attachFigures = attach ? await attach.figures(ready, sendStart, drainStart + drainMs, percentilesMs(latency)) : undefined;
  // With a mix, server CPU is per 1000 deliveries of entries (message and update frames).
  const server = serverFigures(o, before, connected, cpuStart, cpuEnd, metricsBefore, metricsConnected, metricsStart, metricsEnd,
    delivered + (mix?.updatesDelivered ?? 0), readyCount, sendMs + drainMs);
  const endTotals = tally.totals();
  const after = { bytes: endTotals.bytes - stormTotals.bytes } as PresenceFigures['after'];
  for (const name of PRESENCE_EVENTS) after[name] = endTotals[name] - stormTotals[name];
  const failures: string[] = [];
  if (lost > 0) failures.push(`${lost} deliveries lost`);
  if (duplicated > 0) failures.push(`${duplicated} duplicated`);
  if (outOfOrder > 0) failures.push(`${outOfOrder} out of order`);
  if (wrongRoom > 0) failures.push(`${wrongRoom} delivered to the wrong room`);
  if (disconnected > 0) failures.push(`${disconnected} clients disconnected during the run`);
  if (readyCount < o.clients) failures.push(`${o.clients - readyCount} of ${o.clients} clients never got ready`);
  if (unacked > 0) failures.push(`${unacked} sends never acked`);
  if (mixFigures) failures.push(...mixFailures(mixFigures));
  if (attachFigures) failures.push(...attachFailures(attachFigures));
  if (o.probe && o.wire === 'livechat') failures.push(...probeFailures(probe, quiet));
  const { onProgress: _omit, ...options } = o;
  return {
    tool: 'livechat-loadtest',
    startedAt: new Date(Date.now() - (now() - t0)).toISOString(),
    options: { ...options, roomPrefix },
    phases: {
      warmupMs: Math.round(warmupMs), connectMs: Math.round(connectMs), quietMs: Math.round(quietMs), probeMs: Math.round(probeMs),
      sendMs: Math.round(sendMs), drainMs: Math.round(drainMs),
    },
    clients: { requested: o.clients, ready: readyCount, failed: o.clients - readyCount, disconnected, byAppId },
    connect: { ...percentilesMs(connectHist), histogram: connectHist.toJSON() },
    latency: { ...percentilesMs(latency), histogram: latency.toJSON() },
    ack: percentilesMs(ackHist),
    join,
    counts,
    presence: { ...presence, after },
    probe,
    warmup,
    messages: {
      sent: sends, acked: ackedCount, unacked, rejected, delivered, expected, lost, duplicated, outOfOrder, wrongRoom,
      deliveriesPerSec: Math.round(delivered / Math.max(0.001, sendMs / 1000)),
    },
    ...(mixFigures ? { mix: mixFigures } : {}),
    ...(attachFigures ? { attach: attachFigures } : {}),
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
    const byPid = o.pids.map((pid) => {
      const pb = before.rssKB[pid] ?? 0, pc = connected.rssKB[pid] ?? 0;
      return { pid, label: procLabel(pid), rssKBBefore: pb, rssKBConnected: pc, rssKBAfter: end.rssKB[pid] ?? 0, kbPerMember: perConn(pb, pc) };
    });
    return {
      source: 'pids', pids: o.pids, cpuMs: Math.round(d.total), cpuMsPer1000Deliveries: per1000(d.total),
      cpuPercent: Math.round((d.total / windowMs) * 1000) / 10,
      rssKBBefore: b, rssKBConnected: c, rssKBAfter: rssSumKB(end), rssKBPerConnection: perConn(b, c), cpuMsByPid: d.byPid, byPid,
    };
  }
  if (mBefore && mConnected && mStart && mEnd) {
    const cpu = mEnd.cpuMs - mStart.cpuMs;
    return {
      source: 'metrics', pids: [], cpuMs: Math.round(cpu), cpuMsPer1000Deliveries: per1000(cpu),
      cpuPercent: Math.round((cpu / windowMs) * 1000) / 10,
      rssKBBefore: Math.round(mBefore.rssKB), rssKBConnected: Math.round(mConnected.rssKB), rssKBAfter: Math.round(mEnd.rssKB),
      rssKBPerConnection: perConn(mBefore.rssKB, mConnected.rssKB), cpuMsByPid: {}, byPid: [],
    };
  }
  return {
    source: 'none', pids: [], cpuMs: 0, cpuMsPer1000Deliveries: 0, cpuPercent: 0, rssKBBefore: 0, rssKBConnected: 0, rssKBAfter: 0,
    rssKBPerConnection: 0, cpuMsByPid: {}, byPid: [],
  };
}

/** What the ready clients' `joined` frames and later presence frames said about the member count. */
function countFigures(ready: Client[], heldIn: Map<string, number>): CountFigures {
  const withCount = ready.filter((c) => c.joinedCount >= 0);
  const known = ready.filter((c) => c.lastCount >= 0);
  return {
    joined: distribution(withCount.map((c) => c.joinedCount)),
    joinedMembers: distribution(ready.map((c) => c.joinedMembers)),
    truncated: ready.filter((c) => c.joinedTruncated).length,
    joinedBytes: distribution(ready.map((c) => c.joinedBytes)),
    inconsistent: withCount.filter((c) => c.joinedCount < c.joinedMembers || (!c.joinedTruncated && c.joinedMembers !== c.joinedCount)).length,
    lastSeen: distribution(known.map((c) => c.lastCount)),
    converged: known.filter((c) => c.lastCount === heldIn.get(c.room)).length,
    members: ready.length,
  };
}

/** The probe's findings as failures (each check that did not hold, or why the probe could not run). */
export function probeFailures(p: LoadReport['probe'], quiet: boolean | null): string[] {
  const out: string[] = [];
  if (quiet === false) out.push(`presence did not go quiet within ${QUIET_MAX_MS / 1000} s`);
  if (!p) return out;
  if (p.error) out.push(`probe: ${p.error}`);
  if (p.joinedCount !== null && !p.exact) out.push(`probe joined.count ${p.joinedCount}, expected ${p.expectedCount}`);
  if (p.joinedCount === null && !p.error) out.push('probe joined has no count');
  const m = p.members;
  if (m && !m.ok) {
    out.push(`member list: ${m.error ? `${m.error}; ` : ''}${m.unique} listed of ${p.expectedCount}, missing ${m.missing}, ` +
      `duplicated ${m.duplicates}, unexpected ${m.unexpected}, out of order ${m.outOfOrder}`);
  }
  const s = p.servers;
  if (s && !s.exact) {
    out.push(`servers disagree on the count: ${countsText(s.samples)} (expected ${p.expectedCount})`);
  }
  if (s && s.unreached.length) out.push(`probe did not reach APPID ${s.unreached.join(', ')}`);
  const pr = p.propagation;
  if (pr && pr.reached < pr.members) {
    out.push(`${pr.members - pr.reached} of ${pr.members} members did not see count ${pr.target} within ${pr.windowMs / 1000} s`);
  }
  return out;
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
  if (!/^wss?:\/\//.test(o.url) && !(o.transport === 'sse' && /^http:\/\//.test(o.url))) throw new RangeError(`--url: expected ws://… or wss://…, got ${o.url}`);
  pos(o.warmup, 'warmup'); pos(o.propagationWindow, 'propagation-window');
  if (o.probe && o.wire !== 'livechat') throw new RangeError('--probe: livechat wire only (the comparison servers have no presence)');
  if (!isDefaultMix(o.mix) && o.wire !== 'livechat') throw new RangeError('--mix: livechat wire only (the comparison servers only send)');
  if (o.attach && o.wire !== 'livechat') throw new RangeError('--attach: livechat wire only (the comparison servers have no attachments)');
  if (o.attach) pageUrlFor(o.url, o.pageUrl); // throws on a bad --page-url
  for (const u of o.probeUrls) if (!/^wss?:\/\//.test(u)) throw new RangeError(`--probe-urls: expected ws://… URLs, got ${u}`);
}
