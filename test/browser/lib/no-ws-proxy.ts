/**
 * An HTTP forward proxy that refuses WebSockets, as a corporate proxy that strips `Upgrade` does: plain
 * requests (the page, GET /sse, the POSTs) are forwarded and streamed back unbuffered, while a CONNECT
 * tunnel (how Chromium sends ws:// through a proxy) or an Upgrade request is answered 403. Chromium is
 * pointed at it per context (`proxy` in newContext, with `<-loopback>` so 127.0.0.1 goes through it
 * too). It counts what it refused and the POSTs it forwarded.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface NoWsProxy {
  /** For playwright's newContext({ proxy }). */
  readonly proxy: { server: string; bypass: string };
  /** WebSocket attempts refused (CONNECT tunnels and Upgrade requests). */
  refused: number;
  /** When true, CONNECT tunnels (WebSockets) are let through; tunnels opened so far are counted. */
  allowWebSocket: boolean;
  tunnels: number;
  /** Paths of the requests forwarded, e.g. `POST /sse/<token>`. */
  forwarded: string[];
  close(): Promise<void>;
}

export async function startNoWsProxy(): Promise<NoWsProxy> {
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Duplex>();
  const refuse = (sock: Duplex) => {
    state.refused++;
    sock.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  };
  const server = http.createServer((req, res) => {
    let target: URL;
    try { target = new URL(req.url ?? ''); } catch { res.writeHead(400).end(); return; }
    state.forwarded.push(`${req.method} ${target.pathname}`);
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const up = http.request({
      agent, host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers,
    }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      res.flushHeaders();
      upRes.pipe(res);
      // An upstream that dies mid-response (a killed server's stream) cuts the client's too, as nginx does.
      upRes.on('close', () => { if (!upRes.complete) res.destroy(); });
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.on('connect', (req, sock: Duplex, head: Buffer) => {
    if (!state.allowWebSocket) { refuse(sock); return; }
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host, () => {
      state.tunnels++;
      sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => { sockets.delete(up); sock.destroy(); });
    up.on('error', () => sock.destroy());
    sock.on('error', () => up.destroy());
    sock.on('close', () => up.destroy());
  });
  server.on('upgrade', (_req, sock: Duplex) => refuse(sock));
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: NoWsProxy = {
    proxy: { server: `http://127.0.0.1:${port}`, bypass: '<-loopback>' },
    refused: 0,
    allowWebSocket: false,
    tunnels: 0,
    forwarded: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
