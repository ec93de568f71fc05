import { createSign, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { assertHeaderSafe, loadRsaPrivateKey } from './keys.js';

/** The only v3 authorization scheme. */
export const V3_AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

/** Milliseconds since the epoch; injected so freshness windows are tested without sleeping. */
export type V3Clock = () => number;
/** Returns a fresh random nonce string; injected so signatures can be pinned in tests. */
export type V3NonceSource = () => string;

/** 32 upper-case hex characters from the CSPRNG, the shape WeChat's own examples use. */
export const defaultV3Nonce: V3NonceSource = () => randomBytes(16).toString('hex').toUpperCase();

/** Lines joined by `\n`, each ending in `\n` (including the last), as every v3 signature message is built. */
export function buildV3Message(...lines: readonly (string | number)[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

/** RSASSA-PKCS1-v1_5 with SHA-256, base64. Deterministic for a given key and message. */
export function rsaSha256Sign(message: string | Uint8Array, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

/** Path plus raw query string, no scheme or host: what WeChat calls the canonical URL. */
export function canonicalUrl(url: string): string {
  if (url.startsWith('/')) return url;
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

export type V3AuthorizationInput = {
  method: string;
  /** Full URL or canonical path (`/v3/...?query`). */
  url: string;
  /** The exact body bytes to be sent; empty for GET. */
  body?: string | undefined;
  /** Unix seconds; defaults to the signer's clock. */
  timestamp?: number | undefined;
  /** Defaults to the signer's nonce source. */
  nonce?: string | undefined;
};

export type V3Signer = {
  readonly mchid: string;
  /** The merchant API certificate's serial number (upper-case hex). */
  readonly serialNo: string;
  /** base64 RSA-SHA256 of `message` with the merchant private key. */
  sign(message: string): string;
  /** The complete `Authorization` header value for one request. */
  authorization(input: V3AuthorizationInput): string;
};

export type V3SignerOptions = {
  mchid: string;
  serialNo: string;
  privateKey: string | Buffer | KeyObject;
  clock?: V3Clock | undefined;
  nonce?: V3NonceSource | undefined;
};

/** The merchant's request signer. The PEM is parsed once here; a bad one throws WxPayConfigError. */
export function createV3Signer(options: V3SignerOptions): V3Signer {
  const mchid = assertHeaderSafe(options.mchid, 'mchid');
  const serialNo = assertHeaderSafe(options.serialNo, 'serialNo').toUpperCase();
  const key = loadRsaPrivateKey(options.privateKey, 'privateKey');
  const clock = options.clock ?? Date.now;
  const nonceSource = options.nonce ?? defaultV3Nonce;

  const sign = (message: string): string => rsaSha256Sign(message, key);
  return {
    mchid,
    serialNo,
    sign,
    authorization(input) {
      const timestamp = input.timestamp ?? Math.floor(clock() / 1000);
      const nonce = input.nonce ?? nonceSource();
      const message = buildV3Message(input.method.toUpperCase(), canonicalUrl(input.url), timestamp, nonce, input.body ?? '');
      const signature = sign(message);
      return `${V3_AUTH_SCHEME} mchid="${mchid}",nonce_str="${nonce}",timestamp="${timestamp}",serial_no="${serialNo}",signature="${signature}"`;
    },
  };
}
