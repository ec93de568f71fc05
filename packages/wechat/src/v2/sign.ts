import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** The two v2 signature algorithms. WeChat's default, when `sign_type` is absent, is MD5. */
export type V2SignType = 'MD5' | 'HMAC-SHA256';

export const V2_SIGN_TYPES: readonly V2SignType[] = ['MD5', 'HMAC-SHA256'];

export function isV2SignType(value: unknown): value is V2SignType {
  return value === 'MD5' || value === 'HMAC-SHA256';
}

/**
 * WeChat's string to sign: every parameter except `sign`, empty and undefined values left out, names sorted by
 * code unit (ASCII for WeChat's names), joined as `k=v` with `&`, raw values (no URL encoding), then `&key=KEY`.
 */
function stringSignTemp(params: Readonly<Record<string, string | number | undefined>>, apiKey: string): string {
  const names = Object.keys(params).sort();
  const parts: string[] = [];
  for (const name of names) {
    if (name === 'sign') continue;
    const value = params[name];
    if (value === undefined || value === '') continue;
    parts.push(`${name}=${String(value)}`);
  }
  // Literally stringA + '&key=' + key (so an empty parameter set gives '&key=…', as other SDKs do).
  return `${parts.join('&')}&key=${apiKey}`;
}

/** Sign v2 parameters by WeChat's rule; upper-case hex (32 chars for MD5, 64 for HMAC-SHA256). */
export function signV2(
  params: Readonly<Record<string, string | number | undefined>>,
  apiKey: string,
  signType: V2SignType,
): string {
  const message = stringSignTemp(params, apiKey);
  // crypto.hash: one call, no Hash object (Node ≥ 20.12); a string is hashed as its UTF-8 bytes.
  if (signType === 'MD5') return hash('md5', message, 'hex').toUpperCase();
  if (signType === 'HMAC-SHA256') {
    return createHmac('sha256', apiKey).update(message, 'utf8').digest('hex').toUpperCase();
  }
  // A caller passing an unchecked string must not silently get an MD5 signature.
  throw new TypeError('signV2: unsupported sign type');
}

/**
 * Which algorithm made this signature: MD5 gives 32 hex characters, HMAC-SHA256 gives 64. v2 notifications carry no
 * `sign_type`, so the length is the only honest hint when the order's algorithm is not known.
 */
export function signTypeOfSignature(sign: string): V2SignType | undefined {
  if (sign.length === 32) return 'MD5';
  if (sign.length === 64) return 'HMAC-SHA256';
  return undefined;
}

/**
 * Verify `params.sign` in constant time. With `signType`, only that algorithm is accepted; without it the algorithm is
 * told from the signature's length. The comparison is case-sensitive (WeChat signs in upper case), so a changed
 * letter case is a changed signature.
 */
export function verifyV2Sign(
  params: Readonly<Record<string, string | undefined>>,
  apiKey: string,
  signType?: V2SignType,
): boolean {
  const given = params.sign;
  if (given === undefined || given === '') return false;
  const type = signType ?? signTypeOfSignature(given);
  if (type === undefined || !isV2SignType(type)) return false;
  const expected = Buffer.from(signV2(params, apiKey, type), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  if (expected.length !== actual.length) return false;
  return timingSafeEqual(expected, actual);
}
