/** Named errors of the storage layer; the chat layer turns StoreUnavailableError into `unavailable`. */

/** Redis (or whatever backs the store) could not be reached or did not answer in time. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store refused a write that the caller may not make (a send to a private room by a non-member). */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

/** Why a store refused an entry, decided inside its atomic step. */
export type RefusalReason =
  /** The target message does not exist, is not kept any more, or is deleted. */
  | 'no_target'
  /** Only the author may edit; the author or a private room's owner may delete. */
  | 'not_allowed'
  /** The message has the most distinct emoji it may have. */
  | 'reactions_full';

/** A store refused an entry for a reason about the request (not the store's health). */
export class EntryRefusedError extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`entry refused: ${reason}`);
  }
}
