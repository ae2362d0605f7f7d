/**
 * Which peers may tell a server the client's address (X-Forwarded-For): TRUSTED_PROXIES, a comma
 * list of IP addresses, CIDR ranges and host names (a name stands for every address it resolves to,
 * looked up again every few seconds: compose's `haproxy`, Swarm's `tasks.haproxy`). Nothing is
 * trusted by default: a server reached directly counts each client under its socket address.
 *
 * The client's address is the right-most address of the chain that is not a trusted proxy: starting
 * from the socket's peer, each trusted hop vouches for the entry it appended (the last one), and the
 * first untrusted entry is the client. What a client writes further left never counts.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';

export class TrustedProxiesError extends Error {
  override name = 'TrustedProxiesError';
}

export interface TrustedProxyList {
  /** Literal addresses and CIDR ranges. */
  readonly ranges: net.BlockList;
  /** Host names, resolved by TrustedProxies. */
  readonly names: readonly string[];
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*$/;

/** An address as it is compared: IPv4-mapped IPv6 (`::ffff:10.0.0.1`, how a dual-stack socket shows IPv4) as IPv4; else null when it is not an IP. */
export function normalizeAddress(raw: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  let a = raw.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1];
  const v = net.isIP(a);
  if (v === 4) return { address: a, family: 'ipv4' };
  if (v === 6) return { address: a.toLowerCase(), family: 'ipv6' };
  return null;
}

/** Parses TRUSTED_PROXIES; throws TrustedProxiesError naming the bad entry. */
export function parseTrustedProxies(raw: string): TrustedProxyList {
  const ranges = new net.BlockList();
  const names: string[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr, bits, extra] = entry.split('/');
    const ip = normalizeAddress(addr);
    if (extra !== undefined) throw new TrustedProxiesError(`${entry}: expected an address, address/bits or a host name`);
    if (bits !== undefined) {
      const max = ip?.family === 'ipv4' ? 32 : 128;
      const n = Number(bits);
      if (!ip || !/^\d{1,3}$/.test(bits) || n > max) throw new TrustedProxiesError(`${entry}: expected address/bits (bits 0-${ip?.family === 'ipv4' ? 32 : 128})`);
      ranges.addSubnet(ip.address, n, ip.family);
    } else if (ip) {
      ranges.addAddress(ip.address, ip.family);
    } else if (HOST_NAME.test(entry)) {
      names.push(entry.toLowerCase());
    } else {
      throw new TrustedProxiesError(`${entry}: expected an address, address/bits or a host name`);
    }
  }
  return { ranges, names };
}

/**
 * The client's address: `peer` (the socket's) unless it is a trusted proxy, then walking the
 * X-Forwarded-For entries from the right past trusted proxies. A malformed entry stops the walk at
 * the hop that wrote it (that hop is the last address known to be real).
 */
export function clientAddressFrom(peer: string, forwarded: string | string[] | undefined, trusted: (address: string) => boolean): string {
  if (!trusted(peer) || forwarded === undefined) return peer;
  const chain = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',').map((s) => s.trim()).filter(Boolean);
  let current = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const ip = normalizeAddress(chain[i]);
    if (!ip) return current;
    current = ip.address;
    if (!trusted(current)) return current;
  }
  return current;
}

type Lookup = (name: string) => Promise<string[]>;
const dnsLookup: Lookup = async (name) => (await lookup(name, { all: true })).map((r) => r.address);

/** TRUSTED_PROXIES in use: the literal ranges, and the names' addresses as last resolved. */
export class TrustedProxies {
  private resolved = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly list: TrustedProxyList, private readonly resolve: Lookup = dnsLookup) {}

  /** Whether `address` (a socket's or an X-Forwarded-For entry) is a trusted proxy. */
  readonly trusts = (address: string): boolean => {
    const ip = normalizeAddress(address);
    if (!ip) return false;
    return this.list.ranges.check(ip.address, ip.family) || this.resolved.has(ip.address);
  };

  /** Looks the names up again; a name that does not resolve (its service not started yet) trusts nothing. */
  async refresh(): Promise<void> {
    if (this.list.names.length === 0) return;
    const next = new Set<string>();
    await Promise.all(this.list.names.map(async (name) => {
      try {
        for (const a of await this.resolve(name)) {
          const ip = normalizeAddress(a);
          if (ip) next.add(ip.address);
        }
      } catch {
        // not resolvable now: nothing from it is believed until it is
      }
    }));
    this.resolved = next;
  }

  /** Resolves the names now and every `everyMs` until stop(). */
  start(everyMs = 2000): Promise<void> {
    if (this.list.names.length > 0 && !this.timer) {
      this.timer = setInterval(() => void this.refresh(), everyMs);
      this.timer.unref();
    }
    return this.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
