import { createDecipheriv, timingSafeEqual } from 'node:crypto';
import { WxPayDecryptError, WxPayProtocolError, WxPayValidationError } from '../errors.js';
import type { WxPayRequestOptions } from '../transport/options.js';
import type { ApiCaller } from './api.js';

/**
 * The user's phone number: by code (getuserphonenumber, the current way), and the legacy `encryptedData`
 * decryption with the session_key (AES-128-CBC). In both, the watermark must name our appid. The session_key is
 * a secret: it is never quoted in an error.
 */

export type Watermark = { appid: string; timestamp: number };

export type PhoneNumberInfo = {
  /** With the country code for numbers outside mainland China. */
  phoneNumber: string;
  purePhoneNumber: string;
  /** As a string (the table says string, the official sample sends a number: both are read). */
  countryCode: string;
  watermark: Watermark;
};

export type PhoneNumberApi = {
  /**
   * Exchange the code of `<button open-type="getPhoneNumber">` (single use, valid 5 minutes). With `openid`, WeChat
   * checks that the code belongs to that user. Errcodes: 40029 invalid code, 45011 minute quota (retriable), -1 busy.
   */
  getPhoneNumber(code: string, options?: WxPayRequestOptions & { openid?: string | undefined }): Promise<PhoneNumberInfo>;
};

function readWatermark(where: string, value: unknown, appid: string): Watermark {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WxPayProtocolError(`${where}: no watermark`);
  const w = value as Record<string, unknown>;
  if (typeof w.appid !== 'string') throw new WxPayProtocolError(`${where}: watermark.appid is not a string`);
  if (typeof w.timestamp !== 'number' || !Number.isSafeInteger(w.timestamp) || w.timestamp < 0) throw new WxPayProtocolError(`${where}: watermark.timestamp is not Unix seconds`);
  const a = Buffer.from(w.appid, 'utf8');
  const b = Buffer.from(appid, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new WxPayDecryptError(`${where}: watermark names another appid`, { code: 'WATERMARK_APPID' });
  return { appid: w.appid, timestamp: w.timestamp };
}

function readPhone(where: string, value: unknown, appid: string): PhoneNumberInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WxPayProtocolError(`${where}: no phone information`);
  const p = value as Record<string, unknown>;
  const str = (name: string): string => {
    const v = p[name];
    if (typeof v === 'string') return v;
    if (name === 'countryCode' && typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
    throw new WxPayProtocolError(`${where}: ${name} is not a string`);
  };
  return { phoneNumber: str('phoneNumber'), purePhoneNumber: str('purePhoneNumber'), countryCode: str('countryCode'), watermark: readWatermark(where, p.watermark, appid) };
}

export function createPhoneNumberApi(api: ApiCaller): PhoneNumberApi {
  return {
    async getPhoneNumber(code, options) {
      if (typeof code !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(code)) throw new WxPayValidationError('code', 'must be a getPhoneNumber code');
      const body: Record<string, string> = { code };
      const { openid, ...callOptions } = options ?? {};
      if (openid !== undefined) {
        if (typeof openid !== 'string' || openid === '' || openid.length > 128) throw new WxPayValidationError('openid', 'must be an openid');
        body.openid = openid;
      }
      const { json } = await api.post('getPhoneNumber', '/wxa/business/getuserphonenumber', body, callOptions);
      return readPhone('getPhoneNumber', json.phone_info, api.appid);
    },
  };
}

export type DecryptUserDataInput = {
  /** Our appid: the watermark must name it. */
  appid: string;
  /** From code2Session (Base64 of 16 bytes). */
  sessionKey: string;
  encryptedData: string;
  iv: string;
  /** Epoch ms; default Date.now. */
  clock?: (() => number) | undefined;
  /**
   * How old the watermark may be (default 300 s; a client posts the data right after the user's action). It may also
   * be at most 60 s in the future (clock skew).
   */
  maxAgeSeconds?: number | undefined;
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const FUTURE_SKEW_SECONDS = 60;

function base64Bytes(field: string, value: unknown, length?: number): Buffer {
  if (typeof value !== 'string' || value === '' || !BASE64.test(value)) throw new WxPayValidationError(field, 'must be Base64');
  const bytes = Buffer.from(value, 'base64');
  if (length !== undefined && bytes.length !== length) throw new WxPayValidationError(field, `must decode to ${length} bytes`);
  return bytes;
}

/**
 * Decrypt the legacy open-data `encryptedData` (getPhoneNumber's old form, getUserInfo, …): AES-128-CBC, key =
 * the session_key, IV = `iv`, PKCS#7 (block 16), JSON. Fails closed on a wrong key or tampering (padding, JSON), on a
 * watermark for another appid, and on a watermark outside the window.
 */
export function decryptUserData(input: DecryptUserDataInput): Record<string, unknown> & { watermark: Watermark } {
  const key = base64Bytes('sessionKey', input.sessionKey, 16);
  const iv = base64Bytes('iv', input.iv, 16);
  const data = base64Bytes('encryptedData', input.encryptedData);
  if (data.length % 16 !== 0) throw new WxPayDecryptError('encryptedData is not whole AES blocks');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, iv);
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new WxPayDecryptError('encryptedData cannot be decrypted with this session_key');
  }
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || pad > plain.length || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new WxPayDecryptError('encryptedData: bad padding (stale session_key, or tampered data)');
  }
  let json: unknown;
  try {
    json = JSON.parse(plain.subarray(0, plain.length - pad).toString('utf8'));
  } catch {
    throw new WxPayDecryptError('encryptedData: not JSON after decryption (stale session_key?)');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new WxPayDecryptError('encryptedData: not a JSON object');
  const result = json as Record<string, unknown>;
  const watermark = readWatermark('encryptedData', result.watermark, input.appid);
  const maxAge = input.maxAgeSeconds ?? 300;
  if (!Number.isSafeInteger(maxAge) || maxAge <= 0) throw new WxPayValidationError('maxAgeSeconds', 'must be a positive integer');
  const now = Math.floor((input.clock ?? Date.now)() / 1000);
  if (watermark.timestamp < now - maxAge || watermark.timestamp > now + FUTURE_SKEW_SECONDS) {
    throw new WxPayDecryptError(`encryptedData: watermark outside the ${maxAge} s window`, { code: 'WATERMARK_STALE' });
  }
  return { ...result, watermark };
}

/** decryptUserData for the legacy getPhoneNumber payload, read into typed fields. */
export function decryptPhoneNumber(input: DecryptUserDataInput): PhoneNumberInfo {
  const data = decryptUserData(input);
  return readPhone('encryptedData', data, input.appid);
}
