/**
 * After the bus subscription came back, presence events may have been missed: each local room gets
 * the state from the store — a `sync` with the whole list (small room) or the `count` (large).
 * Clients apply both as replacements, so an event that did arrive meanwhile changes nothing.
 */
import type { Logger } from '../log.js';
import type { Presence } from '../presence/presence.js';
import { presenceFrame } from '../protocol/encode.js';
import { PreparedFrame } from './prepared-frame.js';
import type { RoomFeed } from './room-feed.js';
import type { RoomRegistry } from './rooms.js';

export async function resyncPresence(presence: Presence, rooms: RoomRegistry, feed: RoomFeed, threshold: number, log: Logger): Promise<void> {
  await Promise.all([...rooms.all()].map(async (room) => {
    try {
      const snap = await presence.snapshot(room.name, threshold);
      if (rooms.get(room.name) !== room) return;
      feed.resetCount(room, snap.count);
      const frame = snap.large
        ? presenceFrame({ type: 'presence', room: room.name, event: 'count', count: snap.count })
        : presenceFrame({ type: 'presence', room: room.name, event: 'sync', count: snap.count, members: snap.members });
      room.deliver(0, undefined, new PreparedFrame(frame));
    } catch (err) {
      log.warn({ room: room.name, err: (err as Error).message }, 'presence resync failed');
    }
  }));
}
