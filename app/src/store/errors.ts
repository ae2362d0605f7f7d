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
