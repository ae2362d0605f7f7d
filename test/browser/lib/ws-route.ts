/**
 * A hand between the page and the cluster (playwright's routeWebSocket): frames go through to the
 * real server unchanged, except that a test can answer a request itself (a refused send), push a
 * frame the server never sent (an error, garbage), drop every socket as a dying server would, and
 * hold the page offline (each new socket closed at once) until it lets go.
 */
import type { Page, WebSocketRoute } from 'playwright-core';

export interface ChatRoute {
  /** While true, each new socket is closed at once: the page stays "reconnecting". */
  offline: boolean;
  /** A request the test answers itself: return the frame to answer with, or null to pass it on. */
  answer: ((request: Record<string, unknown>) => object | null) | null;
  /** Closes every open socket (page side and server side). */
  drop(): void;
  /** Sends raw text (or a frame) to the page on every open socket. */
  push(frame: object | string): void;
  /** Frames the page sent, decoded. */
  sent: Array<Record<string, unknown>>;
}

export async function routeChat(page: Page): Promise<ChatRoute> {
  const open = new Map<WebSocketRoute, WebSocketRoute>();
  const route: ChatRoute = {
    offline: false,
    answer: null,
    sent: [],
    drop() {
      for (const [ws, server] of open) {
        void ws.close({ code: 4000, reason: 'test drop' }).catch(() => {});
        void server.close().catch(() => {});
      }
      open.clear();
    },
    push(frame) {
      for (const ws of open.keys()) ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
  };
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (route.offline) { void ws.close({ code: 4000, reason: 'offline' }).catch(() => {}); return; }
    const server = ws.connectToServer();
    open.set(ws, server);
    ws.onMessage((m) => {
      const text = String(m);
      let req: Record<string, unknown> = {};
      try { req = JSON.parse(text) as Record<string, unknown>; } catch { /* passed on as is */ }
      route.sent.push(req);
      const reply = route.answer?.(req) ?? null;
      if (reply) ws.send(JSON.stringify(reply));
      else server.send(m);
    });
    server.onMessage((m) => ws.send(m));
    ws.onClose(() => { open.delete(ws); void server.close().catch(() => {}); });
    server.onClose(() => { if (open.delete(ws)) void ws.close({ code: 4000, reason: 'server closed' }).catch(() => {}); });
  });
  return route;
}
