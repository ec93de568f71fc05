import { createHash, randomBytes, randomInt } from 'node:crypto';
import { beijingCompact } from '../time.js';

/** n random decimal digits from the CSPRNG. */
export function randomDigits(n: number): string {
  let out = '';
  while (out.length < n) out += String(randomInt(0, 1_000_000)).padStart(6, '0');
  return out.slice(0, n);
}

/** 28 digits starting `42000`, the shape of real WeChat Pay transaction ids. */
export function newTransactionId(): string {
  return `42000${randomDigits(23)}`;
}

/** `wx` + Beijing time yyyyMMddHHmmss + 20 hex characters, like `wx201410272009395522657a690389285100`. */
export function newPrepayId(now: number): string {
  return `wx${beijingCompact(now)}${randomBytes(10).toString('hex')}`;
}

/** 29 digits starting `50000`, like real refund ids. */
export function newRefundId(): string {
  return `50000${randomDigits(24)}`;
}

/** 32 hex characters. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * A stable openid for a user of one mini program: `o` + 27 base64url characters of a hash of (appid, user), 28 chars
 * like real openids. The same user has different openids under different appids, as in WeChat.
 */
export function openidFor(appid: string, user: string): string {
  const digest = createHash('sha256').update(`sandbox-openid\n${appid}\n${user}`, 'utf8').digest('base64url');
  return `o${digest.slice(0, 27)}`;
}

/** base64 of 16 random bytes: the observed shape of session_key. */
export function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}

/** A long opaque access token (WeChat's are ~150+ characters; callers must store ≥512). */
export function newAccessToken(): string {
  return randomBytes(96).toString('base64url');
}

/** A login code: 32 base64url-ish characters, like wx.login's. */
export function newLoginCode(): string {
  return randomBytes(24).toString('base64url');
}
