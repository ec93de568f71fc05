import { createCipheriv, createDecipheriv, hash } from 'node:crypto';
import { WxPayDecryptError } from '../errors.js';

/** The req_info key: the lower-case hex MD5 of the APIv2 key, its 32 ASCII characters used as the AES-256 key. */
export function refundReqInfoKey(apiKey: string): Buffer {
  return Buffer.from(hash('md5', apiKey, 'hex'), 'ascii');
}

// Keys derived for the function-style entry points (decryptV2RefundReqInfo, parseV2RefundNotification), which take
// the APIv2 key on every call: deriving once per key instead of per notification. Bounded so a process juggling many
// merchants cannot grow it without limit; it holds nothing the caller does not already hold (the APIv2 key).
const derivedKeys = new Map<string, Buffer>();
const DERIVED_KEYS_MAX = 64;

/** refundReqInfoKey, memoised per APIv2 key. */
export function cachedRefundReqInfoKey(apiKey: string): Buffer {
  let key = derivedKeys.get(apiKey);
  if (key === undefined) {
    key = refundReqInfoKey(apiKey);
    if (derivedKeys.size >= DERIVED_KEYS_MAX) derivedKeys.clear();
    derivedKeys.set(apiKey, key);
  }
  return key;
}

/** Encrypt as WeChat does (AES-256-ECB, standard PKCS#7, base64). */
export function encryptRefundReqInfo(plain: string, key: Buffer): string {
  const cipher = createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

/**
 * Decrypt req_info. Unpadding is lenient on one point only: a plaintext whose length was already a multiple of 16
 * and was sent without a padding block (as one public SDK does) is accepted when its last byte cannot be a pad.
 * Everything else that does not unpad cleanly is a WxPayDecryptError. The XML parse that follows is the integrity
 * check: req_info has no MAC, so a wrong key gives garbage that fails to parse.
 */
export function decryptRefundReqInfo(reqInfo: string, key: Buffer): string {
  if (typeof reqInfo !== 'string' || reqInfo.length % 4 !== 0) throw new WxPayDecryptError('req_info is not base64');
  const data = Buffer.from(reqInfo, 'base64');
  // Canonical, padded standard base64 only: Node's decoder skips characters outside the alphabet and accepts the
  // URL-safe one, so the bytes must encode back to exactly the text received (one native pass, no regex).
  if (data.toString('base64') !== reqInfo) throw new WxPayDecryptError('req_info is not base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new WxPayDecryptError('req_info has an invalid length');
  const decipher = createDecipheriv('aes-256-ecb', key, null);
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = plain[plain.length - 1] ?? 0;
  let body = plain;
  if (pad >= 1 && pad <= 16) {
    let ok = true;
    for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) ok = false;
    if (!ok) throw new WxPayDecryptError('req_info padding is invalid (wrong API key?)');
    body = plain.subarray(0, plain.length - pad);
  } else if (pad !== 0x3e) {
    // Unpadded plaintext must end with the closing '>' of </root>.
    throw new WxPayDecryptError('req_info padding is invalid (wrong API key?)');
  }
  return body.toString('utf8');
}
