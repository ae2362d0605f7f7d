/**
 * Prometheus metrics (prom-client), served on GET /metrics. No per-room or per-member labels:
 * cardinality stays fixed however many rooms exist.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'livechat_connections', help: 'Open WebSocket connections', registers: [this.registry] });
  readonly connectionsTotal = new Counter({ name: 'livechat_connections_total', help: 'WebSocket connections accepted', registers: [this.registry] });
  readonly handshakesRefused = new Counter({ name: 'livechat_handshakes_refused_total', help: 'Upgrades refused', labelNames: ['reason'], registers: [this.registry] });
  readonly requests = new Counter({ name: 'livechat_requests_total', help: 'Requests received, by type', labelNames: ['type'], registers: [this.registry] });
  readonly messagesIn = new Counter({ name: 'livechat_messages_in_total', help: 'Chat messages accepted (acked) by this server', registers: [this.registry] });
  readonly messagesOut = new Counter({ name: 'livechat_messages_out_total', help: 'Chat message frames written to local clients', registers: [this.registry] });
  readonly busIn = new Counter({ name: 'livechat_bus_messages_total', help: 'Payloads received from the bus', registers: [this.registry] });
  readonly fanoutLatency = new Histogram({
    name: 'livechat_fanout_latency_seconds',
    help: 'From the store accepting a message to this server writing it to its local clients',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly errors = new Counter({ name: 'livechat_errors_total', help: 'Error answers sent, by code', labelNames: ['code'], registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'livechat_rate_limited_total', help: 'Requests answered rate_limited', registers: [this.registry] });
  readonly slowConsumers = new Counter({ name: 'livechat_slow_consumers_closed_total', help: 'Connections closed with 1013 for not reading', registers: [this.registry] });
  readonly helloTimeouts = new Counter({ name: 'livechat_hello_timeouts_total', help: 'Connections closed with 1008 for not saying hello in time', registers: [this.registry] });
  readonly closes = new Counter({ name: 'livechat_closes_total', help: 'Connections closed by the server, by close code', labelNames: ['code'], registers: [this.registry] });
  readonly redisErrors = new Counter({ name: 'livechat_redis_errors_total', help: 'Redis connection errors', registers: [this.registry] });
  readonly redisCutOff = new Gauge({ name: 'livechat_redis_cut_off', help: 'Cut off from Redis past REDIS_CUTOFF_MS (1): not ready, clients closed with 1013', registers: [this.registry] });
  readonly redisCutOffs = new Counter({ name: 'livechat_redis_cut_offs_total', help: 'Times this server was cut off from Redis past REDIS_CUTOFF_MS', registers: [this.registry] });
  readonly redisReconnects = new Counter({ name: 'livechat_redis_reconnects_total', help: 'Redis connections restored', registers: [this.registry] });
  readonly gapRepairs = new Counter({ name: 'livechat_gap_repairs_total', help: 'Bus gaps repaired from history', registers: [this.registry] });
  readonly auth = new Counter({ name: 'livechat_auth_total', help: 'Sign-ups and sign-ins, by result (signup, signin, failed, taken, limited)', labelNames: ['result'], registers: [this.registry] });
  readonly files = new Counter({ name: 'livechat_files_total', help: 'Attachments: upload targets issued, files checked (committed), files refused', labelNames: ['result'], registers: [this.registry] });
  readonly fileBytes = new Counter({ name: 'livechat_file_bytes_total', help: 'Bytes of attachments checked and committed', registers: [this.registry] });
  readonly sseStreams = new Gauge({ name: 'livechat_sse_streams', help: 'Open Server-Sent Events streams (clients as WebSocket ones)', registers: [this.registry] });
  readonly sseStreamsTotal = new Counter({ name: 'livechat_sse_streams_total', help: 'SSE streams opened', registers: [this.registry] });
  readonly ssePosts = new Counter({
    name: 'livechat_sse_posts_total', help: 'Requests POSTed for an SSE stream: for a stream held here (routed=no) or relayed to its holder (yes), by status',
    labelNames: ['routed', 'status'], registers: [this.registry],
  });
  readonly sseRelayed = new Counter({ name: 'livechat_sse_relayed_total', help: 'Requests relayed here from other servers for streams held here, by whether the stream took them', labelNames: ['taken'], registers: [this.registry] });
  readonly presenceCounts = new Counter({ name: 'livechat_presence_count_frames_total', help: 'Coalesced large-room count frames built (each written to every local member)', registers: [this.registry] });

  /** Redis memory, read on each scrape (INFO memory), so an operator sees `maxmemory` coming. */
  readonly redisMemory = new Gauge({
    name: 'livechat_redis_memory_bytes', help: 'Redis memory: used, and the maxmemory limit (0 = none)', labelNames: ['kind'], registers: [this.registry],
  });

  /** 1 while Redis uses at least STORE_ALARM_RATIO of its maxmemory (an alert rule's input). */
  readonly redisMemoryAlarm = new Gauge({
    name: 'livechat_redis_memory_alarm', help: 'Redis memory past STORE_ALARM_RATIO of maxmemory (1) or not (0)', registers: [this.registry],
  });

  constructor(appId: string) {
    this.registry.setDefaultLabels({ appId });
    // The event-loop lag sampler wakes the process every `precision` ms: at prom-client's default (10 ms)
    // that alone is ~2 ms CPU per second per idle server. 100 ms still catches every stall that matters.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  /**
   * Where the Redis memory gauges read from (null in memory mode: they stay empty), and the share of
   * maxmemory that raises the alarm. `onAlarm` hears each change of the alarm (the node logs it).
   */
  watchRedisMemory(read: () => Promise<{ used: number; max: number } | null>, alarmRatio: number, onAlarm: (on: boolean, m: { used: number; max: number }) => void = () => {}): () => Promise<void> {
    const gauge = this.redisMemory;
    let alarmed = false;
    const check = async () => {
      const m = await read().catch(() => null);
      if (!m) return;
      gauge.set({ kind: 'used' }, m.used);
      gauge.set({ kind: 'max' }, m.max);
      const on = m.max > 0 && m.used >= m.max * alarmRatio;
      this.redisMemoryAlarm.set(on ? 1 : 0);
      if (on !== alarmed) onAlarm(on, m);
      alarmed = on;
    };
    // prom-client calls `collect` on each scrape; a failed read leaves the last values.
    (gauge as unknown as { collect: () => Promise<void> }).collect = check;
    return check;
  }
}
