/**
 * The pino root logger. Every line carries the server's APPID; connections log through a child
 * with their own id. Message bodies are never logged (only sizes, rooms and ids).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the root logger for one server process. */
export function createLogger(appId: string, level: string): Logger {
  return pino({
    level,
    base: { appId, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['text', '*.text', 'session', '*.session'], censor: '[redacted]' },
  });
}
