/**
 * The livechat wire protocol, v1: every request and answer as a TypeScript type.
 * Shared by the server, the page (chat-front) and the load tool, so the three cannot drift.
 * The contract itself is shared/PROTOCOL.md; docs/protocol.md explains it with examples.
 */

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
} as const;

export interface Member {
  id: string;
  name: string;
}

// ---- client -> server ----
export interface HelloRequest { type: 'hello'; name: string; session?: string }
export interface JoinRequest { type: 'join'; room: string; after?: number }
export interface LeaveRequest { type: 'leave'; room: string }
export interface SendRequest { type: 'send'; room: string; text: string; cid: string }
export interface HistoryRequest { type: 'history'; room: string; before?: number; after?: number; limit?: number }
/** A page of a room's member list in ascending member id, starting after the member id `after`. */
export interface MembersRequest { type: 'members'; room: string; after?: string; limit?: number }
export interface PingRequest { type: 'ping' }

export type Request =
  | HelloRequest | JoinRequest | LeaveRequest | SendRequest | HistoryRequest | MembersRequest | PingRequest;
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
}
export interface Welcome { type: 'welcome'; appId: string; session: string; member: Member }
export interface Joined {
  type: 'joined';
  room: string;
  /** Members in the room cluster-wide, each once, this one included: exact in every room. */
  count: number;
  /** Ascending member id; at most the large-room threshold, the rest by `members` requests. */
  members: Member[];
  /** True when `members` is not the whole list (a large room). */
  membersTruncated?: boolean;
  messages: ChatMessage[];
  last: number;
  truncated?: boolean;
}
export interface Left { type: 'left'; room: string }
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

export type ErrorCode = 'bad_request' | 'not_identified' | 'not_joined' | 'rate_limited' | 'unavailable';
export interface ErrorResponse {
  type: 'error';
  code: ErrorCode;
  message: string;
  cid?: string;
  retryAfterMs?: number;
}

export type ServerMessage =
  | Welcome | Joined | Left | Ack | ChatMessage | Presence | HistoryResponse | MembersResponse | Pong | ErrorResponse;
