/**
 * The livechat wire protocol, v1: every request and answer as a TypeScript type.
 * Shared by the server, the page (chat-front) and the load tool, so the three cannot drift.
 * The contract itself is shared/PROTOCOL.md; docs/protocol.md explains it with examples.
 */
import type { Attachment, AttachmentRef, UploadRequest, UploadResponse } from './attachments.js';
import type { InviteRequests, InviteSummary } from './invites.js';

export type { AcceptRequest, DeclineRequest, InviteRequests, InviteSummary, PartRequest } from './invites.js';
export { INLINE_IMAGE_TYPES, type Attachment, type AttachmentRef, type PutTarget, type UploadRequest, type UploadResponse } from './attachments.js';

export const SUBPROTOCOL = 'livechat.v1';

export const LIMITS = {
  nameMax: 32,
  textMax: 4000,
  cidMax: 64,
  historyLimitMax: 200,
  historyLimitDefault: 50,
  membersLimitMax: 500,
  membersLimitDefault: 200,
  /** A member id as given in `welcome.member.id` (the server makes UUIDs); the bound keeps `after` small. */
  memberIdMax: 64,
  roomPattern: /^[a-z0-9][a-z0-9_-]{0,31}$/,
  /** Passwords: at least 8 characters (OWASP), at most 256 (so at most 1 KiB goes into the KDF). */
  passwordMin: 8,
  passwordMax: 256,
  /** A private room's title, like a name. */
  titleMax: 48,
  /** A session id as listed by `sessions` (a prefix of the stored digest). */
  sessionIdMax: 64,
  /** A request id (`rid`): echoed on every answer to that request. */
  ridMax: 64,
  /** A reaction's emoji: one grapheme of at most this many UTF-8 bytes. */
  emojiBytesMax: 32,
  /** Distinct emoji on one message. */
  reactionsMax: 20,
  /** Characters of the target's text a reply quotes. */
  replyQuoteMax: 200,
  /** Members a `typing` frame lists (the newest). */
  typersMax: 5,
  /** Files on one message (shared/PROTOCOL.md "Attachments"). */
  attachmentsMax: 10,
  /** A file's name as given to `upload`, in characters. */
  fileNameMax: 200,
  /** A declared media type (RFC 6838: type/subtype, 127 characters each at most). */
  mimeMax: 255,
  /** An upload key (the server makes them: a UUID). */
  fileKeyMax: 64,
} as const;

/**
 * Room kinds by name (protocol extension, docs/protocol.md "Accounts and private rooms"): names
 * starting with `p--` are private rooms and `dm--` direct messages; the server makes them, and a
 * join of one that was not made for you gets `forbidden`. Every other name is a public room.
 */
export type RoomKind = 'public' | 'private' | 'dm';
export const PRIVATE_ROOM_PREFIX = 'p--';
export const DM_ROOM_PREFIX = 'dm--';

export function roomKind(room: string): RoomKind {
  if (room.startsWith(PRIVATE_ROOM_PREFIX)) return 'private';
  if (room.startsWith(DM_ROOM_PREFIX)) return 'dm';
  return 'public';
}

/** Members that are accounts have ids starting with this; guests' ids are bare UUIDs. */
export const ACCOUNT_ID_PREFIX = 'u_';
export const isAccountId = (memberId: string): boolean => memberId.startsWith(ACCOUNT_ID_PREFIX);

export interface Member {
  id: string;
  name: string;
}

// ---- client -> server ----
export interface HelloRequest { type: 'hello'; name: string; session?: string }
/** `epoch` (extension): the room's history epoch the client's `after` belongs to (from its last `joined`). */
export interface JoinRequest { type: 'join'; room: string; after?: number; epoch?: string }
export interface LeaveRequest { type: 'leave'; room: string }
/** `replyTo`: the id of a message in the same room this one answers. */
/** `text` may be empty when the message carries attachments. */
export interface SendRequest { type: 'send'; room: string; text: string; cid: string; replyTo?: number; attachments?: AttachmentRef[] }
export interface HistoryRequest { type: 'history'; room: string; before?: number; after?: number; limit?: number }
/** A page of a room's member list in ascending member id, starting after the member id `after`. */
export interface MembersRequest { type: 'members'; room: string; after?: string; limit?: number }
export interface PingRequest { type: 'ping' }

// ---- message lifecycle (shared/PROTOCOL.md "Message lifecycle") ----
/** The author changes the text of message `id`: `ack`, then an `update` to every member. */
export interface EditRequest { type: 'edit'; room: string; id: number; text: string; cid: string }
/** The author (or a private room's owner) deletes message `id`: `ack`, then an `update`. */
export interface DeleteRequest { type: 'delete'; room: string; id: number; cid: string }
/** Adds (`on`) or removes one's reaction `emoji` to message `id`: `ack`, then an `update`. */
export interface ReactRequest { type: 'react'; room: string; id: number; emoji: string; on: boolean; cid: string }
/** The member is typing (for 6 s), or stopped: no answer; the room's members get `typing`. */
export interface TypingRequest { type: 'typing'; room: string; stop?: boolean }
export type LifecycleRequest = EditRequest | DeleteRequest | ReactRequest | TypingRequest;

// ---- accounts, private rooms, DMs (extensions) ----
/** Creates an account and identifies the connection as it (instead of `hello`): `welcome` with `account`. */
export interface SignupRequest { type: 'signup'; username: string; password: string }
/** Identifies the connection as an existing account (instead of `hello`): `welcome` with `account`. */
export interface SigninRequest { type: 'signin'; username: string; password: string }
/** The account's sessions: `sessions`. */
export interface SessionsRequest { type: 'sessions' }
/**
 * Revokes one session (an id from `sessions`, or `current`: this connection's own — "sign out"), or
 * every session of the account when `session` is absent ("sign out everywhere").
 */
export interface RevokeRequest { type: 'revoke'; session?: string }
/** Changes the account's password (`old` checked like a sign-in): `password`; every other session is revoked. */
export interface PasswordRequest { type: 'password'; old: string; new: string }
/** The account's rooms with unread counts: `rooms`. */
export interface RoomsRequest { type: 'rooms' }
/** Creates a private room owned by this account: `room`. */
export interface CreateRoomRequest { type: 'create'; title: string }
/** A private room's details (owner, invited members): `room`. */
export interface RoomRequest { type: 'room'; room: string }
/** The owner invites an account by username: `room`. */
export interface InviteRequest { type: 'invite'; room: string; username: string }
/** The owner removes a member (by member id): `room`; the member leaves the room on every server. */
export interface RemoveRequest { type: 'remove'; room: string; member: string }
/** Opens (or finds) the direct-message room with another account (by member id): `room`. */
export interface DmRequest { type: 'dm'; member: string }
/** Marks the room read up to message `id`: `read` (also pushed to the account's other connections). */
export interface ReadRequest { type: 'read'; room: string; id: number }

export type AccountRequest =
  | SignupRequest | SigninRequest | SessionsRequest | RevokeRequest | PasswordRequest | RoomsRequest | CreateRoomRequest
  | RoomRequest | InviteRequest | RemoveRequest | DmRequest | ReadRequest | InviteRequests;

/**
 * Request ids (shared/PROTOCOL.md "Request ids"): any request may carry `rid`, 1-64 characters, and
 * every answer to it — its reply frame or an `error` — carries the same `rid`. Frames pushed to
 * other members never carry one.
 */
export interface RequestId { rid?: string }

export type Request = (
  | HelloRequest | JoinRequest | LeaveRequest | SendRequest | HistoryRequest | MembersRequest | PingRequest | AccountRequest
  | LifecycleRequest | UploadRequest
) & RequestId;
export type RequestType = Request['type'];

// ---- server -> client ----
export interface ChatMessage {
  type: 'message';
  room: string;
  id: number;
  ts: number;
  from: Member;
  text: string;
  cid: string;
  via: string;
  /** The message this one answers: its id, author and the first 200 characters of its text (`""` once deleted). */
  replyTo?: ReplyQuote;
  /** When the text was last edited (ms since epoch). */
  editedAt?: number;
  /** Files sent with the message (their URLs fetch the bytes for at least 1 hour after the frame was sent). */
  attachments?: Attachment[];
  /** Deleted: `text` is `""`, and no `replyTo` or reactions are carried. */
  deleted?: true;
  /** Reactions in order of first use, each with how many members chose it. */
  reactions?: ReactionCount[];
  /** Members the text names (`@username` of an account, `@name` of a guest in the room), resolved by the server. */
  mentions?: string[];
}
/** `files` (extension): how many files the quoted message has, when it has some (its text may be empty). */
export interface ReplyQuote { id: number; from: Member; text: string; files?: number }
export interface ReactionCount { emoji: string; count: number }

/** An entry of a room's log that changes a message (`target`): exactly one of edit, delete, reaction. */
export interface Update {
  type: 'update';
  room: string;
  /** This entry's own id (the room's sequence, shared with messages). */
  id: number;
  ts: number;
  target: number;
  /** Who changed it. */
  from: Member;
  via: string;
  cid: string;
  edit?: { text: string; editedAt: number };
  delete?: true;
  reaction?: { emoji: string; on: boolean; count: number };
}
/** Everyone typing in the room now (the newest 5 listed), `count` of them; clients leave themselves out. */
export interface Typing { type: 'typing'; room: string; members: Member[]; count: number }
export interface Welcome {
  type: 'welcome';
  appId: string;
  session: string;
  member: Member;
  /** Present when the connection is an account's (signup, signin, or hello with an account's session). */
  account?: { username: string };
}
export interface Joined {
  type: 'joined';
  room: string;
  /** Members in the room cluster-wide, each once, this one included: exact in every room. */
  count: number;
  /** Ascending member id; at most the large-room threshold, the rest by `members` requests. */
  members: Member[];
  /** True when `members` is not the whole list (a large room). */
  membersTruncated?: boolean;
  /** With `after`: every kept entry after it (messages and updates); without: the newest messages, in their current state. */
  messages: Array<ChatMessage | Update>;
  last: number;
  truncated?: boolean;
  /** (extension) The room's history epoch: ids are of this epoch; a join's `after` is resumed within it. */
  epoch?: string;
  /** (extension) The history the join's `after` and `epoch` named was lost: `messages` is a fresh window. */
  reset?: boolean;
}
export interface Left {
  type: 'left';
  room: string;
  /** Unasked: `removed` when the owner removed this member from a private room, or it parted (on every connection). */
  reason?: 'removed';
}
export interface Ack { type: 'ack'; cid: string; room: string; id: number; ts: number }
/** A member came or went (small rooms). Clients apply these as set operations. */
export interface PresenceChange { type: 'presence'; room: string; event: 'join' | 'leave'; member: Member; count?: number }
/** A large room's member count changed (at most once a second per room). */
export interface PresenceCount { type: 'presence'; room: string; event: 'count'; count: number }
/** The room became small again: the whole list; join/leave events follow from here. */
export interface PresenceSync { type: 'presence'; room: string; event: 'sync'; count: number; members: Member[] }
export type Presence = PresenceChange | PresenceCount | PresenceSync;
export interface HistoryResponse { type: 'history'; room: string; messages: ChatMessage[] }
/** A page of the member list, ascending id; `next` is the `after` of the next page (absent on the last). */
export interface MembersResponse { type: 'members'; room: string; members: Member[]; next?: string }
export interface Pong { type: 'pong' }

/** A room as the account sees it in its list. */
export interface RoomSummary {
  room: string;
  kind: RoomKind;
  /** Public: the room name; private: the owner's title; DM: the other member's name. */
  title: string;
  /** The room's newest message id (0 when none). */
  last: number;
  /** The last id this account marked read. */
  read: number;
  /** Kept messages (not updates) after `read`. */
  unread: number;
  /** Messages after `read` that name this account (of the newest 20 that did); the server always sends it. */
  mentions?: number;
}
/** The account's rooms; sent as the answer to `rooms`, and unasked when the list changed (invited, removed, a new DM). */
export interface RoomsResponse { type: 'rooms'; rooms: RoomSummary[]; invites?: InviteSummary[] }
/** A private room or DM: its owner (absent for a DM), its members and (to its owner or a DM's opener) who has a pending invite. */
export interface RoomResponse { type: 'room'; room: string; kind: RoomKind; title: string; owner?: string; members: Member[]; invited?: Member[] }
/** The account's read marker for a room moved (answer to `read`, and pushed to its other connections). */
export interface ReadResponse { type: 'read'; room: string; id: number }
export interface SessionInfo {
  /** Pass as `revoke.session`. */
  id: string;
  /** When it was made (ms since epoch). */
  created: number;
  /** This connection's session. */
  current: boolean;
}
export interface SessionsResponse { type: 'sessions'; sessions: SessionInfo[] }
/** Sessions revoked; every connection on them, on every server, is then closed with 1008 "signed out". */
export interface RevokedResponse { type: 'revoked'; count: number }
/** The password was changed; `revoked` other sessions were revoked (closed with 1008 "signed out"). */
export interface PasswordResponse { type: 'password'; revoked: number }

export type ErrorCode =
  | 'bad_request' | 'not_identified' | 'not_joined' | 'rate_limited' | 'unavailable'
  /** Extensions: not a member of a private room, not the owner, a guest asking for an account's request, accounts required. */
  | 'forbidden'
  /** Sign-in failed: the same answer for an unknown username and a wrong password. */
  | 'auth_failed'
  /** Sign-up with a username that is registered, or `hello` (a guest) with a registered username as name. */
  | 'name_taken';
export interface ErrorResponse {
  type: 'error';
  code: ErrorCode;
  message: string;
  cid?: string;
  /** The `rid` of the request this refuses (Request ids). */
  rid?: string;
  retryAfterMs?: number;
}

/** Any frame may carry the `rid` of the request it answers (RequestId). */
export type ServerMessage = (
  | Welcome | Joined | Left | Ack | ChatMessage | Presence | HistoryResponse | MembersResponse | Pong | ErrorResponse
  | RoomsResponse | RoomResponse | ReadResponse | SessionsResponse | RevokedResponse | PasswordResponse | Update | Typing
  | UploadResponse
) & RequestId;
