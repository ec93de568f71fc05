import { randomBytes } from 'node:crypto';

/** A source of nonce strings; injectable so tests can pin request bodies. */
export type NonceSource = () => string;

/** 32 hex characters from the CSPRNG: WeChat's nonce_str limit is 32. */
export const randomNonce: NonceSource = () => randomBytes(16).toString('hex');
