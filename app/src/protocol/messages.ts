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
export interface PingRequest { type: 'ping' }

export type Request = HelloRequest | JoinRequest | LeaveRequest | SendRequest | HistoryRequest | PingRequest;
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
  members: Member[];
  messages: ChatMessage[];
  last: number;
  truncated?: boolean;
}
export interface Left { type: 'left'; room: string }
export interface Ack { type: 'ack'; cid: string; room: string; id: number; ts: number }
export interface Presence { type: 'presence'; room: string; event: 'join' | 'leave'; member: Member }
export interface HistoryResponse { type: 'history'; room: string; messages: ChatMessage[] }
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
  | Welcome | Joined | Left | Ack | ChatMessage | Presence | HistoryResponse | Pong | ErrorResponse;
