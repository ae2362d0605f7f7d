/**
 * The bytes of one file to the PUT target an `upload` answer named, with exactly its headers.
 * XMLHttpRequest rather than fetch: only it reports upload progress. The target is a path on the
 * page's origin (nginx) or a presigned storage URL; the WebSocket servers never see the bytes.
 */
import type { PutTarget } from '@livechat/protocol';

/** How a PUT ended: `ok`, refused with an HTTP status, or the network failed. Aborted ones say nothing. */
export type PutResult = { ok: true } | { ok: false; status: number };

/** A PUT in progress. */
export interface PutHandle { abort(): void }

export type PutFile = (target: PutTarget, body: Blob, onProgress: (loaded: number) => void, onEnd: (r: PutResult) => void) => PutHandle;

const FORBIDDEN = /^(content-length|host|connection|expect|keep-alive|te|trailer|transfer-encoding|upgrade)$/i;

/** The browser's PUT (status 0: the network failed). */
export const xhrPut: PutFile = (target, body, onProgress, onEnd) => {
  const xhr = new XMLHttpRequest();
  let ended = false;
  const end = (r: PutResult) => { if (!ended) { ended = true; onEnd(r); } };
  xhr.open('PUT', target.url);
  // The browser sets Content-Length (the Blob's size) and Host itself and refuses them from a script.
  for (const [name, value] of Object.entries(target.headers)) if (!FORBIDDEN.test(name)) xhr.setRequestHeader(name, value);
  xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) onProgress(ev.loaded); };
  xhr.onload = () => end(xhr.status >= 200 && xhr.status < 300 ? { ok: true } : { ok: false, status: xhr.status });
  xhr.onerror = () => end({ ok: false, status: 0 });
  xhr.ontimeout = () => end({ ok: false, status: 0 });
  xhr.send(body);
  return { abort: () => { ended = true; xhr.abort(); } };
};
