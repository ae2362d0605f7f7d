/**
 * The only reader of process.env. Validates every setting and fails fast with a message naming
 * the variable, so a typo in compose or the runner stops the server at start, not under load.
 * docs/operations.md lists every variable; keep the two in step.
 */
import os from 'node:os';
import { bool, ConfigError, int, rate, ratio, str, type Env, type Rate } from './config-values.js';
import { filesConfig, FilesConfigError, type FilesConfig } from './files/files-config.js';
import { loadRedisSettings, type RedisSettings } from './store/redis-settings.js';
import { parseTrustedProxies, TrustedProxiesError } from './transport/trusted-proxies.js';

export type StoreKind = 'redis' | 'memory';

export interface Config extends RedisSettings {
  /** Attachments: the file store's driver and settings (files/files-config.ts). */
  files: FilesConfig;
  /** The largest attachment, in bytes (= files.maxBytes). */
  filesMaxBytes: number;
  /**
   * LC_LOAD_TEST=1: every per-address limit lifted (sessions created, sign-in failures, upload bytes
   * per address), as HAProxy and nginx lift theirs with the same switch — a load test comes from few
   * addresses. Per-member and per-connection limits stay. Never for a server facing people.
   */
  loadTest: boolean;
  /** Tag of this server: in every log line, in `welcome.appId` and `message.via`. */
  appId: string;
  host: string;
  port: number;
  /** `redis` for the cluster; `memory` for the embedded single node. */
  store: StoreKind;
  /** Exact origins allowed besides localhost/127.0.0.1 (any port) and the page's own origin. `*` allows all. */
  allowedOrigins: string[];
  /** TRUSTED_PROXIES: addresses, CIDR ranges and host names whose X-Forwarded-For is believed (none by default). */
  trustedProxies: string;
  /** PUBLIC_ORIGIN: the page's origin as browsers see it, for the embedded node's CSP (empty: 'self' only). */
  publicOrigin: string;
  /** Largest accepted frame in bytes; larger closes with 1009. */
  maxPayload: number;
  /** WebSocket ping interval; a connection that misses a pong is dropped at the next tick. */
  pingIntervalMs: number;
  /** SSE_HEARTBEAT_MS: a comment written to every SSE stream this often (the contract: at most 10 s). */
  sseHeartbeatMs: number;
  /** Token bucket per connection, over all requests. */
  rateBurst: number;
  ratePerSec: number;
  /** Malformed frames tolerated per connection per minute before closing with 1008. */
  badRequestLimit: number;
  historyMax: number;
  joinDefault: number;
  /** Presence entries expire this long after their server's last heartbeat. */
  presenceTtlMs: number;
  presenceHeartbeatMs: number;
  /** A member whose last connection closes stays listed this long, so a quick reconnect makes no flicker. */
  presenceGraceMs: number;
  sessionTtlSec: number;
  /** A room with more members than this is large: counts instead of join/leave events, lists on request. */
  largeRoomThreshold: number;
  /** A large room turns small again (one `sync`, join/leave resume) at this many members or fewer. */
  smallAgainAt: number;
  /** In a large room, at most one `count` frame per this many ms per room. */
  presenceCountIntervalMs: number;
  /** A dedup record keeps a `cid` this long (the protocol asks for at least 10 minutes). */
  dedupTtlSec: number;
  /** A socket whose unsent bytes pass this is a slow consumer and is closed with 1013. */
  slowConsumerBytes: number;
  /** On SIGTERM: time to let HAProxy see /readyz fail before closing connections. */
  drainDelayMs: number;
  shutdownTimeoutMs: number;
  /** Serve the built page from this folder (embedded mode); empty to serve none. */
  staticDir: string;
  logLevel: string;
  /** Connections this server accepts before refusing upgrades with 503. */
  maxConnections: number;
  /** Rooms one connection may be in at once; a join past it gets bad_request. */
  maxRoomsPerConnection: number;
  /** Largest `message` frame, encoded (UTF-8 bytes); a send past it gets bad_request. */
  maxMessageBytes: number;
  /** History per room keeps the newest `historyMax` messages within this many bytes. */
  historyMaxBytes: number;
  /** Every key of a room expires this long after the room's last write (send, join, leave). */
  roomTtlSec: number;
  /** A new session lives this long until it is used again (then `sessionTtlSec` from each use). */
  sessionFirstTtlSec: number;
  /** A connection that has not said hello within this is closed with 1008. */
  helloTimeoutMs: number;
  /** Per member on a server: token buckets per kind of request (burst, then per second). */
  sendRate: Rate;
  joinRate: Rate;
  pageRate: Rate;
  /** Edits, deletions, reactions and typing notices (shared/PROTOCOL.md "Message lifecycle"), each its own bucket. */
  editRate: Rate;
  deleteRate: Rate;
  reactRate: Rate;
  typingRate: Rate;
  /** `upload` requests per member (shared/PROTOCOL.md "Attachments"). */
  uploadRate: Rate;
  /** Attachment bytes per source address: a burst (bytes), then bytes per second. */
  uploadBytesRate: Rate;
  /** Rooms one member may create (join while empty and new): burst, then per minute. */
  roomCreateRate: Rate;
  /** Sessions one source address may create (hello without a session): burst, then per second. */
  sessionCreateRate: Rate;
  /** Bytes one source address may leave in the store (messages, edits, reactions): burst, then per second. */
  storeAddressRate: Rate;
  /** The same per member (an account, or a guest's session). */
  storeMemberRate: Rate;
  /** New rooms one source address may make (public by joining, private by `create`): burst, then per second. */
  roomAddressRate: Rate;
  /** Redis memory use (of maxmemory) at which /metrics raises livechat_redis_memory_alarm and the log warns. */
  storeAlarmRatio: number;
  /** Unsent bytes of big answers (joined, history, members) across the server; past it those requests get rate_limited. */
  replyBudgetBytes: number;
  /** The same for all the connections of one source address (so a few non-reading clients cannot use up the server's). */
  replyBudgetAddressBytes: number;
  /** Accounts: only accounts may connect (no guests). */
  requireAccounts: boolean;
  /** An account (with its room list and read markers) unused this long is deleted. */
  accountTtlSec: number;
  /** Rooms kept in an account's list (public rooms joined; private rooms and DMs are not capped by it). */
  accountMaxRooms: number;
  /** Members of one private room at most. */
  privateRoomMaxMembers: number;
  /** Private rooms and DMs one account may be in (create, invite and a new DM past it get bad_request). */
  accountMaxPrivateRooms: number;
  /** Pending invites (to private rooms, and DMs from accounts it shares no private room with) one account holds; past it the oldest go. */
  accountMaxInvites: number;
  /** A pending invite lapses this long after it was made. */
  inviteTtlSec: number;
  /** scrypt cost: N = 2^scryptLog2N (OWASP: 2^17 with r=8, p=1). */
  scryptLog2N: number;
  /** Password hashes computed at once on a server; more wait, and past `kdfQueue` waiting they get rate_limited. */
  kdfConcurrency: number;
  kdfQueue: number;
  /**
   * Failed sign-ins within `signinWindowSec` (docs/security.md): past `signinPairLimit` for one
   * (account, address) pair or `signinAddressLimit` for an address, rate_limited until the window ends;
   * past `signinAccountLimit` for an account from all addresses, each further attempt waits a short
   * exponential backoff capped at `signinBackoffMaxMs` (never a lock-out of the owner).
   */
  signinPairLimit: number;
  signinAccountLimit: number;
  signinAddressLimit: number;
  signinWindowSec: number;
  signinBackoffMaxMs: number;
  /** Password hashes (sign-in, sign-up, password change) one address may start, across the cluster: burst, then per second. */
  kdfAddressRate: Rate;
  /** Sessions an account keeps at once; one more revokes the oldest. */
  accountMaxSessions: number;
  /** A session's absolute lifetime from its creation; use renews it up to this, never past. */
  sessionMaxAgeSec: number;
}

export { ConfigError, type Rate, type SentinelAddress } from './config-values.js';

/**
 * Attachments' settings. A cluster server given neither FILES nor FILES_SECRET takes no files (it
 * could not sign URLs nginx believes): the native runner, compose and Swarm set both.
 */
function loadFilesConfig(env: Env, store: string): FilesConfig {
  const unset = (env.FILES ?? '') === '' && (env.FILES_SECRET ?? '') === '' && store !== 'memory';
  try {
    return filesConfig(unset ? { ...env, FILES: 'off' } : env, store === 'memory');
  } catch (err) {
    if (err instanceof FilesConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

function trustedProxies(env: Env): string {
  const raw = str(env, 'TRUSTED_PROXIES', '');
  try {
    parseTrustedProxies(raw);
  } catch (err) {
    if (err instanceof TrustedProxiesError) throw new ConfigError(`TRUSTED_PROXIES: ${err.message}`);
    throw err;
  }
  return raw;
}

/** An http(s) origin (scheme, host, optional port, nothing else), or empty. */
function origin(env: Env, key: string): string {
  const raw = str(env, key, '');
  if (raw === '') return '';
  let url: URL | null = null;
  try { url = new URL(raw); } catch { /* below */ }
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== raw.replace(/\/$/, '').toLowerCase()) {
    throw new ConfigError(`${key}=${raw}: expected an origin such as https://chat.example.com`);
  }
  return url.origin;
}

/** Without a per-address limit: what LC_LOAD_TEST=1 does to a configuration (see Config.loadTest). */
function liftedForLoadTests(c: Config): Config {
  if (!c.loadTest) return c;
  const none = { burst: 2 ** 50, perSec: 2 ** 50 };
  return {
    ...c, sessionCreateRate: none, uploadBytesRate: none, storeAddressRate: none, roomAddressRate: none, kdfAddressRate: none,
    signinAddressLimit: 1_000_000_000, signinPairLimit: 1_000_000_000, replyBudgetAddressBytes: c.replyBudgetBytes,
  };
}

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const store = str(env, 'STORE', 'redis');
  if (store !== 'redis' && store !== 'memory') throw new ConfigError(`STORE=${store}: expected redis or memory`);
  const appId = str(env, 'APPID', os.hostname());
  if (!/^[\w.-]{1,64}$/.test(appId)) throw new ConfigError(`APPID=${appId}: expected 1-64 of [A-Za-z0-9_.-]`);
  const redis = loadRedisSettings(env);
  const largeRoomThreshold = int(env, 'LARGE_ROOM_THRESHOLD', 200, 1, 5_000);
  const files = loadFilesConfig(env, store);
  const loadTest = bool(env, 'LC_LOAD_TEST', false);
  return liftedForLoadTests({
    loadTest,
    files,
    filesMaxBytes: files.maxBytes,
    appId,
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 3000, 0, 65535),
    store,
    ...redis,
    allowedOrigins: str(env, 'ALLOWED_ORIGINS', '').split(',').map((s) => s.trim()).filter(Boolean),
    trustedProxies: trustedProxies(env),
    publicOrigin: origin(env, 'PUBLIC_ORIGIN'),
    maxPayload: int(env, 'MAX_PAYLOAD', 64 * 1024, 1024, 16 * 1024 * 1024),
    pingIntervalMs: int(env, 'PING_INTERVAL_MS', 20_000, 100, 600_000),
    sseHeartbeatMs: int(env, 'SSE_HEARTBEAT_MS', 5_000, 100, 10_000),
    rateBurst: int(env, 'RATE_LIMIT_BURST', 100, 1, 1_000_000),
    ratePerSec: int(env, 'RATE_LIMIT_PER_SEC', 50, 1, 1_000_000),
    badRequestLimit: int(env, 'BAD_REQUEST_LIMIT', 20, 1, 1_000_000),
    historyMax: int(env, 'HISTORY_MAX', 1000, 1, 1_000_000),
    joinDefault: int(env, 'JOIN_HISTORY', 50, 0, 1000),
    presenceTtlMs: int(env, 'PRESENCE_TTL_MS', 15_000, 500, 600_000),
    presenceHeartbeatMs: int(env, 'PRESENCE_HEARTBEAT_MS', 5_000, 100, 300_000),
    presenceGraceMs: int(env, 'PRESENCE_GRACE_MS', 3_000, 0, 60_000),
    sessionTtlSec: int(env, 'SESSION_TTL_SEC', 86_400, 60, 365 * 86_400),
    largeRoomThreshold,
    smallAgainAt: int(env, 'LARGE_ROOM_SMALL_AGAIN', Math.floor(largeRoomThreshold * 0.9), 0, largeRoomThreshold),
    presenceCountIntervalMs: int(env, 'PRESENCE_COUNT_INTERVAL_MS', 1000, 1000, 60_000),
    dedupTtlSec: int(env, 'DEDUP_TTL_SEC', 900, 600, 86_400),
    slowConsumerBytes: int(env, 'SLOW_CONSUMER_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    drainDelayMs: int(env, 'DRAIN_DELAY_MS', 0, 0, 8_000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 8_000, 100, 9_500),
    staticDir: str(env, 'STATIC_DIR', ''),
    logLevel: str(env, 'LOG_LEVEL', 'info'),
    maxConnections: int(env, 'MAX_CONNECTIONS', 50_000, 1, 10_000_000),
    maxRoomsPerConnection: int(env, 'MAX_ROOMS_PER_CONNECTION', 100, 1, 100_000),
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', 16 * 1024, 1024, 1024 * 1024),
    historyMaxBytes: int(env, 'HISTORY_MAX_BYTES', 1024 * 1024, 16 * 1024, 64 * 1024 * 1024),
    roomTtlSec: int(env, 'ROOM_TTL_SEC', 30 * 86_400, 60, 3650 * 86_400),
    sessionFirstTtlSec: int(env, 'SESSION_FIRST_TTL_SEC', 3600, 60, 365 * 86_400),
    helloTimeoutMs: int(env, 'HELLO_TIMEOUT_MS', 10_000, 100, 600_000),
    sendRate: rate(env, 'SEND_RATE', 20, 5),
    joinRate: rate(env, 'JOIN_RATE', 20, 2),
    pageRate: rate(env, 'PAGE_RATE', 30, 5),
    editRate: rate(env, 'EDIT_RATE', 20, 2),
    deleteRate: rate(env, 'DELETE_RATE', 20, 2),
    reactRate: rate(env, 'REACT_RATE', 30, 5),
    typingRate: rate(env, 'TYPING_RATE', 10, 1),
    uploadRate: rate(env, 'UPLOAD_RATE', 20, 0.5),
    // 256 MiB at once, then 64 KiB/s (about 225 MB an hour) per address.
    uploadBytesRate: rate(env, 'UPLOAD_BYTES', 256 * 1024 * 1024, 64 * 1024, 2 ** 50),
    roomCreateRate: rate(env, 'ROOM_CREATE_RATE', 10, 12 / 60),
    sessionCreateRate: rate(env, 'SESSION_CREATE_RATE', 200, 2),
    // 1 MiB at once, then 4 KiB/s (about 14 MiB an hour): thousands of lines, a few dozen pasted pages.
    storeAddressRate: rate(env, 'STORE_ADDRESS_BYTES', 1024 * 1024, 4096, 2 ** 50),
    storeMemberRate: rate(env, 'STORE_MEMBER_BYTES', 1024 * 1024, 4096, 2 ** 50),
    roomAddressRate: rate(env, 'ROOM_ADDRESS_RATE', 30, 1 / 60),
    storeAlarmRatio: ratio(env, 'STORE_ALARM_RATIO', 0.8),
    replyBudgetBytes: int(env, 'REPLY_BUDGET_BYTES', 64 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024 * 1024),
    replyBudgetAddressBytes: int(env, 'REPLY_BUDGET_ADDRESS_BYTES', 8 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024 * 1024),
    requireAccounts: bool(env, 'REQUIRE_ACCOUNTS', false),
    accountTtlSec: int(env, 'ACCOUNT_TTL_SEC', 365 * 86_400, 60, 3650 * 86_400),
    accountMaxRooms: int(env, 'ACCOUNT_MAX_ROOMS', 200, 1, 100_000),
    privateRoomMaxMembers: int(env, 'PRIVATE_ROOM_MAX_MEMBERS', 1000, 2, 100_000),
    accountMaxPrivateRooms: int(env, 'ACCOUNT_MAX_PRIVATE_ROOMS', 500, 1, 100_000),
    accountMaxInvites: int(env, 'ACCOUNT_MAX_INVITES', 50, 1, 10_000),
    inviteTtlSec: int(env, 'INVITE_TTL_SEC', 7 * 86_400, 60, 365 * 86_400),
    scryptLog2N: int(env, 'SCRYPT_LOG2_N', 17, 10, 20),
    kdfConcurrency: int(env, 'KDF_CONCURRENCY', 2, 1, 64),
    kdfQueue: int(env, 'KDF_QUEUE', 64, 0, 100_000),
    signinPairLimit: int(env, 'SIGNIN_PAIR_LIMIT', 10, 1, 1_000_000),
    signinAccountLimit: int(env, 'SIGNIN_ACCOUNT_LIMIT', 100, 1, 1_000_000),
    signinAddressLimit: int(env, 'SIGNIN_ADDRESS_LIMIT', 50, 1, 1_000_000),
    signinWindowSec: int(env, 'SIGNIN_WINDOW_SEC', 900, 1, 86_400),
    signinBackoffMaxMs: int(env, 'SIGNIN_BACKOFF_MAX_MS', 5_000, 100, 60_000),
    // 10 hashes at once, then one every 10 s, per address.
    kdfAddressRate: rate(env, 'KDF_ADDRESS_RATE', 10, 0.1, 1_000),
    accountMaxSessions: int(env, 'ACCOUNT_MAX_SESSIONS', 20, 1, 10_000),
    sessionMaxAgeSec: int(env, 'SESSION_MAX_AGE_SEC', 30 * 86_400, 1, 3650 * 86_400),
  });
}
