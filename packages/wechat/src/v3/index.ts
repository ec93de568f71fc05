// Public surface of WeChat Pay API v3: re-exports only.
export * from './aead.js';
export * from './auth.js';
export * from './keys.js';
export * from './verifier.js';
export * from './certificates.js';
export * from './http.js';
export * from './wire.js';
export * from './time.js';
export * from './notify.js';
export * from './pay-params.js';
