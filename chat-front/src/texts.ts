/**
 * Every sentence the page says about a failure, in one table (like the server's error catalogue in
 * protocol/errors.ts): what a refused request means to a person, keyed by error code and — where the
 * meaning depends on which request failed — by request type; the notices of the page's own making
 * (signed out, removed, a room that cannot be opened); and the reasons a form cannot be sent yet.
 * Also the sentences of a message's life the page says in its own words: a deleted message's
 * tombstone, a quote of one, and who is typing.
 * Where the table has nothing for an error, the server's own `message` is shown, as it always was.
 * Nothing here knows the DOM or the state: callers pass in what a text needs (a room's title, a limit).
 */
import { LIMITS, roomKind, type ErrorCode, type ErrorResponse, type RequestType } from '@livechat/protocol';

/** The page's own notices and form problems. */
export const TEXT = {
  badRoom: 'A room name is 1-32 of a-z, 0-9, - and _.',
  /** The room-switch field's validity message (shorter: it shows under the field). */
  badRoomField: 'Use 1-32 of a-z, 0-9, - and _',
  notConnected: 'Not connected; try again in a moment.',
  signedOut: 'You were signed out.',
  signedOutHere: 'You signed out.',
  signedOutEverywhere: 'You were signed out everywhere.',
  signInToCreate: 'Sign in to create private rooms.',
  badTitle: `A title is 1-${LIMITS.titleMax} characters.`,
  enterUsername: 'Enter a username.',
  enterPassword: 'Enter your password.',
  badPassword: `A password is ${LIMITS.passwordMin}-${LIMITS.passwordMax} characters.`,
  passwordChanged: (revoked: number) =>
    `Password changed.${revoked > 0 ? ` ${revoked} other ${revoked === 1 ? 'session was' : 'sessions were'} signed out.` : ''}`,
  nameTooLong: `A name is at most ${LIMITS.nameMax} characters.`,
  nameControls: 'A name cannot contain control characters.',
  nameInvisible: 'Enter a name with at least one visible character.',
  historyGap: 'Some messages from while you were away are no longer kept.',
  /** The server lost a room's history (`joined.reset`): the log's status line above the messages. */
  historyLost: (room: string) => `Earlier messages in #${room} were lost by the server; the conversation continues below.`,
  /** An `error` frame that came without a message of its own. */
  serverFailed: 'The server could not do that.',
  /** A message failed for good without a reason from the server. */
  sendRefused: 'The server refused this message.',
  /** A deleted message's tombstone. */
  deleted: 'This message was deleted',
  /** The quote of a reply whose message was deleted. */
  deletedQuote: 'deleted message',
  /** A quoted message with files and no text. */
  quotedFiles: (n: number) => `📎 ${n === 1 ? 'a file' : `${n} files`}`,
  /** A reply's quote was activated, but the message it quotes is not in the loaded window. */
  quoteNotLoaded: 'That message is further back than what is loaded: scroll up to find it.',
  /** Enter in edit mode with the box emptied. */
  editEmpty: 'A message cannot be empty: delete it instead.',
  /** The emoji field of the reaction picker. */
  badEmoji: 'Type one emoji.',
  notificationsBlocked: 'Notifications are blocked for this page: allow them in the browser’s site settings.',
  notificationsUnavailable: 'This browser cannot show notifications for this page.',
  // Files (attachments): what a chip in the message box says, and the notices about them.
  fileEmpty: 'This file is empty.',
  fileTooBig: (limit: string) => `This file is larger than ${limit}, the most a file may be.`,
  badFileName: 'This file’s name cannot be used: rename it and try again.',
  tooManyFiles: `At most ${LIMITS.attachmentsMax} files go with one message.`,
  filesNotReady: 'Wait for the files to finish uploading, or remove the ones that failed.',
  uploadHttp: (status: number) => (status === 403 ? 'The upload link expired or was refused: retry.' : `The upload failed (HTTP ${status}).`),
  uploadNetwork: 'The upload failed: the network connection was lost.',
  uploadForbidden: 'You cannot send files in this room.',
  filesOnlyWhenChatting: 'Join a room to send files.',
} as const;

/** Who is typing, this member left out: "Ann is typing…", "Ann and Bob are typing…", "Ann and 2 others are typing…"; "" for nobody. */
export function typingText(names: readonly string[], count: number): string {
  if (count <= 0) return '';
  const [first, second] = names;
  if (first === undefined) return count === 1 ? 'Someone is typing…' : `${count} people are typing…`;
  if (count === 1) return `${first} is typing…`;
  if (count === 2 && second !== undefined) return `${first} and ${second} are typing…`;
  const rest = count - 1;
  return `${first} and ${rest} ${rest === 1 ? 'other' : 'others'} are typing…`;
}

/** "You left Team." (this account parted it, here or on another device) */
export const partedFrom = (title: string): string => `You left ${title}.`;
/** A DM with someone one shares no private room with is an invite until they accept it. */
export const dmInviteSent = (name: string): string => `${name} was asked to accept your direct message.`;

/** "You were removed from Team." */
export const removedFrom = (title: string): string => `You were removed from ${title}.`;

/** What the page says when the address named no valid room. */
export function rejectedRoomNotice(rejected: string, room: string): string {
  return `“${rejected}” is not a room name (rooms are 1–32 of a–z, 0–9, - and _), so this is #${room}.`;
}

/** What a failed request was about, as far as its text needs (from the page's table of requests in flight). */
export interface FailedRequest { type: RequestType; room?: string }

type Text = (e: ErrorResponse, req: FailedRequest) => string;

function tooManyAttempts(e: ErrorResponse): string {
  const s = e.retryAfterMs ? Math.max(1, Math.ceil(e.retryAfterMs / 1000)) : 0;
  return s ? `Too many attempts: try again in ${s} s.` : 'Too many attempts: try again in a moment.';
}

const wrongCredentials: Text = () => 'Wrong username or password.';

/**
 * Texts that depend on the request that failed. Every code not listed here (and every request type)
 * shows the server's message.
 */
const BY_REQUEST: { readonly [T in RequestType]?: { readonly [C in ErrorCode]?: Text } } = {
  hello: { name_taken: () => 'That name belongs to an account: sign in, or pick another name.' },
  signin: { auth_failed: wrongCredentials, rate_limited: tooManyAttempts },
  signup: {
    auth_failed: wrongCredentials,
    rate_limited: tooManyAttempts,
    name_taken: () => 'That username is taken: pick another, or sign in.',
  },
  password: { auth_failed: () => 'The current password is wrong.', rate_limited: tooManyAttempts },
  edit: { forbidden: () => 'You can edit only your own messages.' },
  delete: { forbidden: () => 'Only its author, or the owner of this private room, can delete that message.' },
  join: {
    forbidden: (_e, req) => {
      const room = req.room ?? '';
      const title = room && roomKind(room) === 'public' ? `#${room}` : 'that room';
      return `You cannot open ${title}: it is private, and you are not a member.`;
    },
  },
};

/** What the page shows for `e`; with the request it answers, the text for that request where there is one. */
export function errorText(e: ErrorResponse, req?: FailedRequest): string {
  const text = req ? BY_REQUEST[req.type]?.[e.code] : undefined;
  return text && req ? text(e, req) : e.message;
}

/** What the account form says when the server refused a sign-in or sign-up. */
export function authErrorText(e: ErrorResponse, mode: 'signin' | 'signup'): string {
  return errorText(e, { type: mode });
}
