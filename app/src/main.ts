/**
 * Process entry: read the config, start one node, and stop cleanly on SIGTERM/SIGINT
 * (the protocol's guarantee 8: stop taking connections, close with 1001, exit within 10 s).
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { gcOnSignal } from './gc-signal.js';
import { createLogger } from './log.js';
import { createNode } from './node.js';

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
gcOnSignal();
const node = createNode(config, log);

process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception, exiting');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal, connections: node.server.connectionCount }, 'shutting down');
  setTimeout(() => process.exit(1), 9_500).unref();
  await node.stop();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

if (config.store === 'redis') log.info({ redis: config.redisUrl.replace(/\/\/[^@]*@/, '//***@') }, 'connecting to redis');
const port = await node.start();
log.info({ port, host: config.host, store: config.store }, 'listening');
if (config.staticDir) process.stdout.write(`livechat embedded node ready: open http://localhost:${port}/\n`);
