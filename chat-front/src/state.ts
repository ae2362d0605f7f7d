/**
 * The page's state in one import: the ChatState shape and every pure function that changes it, from
 * the modules that own each part — the page as a whole (page-state.ts), the current room's messages
 * and members (room-state.ts), the changes to a message (message-changes.ts), the message box's reply
 * and edit (composer-state.ts), who is typing (typing-state.ts), the outbox (outbox.ts), the account
 * (account-state.ts). Nothing here touches the DOM, a socket or a clock; the controller applies
 * server frames through these and the view renders whatever they return. The exports are named one by
 * one, so what the state offers can be read here.
 */
export { MESSAGE_WINDOW, mergeMessages } from './log-window.js';
export {
  applyConnState, applyWelcome, clearNotice, failAuth, failLogin, initialState, signedOut, startAuth, startChat,
  switchRoom, withNotice, WRITING, type ChatState, type Composer,
} from './page-state.js';
export {
  applyError, applyHistory, applyJoined, applyMembers, applyMessage, applyOwnReaction, applyPresence, applyTyping,
  applyUpdate, hasNewer, historyFailed, joinAfter, joinEpoch, logItems, markHistoryLoading, markMembersLoading, memberList,
  membersFailed, membersRequest, newerAfter, olderBefore, type LogItem,
} from './room-state.js';
export {
  canDelete, canEdit, composerAfter, endCompose, lastEditable, messageById, startEdit, startReply,
} from './composer-state.js';
export { isMessage, isMine, isUpdate, quoteOf, type ShownMessage } from './message-changes.js';
export { typingLine, typingSignal, TYPING_EVERY_MS, IDLE, type Typers, type TypingSignal } from './typing-state.js';
export {
  applyAck, applySendError, dueSends, enqueue, markSending, nextRetryAt, retryDelay, retryItem, type OutboxItem,
  type OutboxStatus,
} from './outbox.js';
export {
  applyRead, applyRoomDetails, applyRooms, applySessions, forgetRoom, markRevoking, readDue, settleRevoke,
  settleRevoking,
} from './account-state.js';
