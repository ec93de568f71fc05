import { createSecureContext } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { Agent, type Dispatcher } from 'undici';
import { WxPayApiError, WxPayConfigError, WxPayNetworkError, WxPayProtocolError, WxPaySignatureError, WxPayValidationError } from '../errors.js';
import { buildXml, parseXml } from './xml.js';
import { isV2SignType, signV2, verifyV2Sign, type V2SignType } from './sign.js';
import { randomNonce, type NonceSource } from './nonce.js';
import { buildV2PayParams, type V2PayParams } from './pay-params.js';
import { defaultFetch, send, type RawAnswer, type V2Fetch } from './transport.js';
import { resolveCallOptions, type WxPayRequestOptions } from '../transport/options.js';
import { checkRetryPolicy, defaultRandom, realSleep, withRetries } from '../transport/retry.js';
import { optionalInt, optionalString, requireInt, requireString } from './fields.js';
import { parseV2Bill, type V2Bill } from './bill.js';
import {
  checkBillDate, checkBytes, checkChars, checkFen, checkIp, checkNotifyUrl, checkOutRefundNo, checkOutTradeNo,
  chinaTimeField, parseChinaTime,
} from './validate.js';

export const WXPAY_API_BASE = 'https://api.mch.weixin.qq.com';

/** The merchant API client certificate, needed for refunds: PEM cert + key, or apiclient_cert.p12. */
export type V2ClientCert =
  | { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer }
  /** `passphrase` defaults to the mch_id, as WeChat issues the p12. */
  | { pfx: Buffer; passphrase?: string; ca?: string | Buffer };

export type V2RetryPolicy = {
  /** Total tries including the first (default 3; 1 = never retry). */
  attempts?: number;
  /**
   * Base of the backoff (default 200 ms): before retry n the wait is drawn uniformly (full jitter) between
   * minBackoffMs and min(maxBackoffMs, backoffMs × 2^(n−1)).
   */
  backoffMs?: number;
  /** Shortest wait before a retry (default 50 ms, or backoffMs when smaller). */
  minBackoffMs?: number;
  /** Longest wait before a retry (default 5000 ms). */
  maxBackoffMs?: number;
};

export type V2ClientOptions = {
  appid: string;
  mchid: string;
  /** The APIv2 key (32 characters in the merchant console). */
  apiKey: string;
  /** Default 'HMAC-SHA256' (stronger than WeChat's default MD5); a call may override it. */
  signType?: V2SignType;
  /** Default https://api.mch.weixin.qq.com. */
  baseUrl?: string;
  /** Per try; default 10 000 ms. */
  timeoutMs?: number;
  retry?: V2RetryPolicy;
  clientCert?: V2ClientCert;
  /** Injection point for tests or instrumentation (a fetch); default undici's request() (transport/http.ts). */
  fetch?: V2Fetch;
  /** undici dispatcher for calls without a client certificate (refunds use their own mTLS agent). */
  dispatcher?: Dispatcher;
  nonce?: NonceSource;
  /** Epoch milliseconds; default Date.now. Used to check time_expire. */
  clock?: () => number;
  /** How the retry backoff waits; injectable so tests never sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1) for the backoff jitter; default from node:crypto. Injectable so tests know the waits. */
  random?: () => number;
  /** Largest accepted XML answer (default 256 KiB). */
  maxResponseBytes?: number;
  /** Largest accepted bill, compressed or not (default 256 MiB). */
  maxBillBytes?: number;
  /**
   * Partner (服务商) mode: this client is the provider (appid, mchid and apiKey are the 服务商's) and acts for this
   * sub-merchant (特约商户) unless a call names another `sub_mch_id`. Every call then carries `sub_mch_id`.
   */
  subMchId?: string;
  /** Partner mode: the sub-merchant's mini program (sub_appid), sent with every call that uses subMchId. */
  subAppid?: string;
};

/**
 * Partner (服务商) mode fields a call may carry. `sub_mch_id` overrides the client's subMchId for this call (and then
 * the client's subAppid is not used: it belongs to another sub-merchant); `sub_appid` needs a sub_mch_id.
 */
export type V2PartnerFields = {
  /** 特约商户号 (digits). */
  sub_mch_id?: string;
  /** The sub-merchant's mini program appid, bound to sub_mch_id. */
  sub_appid?: string;
};

export type V2UnifiedOrderRequest = V2PartnerFields & {
  /** Goods description, ≤ 128 bytes UTF-8. */
  body: string;
  out_trade_no: string;
  /** Integer fen, > 0. */
  total_fee: number;
  spbill_create_ip: string;
  notify_url: string;
  /**
   * The payer's openid under this appid (JSAPI). Required in direct mode; in partner mode give it or sub_openid
   * (mini programs can only obtain sub_openid: wx.login runs in the sub-merchant's mini program).
   */
  openid?: string;
  /** Partner mode: the payer's openid under sub_appid; needs a sub_appid. */
  sub_openid?: string;
  trade_type?: 'JSAPI';
  device_info?: string;
  /** ≤ 127 bytes; echoed in query and notification. */
  attach?: string;
  /** JSON text or an object (serialised); ≤ 6000 bytes. */
  detail?: string | Readonly<Record<string, unknown>>;
  fee_type?: 'CNY';
  /** Date / epoch ms (formatted in China time) or `yyyyMMddHHmmss` China time. */
  time_start?: Date | number | string;
  time_expire?: Date | number | string;
  goods_tag?: string;
  limit_pay?: 'no_credit';
  /** JSON text or an object (serialised). */
  scene_info?: string | Readonly<Record<string, unknown>>;
  profit_sharing?: 'Y' | 'N';
  receipt?: 'Y';
  /** Overrides the client's sign type for this order (and so for its notification and pay params). */
  sign_type?: V2SignType;
};

export type V2UnifiedOrderResult = {
  prepay_id: string;
  trade_type: string;
  code_url: string | undefined;
  /** The algorithm this order was placed with: use it for pay params and to verify its notification. */
  sign_type: V2SignType;
  /** Partner mode: the sub-merchant and its mini program the order was placed for (undefined in direct mode). */
  sub_mch_id: string | undefined;
  sub_appid: string | undefined;
  /**
   * The appid of the mini program that must call wx.requestPayment, and the one paySign signs: sub_appid when it was
   * sent with the order, else appid (WeChat: 下单时传入的appid或sub_appid).
   */
  pay_appid: string;
  raw: Readonly<Record<string, string>>;
};

export type V2OrderRef = { out_trade_no: string } | { transaction_id: string };

/** wx.requestPayment parameters together with the appid their paySign was made for. */
export type V2SignedPayParams = {
  /** The mini program that must call wx.requestPayment with these parameters (sub_appid or appid). */
  appid: string;
  payParams: V2PayParams;
};

export type V2TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
const TRADE_STATES: readonly string[] = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'];

export type V2OrderQueryResult = {
  trade_state: V2TradeState;
  trade_state_desc: string | undefined;
  out_trade_no: string;
  /** Present once paid. */
  transaction_id: string | undefined;
  /** Order total in fen; always present when paid. */
  total_fee: number | undefined;
  cash_fee: number | undefined;
  settlement_total_fee: number | undefined;
  coupon_fee: number | undefined;
  fee_type: string | undefined;
  openid: string | undefined;
  trade_type: string | undefined;
  bank_type: string | undefined;
  time_end: string | undefined;
  attach: string | undefined;
  /** Partner mode: who the order belongs to and the payer under sub_appid. */
  sub_mch_id: string | undefined;
  sub_appid: string | undefined;
  sub_openid: string | undefined;
  raw: Readonly<Record<string, string>>;
};

export type V2CloseOrderResult = {
  /** true when WeChat answered ORDERCLOSED: the order was closed already, which is what you wanted. */
  alreadyClosed: boolean;
  raw: Readonly<Record<string, string>>;
};

export type V2RefundRequest = V2OrderRef & V2PartnerFields & {
  /** Idempotency key: the same out_refund_no refunds at most once; reuse it on retries. */
  out_refund_no: string;
  total_fee: number;
  refund_fee: number;
  refund_fee_type?: 'CNY';
  /** ≤ 80 characters; shown to the payer. */
  refund_desc?: string;
  refund_account?: 'REFUND_SOURCE_UNSETTLED_FUNDS' | 'REFUND_SOURCE_RECHARGE_FUNDS';
  notify_url?: string;
  sign_type?: V2SignType;
};

export type V2RefundResult = {
  transaction_id: string;
  out_trade_no: string;
  out_refund_no: string;
  refund_id: string;
  refund_fee: number;
  total_fee: number;
  settlement_refund_fee: number | undefined;
  cash_fee: number | undefined;
  cash_refund_fee: number | undefined;
  coupon_refund_fee: number | undefined;
  raw: Readonly<Record<string, string>>;
};

export type V2RefundQueryRef =
  | { refund_id: string }
  | { out_refund_no: string }
  | { transaction_id: string }
  | { out_trade_no: string };

export type V2RefundStatusOfQuery = 'SUCCESS' | 'REFUNDCLOSE' | 'PROCESSING' | 'CHANGE';
const REFUND_STATES: readonly string[] = ['SUCCESS', 'REFUNDCLOSE', 'PROCESSING', 'CHANGE'];

export type V2RefundQueryItem = {
  out_refund_no: string;
  refund_id: string;
  refund_fee: number;
  settlement_refund_fee: number | undefined;
  refund_status: V2RefundStatusOfQuery;
  refund_channel: string | undefined;
  refund_account: string | undefined;
  /** WeChat's spelling ("accout"). */
  refund_recv_accout: string | undefined;
  refund_success_time: string | undefined;
};

export type V2RefundQueryResult = {
  transaction_id: string | undefined;
  out_trade_no: string | undefined;
  total_fee: number | undefined;
  cash_fee: number | undefined;
  refund_count: number;
  total_refund_count: number | undefined;
  refunds: V2RefundQueryItem[];
  raw: Readonly<Record<string, string>>;
};

export type V2DownloadBillRequest = {
  /** yyyyMMdd. */
  bill_date: string;
  bill_type?: 'ALL' | 'SUCCESS' | 'REFUND' | 'RECHARGE_REFUND';
  /** Ask WeChat for a gzip body (tar_type=GZIP); it is decompressed here either way. */
  gzip?: boolean;
  /**
   * Partner mode: one sub-merchant's bill (default: the client's subMchId). Without either, a provider gets the bill
   * of all its sub-merchants.
   */
  sub_mch_id?: string;
};

export type V2PayParamsOptions = { signType?: V2SignType; nonceStr?: string; timeStamp?: string | number; appid?: string };

/** Per-call options: `{ timeoutMs, signal, retries }` override the client's defaults for one call. */
export type V2CallOptions = WxPayRequestOptions & { sign_type?: V2SignType };

export type V2Client = {
  unifiedOrder(request: V2UnifiedOrderRequest, options?: WxPayRequestOptions): Promise<V2UnifiedOrderResult>;
  orderQuery(ref: V2OrderRef & V2PartnerFields, options?: V2CallOptions): Promise<V2OrderQueryResult>;
  closeOrder(ref: { out_trade_no: string } & V2PartnerFields, options?: V2CallOptions): Promise<V2CloseOrderResult>;
  refund(request: V2RefundRequest, options?: WxPayRequestOptions): Promise<V2RefundResult>;
  refundQuery(ref: V2RefundQueryRef & V2PartnerFields & { offset?: number }, options?: V2CallOptions): Promise<V2RefundQueryResult>;
  downloadBill(request: V2DownloadBillRequest, options?: WxPayRequestOptions): Promise<V2Bill>;
  /**
   * wx.requestPayment parameters for a prepay_id, signed with this client's key for `appid` (default: the client's
   * subAppid in partner mode, else its appid). Prefer payParamsFor, which takes the appid from the order.
   */
  payParams(prepayId: string, options?: V2PayParamsOptions): V2PayParams;
  /** wx.requestPayment parameters for a placed order, signed for its pay_appid and sign_type; says which appid. */
  payParamsFor(
    order: Pick<V2UnifiedOrderResult, 'prepay_id' | 'sign_type' | 'pay_appid'>,
    options?: Omit<V2PayParamsOptions, 'appid' | 'signType'>,
  ): V2SignedPayParams;
  /** Release the mTLS connection pool. */
  close(): Promise<void>;
};

// Failures WeChat documents as "try again with the same parameters"; retried automatically.
const AUTO_RETRY_CODES = new Set(['SYSTEMERROR', 'BIZERR_NEED_RETRY', 'BANKERROR']);
// Failures that may clear up later but must not be hammered: flagged retriable, never retried here.
const LATER_RETRY_CODES = new Set(['FREQUENCY_LIMITED', 'INVALID_REQ_TOO_MUCH']);
const SYSTEM_BUSY = /SYSTEMERROR|系统繁忙|system busy/i;

function stringOrJson(value: string | Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return JSON.stringify(value);
}

const ORDER_REF = ['transaction_id', 'out_trade_no'] as const;
const REFUND_REF = ['refund_id', 'out_refund_no', 'transaction_id', 'out_trade_no'] as const;

/** The one reference WeChat will use, in its own precedence (transaction_id wins over out_trade_no, and so on). */
function refField(ref: object, names: readonly string[] = ORDER_REF): [string, string] {
  for (const name of names) {
    const value = (ref as Record<string, unknown>)[name];
    if (typeof value === 'string' && value !== '') return [name, value];
  }
  throw new WxPayValidationError('out_trade_no', 'an order reference (out_trade_no or transaction_id) is required');
}

function checkTransactionId(value: string): void {
  if (!/^[0-9A-Za-z]{1,32}$/.test(value)) throw new WxPayValidationError('transaction_id', 'must be 1-32 letters or digits');
}

function buildAgent(cert: V2ClientCert, mchid: string): Agent {
  const tlsOptions = 'pfx' in cert
    ? { pfx: cert.pfx, passphrase: cert.passphrase ?? mchid, ca: cert.ca }
    : { cert: cert.cert, key: cert.key, ca: cert.ca };
  try {
    // Parse once now so a bad PEM, a wrong passphrase or a cert/key mismatch fails at start, not at the first refund.
    createSecureContext(tlsOptions);
  } catch (cause) {
    throw new WxPayConfigError('clientCert cannot be loaded (bad PEM/p12, wrong passphrase, or cert and key do not match)', {
      field: 'clientCert',
      cause,
    });
  }
  return new Agent({ connect: tlsOptions });
}

function autoRetriable(error: unknown): boolean {
  if (error instanceof WxPayNetworkError) return !error.outcomeUnknown;
  if (error instanceof WxPayApiError) {
    return (error.status !== undefined && error.status >= 500) || (error.code !== undefined && AUTO_RETRY_CODES.has(error.code));
  }
  return false;
}

/** A WeChat Pay API v2 client for mini-program (JSAPI) payments. Options are validated here, once. */
export function createV2Client(options: V2ClientOptions): V2Client {
  const { appid, mchid, apiKey } = options;
  if (typeof appid !== 'string' || appid === '' || appid.length > 32) throw new WxPayConfigError('appid is required', { field: 'appid' });
  if (typeof mchid !== 'string' || !/^[0-9]{1,32}$/.test(mchid)) throw new WxPayConfigError('mchid must be digits', { field: 'mchid' });
  if (typeof apiKey !== 'string' || apiKey === '') throw new WxPayConfigError('apiKey is required', { field: 'apiKey' });
  const clientSubMchId = options.subMchId;
  const clientSubAppid = options.subAppid;
  if (clientSubMchId !== undefined && (typeof clientSubMchId !== 'string' || !/^[0-9]{1,32}$/.test(clientSubMchId))) {
    throw new WxPayConfigError('subMchId must be digits', { field: 'subMchId' });
  }
  if (clientSubAppid !== undefined && (typeof clientSubAppid !== 'string' || clientSubAppid === '' || clientSubAppid.length > 32)) {
    throw new WxPayConfigError('subAppid must be an appid', { field: 'subAppid' });
  }
  if (clientSubAppid !== undefined && clientSubMchId === undefined) {
    throw new WxPayConfigError('subAppid needs subMchId (partner mode)', { field: 'subAppid' });
  }
  const defaultSignType = options.signType ?? 'HMAC-SHA256';
  if (!isV2SignType(defaultSignType)) throw new WxPayConfigError('signType must be MD5 or HMAC-SHA256', { field: 'signType' });
  const baseUrl = (options.baseUrl ?? WXPAY_API_BASE).replace(/\/+$/, '');
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw new WxPayConfigError('baseUrl must be an http(s) URL', { field: 'baseUrl' });
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new WxPayConfigError('timeoutMs must be a positive integer', { field: 'timeoutMs' });
  const retryPolicy = checkRetryPolicy(options.retry);
  const fetchImpl = options.fetch ?? defaultFetch;
  const nonce = options.nonce ?? randomNonce;
  const now = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? defaultRandom;
  const maxResponseBytes = options.maxResponseBytes ?? 256 * 1024;
  const maxBillBytes = options.maxBillBytes ?? 256 * 1024 * 1024;
  const mtlsAgent = options.clientCert ? buildAgent(options.clientCert, mchid) : undefined;

  function signTypeOf(override: V2SignType | undefined): V2SignType {
    if (override === undefined) return defaultSignType;
    if (!isV2SignType(override)) throw new WxPayValidationError('sign_type', 'must be MD5 or HMAC-SHA256');
    return override;
  }

  /**
   * The partner fields a call sends: the call's sub_mch_id (with only the call's sub_appid), else the client's.
   * Checked before anything is signed.
   */
  function partnerOf(request: V2PartnerFields): { sub_mch_id?: string; sub_appid?: string } {
    const own = request.sub_mch_id !== undefined;
    const subMchId = own ? request.sub_mch_id : clientSubMchId;
    const subAppid = own ? request.sub_appid : (request.sub_appid ?? clientSubAppid);
    if (subMchId !== undefined && (typeof subMchId !== 'string' || !/^[0-9]{1,32}$/.test(subMchId))) {
      throw new WxPayValidationError('sub_mch_id', 'must be 1-32 digits');
    }
    if (subAppid !== undefined) {
      if (subMchId === undefined) throw new WxPayValidationError('sub_appid', 'needs sub_mch_id (partner mode)');
      checkChars(subAppid, 'sub_appid', 32, true);
    }
    return { ...(subMchId === undefined ? {} : { sub_mch_id: subMchId }), ...(subAppid === undefined ? {} : { sub_appid: subAppid }) };
  }

  function signedBody(params: Record<string, string | number | undefined>, signType: V2SignType): string {
    const fields = { appid, mch_id: mchid, nonce_str: nonce(), sign_type: signType, ...params };
    return buildXml({ ...fields, sign: signV2(fields, apiKey, signType) });
  }

  /** return_code, then the signature, then result_code: the order WeChat's answers must be read in. */
  function interpret(answer: RawAnswer, signType: V2SignType, subMchId?: string): Record<string, string> {
    if (answer.status >= 500) {
      throw new WxPayApiError(`WeChat answered HTTP ${answer.status}`, { code: `HTTP_${answer.status}`, status: answer.status, retriable: true });
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw new WxPayApiError(`WeChat answered HTTP ${answer.status}`, { code: `HTTP_${answer.status}`, status: answer.status });
    }
    const fields = parseXml(answer.body, { maxBytes: maxResponseBytes });
    if (fields.return_code === 'FAIL') {
      const msg = fields.return_msg ?? '';
      throw new WxPayApiError('WeChat refused the request (return_code FAIL)', {
        code: SYSTEM_BUSY.test(msg) ? 'SYSTEMERROR' : 'RETURN_FAIL',
        description: msg,
        retriable: SYSTEM_BUSY.test(msg),
      });
    }
    if (fields.return_code !== 'SUCCESS') throw new WxPayProtocolError('answer has no return_code SUCCESS/FAIL');
    if (fields.sign === undefined || fields.sign === '') throw new WxPaySignatureError('missing_signature', 'answer carries no sign');
    if (!verifyV2Sign(fields, apiKey, signType)) throw new WxPaySignatureError('bad_signature', 'answer signature does not verify');
    if (fields.appid !== undefined && fields.appid !== appid) throw new WxPayProtocolError('answer is for another appid');
    if (fields.mch_id !== undefined && fields.mch_id !== mchid) throw new WxPayProtocolError('answer is for another mch_id');
    // Partner mode: an answer about another sub-merchant is not an answer to this request.
    if (subMchId !== undefined && fields.sub_mch_id !== undefined && fields.sub_mch_id !== subMchId) {
      throw new WxPayProtocolError('answer is for another sub_mch_id');
    }
    if (fields.result_code === 'FAIL') {
      const code = fields.err_code || 'FAIL';
      throw new WxPayApiError(`WeChat answered ${code}`, {
        code,
        description: fields.err_code_des,
        retriable: AUTO_RETRY_CODES.has(code) || LATER_RETRY_CODES.has(code),
      });
    }
    if (fields.result_code !== 'SUCCESS') throw new WxPayProtocolError('answer has no result_code SUCCESS/FAIL');
    return fields;
  }

  /**
   * Send one signed body; retry only what is safe to resend — a request that certainly never left, or a
   * SYSTEMERROR-like answer (WeChat's own "busy, retry with the same parameters", HTTP 5xx) — with the identical
   * bytes (same nonce_str and sign, same out_trade_no / out_refund_no), as WeChat requires. A timeout or a reset is
   * not retried here: it may have landed, and the caller decides (query first, or resend the same request).
   */
  async function exchange<T>(
    path: string,
    body: string,
    mtls: boolean,
    read: (answer: RawAnswer) => T,
    callOptions: WxPayRequestOptions | undefined,
    maxBytes = maxResponseBytes,
  ): Promise<T> {
    const dispatcher = mtls ? mtlsAgent : options.dispatcher;
    const call = resolveCallOptions(callOptions, { timeoutMs, attempts: retryPolicy.attempts });
    return withRetries(async () => read(await send({
      fetch: fetchImpl, url: baseUrl + path, body, timeoutMs: call.timeoutMs, signal: call.signal, maxResponseBytes: maxBytes, dispatcher,
    })), { policy: { ...retryPolicy, attempts: call.attempts }, retriable: autoRetriable, sleep, random, signal: call.signal });
  }

  async function call(path: string, params: Record<string, string | number | undefined>, signType: V2SignType, callOptions: WxPayRequestOptions | undefined, mtls = false) {
    const subMchId = typeof params.sub_mch_id === 'string' ? params.sub_mch_id : undefined;
    return exchange(path, signedBody(params, signType), mtls, (answer) => interpret(answer, signType, subMchId), callOptions);
  }

  return {
    async unifiedOrder(request, callOptions) {
      const signType = signTypeOf(request.sign_type);
      const tradeType = request.trade_type ?? 'JSAPI';
      if (tradeType !== 'JSAPI') throw new WxPayValidationError('trade_type', 'only JSAPI (mini program) is supported');
      checkOutTradeNo(request.out_trade_no);
      checkFen(request.total_fee, 'total_fee');
      checkBytes(request.body, 'body', 128, true);
      checkIp(request.spbill_create_ip);
      checkNotifyUrl(request.notify_url, true);
      const partner = partnerOf(request);
      checkChars(request.openid, 'openid', 128);
      checkChars(request.sub_openid, 'sub_openid', 128);
      if (partner.sub_mch_id === undefined) {
        if (request.sub_openid !== undefined) throw new WxPayValidationError('sub_openid', 'is a partner-mode field: needs sub_mch_id');
        checkChars(request.openid, 'openid', 128, true);
      } else {
        if (!request.openid && !request.sub_openid) throw new WxPayValidationError('openid', 'give openid (under appid) or sub_openid (under sub_appid)');
        // WeChat: 如果选择传sub_openid,则必须传sub_appid.
        if (request.sub_openid && partner.sub_appid === undefined) throw new WxPayValidationError('sub_openid', 'needs sub_appid');
      }
      checkBytes(request.attach, 'attach', 127);
      checkChars(request.device_info, 'device_info', 32);
      checkChars(request.goods_tag, 'goods_tag', 32);
      const detail = stringOrJson(request.detail);
      checkBytes(detail, 'detail', 6000);
      const sceneInfo = stringOrJson(request.scene_info);
      checkBytes(sceneInfo, 'scene_info', 256);
      if (request.fee_type !== undefined && request.fee_type !== 'CNY') throw new WxPayValidationError('fee_type', 'must be CNY');
      if (request.limit_pay !== undefined && request.limit_pay !== 'no_credit') throw new WxPayValidationError('limit_pay', 'must be no_credit');
      if (request.profit_sharing !== undefined && request.profit_sharing !== 'Y' && request.profit_sharing !== 'N') {
        throw new WxPayValidationError('profit_sharing', 'must be Y or N');
      }
      if (request.receipt !== undefined && request.receipt !== 'Y') throw new WxPayValidationError('receipt', 'must be Y');
      const timeStart = chinaTimeField(request.time_start, 'time_start');
      const timeExpire = chinaTimeField(request.time_expire, 'time_expire');
      if (timeExpire !== undefined) {
        const expireMs = parseChinaTime(timeExpire) ?? 0;
        if (expireMs <= now()) throw new WxPayValidationError('time_expire', 'must be in the future');
        if (timeStart !== undefined && expireMs <= (parseChinaTime(timeStart) ?? 0)) {
          throw new WxPayValidationError('time_expire', 'must be after time_start');
        }
      }
      const fields = await call('/pay/unifiedorder', {
        body: request.body,
        out_trade_no: request.out_trade_no,
        total_fee: request.total_fee,
        spbill_create_ip: request.spbill_create_ip,
        notify_url: request.notify_url,
        trade_type: tradeType,
        ...partner,
        openid: request.openid || undefined,
        sub_openid: request.sub_openid || undefined,
        device_info: request.device_info,
        attach: request.attach,
        detail,
        fee_type: request.fee_type,
        time_start: timeStart,
        time_expire: timeExpire,
        goods_tag: request.goods_tag,
        limit_pay: request.limit_pay,
        scene_info: sceneInfo,
        profit_sharing: request.profit_sharing,
        receipt: request.receipt,
      }, signType, callOptions);
      return {
        prepay_id: requireString(fields, 'prepay_id'),
        trade_type: requireString(fields, 'trade_type'),
        code_url: optionalString(fields, 'code_url'),
        sign_type: signType,
        sub_mch_id: partner.sub_mch_id,
        sub_appid: partner.sub_appid,
        pay_appid: partner.sub_appid ?? appid,
        raw: fields,
      };
    },

    async orderQuery(ref, callOptions = {}) {
      const signType = signTypeOf(callOptions.sign_type);
      const [name, value] = refField(ref);
      if (name === 'transaction_id') checkTransactionId(value);
      else checkOutTradeNo(value);
      const fields = await call('/pay/orderquery', { ...partnerOf(ref), [name]: value }, signType, callOptions);
      const state = requireString(fields, 'trade_state');
      if (!TRADE_STATES.includes(state)) throw new WxPayProtocolError('answer has an unknown trade_state');
      const paid = state === 'SUCCESS';
      return {
        trade_state: state as V2TradeState,
        trade_state_desc: optionalString(fields, 'trade_state_desc'),
        out_trade_no: requireString(fields, 'out_trade_no'),
        transaction_id: paid ? requireString(fields, 'transaction_id') : optionalString(fields, 'transaction_id'),
        total_fee: paid ? requireInt(fields, 'total_fee') : optionalInt(fields, 'total_fee'),
        cash_fee: optionalInt(fields, 'cash_fee'),
        settlement_total_fee: optionalInt(fields, 'settlement_total_fee'),
        coupon_fee: optionalInt(fields, 'coupon_fee'),
        fee_type: optionalString(fields, 'fee_type'),
        openid: optionalString(fields, 'openid'),
        trade_type: optionalString(fields, 'trade_type'),
        bank_type: optionalString(fields, 'bank_type'),
        time_end: optionalString(fields, 'time_end'),
        attach: optionalString(fields, 'attach'),
        sub_mch_id: optionalString(fields, 'sub_mch_id'),
        sub_appid: optionalString(fields, 'sub_appid'),
        sub_openid: optionalString(fields, 'sub_openid'),
        raw: fields,
      };
    },

    async closeOrder(ref, callOptions = {}) {
      const signType = signTypeOf(callOptions.sign_type);
      checkOutTradeNo(ref.out_trade_no);
      try {
        const fields = await call('/pay/closeorder', { ...partnerOf(ref), out_trade_no: ref.out_trade_no }, signType, callOptions);
        return { alreadyClosed: false, raw: fields };
      } catch (error) {
        // Closing a closed order is the outcome the caller asked for. ORDERPAID stays an error: the order is paid.
        if (error instanceof WxPayApiError && error.code === 'ORDERCLOSED') return { alreadyClosed: true, raw: {} };
        throw error;
      }
    },

    async refund(request, callOptions) {
      const signType = signTypeOf(request.sign_type);
      const [name, value] = refField(request);
      if (name === 'transaction_id') checkTransactionId(value);
      else checkOutTradeNo(value);
      checkOutRefundNo(request.out_refund_no);
      checkFen(request.total_fee, 'total_fee');
      checkFen(request.refund_fee, 'refund_fee');
      if (request.refund_fee > request.total_fee) throw new WxPayValidationError('refund_fee', 'must not exceed total_fee');
      checkChars(request.refund_desc, 'refund_desc', 80);
      checkNotifyUrl(request.notify_url, false);
      if (request.refund_fee_type !== undefined && request.refund_fee_type !== 'CNY') {
        throw new WxPayValidationError('refund_fee_type', 'must be CNY');
      }
      if (
        request.refund_account !== undefined &&
        request.refund_account !== 'REFUND_SOURCE_UNSETTLED_FUNDS' &&
        request.refund_account !== 'REFUND_SOURCE_RECHARGE_FUNDS'
      ) {
        throw new WxPayValidationError('refund_account', 'must be REFUND_SOURCE_UNSETTLED_FUNDS or REFUND_SOURCE_RECHARGE_FUNDS');
      }
      if (!mtlsAgent) throw new WxPayConfigError('refunds need the merchant client certificate (clientCert)', { field: 'clientCert' });
      const partner = partnerOf(request);
      const fields = await call('/secapi/pay/refund', {
        ...partner,
        [name]: value,
        out_refund_no: request.out_refund_no,
        total_fee: request.total_fee,
        refund_fee: request.refund_fee,
        refund_fee_type: request.refund_fee_type,
        refund_desc: request.refund_desc,
        refund_account: request.refund_account,
        notify_url: request.notify_url,
      }, signType, callOptions, true);
      return {
        transaction_id: requireString(fields, 'transaction_id'),
        out_trade_no: requireString(fields, 'out_trade_no'),
        out_refund_no: requireString(fields, 'out_refund_no'),
        refund_id: requireString(fields, 'refund_id'),
        refund_fee: requireInt(fields, 'refund_fee'),
        total_fee: requireInt(fields, 'total_fee'),
        settlement_refund_fee: optionalInt(fields, 'settlement_refund_fee'),
        cash_fee: optionalInt(fields, 'cash_fee'),
        cash_refund_fee: optionalInt(fields, 'cash_refund_fee'),
        coupon_refund_fee: optionalInt(fields, 'coupon_refund_fee'),
        raw: fields,
      };
    },

    async refundQuery(ref, callOptions = {}) {
      const signType = signTypeOf(callOptions.sign_type);
      const [name, value] = refField(ref, REFUND_REF);
      if (name === 'out_trade_no') checkOutTradeNo(value);
      else if (name === 'out_refund_no') checkOutRefundNo(value);
      else if (!/^[0-9A-Za-z]{1,32}$/.test(value)) throw new WxPayValidationError(name, 'must be 1-32 letters or digits');
      if (ref.offset !== undefined && (!Number.isSafeInteger(ref.offset) || ref.offset < 0)) {
        throw new WxPayValidationError('offset', 'must be a non-negative integer');
      }
      const fields = await call('/pay/refundquery', { ...partnerOf(ref), [name]: value, offset: ref.offset }, signType, callOptions);
      const count = requireInt(fields, 'refund_count');
      if (count > 50) throw new WxPayProtocolError('refund_count is larger than WeChat allows');
      const refunds: V2RefundQueryItem[] = [];
      for (let n = 0; n < count; n++) {
        const status = requireString(fields, `refund_status_${n}`);
        if (!REFUND_STATES.includes(status)) throw new WxPayProtocolError(`refund_status_${n} is unknown`);
        refunds.push({
          out_refund_no: requireString(fields, `out_refund_no_${n}`),
          refund_id: requireString(fields, `refund_id_${n}`),
          refund_fee: requireInt(fields, `refund_fee_${n}`),
          settlement_refund_fee: optionalInt(fields, `settlement_refund_fee_${n}`),
          refund_status: status as V2RefundStatusOfQuery,
          refund_channel: optionalString(fields, `refund_channel_${n}`),
          refund_account: optionalString(fields, `refund_account_${n}`),
          refund_recv_accout: optionalString(fields, `refund_recv_accout_${n}`),
          refund_success_time: optionalString(fields, `refund_success_time_${n}`),
        });
      }
      return {
        transaction_id: optionalString(fields, 'transaction_id'),
        out_trade_no: optionalString(fields, 'out_trade_no'),
        total_fee: optionalInt(fields, 'total_fee'),
        cash_fee: optionalInt(fields, 'cash_fee'),
        refund_count: count,
        total_refund_count: optionalInt(fields, 'total_refund_count'),
        refunds,
        raw: fields,
      };
    },

    async downloadBill(request, callOptions) {
      checkBillDate(request.bill_date);
      const billType = request.bill_type ?? 'ALL';
      if (!['ALL', 'SUCCESS', 'REFUND', 'RECHARGE_REFUND'].includes(billType)) {
        throw new WxPayValidationError('bill_type', 'must be ALL, SUCCESS, REFUND or RECHARGE_REFUND');
      }
      const signType = defaultSignType;
      // A bill is per sub-merchant or (no sub_mch_id) the provider's whole; sub_appid is not a bill filter.
      const { sub_mch_id: subMchId } = partnerOf({ ...(request.sub_mch_id === undefined ? {} : { sub_mch_id: request.sub_mch_id }) });
      const body = signedBody({ bill_date: request.bill_date, bill_type: billType, tar_type: request.gzip ? 'GZIP' : undefined, sub_mch_id: subMchId }, signType);
      return exchange('/pay/downloadbill', body, false, (answer) => readBill(answer), callOptions, maxBillBytes);
    },

    payParams(prepayId, payOptions = {}) {
      return buildV2PayParams({
        appid: payOptions.appid ?? clientSubAppid ?? appid,
        prepayId,
        apiKey,
        signType: payOptions.signType ?? defaultSignType,
        nonceStr: payOptions.nonceStr,
        timeStamp: payOptions.timeStamp ?? Math.floor(now() / 1000),
      });
    },

    payParamsFor(order, payOptions = {}) {
      // The appid must be one the order was placed with: the provider's appid or the sub_appid it sent.
      const payAppid = order.pay_appid;
      if (typeof payAppid !== 'string' || payAppid === '') throw new WxPayValidationError('pay_appid', 'required');
      const payParams = buildV2PayParams({
        appid: payAppid,
        prepayId: order.prepay_id,
        apiKey,
        signType: signTypeOf(order.sign_type),
        nonceStr: payOptions.nonceStr,
        timeStamp: payOptions.timeStamp ?? Math.floor(now() / 1000),
      });
      return { appid: payAppid, payParams };
    },

    async close() {
      await mtlsAgent?.close();
    },
  };

  /** A bill answer is CSV (maybe gzip) on success and XML on failure; failures are unsigned. */
  function readBill(answer: RawAnswer): V2Bill {
    if (answer.status >= 500) {
      throw new WxPayApiError(`WeChat answered HTTP ${answer.status}`, { code: `HTTP_${answer.status}`, status: answer.status, retriable: true });
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw new WxPayApiError(`WeChat answered HTTP ${answer.status}`, { code: `HTTP_${answer.status}`, status: answer.status });
    }
    let bytes = answer.body;
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes, { maxOutputLength: maxBillBytes });
      } catch (cause) {
        throw new WxPayProtocolError('bill is not valid gzip or is too large', { cause });
      }
    }
    const text = bytes.toString('utf8');
    const head = text.trimStart();
    if (head.startsWith('<xml') || head.startsWith('<?xml')) {
      const fields = parseXml(text, { maxBytes: maxResponseBytes });
      const msg = fields.return_msg ?? '';
      const busy = SYSTEM_BUSY.test(msg);
      throw new WxPayApiError('WeChat returned no bill', {
        code: busy ? 'SYSTEMERROR' : fields.error_code || msg || 'RETURN_FAIL',
        description: msg,
        retriable: busy || /Bill Creating/i.test(msg),
      });
    }
    return parseV2Bill(text);
  }
}

