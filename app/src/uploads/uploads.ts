/**
 * Upload grants: what `upload` issued (shared/PROTOCOL.md "Attachments"). A key is good only for the
 * member it was issued to, in the room it was issued for, for the size and type declared; and once a
 * `send` has committed it, only for that send (its retries with the same cid find the checked file
 * and are answered like the first). Kept in the store so the `send` may reach any server.
 *   issue    records a grant for `ttlMs` (longer than its PUT target: an offline page sends later)
 *   get      the grant, or null once expired or dropped
 *   claim    marks the grant taken by a send's cid: 'new' when it was free, 'ours' when that cid had
 *            it already (a retry, perhaps still running elsewhere), null when another cid has it
 *   release  gives a claim back (the send was refused: another send may name the key)
 *   commit   records what the check found (type, size as shown), for later sends naming the key
 *   drop     forgets the grant (its bytes were refused)
 */
export interface UploadGrant {
  key: string;
  member: string;
  room: string;
  name: string;
  mime: string;
  size: number;
  /** Set once a send committed the file: the checked type, and an image's size as shown. */
  committed?: CommittedFile;
}

export interface CommittedFile {
  mime: string;
  width?: number;
  height?: number;
  /** A thumbnail was made. */
  thumb?: boolean;
}

export type Claim = 'new' | 'ours' | null;

export interface Uploads {
  issue(grant: UploadGrant, ttlMs: number): Promise<void>;
  get(key: string): Promise<UploadGrant | null>;
  claim(key: string, cid: string): Promise<Claim>;
  release(key: string, cid: string): Promise<void>;
  commit(key: string, file: CommittedFile): Promise<void>;
  drop(key: string): Promise<void>;
}
