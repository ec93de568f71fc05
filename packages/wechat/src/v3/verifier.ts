import { createVerify } from 'node:crypto';
import type { KeyObject, X509Certificate } from 'node:crypto';
import { WxPayConfigError, WxPaySignatureError } from '../errors.js';
import { V3_AUTH_SCHEME } from './auth.js';
import type { V3Clock } from './auth.js';
import { loadCertificate, loadRsaPublicKey, normaliseSerial } from './keys.js';
import { parseWireInt } from '../wire-int.js';

/**
 * Something that holds WeChat Pay's verification keys, each named by the serial WeChat puts in `Wechatpay-Serial`
 * (a platform certificate serial in upper-case hex, or a `PUB_KEY_ID_…` id). A message is checked with the key
 * of the serial it names, never by trying every key.
 */
export interface Verifier {
  has(serial: string): boolean;
  /** RSA-SHA256 (PKCS#1 v1.5) check of `message` against `signature` (base64). False for an unknown serial. */
  verify(serial: string, message: string | Uint8Array, signature: string): boolean;
  /**
   * Called when a message names a serial this verifier does not hold. Platform-certificate mode downloads the
   * certificates again (rate limited) and answers whether the serial is now known.
   */
  onUnknownSerial?(serial: string): Promise<boolean>;
}

/** Probe traffic from WeChat carries signatures with this prefix; they are deliberately invalid. */
export const V3_SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';

export function rsaSha256Verify(message: string | Uint8Array, signature: string, key: KeyObject): boolean {
  if (typeof signature !== 'string' || signature.length === 0 || signature.startsWith(V3_SIGNTEST_PREFIX)) return false;
  // Canonical, padded standard base64 only: node's decoder skips foreign characters and accepts the URL-safe alphabet,
  // so the bytes must encode back to exactly the text received. Decoded once, here, and handed to verify as bytes.
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.toString('base64') !== signature) return false;
  try {
    return createVerify('RSA-SHA256').update(message).verify(key, bytes);
  } catch {
    return false;
  }
}

/** WeChat Pay public-key mode (merchants since 2024): one key, named `PUB_KEY_ID_…`, no expiry. */
export class PublicKeyVerifier implements Verifier {
  readonly publicKeyId: string;
  readonly #key: KeyObject;

  constructor(publicKeyId: string, publicKey: string | Buffer | KeyObject) {
    if (typeof publicKeyId !== 'string' || !/^PUB_KEY_ID_[0-9A-Za-z]+$/.test(publicKeyId)) {
      throw new WxPayConfigError('publicKeyId must look like PUB_KEY_ID_…', { field: 'publicKeyId' });
    }
    this.publicKeyId = publicKeyId;
    this.#key = loadRsaPublicKey(publicKey, 'publicKey');
  }

  has(serial: string): boolean {
    return serial === this.publicKeyId;
  }

  verify(serial: string, message: string | Uint8Array, signature: string): boolean {
    return this.has(serial) && rsaSha256Verify(message, signature, this.#key);
  }
}

export type PlatformCertificate = { serial: string; certificate: X509Certificate; notBefore: number; notAfter: number };

export function parsePlatformCertificate(pem: string | Buffer, field = 'platformCertificate'): PlatformCertificate {
  const { certificate, serial } = loadCertificate(pem, field);
  return { serial, certificate, notBefore: Date.parse(certificate.validFrom), notAfter: Date.parse(certificate.validTo) };
}

/** Checks with one platform certificate, refusing it outside its validity period. */
export function verifyWithPlatformCertificate(
  cert: PlatformCertificate | undefined,
  now: number,
  message: string | Uint8Array,
  signature: string,
): boolean {
  // An expired (or not yet valid) platform certificate no longer vouches for anything.
  if (cert === undefined || now < cert.notBefore || now > cert.notAfter) return false;
  return rsaSha256Verify(message, signature, cert.certificate.publicKey);
}

/** Platform-certificate mode with a fixed set of certificates (e.g. loaded from disk). */
export class PlatformCertificateVerifier implements Verifier {
  readonly #certs = new Map<string, PlatformCertificate>();
  readonly #clock: V3Clock;

  constructor(certificates: readonly (string | Buffer)[], options: { clock?: V3Clock | undefined } = {}) {
    this.#clock = options.clock ?? Date.now;
    certificates.forEach((pem, i) => {
      const cert = parsePlatformCertificate(pem, `platformCertificates[${i}]`);
      this.#certs.set(cert.serial, cert);
    });
  }

  has(serial: string): boolean {
    const cert = this.#certs.get(normaliseSerial(serial));
    const now = this.#clock();
    return cert !== undefined && now >= cert.notBefore && now <= cert.notAfter;
  }

  verify(serial: string, message: string | Uint8Array, signature: string): boolean {
    return verifyWithPlatformCertificate(this.#certs.get(normaliseSerial(serial)), this.#clock(), message, signature);
  }
}

/**
 * Migration from platform certificates to the public key: both are held, and the verifier named by
 * `Wechatpay-Serial` decides (like wechatpay-java's RSACombinedNotificationConfig).
 */
export class CombinedVerifier implements Verifier {
  readonly #verifiers: readonly Verifier[];

  constructor(verifiers: readonly Verifier[]) {
    if (verifiers.length === 0) throw new WxPayConfigError('CombinedVerifier needs at least one verifier', { field: 'verifier' });
    this.#verifiers = verifiers;
  }

  has(serial: string): boolean {
    return this.#verifiers.some((v) => v.has(serial));
  }

  verify(serial: string, message: string | Uint8Array, signature: string): boolean {
    const chosen = this.#verifiers.find((v) => v.has(serial));
    return chosen !== undefined && chosen.verify(serial, message, signature);
  }

  async onUnknownSerial(serial: string): Promise<boolean> {
    // A PUB_KEY_ID_ serial can never be fetched, so only certificate managers are asked.
    if (serial.startsWith('PUB_KEY_ID_')) return false;
    for (const v of this.#verifiers) {
      if (v.onUnknownSerial !== undefined && (await v.onUnknownSerial(serial))) return true;
    }
    return false;
  }
}

/** Headers as node:http gives them (lower-case keys), as a fetch `Headers`, or a plain record in any case. */
export type V3HeadersLike =
  | Headers
  | { get(name: string): string | null; has(name: string): boolean }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export function readHeader(headers: V3HeadersLike, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(lower) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() !== lower) continue;
    const value = record[key];
    // A repeated security header is ambiguous: refuse it rather than pick one.
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value as string | undefined;
  }
  return undefined;
}

export type V3SignatureInfo = { serial: string; timestamp: number; nonce: string };

export type V3VerifyOptions = {
  verifier: Verifier;
  clock?: V3Clock | undefined;
  /** Allowed |now − Wechatpay-Timestamp|, seconds. WeChat's SDKs use 5 minutes. */
  maxSkewSeconds?: number | undefined;
  requestId?: string | undefined;
};

/** The signature headers, checked up to (not including) the key lookup. */
type CheckedHeaders = { timestampText: string; timestamp: number; nonce: string; signature: string; serial: string };

// The signature headers, lower-case, in the order readSignatureHeaders returns them.
const SIGNATURE_HEADERS = ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial', 'wechatpay-signature-type'];

/** The five signature headers in one pass over a record (readHeader's rules: first match wins, a repeat is refused). */
function readSignatureHeaders(headers: V3HeadersLike): (string | undefined)[] {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return SIGNATURE_HEADERS.map((name) => (headers as Headers).get(name) ?? undefined);
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const out: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  const found = [false, false, false, false, false];
  for (const key of Object.keys(record)) {
    const i = SIGNATURE_HEADERS.indexOf(key.toLowerCase());
    if (i < 0 || found[i] === true) continue;
    found[i] = true;
    const value = record[key];
    out[i] = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : (value as string | undefined);
  }
  return out;
}

function checkHeaders(headers: V3HeadersLike, options: V3VerifyOptions): CheckedHeaders {
  const [timestampText, nonce, signature, serialText, signatureType] = readSignatureHeaders(headers);
  if (!timestampText || !nonce || !signature || !serialText) {
    return fail(options, 'missing_header', 'Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers are required');
  }
  if (signatureType !== undefined && signatureType !== V3_AUTH_SCHEME) {
    return fail(options, 'unsupported_sign_type', 'Wechatpay-Signature-Type is not WECHATPAY2-SHA256-RSA2048');
  }
  const timestamp = parseWireInt(timestampText, 12);
  if (timestamp === undefined) return fail(options, 'stale_timestamp', 'Wechatpay-Timestamp is not Unix seconds');
  const nowSeconds = Math.floor((options.clock ?? Date.now)() / 1000);
  const maxSkew = options.maxSkewSeconds ?? 300;
  if (Math.abs(nowSeconds - timestamp) > maxSkew) {
    return fail(options, 'stale_timestamp', `Wechatpay-Timestamp is more than ${maxSkew} s from now`);
  }
  const serial = serialText.startsWith('PUB_KEY_ID_') ? serialText : normaliseSerial(serialText);
  return { timestampText, timestamp, nonce, signature, serial };
}

function fail(options: V3VerifyOptions, reason: ConstructorParameters<typeof WxPaySignatureError>[0], message: string): never {
  throw new WxPaySignatureError(reason, message, { requestId: options.requestId });
}

function unknownSerial(options: V3VerifyOptions, serial: string): never {
  return fail(options, 'unknown_serial', `no verification key for Wechatpay-Serial ${serial.slice(0, 64).replace(/[^\x21-\x7e]/g, '?')}`);
}

/** RSA-SHA256 over `timestamp\nnonce\nbody\n`, the body exactly as received (a string is its UTF-8 bytes). */
function checkSignature(checked: CheckedHeaders, rawBody: string | Uint8Array, options: V3VerifyOptions): V3SignatureInfo {
  // buildV3Message's lines, written out: this runs for every answer and notification.
  const prefix = `${checked.timestampText}\n${checked.nonce}\n`;
  // A string body is signed as its UTF-8 bytes, which is what createVerify hashes for a string: no copy needed.
  const message = typeof rawBody === 'string'
    ? `${prefix}${rawBody}\n`
    : Buffer.concat([Buffer.from(prefix, 'utf8'), rawBody, NEWLINE]);
  if (!options.verifier.verify(checked.serial, message, checked.signature)) {
    return fail(options, 'bad_signature', 'Wechatpay-Signature does not verify');
  }
  return { serial: checked.serial, timestamp: checked.timestamp, nonce: checked.nonce };
}

const NEWLINE = Buffer.from('\n');

/**
 * Verifies a v3 response or notification on its raw bytes. Steps fail closed, in order: the four headers present,
 * timestamp within 5 minutes either way, serial known (one rate-limited refresh for platform certificates), then
 * RSA-SHA256 over `timestamp\nnonce\nbody\n`. Throws WxPaySignatureError with the failing reason.
 */
export async function verifyV3Signature(
  headers: V3HeadersLike,
  rawBody: string | Uint8Array,
  options: V3VerifyOptions,
): Promise<V3SignatureInfo> {
  const checked = checkHeaders(headers, options);
  if (!options.verifier.has(checked.serial)) {
    const { verifier } = options;
    const found = verifier.onUnknownSerial !== undefined && (await verifier.onUnknownSerial(checked.serial));
    if (!found) unknownSerial(options, checked.serial);
  }
  return checkSignature(checked, rawBody, options);
}

/**
 * The same checks, synchronously, when the serial is already known (the common case): returns undefined, having
 * checked nothing beyond the headers, when the verifier does not hold the serial and verifyV3Signature (which may
 * refresh the certificates) must decide. Saves a promise per notification on the hot path.
 */
export function verifyV3SignatureIfKnown(
  headers: V3HeadersLike,
  rawBody: string | Uint8Array,
  options: V3VerifyOptions,
): V3SignatureInfo | undefined {
  const checked = checkHeaders(headers, options);
  if (!options.verifier.has(checked.serial)) return undefined;
  return checkSignature(checked, rawBody, options);
}

/** Same check for an API response (the SDK's client calls it on every answer before parsing). */
export const verifyV3Response = verifyV3Signature;
/** Same check for a notification; use the raw request bytes, never re-serialised JSON. */
export const verifyV3Notification = verifyV3Signature;
