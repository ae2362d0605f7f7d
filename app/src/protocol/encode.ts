/**
 * Builds the JSON of server -> client frames that are sent to many clients or stored.
 * A chat message is serialized exactly once, in two parts around its id and ts, so the Redis
 * script can splice in the id it assigns without re-encoding (the same text goes to history,
 * to the channel and, byte for byte, to every client).
 */
import type { Member } from './messages.js';

export interface MessageParts {
  /** `{"type":"message","room":"…","id":` */
  head: string;
  /** `,"from":{…},"text":"…","cid":"…","via":"…"}` */
  tail: string;
}

/** The parts of a `message` frame; join as head + id + ',"ts":' + ts + tail. */
export function messageParts(room: string, from: Member, text: string, cid: string, via: string): MessageParts {
  return {
    head: `{"type":"message","room":${JSON.stringify(room)},"id":`,
    tail: `,"from":{"id":${JSON.stringify(from.id)},"name":${JSON.stringify(from.name)}},"text":${JSON.stringify(text)},"cid":${JSON.stringify(cid)},"via":${JSON.stringify(via)}}`,
  };
}

/** The complete `message` frame text. */
export function messageJson(parts: MessageParts, id: number, ts: number): string {
  return `${parts.head}${id},"ts":${ts}${parts.tail}`;
}

/** The `presence` frame text. */
export function presenceJson(room: string, event: 'join' | 'leave', member: Member): string {
  return JSON.stringify({ type: 'presence', room, event, member: { id: member.id, name: member.name } });
}
