/**
 * One livechat server assembled from its parts: backend (memory or Redis), chat service, HTTP/WS
 * front. main.ts runs one per process; tests start several in one process the same way.
 */
import { ChatService } from './chat/chat-service.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { createMemoryBackend, createRedisBackend, type Backend } from './backends.js';
import type { FileStore } from './files/file-store.js';
import { createFileStore } from './files/files-config.js';
import { createFilesHandler } from './files/files-http.js';
import { createImageChecker } from './files/image-checker.js';
import { ChatServer } from './transport/ws-server.js';
import { watchCutOff, type CutOffWatch } from './store/cut-off.js';

export interface ChatNode {
  config: Config;
  backend: Backend;
  chat: ChatService;
  server: ChatServer;
  metrics: Metrics;
  /** Where attachments live (null: FILES=off). */
  files: FileStore | null;
  /** Connects the store and listens; resolves with the bound port. */
  start(): Promise<number>;
  /** Graceful stop: fail readiness, close clients with 1001, let presence lapse, close the store. */
  stop(): Promise<void>;
}

/** Builds a node; pass `backend` to share one in-memory world between several nodes (tests). */
export function createNode(config: Config, log: Logger, backend?: Backend): ChatNode {
  const metrics = new Metrics(config.appId);
  const store = backend ?? (config.store === 'memory'
    ? createMemoryBackend(config)
    : createRedisBackend(config, log, { onError: () => metrics.redisErrors.inc(), onReconnect: () => metrics.redisReconnects.inc() }));
  const checkMemory = metrics.watchRedisMemory(() => store.memory(), config.storeAlarmRatio, (on, m) => {
    if (on) log.warn({ used: m.used, max: m.max, ratio: config.storeAlarmRatio }, 'redis memory alarm: near maxmemory');
    else log.info({ used: m.used, max: m.max }, 'redis memory alarm cleared');
  });
  let port = config.port;
  // The embedded node is its own files origin (files/files-http.ts): reached on the port it bound.
  const origin = config.files.local.serve ? () => `http://127.0.0.1:${port}` : () => config.files.local.origin;
  const files = createFileStore(config.files, log, { origin });
  // The image worker gets this server's file settings, the secret and origin as resolved here.
  const images = files && createImageChecker(files, log, () => ({
    ...process.env, APPID: config.appId, FILES_SECRET: config.files.local.secret, FILES_ORIGIN: origin(),
  }));
  const chat = new ChatService(store, config, log, metrics, files && images && { store: files, images });
  const { local } = config.files;
  const server = new ChatServer({
    config, chat, log, metrics, storeReady: () => store.isReady(), relay: store.relay,
    // No nginx in front of the embedded node: it serves the file URLs it signs itself.
    ...(local.serve ? { files: createFilesHandler({ dir: local.dir, secret: local.secret, maxBytes: config.files.maxBytes }) } : {}),
  });
  // The alarm is also checked between scrapes, so the log says it even where nobody scrapes.
  let memoryTimer: NodeJS.Timeout | null = null;
  let cutOffWatch: CutOffWatch | null = null;
  const watchStore = () => watchCutOff({
    probe: () => store.probe(),
    boundMs: config.redisCutoffMs,
    // A probe every second (faster for short bounds); back once Redis answered for 2 s.
    intervalMs: Math.max(100, Math.min(1000, Math.floor(config.redisCutoffMs / 5))),
    recoverMs: Math.min(2000, config.redisCutoffMs),
    onChange: (event, ms) => {
      metrics.redisCutOff.set(event === 'cut-off' ? 1 : 0);
      const closed = server.setCutOff(event === 'cut-off');
      if (event === 'rejoined') return log.warn({ cutOffMs: ms }, 'redis reachable again: rejoining (ready, taking clients)');
      metrics.redisCutOffs.inc();
      log.error({ downMs: ms, boundMs: config.redisCutoffMs, closed }, 'cut off from redis: not ready, clients closed with 1013');
    },
  });
  return {
    config,
    backend: store,
    chat,
    server,
    metrics,
    files,
    async start() {
      await store.start();
      await files?.init();
      chat.start();
      port = await server.listen();
      images?.warm();
      if (config.store === 'redis') {
        metrics.redisCutOff.set(0);
        if (config.redisCutoffMs > 0) cutOffWatch = watchStore();
        memoryTimer = setInterval(() => void checkMemory(), 15_000);
        memoryTimer.unref();
      }
      return port;
    },
    async stop() {
      server.draining = true;
      cutOffWatch?.stop();
      if (memoryTimer) clearInterval(memoryTimer);
      if (config.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.drainDelayMs));
      await chat.stop();
      await server.drain(Math.max(500, config.shutdownTimeoutMs - config.drainDelayMs - 1000));
      await store.close();
      images?.close();
      await files?.close();
    },
  };
}
