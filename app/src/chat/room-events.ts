/**
 * The one path by which a feature sends a room event to the room's members on every server:
 * - **stored** (`store`): appended to the room's log and published in one atomic step of the store
 *   (History.append). It gets the room's next id; an ack means stored; a repeated cid is not applied
 *   twice; a member that was away gets it on resume. Messages today; edits, deletions and reactions
 *   (shared/PROTOCOL.md "Message lifecycle") are entries of the same log.
 * - **published only** (`publish`, `typing`): never stored, no id, at most once. The bus carries it to
 *   every server as a `t` entry (a frame for the members) or a `y` entry (a typing signal, which each
 *   server's TypingTracker turns into coalesced `typing` frames).
 * Either way the receiving side is one: each server's RoomFeed, from the bus, writes the frame once
 * prepared to the room's local members, in the room's order.
 */
import type { Bus } from '../bus/bus.js';
import { transientEntry, typingEntry } from '../bus/envelope.js';
import type { AppendResult, EntryInput, History } from '../history/history.js';
import type { Frame } from '../protocol/encode.js';
import type { Member } from '../protocol/messages.js';

export class RoomEvents {
  constructor(private readonly history: History, private readonly bus: Bus) {}

  /** Stores the entry and publishes it, atomically; resolves once stored (a duplicate cid: the first one's id). */
  store(input: EntryInput): Promise<AppendResult> {
    return this.history.append(input);
  }

  /** Publishes a frame for the room's members that is never stored. */
  publish(room: string, frame: Frame): Promise<void> {
    return this.bus.publishTransient(transientEntry(room, frame));
  }

  /** Publishes that the member is typing in the room, or stopped (each server's TypingTracker makes the frames). */
  typing(room: string, member: Member, typing: boolean): Promise<void> {
    return this.bus.publishTransient(typingEntry(room, member, typing));
  }
}
