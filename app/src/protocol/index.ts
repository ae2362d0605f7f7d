/**
 * The protocol's public surface under one name, `@livechat/protocol`: the page, the load tool and the
 * tests import it by that alias (tsconfig.json `paths`, the vitest and esbuild aliases). The server
 * imports the modules themselves by relative path, so its bundle needs no alias.
 */
export {
  ACCOUNT_ID_PREFIX, DM_ROOM_PREFIX, type AcceptRequest, type DeclineRequest, type InviteSummary, type PartRequest, INLINE_IMAGE_TYPES, isAccountId, LIMITS, PRIVATE_ROOM_PREFIX, roomKind, SUBPROTOCOL,
  type AccountRequest, type Ack, type Attachment, type AttachmentRef, type ChatMessage, type CreateRoomRequest, type DeleteRequest, type DmRequest,
  type EditRequest, type ErrorCode, type ErrorResponse, type HelloRequest, type HistoryRequest, type HistoryResponse,
  type InviteRequest, type JoinRequest, type Joined, type LeaveRequest, type Left, type LifecycleRequest, type Member,
  type MembersRequest, type MembersResponse, type PasswordRequest, type PasswordResponse, type PingRequest, type Pong, type Presence, type PresenceChange,
  type PresenceCount, type PresenceSync, type PutTarget, type ReactionCount, type ReactRequest, type ReadRequest, type ReadResponse,
  type RemoveRequest, type ReplyQuote, type Request, type RequestId, type RequestType, type RevokedResponse,
  type RevokeRequest, type RoomKind, type RoomRequest, type RoomResponse, type RoomsRequest, type RoomsResponse,
  type RoomSummary, type SendRequest, type ServerMessage, type SessionInfo, type SessionsRequest,
  type SessionsResponse, type SigninRequest, type SignupRequest, type Typing, type TypingRequest, type Update,
  type UploadRequest, type UploadResponse, type Welcome,
} from './messages.js';
export { SSE_PATH, streamClosedFrame, streamFrame, type StreamClosed, type StreamOpened } from './stream.js';
export { cleanFileName, cleanMime, fileNameProblem, formatSize, isFileKey, isInlineImage } from './files.js';
export { CLOSE_REASONS, CloseCode, SIGNED_OUT_REASON, type CloseCodeValue } from './close-codes.js';
export { ERROR_MESSAGES, protocolError } from './errors.js';
export { parseRequest, validateRequest, type ParseError, type Result } from './parse.js';
export { charLength, cleanName, emojiProblem, nameProblem, passwordProblem, textProblem, usernameKey } from './text.js';
export {
  ackFrame, asFrame, errorFrame, historyFrame, joinedFrame, leftFrame, membersFrame, MESSAGE_TS_JOIN, messageFrame,
  messageFrameBytes, messageParts, passwordFrame, PONG_FRAME, presenceFrame, uploadFrame, attachment, readFrame, revokedFrame, roomFrame, roomsFrame,
  sessionsFrame, welcomeFrame, withRid, type Frame, type MessageParts,
} from './encode.js';
