/**
 * Files over the connection and to storage (the controller's part for attachments): each file picked
 * becomes a chip (attachments-state.ts) whose `upload` request goes out once the room is joined (again
 * under a fresh cid after a reconnect, or after the delay a `rate_limited` / `unavailable` names); its
 * answer starts the PUT of the bytes (upload-put.ts), whose progress the chip shows; Remove aborts it,
 * Retry asks again. A `send` takes the keys of the room's chips once all are uploaded (outbox-sender.ts
 * keeps them with the message until it is stored).
 */
import type { ErrorResponse, UploadResponse } from '@livechat/protocol';
import { LIMITS } from '@livechat/protocol';
import * as A from './attachments-state.js';
import { State } from './connection.js';
import type { OutboxFile } from './outbox.js';
import type { Page } from './page.js';
import { retryDelay } from './outbox.js';
import type { PutFile, PutHandle } from './upload-put.js';
import { errorText, TEXT } from './texts.js';

/** Errors an `upload` request is asked again after (by itself). */
const RETRYABLE = new Set(['unavailable', 'rate_limited', 'not_joined']);

export class UploadSender {
  /** The bytes of each chip, by chip id (not state: a Blob is not plain data). */
  private readonly blobs = new Map<string, Blob>();
  private readonly puts = new Map<string, PutHandle>();
  private attempts = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ids = 0;

  constructor(private readonly page: Page, private readonly newCid: () => string, private readonly put: PutFile) {}

  private get list(): A.PendingFile[] { return this.page.state.uploads; }
  private set(uploads: A.PendingFile[]): void {
    if (uploads !== this.page.state.uploads) this.page.update({ ...this.page.state, uploads });
  }

  /** Files picked, dropped or pasted for the room shown; returns how many became chips (at most 10 per message). */
  attach(files: ReadonlyArray<Blob & { name: string }>): number {
    const { state } = this.page;
    if (state.phase !== 'chat') { this.page.notifyBriefly(TEXT.filesOnlyWhenChatting); return 0; }
    // Chips gone with the state (signed out) take their bytes with them.
    for (const id of this.blobs.keys()) if (!this.list.some((f) => f.id === id)) this.forget(id);
    const room = state.room;
    const held = A.filesOf(this.list, room).length;
    const take = files.slice(0, Math.max(0, LIMITS.attachmentsMax - held));
    if (take.length < files.length) this.page.notifyBriefly(TEXT.tooManyFiles);
    const added = take.map((file) => {
      const id = `f${++this.ids}`;
      this.blobs.set(id, file);
      return A.newPending(id, room, { name: file.name, type: file.type, size: file.size });
    });
    if (added.length) this.set([...this.list, ...added]);
    this.flush();
    return added.length;
  }

  /** Remove (or cancel) chip `id`: its PUT is aborted. */
  remove(id: string): void {
    this.puts.get(id)?.abort();
    this.forget(id);
    this.set(A.removeFile(this.list, id));
  }

  retry(id: string): void {
    this.attempts.delete(id);
    this.set(A.markRetry(this.list, id));
    this.flush();
  }

  /** Asks for the PUT target of every chip of the joined room that waits. */
  flush(): void {
    const { state } = this.page;
    if (state.conn !== State.Connected || !state.joined) return;
    for (const f of A.dueAsks(this.list, state.room, this.page.now())) {
      const cid = this.newCid();
      if (!this.page.conn.send({ type: 'upload', room: f.room, name: f.name, mime: f.mime, size: f.size, cid })) break;
      this.set(A.markAsked(this.list, f.id, cid));
    }
    this.schedule();
  }

  /** The answer to an `upload`: the bytes go out. */
  answered(m: UploadResponse): void {
    const f = this.list.find((x) => x.cid === m.cid && x.status === 'asking');
    const blob = f && this.blobs.get(f.id);
    if (!f || !blob) return; // removed meanwhile (the key is never used: the server lets it expire)
    this.set(A.markAnswered(this.list, m.cid, m.key));
    this.puts.set(f.id, this.put(m.put, blob, (loaded) => this.set(A.markProgress(this.list, f.id, loaded)), (r) => {
      this.puts.delete(f.id);
      if (r.ok) this.set(A.markUploaded(this.list, f.id));
      else this.set(A.markFailed(this.list, f.id, r.status === 0 ? TEXT.uploadNetwork : TEXT.uploadHttp(r.status)));
    }));
  }

  /** An `error` answering the `upload` of `cid`: asked again later, or the chip fails. False when no chip has that cid. */
  failed(e: ErrorResponse, cid = e.cid): boolean {
    const f = cid === undefined ? undefined : this.list.find((x) => x.cid === cid && x.status === 'asking');
    if (!f || cid === undefined) return false;
    const n = (this.attempts.get(f.id) ?? 0) + 1;
    this.attempts.set(f.id, n);
    if (RETRYABLE.has(e.code) && n < 5) {
      this.set(A.askLater(this.list, cid, this.page.now() + retryDelay(n, e.retryAfterMs)));
      this.schedule();
    } else {
      const text = e.code === 'forbidden' ? TEXT.uploadForbidden : errorText(e, { type: 'upload', room: f.room });
      this.set(A.markFailed(this.list, f.id, text));
    }
    return true;
  }

  /** The connection changed: requests in flight will not be answered, so they are asked again once joined. */
  connState(s: State): void {
    if (s !== State.Connected) this.set(A.connectionLost(this.list));
  }

  /** The files `send` may carry in `room` now: [] for none, null while some are not uploaded. */
  ready(room: string): OutboxFile[] | null {
    return A.readyFiles(this.list, room);
  }

  /** The room's files went out with a message. */
  sent(room: string): void {
    for (const f of A.filesOf(this.list, room)) this.forget(f.id);
    this.set(A.clearRoom(this.list, room));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.puts.values()) p.abort();
    this.puts.clear();
    this.blobs.clear();
  }

  private forget(id: string): void {
    this.puts.delete(id);
    this.blobs.delete(id);
    this.attempts.delete(id);
  }

  private schedule(): void {
    const now = this.page.now();
    const at = A.nextAskAt(this.list, now);
    if (this.timer) clearTimeout(this.timer);
    this.timer = at === undefined ? null : setTimeout(() => { this.timer = null; this.flush(); }, at - now);
  }
}
