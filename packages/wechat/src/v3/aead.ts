import { createCipheriv, createDecipheriv } from 'node:crypto';
import { WxPayConfigError, WxPayDecryptError } from '../errors.js';

/** The only algorithm WeChat Pay v3 uses for notification resources and downloaded certificates. */
export const V3_AEAD_ALGORITHM = 'AEAD_AES_256_GCM';

const TAG_BYTES = 16;
const NONCE_BYTES = 12;

/** An encrypted v3 resource as it appears in notifications (`resource`) and `/v3/certificates` (`encrypt_certificate`). */
export type V3EncryptedResource = {
  algorithm: string;
  ciphertext: string;
  nonce: string;
  associated_data?: string | undefined;
};

/**
 * Checks an APIv3 key at construction time: WeChat's APIv3 key is 32 ASCII characters used directly as the AES-256 key.
 * Returned as bytes so callers never re-encode it.
 */
export function assertApiV3Key(apiV3Key: string, field = 'apiV3Key'): Buffer {
  if (typeof apiV3Key !== 'string' || Buffer.byteLength(apiV3Key, 'utf8') !== 32) {
    throw new WxPayConfigError(`${field} must be the 32-character APIv3 key`, { field });
  }
  return Buffer.from(apiV3Key, 'utf8');
}

function keyBytes(key: string | Uint8Array): Buffer {
  // A Buffer (the key as assertApiV3Key returns it, held by a handler) is used as it is; nothing else is copied per call.
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.isBuffer(key) ? key : Buffer.from(key);
  // The key length picks AES-128/192/256 (as Go's aes.NewCipher does), which is what lets the official
  // wechatpay-go test vector (a 16-byte key) verify. Real merchants are held to 32 bytes by assertApiV3Key.
  if (bytes.length !== 16 && bytes.length !== 24 && bytes.length !== 32) {
    throw new WxPayDecryptError('AEAD key must be 16, 24 or 32 bytes');
  }
  return bytes;
}

function gcmName(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

function nonceBytes(nonce: string): Buffer {
  // The nonce is used as its 12 ASCII bytes, not base64-decoded.
  const bytes = Buffer.from(nonce, 'utf8');
  if (bytes.length !== NONCE_BYTES) throw new WxPayDecryptError('AEAD nonce must be 12 bytes');
  return bytes;
}

/**
 * Decrypts AEAD_AES_256_GCM: ciphertext = base64(encrypted ‖ 16-byte tag). The tag is checked before any plaintext
 * is returned; a wrong key, nonce, associated data or a flipped bit all throw WxPayDecryptError.
 */
export function decryptAeadAes256Gcm(input: {
  key: string | Uint8Array;
  nonce: string;
  associatedData?: string | undefined;
  ciphertext: string;
}): string {
  const key = keyBytes(input.key);
  const iv = nonceBytes(input.nonce);
  if (typeof input.ciphertext !== 'string') throw new WxPayDecryptError('AEAD ciphertext is not base64');
  const raw = Buffer.from(input.ciphertext, 'base64');
  // Canonical, padded standard base64 only (node's decoder would skip foreign characters): one native round trip.
  if (raw.toString('base64') !== input.ciphertext) throw new WxPayDecryptError('AEAD ciphertext is not base64');
  if (raw.length < TAG_BYTES) throw new WxPayDecryptError('AEAD ciphertext is too short');
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const encrypted = raw.subarray(0, raw.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv(gcmName(key), key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    decipher.setAAD(Buffer.from(input.associatedData ?? '', 'utf8'));
    const plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
    return plain.toString('utf8');
  } catch (cause) {
    // Never echo the key or ciphertext; the cause only says "unable to authenticate data".
    throw new WxPayDecryptError('AEAD authentication failed (wrong APIv3 key, tampered data or wrong associated_data)', { cause });
  }
}

/** Encrypts as WeChat does (the sandbox and tests use it). Returns base64(encrypted ‖ tag). */
export function encryptAeadAes256Gcm(input: {
  key: string | Uint8Array;
  nonce: string;
  associatedData?: string | undefined;
  plaintext: string;
}): string {
  const key = keyBytes(input.key);
  const cipher = createCipheriv(gcmName(key), key, nonceBytes(input.nonce), { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(input.associatedData ?? '', 'utf8'));
  const out = Buffer.concat([cipher.update(input.plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return out.toString('base64');
}

/** Decrypts a v3 encrypted resource after pinning its algorithm: anything but AEAD_AES_256_GCM is refused. */
export function decryptV3Resource(resource: V3EncryptedResource, key: string | Uint8Array): string {
  if (resource.algorithm !== V3_AEAD_ALGORITHM) {
    throw new WxPayDecryptError('unexpected encryption algorithm (only AEAD_AES_256_GCM is accepted)');
  }
  return decryptAeadAes256Gcm({
    key,
    nonce: resource.nonce,
    associatedData: resource.associated_data,
    ciphertext: resource.ciphertext,
  });
}
