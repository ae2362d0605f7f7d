/**
 * Wiring only: read the config, build the parts, start, and stop cleanly on SIGTERM/SIGINT
 * (the protocol's guarantee 8: stop taking connections, close with 1001, exit within 10 s).
 */
import { ChatService } from './chat/chat-service.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics.js';
import { createMemoryBackend, createRedisBackend } from './store/backend.js';
import { ChatServer } from './transport/ws-server.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`livechat: bad configuration: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger(config.appId, config.logLevel);
const metrics = new Metrics(config.appId);
const backend = config.store === 'memory'
  ? createMemoryBackend(config)
  : createRedisBackend(config, log, { onError: () => metrics.redisErrors.inc(), onReconnect: () => metrics.redisReconnects.inc() });
const chat = new ChatService(backend, config, log, metrics);
const server = new ChatServer({ config, chat, log, metrics, storeReady: () => backend.isReady() });

process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception, exiting');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal, connections: server.connectionCount }, 'shutting down');
  setTimeout(() => process.exit(1), 9_500).unref();
  server.draining = true;
  if (config.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.drainDelayMs));
  await chat.stop();
  await server.drain(Math.max(500, config.shutdownTimeoutMs - config.drainDelayMs - 1000));
  await backend.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

if (config.store === 'redis') log.info({ redis: config.redisUrl.replace(/\/\/[^@]*@/, '//***@') }, 'connecting to redis');
await backend.start();
chat.start();
const port = await server.listen();
log.info({ port, host: config.host, store: config.store }, 'listening');
