/**
 * Per-member and per-address rates loose enough for tests that are not about them (the defaults are
 * sized for people: a test client that sends 100 messages in a loop is not one). The abuse tests set
 * their own. Merged under each test's env by the helpers that start servers.
 */
export const LOOSE_LIMITS: Record<string, string> = {
  SEND_RATE_BURST: '100000',
  SEND_RATE_PER_SEC: '100000',
  JOIN_RATE_BURST: '100000',
  JOIN_RATE_PER_SEC: '100000',
  PAGE_RATE_BURST: '100000',
  PAGE_RATE_PER_SEC: '100000',
  EDIT_RATE_BURST: '100000',
  EDIT_RATE_PER_SEC: '100000',
  DELETE_RATE_BURST: '100000',
  DELETE_RATE_PER_SEC: '100000',
  REACT_RATE_BURST: '100000',
  REACT_RATE_PER_SEC: '100000',
  TYPING_RATE_BURST: '100000',
  TYPING_RATE_PER_SEC: '100000',
  UPLOAD_RATE_BURST: '100000',
  UPLOAD_RATE_PER_SEC: '100000',
  ROOM_CREATE_RATE_BURST: '100000',
  ROOM_CREATE_RATE_PER_SEC: '100000',
  SESSION_CREATE_RATE_BURST: '100000',
  SESSION_CREATE_RATE_PER_SEC: '100000',
  STORE_ADDRESS_BYTES_BURST: String(2 ** 40),
  STORE_ADDRESS_BYTES_PER_SEC: String(2 ** 40),
  STORE_MEMBER_BYTES_BURST: String(2 ** 40),
  STORE_MEMBER_BYTES_PER_SEC: String(2 ** 40),
  ROOM_ADDRESS_RATE_BURST: '100000',
  ROOM_ADDRESS_RATE_PER_SEC: '100000',
  KDF_ADDRESS_RATE_BURST: '1000',
  KDF_ADDRESS_RATE_PER_SEC: '1000',
};
