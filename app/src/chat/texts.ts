/**
 * Every human-readable text the server puts in an `error` beyond the catalogue's defaults
 * (protocol/errors.ts), in one table: the same refusal reads the same wherever it is made, and a
 * reviewer sees every text the server can say in one place. Texts never quote what a client sent.
 */
export const TEXTS = {
  // identity
  needsAccount: 'sign in first: this needs an account',
  accountsRequired: 'this server requires an account: sign in or sign up',
  nameRegistered: 'that name is a registered username: sign in, or pick another name',
  tooManySessions: 'too many new sessions from this address',
  alreadyIdentifiedSignup: 'already identified: sign up on a new connection',
  alreadyIdentifiedSignin: 'already identified: sign in on a new connection',
  usernameTaken: 'that username is taken',
  tooManyFailures: 'too many failed attempts: wait before trying again',
  tooManyFailedSignins: 'too many failed sign-ins: wait before trying again',
  tooManySignins: 'too many sign-ups or sign-ins from this address',
  hashingBusy: 'the server is busy signing people in, retry shortly',
  tooManyHashes: 'too many password checks from this address: wait before trying again',
  accountBackoff: 'many failed sign-ins for this account: wait a moment and retry',
  nameRegisteredSince: 'your name has since been registered as a username: pick another name',
  // rooms and messages
  privateRoom: 'this room is private: you are not a member',
  tooManyRooms: (max: number) => `at most ${max} rooms per connection`,
  tooManyNewRooms: 'too many new rooms, slow down',
  storeQuota: 'too much written from this address or by this member: wait before writing more',
  messageTooBig: (bytes: number, max: number) => `the message is ${bytes} bytes encoded; at most ${max}`,
  busySending: 'the server is busy sending, retry shortly',
  // the message lifecycle
  noTarget: 'that message is not in this room\'s history, or was deleted',
  notAuthorEdit: 'only the author can edit a message',
  notAuthorDelete: 'only the author (or the owner of a private room) can delete a message',
  reactionsFull: (max: number) => `a message has at most ${max} different reactions`,
  editTooBig: (bytes: number, max: number) => `the edited message would be ${bytes} bytes encoded; at most ${max}`,
  // attachments (files are named by their place in the send: 1 = the first)
  filesOff: 'this server takes no attachments',
  fileTooBig: (size: number, max: number) => `the file is ${size} bytes; at most ${max}`,
  uploadQuota: 'too many bytes uploaded from this address: wait before uploading more',
  fileNotIssued: (n: number) => `attachment ${n} was not issued to you for this room (ask upload for a key)`,
  fileTaken: (n: number) => `attachment ${n} is on another message already`,
  fileNotUploaded: (n: number) => `attachment ${n} is not uploaded yet`,
  fileSizeDiffers: (n: number, got: number, declared: number) => `attachment ${n} has ${got} bytes, not the ${declared} declared; it was removed`,
  fileTypeDiffers: (n: number) => `attachment ${n}'s bytes are not of the type declared; it was removed`,
  fileNotImage: (n: number) => `attachment ${n} does not decode as the image declared (or is too large to decode); it was removed`,
  // private rooms and DMs
  notRoomMember: 'not a member of this private room',
  ownerOnly: 'only the owner of a private room can do that',
  roomGone: 'the room is gone',
  roomFull: (max: number) => `the room is full (at most ${max} members)`,
  ownerStays: 'the owner cannot be removed',
  noSuchUsername: 'no account has that username',
  tooManyPrivateRooms: (max: number) => `at most ${max} private rooms and direct messages per account`,
  tooManyPrivateRoomsEither: 'too many private rooms and direct messages',
  dmSelf: 'a direct message needs another account',
  dmGuest: 'direct messages are between accounts: that member is a guest or unknown',
  noInvite: 'no pending invite to that room (it was withdrawn, declined, or it lapsed)',
  partPrivateOnly: 'only a private room can be parted (leave a public room with leave)',
  ownerPartsLast: 'the owner parts last: remove the other members first',
  /** A DM's title for a member whose name is not known. */
  dmTitle: 'direct message',
} as const;
