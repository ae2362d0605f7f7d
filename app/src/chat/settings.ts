/** What the chat layer is configured with (a slice of config.ts's Config, so tests can give less). */
import type { KdfSettings } from '../accounts/password.js';
import type { Rate } from '../config.js';
import type { MemberRates } from './member-limits.js';

export interface AccountSettings extends KdfSettings {
  requireAccounts: boolean;
  privateRoomMaxMembers: number;
  accountMaxPrivateRooms: number;
  signinPairLimit: number;
  /** Pending invites one account holds at most (the oldest dropped), and how long each lasts. */
  accountMaxInvites: number;
  inviteTtlSec: number;
  signinAccountLimit: number;
  signinAddressLimit: number;
  signinWindowSec: number;
  signinBackoffMaxMs: number;
  kdfAddressRate: Rate;
}

export interface ChatSettings extends MemberRates, AccountSettings {
  appId: string;
  maxMessageBytes: number;
  roomTtlSec: number;
  joinDefault: number;
  presenceGraceMs: number;
  presenceHeartbeatMs: number;
  presenceTtlMs: number;
  maxRoomsPerConnection: number;
  largeRoomThreshold: number;
  presenceCountIntervalMs: number;
  /** The largest attachment, in bytes. */
  filesMaxBytes: number;
}
