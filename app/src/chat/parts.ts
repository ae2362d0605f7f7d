/**
 * The parts of the chat layer that feature modules are given (each takes the `Pick` it needs): the
 * stores, settings and the shared services below the features. ChatService builds one of each.
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Backend } from '../store/backend.js';
import type { FileStore } from '../files/file-store.js';
import type { AccountLinks } from './account-links.js';
import type { AttachmentFiles } from './attachment-files.js';
import type { Admission } from './admission.js';
import type { Identities } from './identities.js';
import type { MemberLimits } from './member-limits.js';
import type { Mentions } from './mentions.js';
import type { RoomEvents } from './room-events.js';
import type { RoomFeed } from './room-feed.js';
import type { RoomList } from './room-list.js';
import type { RoomRegistry } from './rooms.js';
import type { ChatSettings } from './settings.js';
import type { SigninLimits } from './signin-limits.js';
import type { TypingTracker } from './typing-tracker.js';

export interface ChatParts {
  backend: Backend;
  settings: ChatSettings;
  log: Logger;
  metrics: Metrics;
  /** Who is in which room on this server. */
  rooms: RoomRegistry;
  /** The bus -> local rooms fan-out. */
  feed: RoomFeed;
  /** How a feature sends a room event: stored-and-published, or published only. */
  events: RoomEvents;
  limits: MemberLimits;
  links: AccountLinks;
  admission: Admission;
  identities: Identities;
  signinLimits: SigninLimits;
  roomList: RoomList;
  /** Who is typing in each local room. */
  typing: TypingTracker;
  /** Who a message's text names. */
  mentions: Mentions;
  /** Attachments: the file store and the checks and URLs over it; null when the server takes no files (FILES=off). */
  files: { store: FileStore; attachments: AttachmentFiles } | null;
}
