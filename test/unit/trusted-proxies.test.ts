/** TRUSTED_PROXIES: parsing, matching, host names, and the right-most-untrusted walk of X-Forwarded-For. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/src/config.js';
import {
  clientAddressFrom, normalizeAddress, parseTrustedProxies, TrustedProxies, TrustedProxiesError,
} from '../../app/src/transport/trusted-proxies.js';

const trusting = (raw: string) => new TrustedProxies(parseTrustedProxies(raw)).trusts;

describe('parseTrustedProxies', () => {
  it('takes addresses, CIDR ranges (IPv4 and IPv6) and host names; empty trusts nothing', () => {
    const t = trusting(' 127.0.0.1 , ::1,10.1.0.0/16, fd00::/8 ,192.0.2.4/32');
    for (const a of ['127.0.0.1', '::ffff:127.0.0.1', '::1', '10.1.255.3', '::ffff:10.1.0.1', 'fd12::9', '192.0.2.4']) expect(t(a), a).toBe(true);
    for (const a of ['127.0.0.2', '10.2.0.1', 'fe80::1', '192.0.2.5', '8.8.8.8', '', 'not-an-ip']) expect(t(a), a).toBe(false);
    expect(parseTrustedProxies('haproxy, tasks.haproxy').names).toEqual(['haproxy', 'tasks.haproxy']);
    const none = trusting('');
    for (const a of ['127.0.0.1', '::1', '10.0.0.1', '172.18.0.2', '192.168.1.1']) expect(none(a), a).toBe(false);
  });

  it('refuses malformed entries, naming them', () => {
    for (const bad of ['10.0.0.0/33', '::1/129', '10.0.0.0/8/1', 'host/8', '10.0.0.0/x', 'bad host', 'a..b', '-x', '*']) {
      expect(() => parseTrustedProxies(bad), bad).toThrow(TrustedProxiesError);
    }
  });

  it('is the TRUSTED_PROXIES setting: none by default, a bad value stops the server at start', () => {
    expect(loadConfig({ STORE: 'memory' }).trustedProxies).toBe('');
    expect(loadConfig({ STORE: 'memory', TRUSTED_PROXIES: '127.0.0.1,::1' }).trustedProxies).toBe('127.0.0.1,::1');
    expect(() => loadConfig({ STORE: 'memory', TRUSTED_PROXIES: '10.0.0.0/40' })).toThrow(ConfigError);
    expect(() => loadConfig({ STORE: 'memory', TRUSTED_PROXIES: '10.0.0.0/40' })).toThrow(/TRUSTED_PROXIES/);
  });
});

describe('normalizeAddress', () => {
  it('reads IPv4-mapped IPv6 as IPv4 and brackets away; refuses ports and names', () => {
    expect(normalizeAddress('::ffff:10.0.0.1')).toEqual({ address: '10.0.0.1', family: 'ipv4' });
    expect(normalizeAddress('[2001:DB8::1]')).toEqual({ address: '2001:db8::1', family: 'ipv6' });
    expect(normalizeAddress('1.2.3.4:80')).toBeNull();
    expect(normalizeAddress('unknown')).toBeNull();
  });
});

describe('clientAddressFrom (right-most untrusted address)', () => {
  const t = trusting('127.0.0.1, 10.0.0.0/24');

  it('an untrusted peer is the client, whatever it forwards', () => {
    expect(clientAddressFrom('203.0.113.9', '1.1.1.1', t)).toBe('203.0.113.9');
    expect(clientAddressFrom('10.0.1.1', '1.1.1.1', t)).toBe('10.0.1.1');
    expect(clientAddressFrom('203.0.113.9', undefined, t)).toBe('203.0.113.9');
  });

  it('walks from the right past trusted proxies; entries a client wrote further left never count', () => {
    expect(clientAddressFrom('127.0.0.1', '198.51.100.7', t)).toBe('198.51.100.7');
    // client forged "1.1.1.1", the first proxy appended its real address, then a trusted hop
    expect(clientAddressFrom('127.0.0.1', '1.1.1.1, 198.51.100.7, 10.0.0.5', t)).toBe('198.51.100.7');
    // several headers are one list, in order
    expect(clientAddressFrom('127.0.0.1', ['1.1.1.1', '198.51.100.7'], t)).toBe('198.51.100.7');
    expect(clientAddressFrom('::ffff:127.0.0.1', '::ffff:198.51.100.7', t)).toBe('198.51.100.7');
  });

  it('every hop trusted: the left-most; nothing forwarded: the peer', () => {
    expect(clientAddressFrom('127.0.0.1', '10.0.0.8, 10.0.0.5', t)).toBe('10.0.0.8');
    expect(clientAddressFrom('127.0.0.1', '', t)).toBe('127.0.0.1');
    expect(clientAddressFrom('127.0.0.1', ' , ', t)).toBe('127.0.0.1');
  });

  it('a malformed entry stops the walk at the hop that wrote it', () => {
    expect(clientAddressFrom('127.0.0.1', '198.51.100.7, garbage', t)).toBe('127.0.0.1');
    expect(clientAddressFrom('127.0.0.1', 'garbage, 10.0.0.5', t)).toBe('10.0.0.5');
    expect(clientAddressFrom('127.0.0.1', '198.51.100.7:4000', t)).toBe('127.0.0.1');
  });
});

describe('TrustedProxies host names', () => {
  it('trusts what a name resolves to, looked up again on refresh; an unresolvable name trusts nothing', async () => {
    let answer: string[] | Error = new Error('ENOTFOUND');
    const p = new TrustedProxies(parseTrustedProxies('haproxy, 127.0.0.1'), async (name) => {
      expect(name).toBe('haproxy');
      if (answer instanceof Error) throw answer;
      return answer;
    });
    await p.refresh();
    expect(p.trusts('172.20.0.4')).toBe(false);
    expect(p.trusts('127.0.0.1')).toBe(true);
    answer = ['172.20.0.4', '::ffff:172.20.0.9'];
    await p.refresh();
    expect(p.trusts('172.20.0.4')).toBe(true);
    expect(p.trusts('::ffff:172.20.0.9')).toBe(true);
    expect(clientAddressFrom('::ffff:172.20.0.4', '198.51.100.7', p.trusts)).toBe('198.51.100.7');
    answer = ['172.20.0.5']; // HAProxy restarted with a new address
    await p.refresh();
    expect(p.trusts('172.20.0.4')).toBe(false);
    expect(p.trusts('172.20.0.5')).toBe(true);
    p.stop();
  });
});
