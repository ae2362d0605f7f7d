// Prints this container's replica name, e.g. `ws-3`, for the ws server's APPID (scripts/docker/ws-start.sh).
// Docker's embedded DNS answers a reverse lookup of a container's address with its name on that network:
//   compose v2   main-ws-3.main_default          -> ws-3   (compose v1: main_ws_3)
//   Swarm        livechat_ws.3.<task id>.<net>   -> ws-3
// so the APPID matches `docker compose ps` / `docker service ps` and scaling needs no config edit.
// Prints nothing and exits 1 when there is no such name (not in Docker, or no answer within ~3 s):
// the caller falls back to the hostname. Only node's own modules: it runs in the runtime image.
import { promises as dns } from 'node:dns';
import { networkInterfaces } from 'node:os';

export function replicaName(ptr) {
  const host = ptr.replace(/\.$/, '');
  const swarm = /(?:^|_)([A-Za-z0-9-]+)\.(\d+)\.[a-z0-9]{25}(?:\.|$)/.exec(host);
  if (swarm) return `${swarm[1]}-${swarm[2]}`;
  const first = host.split('.')[0];
  const compose = /([A-Za-z0-9]+)[-_](\d+)$/.exec(first);
  return compose ? `${compose[1]}-${compose[2]}` : null;
}

async function main() {
  const addrs = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a.address);
  const resolver = new dns.Resolver({ timeout: 1000, tries: 3 });
  for (const ip of addrs) {
    try {
      // resolvePtr, not reverse(): c-ares's reverse() returns no names from Docker's DNS.
      const arpa = `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
      for (const ptr of await resolver.resolvePtr(arpa)) {
        const name = replicaName(ptr);
        if (name) {
          process.stdout.write(`${name}\n`);
          return;
        }
      }
    } catch {
      // no name for this address: try the next
    }
  }
  process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
