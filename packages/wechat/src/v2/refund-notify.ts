import { WxPayConfigError, WxPayProtocolError } from '../errors.js';
import { parseXml } from './xml.js';
import { cachedRefundReqInfoKey, decryptRefundReqInfo, refundReqInfoKey } from './refund-crypto.js';
import { optionalInt, optionalString, requireInt, requireString } from './fields.js';
import { DEFAULT_NOTIFICATION_MAX_BYTES, checkV2PaymentFields, parseV2PaymentNotification, verifyV2PaymentFields, type V2PaymentCheck, type V2PaymentNotification } from './notify.js';
import type { V2SignType } from './sign.js';

export type V2RefundStatus = 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE';

/** A decrypted, parsed refund notification. Wire names kept; amounts are integer fen. */
export type V2RefundNotification = {
  appid: string;
  mch_id: string;
  /** Partner (服务商) mode: the sub-merchant and its mini program (outer document); appid/mch_id are the provider's. */
  sub_mch_id: string | undefined;
  sub_appid: string | undefined;
  transaction_id: string;
  out_trade_no: string;
  refund_id: string;
  out_refund_no: string;
  total_fee: number;
  settlement_total_fee: number | undefined;
  refund_fee: number;
  settlement_refund_fee: number | undefined;
  refund_status: V2RefundStatus;
  /** yyyy-MM-dd HH:mm:ss, China time; present once the refund succeeded. */
  success_time: string | undefined;
  /** WeChat's spelling ("accout"). */
  refund_recv_accout: string | undefined;
  refund_account: string | undefined;
  refund_request_source: string | undefined;
  /** The outer document's fields (req_info still encrypted). */
  raw: Readonly<Record<string, string>>;
  /** The decrypted req_info fields. */
  rawReqInfo: Readonly<Record<string, string>>;
};

export type ParseV2RefundNotificationOptions = { apiKey: string; maxBytes?: number };

const STATUSES: readonly string[] = ['SUCCESS', 'CHANGE', 'REFUNDCLOSE'];

/**
 * A refund notification carries no sign: its authenticity is the req_info encryption under a key derived from the
 * APIv2 key. So: strict parse, return_code SUCCESS, outer appid and mch_id present, then decrypt and strictly parse
 * the `<root>` document (garbage from a wrong key or tampering fails here), then the typed fields. The caller checks
 * appid/mch_id are its own and that the refund is known.
 */
export function parseV2RefundNotification(
  body: string | Uint8Array,
  options: ParseV2RefundNotificationOptions,
): V2RefundNotification {
  return parseWithKey(body, cachedRefundReqInfoKey(options.apiKey), options.maxBytes);
}

function parseWithKey(body: string | Uint8Array, key: Buffer, maxBytes: number | undefined): V2RefundNotification {
  const raw = parseXml(body, { maxBytes: maxBytes ?? DEFAULT_NOTIFICATION_MAX_BYTES });
  if (raw.return_code !== 'SUCCESS') throw new WxPayProtocolError('refund notification return_code is not SUCCESS');
  const appid = requireString(raw, 'appid');
  const mchId = requireString(raw, 'mch_id');
  const reqInfo = requireString(raw, 'req_info');
  const plain = decryptRefundReqInfo(reqInfo, key);
  let req: Record<string, string>;
  try {
    req = parseXml(plain, { root: 'root' });
  } catch (cause) {
    // Without a MAC, an undecodable plaintext is how a wrong key or a forged req_info shows itself.
    throw new WxPayProtocolError('req_info did not decrypt to a refund document (wrong API key or forged)', { cause });
  }
  const status = requireString(req, 'refund_status');
  if (!STATUSES.includes(status)) throw new WxPayProtocolError('req_info refund_status is not SUCCESS, CHANGE or REFUNDCLOSE');
  return {
    appid,
    mch_id: mchId,
    sub_mch_id: optionalString(raw, 'sub_mch_id'),
    sub_appid: optionalString(raw, 'sub_appid'),
    transaction_id: requireString(req, 'transaction_id'),
    out_trade_no: requireString(req, 'out_trade_no'),
    refund_id: requireString(req, 'refund_id'),
    out_refund_no: requireString(req, 'out_refund_no'),
    total_fee: requireInt(req, 'total_fee'),
    settlement_total_fee: optionalInt(req, 'settlement_total_fee'),
    refund_fee: requireInt(req, 'refund_fee'),
    settlement_refund_fee: optionalInt(req, 'settlement_refund_fee'),
    refund_status: status as V2RefundStatus,
    success_time: optionalString(req, 'success_time'),
    refund_recv_accout: optionalString(req, 'refund_recv_accout'),
    refund_account: optionalString(req, 'refund_account'),
    refund_request_source: optionalString(req, 'refund_request_source'),
    raw,
    rawReqInfo: req,
  };
}

/** Decrypt a refund notification's req_info to its XML text (for tools; parseV2RefundNotification does it all). */
export function decryptV2RefundReqInfo(reqInfo: string, apiKey: string): string {
  return decryptRefundReqInfo(reqInfo, cachedRefundReqInfoKey(apiKey));
}

export type V2NotificationVerifierOptions = { apiKey: string; maxBytes?: number };

export type V2NotificationVerifier = {
  /** parseV2PaymentNotification with this merchant's key; `signType` = the order's algorithm, when known. */
  payment(body: string | Uint8Array, options?: { signType?: V2SignType }): V2PaymentNotification;
  /** verifyV2PaymentFields with this merchant's key: a body already parsed with parseXml, verified without a second scan. */
  paymentFields(raw: Readonly<Record<string, string>>, options?: { signType?: V2SignType }): V2PaymentNotification;
  /** checkV2PaymentFields with this merchant's key: paymentFields with a signature refusal returned, not thrown. */
  checkPaymentFields(raw: Readonly<Record<string, string>>, options?: { signType?: V2SignType }): V2PaymentCheck;
  /** parseV2RefundNotification with the req_info key derived once, at construction. */
  refund(body: string | Uint8Array): V2RefundNotification;
};

/** Both v2 notification parsers bound to one merchant's key, derived and checked once. */
export function createV2NotificationVerifier(options: V2NotificationVerifierOptions): V2NotificationVerifier {
  if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new WxPayConfigError('apiKey is required', { field: 'apiKey' });
  const { apiKey, maxBytes } = options;
  const refundKey = refundReqInfoKey(apiKey);
  return {
    payment: (body, callOptions = {}) =>
      parseV2PaymentNotification(body, { apiKey, ...(maxBytes === undefined ? {} : { maxBytes }), ...callOptions }),
    paymentFields: (raw, callOptions = {}) => verifyV2PaymentFields(raw, { apiKey, ...callOptions }),
    checkPaymentFields: (raw, callOptions = {}) => checkV2PaymentFields(raw, { apiKey, ...callOptions }),
    refund: (body) => parseWithKey(body, refundKey, maxBytes),
  };
}
