import { createCipheriv, createDecipheriv, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { WxPayConfigError, WxPayDecryptError } from '../errors.js';

/**
 * The message-push (消息推送) crypto of mini programs: the SHA-1 signatures over the sorted token/timestamp/nonce
 * (and Encrypt), and the AES-256-CBC envelope of safe mode. Layout of the plaintext, as the official technical note
 * describes it: random(16 bytes) + msg_len(4 bytes, big-endian) + msg + appid, PKCS#7-padded to a multiple of 32
 * (not AES's 16: the official sample code pads to 32, so a pad byte of 17..32 is legal); key = Base64(EncodingAESKey
 * + "="), IV = the key's first 16 bytes.
 */

/** The 32-byte key behind a 43-character EncodingAESKey. */
export type PushAesKey = { readonly key: Buffer };

const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PAD_BLOCK = 32;

export function decodeEncodingAesKey(encodingAesKey: string): PushAesKey {
  if (typeof encodingAesKey !== 'string' || !ENCODING_AES_KEY.test(encodingAesKey)) {
    throw new WxPayConfigError('encodingAesKey must be the 43 letters and digits shown in the console', { field: 'encodingAesKey' });
  }
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new WxPayConfigError('encodingAesKey does not decode to 32 bytes', { field: 'encodingAesKey' });
  return { key };
}

/** hex(sha1(sorted parts joined)): `signature` over [token, timestamp, nonce], `msg_signature` adds Encrypt. */
export function pushSignature(parts: readonly string[]): string {
  return hash('sha1', [...parts].sort().join(''), 'hex');
}

/** Constant-time comparison of a received signature with the expected one (both lowercase hex of SHA-1). */
export function signatureMatches(expected: string, received: string | undefined): boolean {
  if (typeof received !== 'string' || !/^[0-9a-fA-F]{40}$/.test(received)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(received.toLowerCase(), 'hex'));
}

/**
 * Decrypt one `Encrypt` value and return the message text. Fails closed: bad Base64, a length that is not whole AES
 * blocks, bad padding, a msg_len that does not fit, or an appid other than ours all throw WxPayDecryptError, and
 * nothing of the plaintext is returned.
 */
export function decryptPushMessage(aes: PushAesKey, appid: string, encrypt: string): string {
  if (typeof encrypt !== 'string' || encrypt.length === 0 || !BASE64.test(encrypt)) throw new WxPayDecryptError('Encrypt is not Base64');
  const cipherText = Buffer.from(encrypt, 'base64');
  if (cipherText.length === 0 || cipherText.length % 16 !== 0) throw new WxPayDecryptError('Encrypt is not whole AES blocks');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', aes.key, aes.key.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);
  } catch {
    throw new WxPayDecryptError('Encrypt cannot be decrypted with this EncodingAESKey');
  }
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) throw new WxPayDecryptError('bad padding (wrong EncodingAESKey?)');
  for (let i = plain.length - pad; i < plain.length; i++) {
    if (plain[i] !== pad) throw new WxPayDecryptError('bad padding (wrong EncodingAESKey?)');
  }
  const content = plain.subarray(0, plain.length - pad);
  if (content.length < 20) throw new WxPayDecryptError('decrypted message too short');
  const msgLen = content.readUInt32BE(16);
  if (20 + msgLen > content.length) throw new WxPayDecryptError('decrypted msg_len exceeds the message');
  const received = content.subarray(20 + msgLen);
  const ours = Buffer.from(appid, 'utf8');
  // The appid is not secret, but a constant-time compare costs nothing and keeps every check alike.
  if (received.length !== ours.length || !timingSafeEqual(received, ours)) {
    throw new WxPayDecryptError('the message is addressed to another appid');
  }
  const message = content.subarray(20, 20 + msgLen);
  const text = message.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(message)) throw new WxPayDecryptError('decrypted message is not UTF-8');
  return text;
}

/** Encrypt a message (a reply, or a push in the sandbox/tests). `random` is the 16-byte prefix; default random. */
export function encryptPushMessage(aes: PushAesKey, appid: string, message: string, random: Buffer = randomBytes(16)): string {
  if (random.length !== 16) throw new WxPayConfigError('random prefix must be 16 bytes', { field: 'random' });
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length, 0);
  const body = Buffer.concat([random, len, msg, Buffer.from(appid, 'utf8')]);
  const pad = PAD_BLOCK - (body.length % PAD_BLOCK);
  const padded = Buffer.concat([body, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', aes.key, aes.key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}
