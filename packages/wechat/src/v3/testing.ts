// Playing WeChat Pay v3, for the sandbox and tests: sign answers and notifications with a platform key, encrypt
// resources with the APIv3 key, and check merchants' Authorization headers. Never used on the live path.
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { encryptAeadAes256Gcm, V3_AEAD_ALGORITHM } from './aead.js';
import { buildV3Message, canonicalUrl, defaultV3Nonce, rsaSha256Sign, V3_AUTH_SCHEME } from './auth.js';
import type { V3Clock } from './auth.js';
import { loadRsaPrivateKey, loadRsaPublicKey } from './keys.js';
import { formatRfc3339Beijing } from './time.js';
import { rsaSha256Verify } from './verifier.js';

export {
  SANDBOX_PLATFORM_CERTIFICATE_PEM,
  SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_PEM,
} from './fixtures/sandbox-keys.js';

type PrivateKeyInput = string | Buffer | KeyObject;

/** base64 RSA-SHA256 of a message with a private key (platform key for answers, merchant key for requests). */
export function signV3Message(message: string | Uint8Array, privateKey: PrivateKeyInput): string {
  return rsaSha256Sign(message, loadRsaPrivateKey(privateKey, 'privateKey'));
}

export type V3SignatureHeaders = {
  'Wechatpay-Timestamp': string;
  'Wechatpay-Nonce': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Serial': string;
  'Wechatpay-Signature-Type': string;
};

/** The `Wechatpay-*` headers WeChat adds to an answer or a notification whose raw body is `body`. */
export function signV3Response(input: {
  body: string | Uint8Array;
  platformKey: PrivateKeyInput;
  serial: string;
  clock?: V3Clock | undefined;
  nonce?: string | undefined;
  timestamp?: number | undefined;
}): V3SignatureHeaders {
  const timestamp = String(input.timestamp ?? Math.floor((input.clock ?? Date.now)() / 1000));
  const nonce = input.nonce ?? defaultV3Nonce();
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : Buffer.from(input.body);
  const message = Buffer.concat([Buffer.from(buildV3Message(timestamp, nonce), 'utf8'), body, Buffer.from('\n')]);
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': signV3Message(message, input.platformKey),
    'Wechatpay-Serial': input.serial,
    'Wechatpay-Signature-Type': V3_AUTH_SCHEME,
  };
}

/** A 12-character AEAD nonce from the CSPRNG (WeChat uses 12 ASCII characters). */
function aeadNonce(): string {
  return randomBytes(9).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
}

/** Encrypts a resource as WeChat does: AEAD_AES_256_GCM with the merchant's APIv3 key. */
export function encryptV3Resource(input: {
  plaintext: string;
  apiV3Key: string;
  associatedData: string;
  originalType?: string | undefined;
  nonce?: string | undefined;
}): { original_type?: string; algorithm: string; ciphertext: string; associated_data: string; nonce: string } {
  const nonce = input.nonce ?? aeadNonce();
  const ciphertext = encryptAeadAes256Gcm({ key: input.apiV3Key, nonce, associatedData: input.associatedData, plaintext: input.plaintext });
  return {
    ...(input.originalType === undefined ? {} : { original_type: input.originalType }),
    algorithm: V3_AEAD_ALGORITHM,
    ciphertext,
    associated_data: input.associatedData,
    nonce,
  };
}

const SUMMARIES: Record<string, string> = {
  'TRANSACTION.SUCCESS': '支付成功',
  'REFUND.SUCCESS': '退款成功',
  'REFUND.ABNORMAL': '退款异常',
  'REFUND.CLOSED': '退款关闭',
};

/** A complete, signed and encrypted v3 notification: POST `body` with `headers` to the merchant's notify_url. */
export function buildV3Notification(input: {
  eventType: string;
  /** `transaction` or `refund` (original_type and associated_data); derived from eventType when omitted. */
  resourceType?: string | undefined;
  plaintext: object;
  apiV3Key: string;
  platformKey: PrivateKeyInput;
  serial: string;
  clock?: V3Clock | undefined;
  id?: string | undefined;
  summary?: string | undefined;
}): { headers: V3SignatureHeaders & { 'Content-Type': string }; body: string } {
  const clock = input.clock ?? Date.now;
  const originalType = input.resourceType ?? (input.eventType.startsWith('REFUND.') ? 'refund' : 'transaction');
  const envelope = {
    id: input.id ?? randomUUID(),
    create_time: formatRfc3339Beijing(clock()),
    resource_type: 'encrypt-resource',
    event_type: input.eventType,
    summary: input.summary ?? SUMMARIES[input.eventType] ?? input.eventType,
    resource: encryptV3Resource({
      plaintext: JSON.stringify(input.plaintext),
      apiV3Key: input.apiV3Key,
      associatedData: originalType,
      originalType,
    }),
  };
  const body = JSON.stringify(envelope);
  const headers = signV3Response({ body, platformKey: input.platformKey, serial: input.serial, clock });
  return { headers: { ...headers, 'Content-Type': 'application/json' }, body };
}

/** The `/v3/certificates` answer body for the given platform certificates, each encrypted with the APIv3 key. */
export function buildV3CertificatesBody(input: {
  certificates: readonly { pem: string; serial: string; effectiveTime: number; expireTime: number }[];
  apiV3Key: string;
}): string {
  return JSON.stringify({
    data: input.certificates.map((c) => ({
      serial_no: c.serial,
      effective_time: formatRfc3339Beijing(c.effectiveTime),
      expire_time: formatRfc3339Beijing(c.expireTime),
      encrypt_certificate: encryptV3Resource({ plaintext: c.pem, apiV3Key: input.apiV3Key, associatedData: 'certificate' }),
    })),
  });
}

export type V3AuthorizationFields = { mchid: string; serialNo: string; nonce: string; timestamp: number; signature: string };

/** Parses `WECHATPAY2-SHA256-RSA2048 k="v",…` (field order free); undefined when it is not exactly that. */
export function parseV3Authorization(header: string | undefined): V3AuthorizationFields | undefined {
  if (typeof header !== 'string' || !header.startsWith(`${V3_AUTH_SCHEME} `)) return undefined;
  const fields = new Map<string, string>();
  const re = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  const rest = header.slice(V3_AUTH_SCHEME.length + 1);
  let consumed = 0;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    if (fields.has(m[1]!)) return undefined;
    fields.set(m[1]!, m[2]!);
    consumed = re.lastIndex;
    if (consumed >= rest.length) break;
  }
  if (consumed !== rest.length) return undefined;
  const mchid = fields.get('mchid');
  const serialNo = fields.get('serial_no');
  const nonce = fields.get('nonce_str');
  const timestamp = fields.get('timestamp');
  const signature = fields.get('signature');
  if (!mchid || !serialNo || !nonce || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return undefined;
  return { mchid, serialNo, nonce, timestamp: Number(timestamp), signature };
}

export type V3AuthorizationCheck =
  | { ok: true; mchid: string; serialNo: string; nonce: string; timestamp: number }
  | { ok: false; reason: 'malformed' | 'unknown_merchant' | 'stale_timestamp' | 'bad_signature'; mchid?: string };

/**
 * Checks a merchant's Authorization header as WeChat does. `publicKey` may be a resolver from (mchid, serial_no)
 * to the merchant certificate's public key, so a server with many merchants can look the key up.
 */
export function verifyV3Authorization(
  header: string | undefined,
  method: string,
  url: string,
  body: string | Uint8Array,
  publicKey: PrivateKeyInput | ((mchid: string, serialNo: string) => PrivateKeyInput | undefined),
  clock: V3Clock = Date.now,
  maxSkewSeconds = 300,
): V3AuthorizationCheck {
  const auth = parseV3Authorization(header);
  if (auth === undefined) return { ok: false, reason: 'malformed' };
  const keyInput = typeof publicKey === 'function' ? publicKey(auth.mchid, auth.serialNo) : publicKey;
  if (keyInput === undefined) return { ok: false, reason: 'unknown_merchant', mchid: auth.mchid };
  if (Math.abs(Math.floor(clock() / 1000) - auth.timestamp) > maxSkewSeconds) {
    return { ok: false, reason: 'stale_timestamp', mchid: auth.mchid };
  }
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const message = Buffer.concat([
    Buffer.from(buildV3Message(method.toUpperCase(), canonicalUrl(url), auth.timestamp, auth.nonce), 'utf8'),
    bodyBytes,
    Buffer.from('\n'),
  ]);
  if (!rsaSha256Verify(message, auth.signature, loadRsaPublicKey(keyInput, 'publicKey'))) {
    return { ok: false, reason: 'bad_signature', mchid: auth.mchid };
  }
  return { ok: true, mchid: auth.mchid, serialNo: auth.serialNo, nonce: auth.nonce, timestamp: auth.timestamp };
}

/** A fresh RSA-2048 key pair as PEM (PKCS#8 private, SPKI public), like apiclient_key.pem. */
export function generateRsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A merchant's v3 identity for the sandbox: a key pair and a 40-hex-digit certificate serial. */
export function generateV3MerchantIdentity(): { privateKeyPem: string; publicKeyPem: string; serialNo: string } {
  return { ...generateRsaKeyPair(), serialNo: randomBytes(20).toString('hex').toUpperCase() };
}


/** `hash_value` of a bill answer: SHA1 hex of the bill itself (before any gzip), as the client checks it. */
export function v3BillHash(billText: string | Uint8Array): string {
  return createHash('sha1').update(billText).digest('hex');
}

/** A v3 error body as WeChat sends it with a non-2xx status. */
export function v3ErrorBody(code: string, message: string, detail?: Record<string, unknown>): string {
  return JSON.stringify(detail === undefined ? { code, message } : { code, message, detail });
}

/**
 * What the WeChat client checks before opening the cashier for a v3 order: paySign over
 * `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant's public key, and signType RSA.
 */
export function verifyV3PaySign(
  params: { appid: string; timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string },
  merchantPublicKey: PrivateKeyInput,
): boolean {
  if (params.signType !== 'RSA') return false;
  const message = buildV3Message(params.appid, params.timeStamp, params.nonceStr, params.package);
  return rsaSha256Verify(message, params.paySign, loadRsaPublicKey(merchantPublicKey, 'merchantPublicKey'));
}
