/** The protocol's public surface: import from here, in the server, the page and the load tool. */
export * from './messages.js';
export * from './close-codes.js';
export * from './errors.js';
export * from './parse.js';
export * from './encode.js';
