// What a sign-in costs one server: starts an embedded server (memory store, default scrypt cost),
// signs up and signs in N accounts from C concurrent connections, and prints throughput, latency and
// the server's memory — plus one unknown-username and one wrong-password sign-in side by side (they
// must take the same time). Usage: node scripts/build.mjs && node scripts/bench-signin.mjs [N] [C]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import WebSocket from 'ws';

const n = Number(process.argv[2] ?? 40);
const concurrency = Number(process.argv[3] ?? 8);
const port = 3900 + Math.floor(Math.random() * 90);
const env = {
  ...process.env, STORE: 'memory', APPID: 'bench-signin', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
  SESSION_CREATE_RATE_BURST: '100000', KDF_QUEUE: '100000', SIGNIN_ADDRESS_LIMIT: '100000',
};
const server = spawn(process.execPath, ['dist/server.js'], { env, stdio: 'inherit' });
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok) break;
    if (i > 100) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  /** One request on a new connection; resolves with the first frame. */
  const ask = async (req) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['livechat.v1']);
    await once(ws, 'open');
    ws.send(JSON.stringify(req));
    const [data] = await once(ws, 'message');
    ws.close();
    return JSON.parse(String(data));
  };
  const rss = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/process_resident_memory_bytes\{[^}]*\} (\d+)/.exec(text)?.[1] ?? 0) / 2 ** 20;
  };
  const round = async (type) => {
    const latencies = [];
    let next = 0;
    let peak = 0;
    const sampler = setInterval(() => { void rss().then((m) => { peak = Math.max(peak, m); }); }, 100);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const k = next++;
        const t = performance.now();
        const r = await ask({ type, username: `bench-${k}`, password: 'correct horse battery staple' });
        if (r.type !== 'welcome') throw new Error(`${type}: ${JSON.stringify(r)}`);
        latencies.push(performance.now() - t);
      }
    }));
    clearInterval(sampler);
    const s = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))].toFixed(0);
    console.log(`${type.padEnd(7)} ${n} in ${s.toFixed(1)} s: ${(n / s).toFixed(1)}/s, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, server RSS peak ${peak.toFixed(0)} MiB`);
  };
  console.log(`one server, ${concurrency} connections at a time, default settings (scrypt N=2^17, r=8, p=1; KDF_CONCURRENCY 2); RSS idle ${(await rss()).toFixed(0)} MiB`);
  await round('signup');
  await round('signin');
  const timed = async (username, password) => {
    const t = performance.now();
    const r = await ask({ type: 'signin', username, password });
    return `${r.code} in ${(performance.now() - t).toFixed(0)} ms`;
  };
  console.log(`unknown username: ${await timed('nobody-here', 'correct horse battery staple')}; wrong password: ${await timed('bench-1', 'wrong horse battery staple')}`);
} finally {
  server.kill('SIGTERM');
}
