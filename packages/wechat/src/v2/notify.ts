import { WxPayProtocolError, WxPaySignatureError } from '../errors.js';
import type { SignatureFailure } from '../errors.js';
import { buildXml, parseXml } from './xml.js';
import { isV2SignType, signTypeOfSignature, verifyV2Sign, type V2SignType } from './sign.js';
import { optionalInt, optionalString, requireInt, requireString } from './fields.js';

export type ParseV2NotificationOptions = {
  apiKey: string;
  /**
   * The algorithm the order was placed with. When given, only that algorithm is accepted (unless the notification
   * itself names one in `sign_type`, which is covered by the signature). When omitted, the algorithm is told from the
   * signature's length: 32 hex characters are MD5, 64 are HMAC-SHA256. Both are equally unforgeable without the key.
   */
  signType?: V2SignType;
  /** Body size limit in bytes (default 64 KiB). */
  maxBytes?: number;
};

/** A verified payment notification. Wire names kept; amounts are integer fen. */
export type V2PaymentNotification = {
  appid: string;
  mch_id: string;
  result_code: 'SUCCESS' | 'FAIL';
  out_trade_no: string;
  /** Present when result_code is SUCCESS. */
  transaction_id: string | undefined;
  /** The order total in fen: compare this (not cash_fee) with your order. */
  total_fee: number;
  /** What the payer paid in cash, after coupons. */
  cash_fee: number | undefined;
  settlement_total_fee: number | undefined;
  coupon_fee: number | undefined;
  fee_type: string | undefined;
  openid: string | undefined;
  trade_type: string | undefined;
  bank_type: string | undefined;
  /** yyyyMMddHHmmss, China time. */
  time_end: string | undefined;
  attach: string | undefined;
  err_code: string | undefined;
  err_code_des: string | undefined;
  /**
   * Partner (服务商) mode: the sub-merchant the payment is for, its mini program, and the payer under it. appid and
   * mch_id are then the provider's. Undefined for a direct merchant's payment.
   */
  sub_mch_id: string | undefined;
  sub_appid: string | undefined;
  sub_openid: string | undefined;
  sub_is_subscribe: string | undefined;
  /** The algorithm whose signature verified. */
  signType: V2SignType;
  /** Every field as received (signed), for the audit trail and fields not typed here. */
  raw: Readonly<Record<string, string>>;
};

export const DEFAULT_NOTIFICATION_MAX_BYTES = 64 * 1024;

/**
 * Parse and verify a v2 payment notification, failing closed at each step: size limit and strict XML, then the
 * signature over every received field, then the fields. Business checks (appid/mch_id are yours, the order is known,
 * total_fee equals the order) are the caller's, with the returned event.
 */
export function parseV2PaymentNotification(
  body: string | Uint8Array,
  options: ParseV2NotificationOptions,
): V2PaymentNotification {
  return verifyV2PaymentFields(parseXml(body, { maxBytes: options.maxBytes ?? DEFAULT_NOTIFICATION_MAX_BYTES }), options);
}

/** The signature verdict of checkV2PaymentFields: a refusal is a value, not an exception. */
export type V2PaymentCheck =
  | { ok: true; notification: V2PaymentNotification }
  | { ok: false; reason: Extract<SignatureFailure, 'missing_signature' | 'unsupported_sign_type' | 'bad_signature'> };

/**
 * parseV2PaymentNotification's checks on a document already parsed with parseXml: for a caller that reads a field
 * (out_trade_no, to find the order and its sign type) before verifying, so the body is scanned once, not twice.
 * The fields must be parseXml's output for the whole body: the signature covers every field received.
 */
export function verifyV2PaymentFields(
  raw: Readonly<Record<string, string>>,
  options: Omit<ParseV2NotificationOptions, 'maxBytes'>,
): V2PaymentNotification {
  const checked = checkV2PaymentFields(raw, options);
  if (!checked.ok) throw new WxPaySignatureError(checked.reason, SIGNATURE_MESSAGES[checked.reason]);
  return checked.notification;
}

const SIGNATURE_MESSAGES = {
  missing_signature: 'notification carries no sign',
  unsupported_sign_type: 'notification names an unsupported sign_type',
  bad_signature: 'notification signature does not verify',
} as const;

/**
 * verifyV2PaymentFields with the signature's refusal returned instead of thrown. The notification URL is open to
 * anyone, so a refusal is what a flood of forgeries costs per request: an exception's stack trace is most of that
 * cost once the body is parsed and the HMAC computed. A body whose signature verifies but whose fields are wrong (it
 * came from WeChat, or the key has leaked) still throws WxPayProtocolError.
 */
export function checkV2PaymentFields(
  raw: Readonly<Record<string, string>>,
  options: Omit<ParseV2NotificationOptions, 'maxBytes'>,
): V2PaymentCheck {
  const sign = raw.sign;
  if (sign === undefined || sign === '') return { ok: false, reason: 'missing_signature' };
  let signType: V2SignType | undefined;
  if (raw.sign_type !== undefined) {
    if (!isV2SignType(raw.sign_type)) return { ok: false, reason: 'unsupported_sign_type' };
    signType = raw.sign_type;
  } else {
    signType = options.signType ?? signTypeOfSignature(sign);
  }
  // Neither MD5's nor HMAC-SHA256's length, or not verifying under the key: the same verdict.
  if (signType === undefined || !verifyV2Sign(raw, options.apiKey, signType)) return { ok: false, reason: 'bad_signature' };
  return { ok: true, notification: verifiedFields(raw, signType) };
}

/** The fields of a document whose signature verified (by signType). */
function verifiedFields(raw: Readonly<Record<string, string>>, signType: V2SignType): V2PaymentNotification {
  if (raw.return_code !== 'SUCCESS') throw new WxPayProtocolError('notification return_code is not SUCCESS');
  const resultCode = requireString(raw, 'result_code');
  if (resultCode !== 'SUCCESS' && resultCode !== 'FAIL') throw new WxPayProtocolError('notification result_code is neither SUCCESS nor FAIL');
  const totalFee = requireInt(raw, 'total_fee');
  if (totalFee <= 0) throw new WxPayProtocolError('field total_fee must be positive');
  return {
    appid: requireString(raw, 'appid'),
    mch_id: requireString(raw, 'mch_id'),
    result_code: resultCode,
    out_trade_no: requireString(raw, 'out_trade_no'),
    transaction_id: resultCode === 'SUCCESS' ? requireString(raw, 'transaction_id') : optionalString(raw, 'transaction_id'),
    total_fee: totalFee,
    cash_fee: optionalInt(raw, 'cash_fee'),
    settlement_total_fee: optionalInt(raw, 'settlement_total_fee'),
    coupon_fee: optionalInt(raw, 'coupon_fee'),
    fee_type: optionalString(raw, 'fee_type'),
    openid: optionalString(raw, 'openid'),
    trade_type: optionalString(raw, 'trade_type'),
    bank_type: optionalString(raw, 'bank_type'),
    time_end: optionalString(raw, 'time_end'),
    attach: optionalString(raw, 'attach'),
    err_code: optionalString(raw, 'err_code'),
    err_code_des: optionalString(raw, 'err_code_des'),
    sub_mch_id: optionalString(raw, 'sub_mch_id'),
    sub_appid: optionalString(raw, 'sub_appid'),
    sub_openid: optionalString(raw, 'sub_openid'),
    sub_is_subscribe: optionalString(raw, 'sub_is_subscribe'),
    signType,
    raw,
  };
}

export type V2NotificationVerdict = { ok: true } | { ok: false; message: string };

/**
 * The reply WeChat expects (HTTP 200 body, for payment and refund notifications alike). SUCCESS stops the retries;
 * FAIL, or anything else, makes WeChat send the notification again later.
 */
export function v2NotificationReply(verdict: V2NotificationVerdict): string {
  return verdict.ok
    ? buildXml({ return_code: 'SUCCESS', return_msg: 'OK' })
    : buildXml({ return_code: 'FAIL', return_msg: verdict.message || 'FAIL' });
}
