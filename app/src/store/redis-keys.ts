/**
 * Every Redis key the cluster writes, named in one place. Stores import their keys from here; a Lua
 * script that must build a key it cannot be given (it reads the id first) gets the prefix from here.
 *
 * A room's keys carry the room in braces (`lc:{room}:…`), so they hash to one slot and a script can
 * touch them together. Every key expires (docs/operations.md, "What Redis holds").
 *
 *   lc:{room}:seq            INCR counter: the last entry id given               (history)
 *   lc:{room}:epoch          the history epoch: a unique id made with the log     (history)
 *   lc:{room}:hist           sorted set id -> entry (bus/envelope.ts)            (history)
 *   lc:{room}:hbytes         bytes of the entries in hist                        (history)
 *   lc:{room}:upd            sorted set id -> update entry (edits, deletions, reactions) (history)
 *   lc:{room}:ubytes         bytes of the entries in upd                         (history)
 *   lc:{room}:rx:<id>        who reacted to message <id> with what                (history)
 *   lc:{room}:rel:<id>       ids of the entries quoting message <id>'s text       (history)
 *   lc:{room}:cid:<mid>:<cid> "id:ts", the dedup record of a member's cid        (history)
 *   lc:{room}:acl            hash: kind, title, owner                            (access)
 *   lc:{room}:aclm           hash member id -> name: the access list             (access)
 *   lc:{room}:acli           hash member id -> pending invite {n, exp} (JSON)    (access, invites)
 *   lc:{room}:pm / pn / pc   presence: member ids, members, owner counts         (presence)
 *   lc:{room}:po:<owner>     the member ids a server holds in the room           (presence)
 *   lc:{room}:pl             "1" while the room is large                         (presence)
 *   lc:presence:owners       servers and their heartbeats                        (presence)
 *   lc:presence:rooms:<own>  rooms a server holds entries in                     (presence)
 *   lc:session:<digest>      a session                                           (sessions)
 *   lc:usess:<member id>     an account's sessions                               (sessions, accounts)
 *   lc:acct:<username key>   an account                                          (accounts)
 *   lc:uid:<member id>       the account's username key                          (accounts)
 *   lc:urooms:<member id>    the account's room list                             (accounts)
 *   lc:reads:<member id>     the account's read markers                          (accounts)
 *   lc:uinv:<member id>      hash room -> the account's pending invite (JSON)    (access, invites)
 *   lc:ment:<member id>      per room, ids of messages that named the account    (accounts)
 *   lc:fail:<counter>        failed sign-ins in the window                       (accounts)
 *   lc:lim:<bucket>          a rate or quota bucket until it refills              (limits)
 */

/** Keys of one room, all in the room's slot. */
export function roomKeys(room: string) {
  const p = `lc:{${room}}:`;
  return {
    /** What the room's keys start with (scripts build the per-message side keys from it). */
    prefix: p,
    seq: `${p}seq`,
    epoch: `${p}epoch`,
    upd: `${p}upd`,
    ubytes: `${p}ubytes`,
    hist: `${p}hist`,
    hbytes: `${p}hbytes`,
    /** Keyed by member, so one member cannot replay another's cid. */
    cid: (memberId: string, cid: string) => `${p}cid:${memberId}:${cid}`,
    acl: `${p}acl`,
    aclMembers: `${p}aclm`,
    aclInvited: `${p}acli`,
    presenceIds: `${p}pm`,
    presenceNames: `${p}pn`,
    presenceOwners: `${p}pc`,
    presenceOf: (owner: string) => `${p}po:${owner}`,
    large: `${p}pl`,
  };
}

/** A room's pending-invite key is ROOM_INVITED[0] + room + ROOM_INVITED[1] (scripts that drop another room's invite build it). */
export const ROOM_INVITED = ['lc:{', '}:acli'] as const;

export const PRESENCE_OWNERS = 'lc:presence:owners';
/** An upload grant (uploads/redis-uploads.ts); expires with the grant. */
export const uploadKey = (key: string) => `lc:upload:${key}`;
/** A token bucket (limits/redis-limits.ts); expires when it would have refilled. */
export const limitKey = (bucket: string) => `lc:lim:${bucket}`;
export const presenceRooms = (owner: string) => `lc:presence:rooms:${owner}`;

export const SESSION_PREFIX = 'lc:session:';
export const ACCOUNT_PREFIX = 'lc:acct:';
export const ACCOUNT_ID_PREFIX = 'lc:uid:';
export const ACCOUNT_SESSIONS_PREFIX = 'lc:usess:';

/** Keys of one account. */
export const accountKeys = {
  acct: (usernameKey: string) => `${ACCOUNT_PREFIX}${usernameKey}`,
  uid: (id: string) => `${ACCOUNT_ID_PREFIX}${id}`,
  rooms: (id: string) => `lc:urooms:${id}`,
  reads: (id: string) => `lc:reads:${id}`,
  invites: (id: string) => `lc:uinv:${id}`,
  mentions: (id: string) => `lc:ment:${id}`,
  sessions: (id: string) => `${ACCOUNT_SESSIONS_PREFIX}${id}`,
  fail: (counter: string) => `lc:fail:${counter}`,
};
