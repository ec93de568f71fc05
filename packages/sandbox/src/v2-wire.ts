import { isIP } from 'node:net';
import { buildXml, isV2SignType, parseXml, verifyV2Sign, type V2SignType } from '@wxpay-kit/wechat';
import { buildV2Response } from '@wxpay-kit/wechat/testing';
import type { Answer } from './api-faults.js';
import { newNonce } from './state/ids.js';
import type { SandboxStore } from './state/store.js';
import type { SandboxMerchant } from './state/types.js';
import type { PartnerCall } from './partner.js';

/**
 * WeChat Pay v2's request pipeline and answers. Two levels, as WeChat does it:
 * - communication failures (not XML, a missing or wrong signature, an unknown merchant) are `return_code=FAIL` with a
 *   `return_msg` and are not signed (WeChat cannot or will not sign for a caller it has not authenticated);
 * - business failures are `return_code=SUCCESS, result_code=FAIL, err_code, err_code_des`, signed with the merchant
 *   key by the request's sign_type, like every other answer.
 */

/** Largest request body accepted (WeChat's requests are a few KiB). */
export const V2_MAX_BODY_BYTES = 64 * 1024;

export type V2Request = {
  fields: Record<string, string>;
  merchant: SandboxMerchant;
  signType: V2SignType;
  /** Partner calls (sub_mch_id sent): the provider (= merchant) and the sub-merchant. */
  partner?: PartnerCall;
};

export type V2Fields = Record<string, string | number | undefined>;

/** A business error: err_code + err_code_des. */
export class V2BusinessError extends Error {
  constructor(
    readonly errCode: string,
    readonly description: string,
  ) {
    super(`${errCode}: ${description}`);
  }
}

const XML_CONTENT_TYPE = 'text/plain; charset=utf-8';

export function xmlAnswer(xml: string, status = 200): Answer {
  return { status, contentType: XML_CONTENT_TYPE, body: xml };
}

export function communicationFailure(message: string): Answer {
  return xmlAnswer(buildXml({ return_code: 'FAIL', return_msg: message }));
}

function envelope(request: V2Request): V2Fields {
  return {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: request.merchant.appid,
    mch_id: request.merchant.mchid,
    // Partner answers name the sub-merchant (and the sub_appid the call named).
    sub_mch_id: request.partner?.sub.mchid,
    sub_appid: request.partner?.subAppid,
    nonce_str: newNonce(),
  };
}

export function successAnswer(request: V2Request, fields: V2Fields): Answer {
  return xmlAnswer(
    buildV2Response({ ...envelope(request), result_code: 'SUCCESS', ...fields }, request.merchant.apiKey, request.signType),
  );
}

export function businessFailure(request: V2Request, errCode: string, description: string): Answer {
  return xmlAnswer(
    buildV2Response(
      { ...envelope(request), result_code: 'FAIL', err_code: errCode, err_code_des: description },
      request.merchant.apiKey,
      request.signType,
    ),
  );
}

/** The body as bytes, whatever content type the caller sent (WeChat does not care about it). */
export function rawBody(body: unknown): Uint8Array | string | undefined {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return undefined;
}

/** Parse without authenticating: enough to find the fault scope. Never throws. */
export function peekFields(body: unknown): Record<string, string> | undefined {
  const raw = rawBody(body);
  if (raw === undefined) return undefined;
  try {
    return parseXml(raw, { maxBytes: V2_MAX_BODY_BYTES });
  } catch {
    return undefined;
  }
}

export type Authenticated = { ok: true; request: V2Request } | { ok: false; answer: Answer };

/**
 * Parse, find the merchant, and verify the signature with the request's sign_type (MD5 when absent) — before any
 * business field is looked at.
 */
export function authenticate(store: SandboxStore, body: unknown): Authenticated {
  const raw = rawBody(body);
  if (raw === undefined || raw.length === 0) return { ok: false, answer: communicationFailure('post数据为空') };
  let fields: Record<string, string>;
  try {
    fields = parseXml(raw, { maxBytes: V2_MAX_BODY_BYTES });
  } catch {
    return { ok: false, answer: communicationFailure('XML格式错误') };
  }
  const mchid = fields.mch_id;
  if (mchid === undefined || mchid === '') return { ok: false, answer: communicationFailure('mch_id参数缺失') };
  if (fields.sign === undefined || fields.sign === '') return { ok: false, answer: communicationFailure('sign参数缺失') };
  const signTypeField = fields.sign_type;
  const signType = signTypeField === undefined || signTypeField === '' ? 'MD5' : signTypeField;
  if (!isV2SignType(signType)) return { ok: false, answer: communicationFailure('sign_type参数错误') };
  const merchant = store.merchantByMchid(mchid);
  if (merchant === undefined) return { ok: false, answer: communicationFailure('mch_id参数错误') };
  if (!verifyV2Sign(fields, merchant.apiKey, signType)) return { ok: false, answer: communicationFailure('签名错误') };
  return { ok: true, request: { fields, merchant, signType } };
}

// --- field checks (throw V2BusinessError) ---------------------------------------------------------------------------

export function required(fields: Record<string, string>, name: string, maxLength: number): string {
  const value = fields[name];
  if (value === undefined || value === '') throw new V2BusinessError('LACK_PARAMS', `缺少参数 ${name}`);
  if ([...value].length > maxLength) throw new V2BusinessError('PARAM_ERROR', `${name}参数长度有误`);
  return value;
}

export function optional(fields: Record<string, string>, name: string, maxLength: number): string | undefined {
  const value = fields[name];
  if (value === undefined || value === '') return undefined;
  if ([...value].length > maxLength) throw new V2BusinessError('PARAM_ERROR', `${name}参数长度有误`);
  return value;
}

/** Positive integer fen, as WeChat's Int fields: digits only, no sign, no leading zero. */
export function positiveFen(fields: Record<string, string>, name: string): number {
  const value = required(fields, name, 12);
  if (!/^[1-9]\d*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new V2BusinessError('PARAM_ERROR', `${name}参数格式错误`);
  }
  return Number(value);
}

const OUT_NO = /^[0-9A-Za-z_\-|*@]+$/;

export function outNo(fields: Record<string, string>, name: string, maxLength: number): string {
  const value = required(fields, name, maxLength);
  if (!OUT_NO.test(value)) throw new V2BusinessError('PARAM_ERROR', `${name}参数格式错误`);
  return value;
}

export function optionalOutNo(fields: Record<string, string>, name: string, maxLength: number): string | undefined {
  return fields[name] === undefined || fields[name] === '' ? undefined : outNo(fields, name, maxLength);
}

export function checkAppid(request: V2Request): void {
  const appid = required(request.fields, 'appid', 32);
  if (appid !== request.merchant.appid) {
    throw new V2BusinessError('APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
  }
  required(request.fields, 'nonce_str', 32);
}

/** notify_url: absolute http(s), no query string, at most 256 characters. */
export function notifyUrl(fields: Record<string, string>, name: string, isRequired: boolean): string | undefined {
  const value = isRequired ? required(fields, name, 256) : optional(fields, name, 256);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new V2BusinessError('PARAM_ERROR', `${name}参数格式错误`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || value.includes('?')) {
    throw new V2BusinessError('PARAM_ERROR', `${name}参数格式错误，不能携带参数`);
  }
  return value;
}

export function ipAddress(fields: Record<string, string>, name: string): string {
  const value = required(fields, name, 64);
  if (isIP(value) === 0) throw new V2BusinessError('PARAM_ERROR', `${name}参数格式错误`);
  return value;
}

export function feeType(fields: Record<string, string>, name: string): string {
  const value = optional(fields, name, 16) ?? 'CNY';
  if (value !== 'CNY') throw new V2BusinessError('PARAM_ERROR', `${name}参数错误，仅支持CNY`);
  return value;
}
