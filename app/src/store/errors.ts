/** Named errors of the storage layer; the chat layer turns StoreUnavailableError into `unavailable`. */

/** Redis (or whatever backs the store) could not be reached or did not answer in time. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
