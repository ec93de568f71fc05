import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { WxPayApiError, WxPayConfigError, WxPayProtocolError, WxPayValidationError } from '../errors.js';
import { assertApiV3Key } from './aead.js';
import { createV3Signer, defaultV3Nonce } from './auth.js';
import type { V3Clock, V3NonceSource, V3Signer } from './auth.js';
import { parseBill } from './bill.js';
import type { V3Bill } from './bill.js';
import { parseCertificatesDownload, PlatformCertificateManager, V3_CERTIFICATES_PATH } from './certificates.js';
import { parseJsonObject } from './http.js';
import { buildV3PayParams } from './pay-params.js';
import type { V3PayParams } from './pay-params.js';
import { V3Transport } from './transport.js';
import type { V3FetchLike, V3RetryOptions } from './transport.js';
import { checkRetryPolicy, defaultRandom, realSleep } from '../transport/retry.js';
import type { WxPayRequestOptions } from '../transport/options.js';
import {
  OUT_REFUND_NO,
  OUT_TRADE_NO,
  optionalString,
  requireBillDate,
  requireFen,
  requireNotifyUrl,
  requireRfc3339,
  requireString,
} from './validate.js';
import { CombinedVerifier, PublicKeyVerifier } from './verifier.js';
import type { PlatformCertificate, Verifier } from './verifier.js';
import { parseV3Refund, parseV3Transaction } from './wire.js';
import type { V3Refund, V3Transaction } from './wire.js';

export const V3_DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com';

export type V3ClientOptions = {
  mchid: string;
  /** The mini program's appid (bound to mchid). */
  appid: string;
  /** Serial number of the merchant API certificate (upper-case hex). */
  serialNo: string;
  /** Merchant API private key (apiclient_key.pem), PEM or KeyObject. */
  privateKey: string | Buffer | KeyObject;
  /** The 32-character APIv3 key. */
  apiV3Key: string;
  /**
   * How WeChat's answers are verified; at least one of these:
   * - `verifier`: a ready Verifier (shared with the notification handler, for example);
   * - `publicKey`: WeChat Pay public-key mode (`PUB_KEY_ID_…`);
   * - `platformCertificates`: download and cache `/v3/certificates` (true, or refresh settings).
   * publicKey + platformCertificates together = migration, chosen per answer by `Wechatpay-Serial`.
   */
  verifier?: Verifier | undefined;
  publicKey?: { id: string; key: string | Buffer | KeyObject } | undefined;
  platformCertificates?: boolean | { refreshIntervalMs?: number; expiryMarginMs?: number; minRefreshIntervalMs?: number } | undefined;
  /** WeChat's host; point it at the sandbox in tests and sandbox mode. */
  baseUrl?: string | undefined;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number | undefined;
  retry?: V3RetryOptions | undefined;
  /** How the retry backoff waits; injectable so tests never sleep. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Uniform in [0, 1) for the backoff jitter; default from node:crypto. Injectable so tests know the waits. */
  random?: (() => number) | undefined;
  /** A fetch (undici's or Node's global); default undici's request() (transport/http.ts, the SDK's one transport). */
  fetch?: V3FetchLike | undefined;
  clock?: V3Clock | undefined;
  nonce?: V3NonceSource | undefined;
  /**
   * Accept `http:` notify URLs. Defaults to true only when baseUrl is not WeChat's own host (a sandbox on 127.0.0.1
   * has no TLS); real WeChat requires https.
   */
  allowHttpNotifyUrl?: boolean | undefined;
  userAgent?: string | undefined;
};

export type V3JsapiPrepayRequest = {
  description: string;
  out_trade_no: string;
  notify_url: string;
  amount: { total: number; currency?: 'CNY' | undefined };
  payer: { openid: string };
  time_expire?: string | undefined;
  attach?: string | undefined;
  goods_tag?: string | undefined;
  support_fapiao?: boolean | undefined;
  detail?: Record<string, unknown> | undefined;
  scene_info?: Record<string, unknown> | undefined;
  settle_info?: { profit_sharing?: boolean } | undefined;
};

export type V3RefundRequest = {
  out_refund_no: string;
  out_trade_no?: string | undefined;
  transaction_id?: string | undefined;
  reason?: string | undefined;
  notify_url?: string | undefined;
  funds_account?: 'AVAILABLE' | undefined;
  amount: { refund: number; total: number; currency?: 'CNY' | undefined };
};

export type V3BillDownload = {
  /** The bill as text (gunzipped when WeChat sent GZIP). */
  text: string;
  bill: V3Bill;
  hashType: string;
  hashValue: string;
};

export type V3Client = {
  readonly mchid: string;
  readonly appid: string;
  readonly signer: V3Signer;
  /** The verifier in use; pass it to createV3NotificationHandler so both share one certificate cache. */
  readonly verifier: Verifier;
  // Every call to WeChat takes per-call `{ timeoutMs, signal, retries }` as an optional last argument, overriding the
  // client's defaults for that call.
  jsapiPrepay(request: V3JsapiPrepayRequest, options?: WxPayRequestOptions): Promise<{ prepay_id: string }>;
  /** wx.requestPayment parameters for a prepay_id, signed with the merchant key. */
  payParams(prepayId: string): V3PayParams;
  queryByOutTradeNo(outTradeNo: string, options?: WxPayRequestOptions): Promise<V3Transaction>;
  queryByTransactionId(transactionId: string, options?: WxPayRequestOptions): Promise<V3Transaction>;
  /** Resolves on 204. Closing an already closed order is also 204 at WeChat. */
  close(outTradeNo: string, options?: WxPayRequestOptions): Promise<void>;
  refund(request: V3RefundRequest, options?: WxPayRequestOptions): Promise<V3Refund>;
  refundQuery(outRefundNo: string, options?: WxPayRequestOptions): Promise<V3Refund>;
  tradeBill(request: { bill_date: string; bill_type?: 'ALL' | 'SUCCESS' | 'REFUND'; tar_type?: 'GZIP' }, options?: WxPayRequestOptions): Promise<V3BillDownload>;
  fundFlowBill(request: { bill_date: string; account_type?: 'BASIC' | 'OPERATION' | 'FEES'; tar_type?: 'GZIP' }, options?: WxPayRequestOptions): Promise<V3BillDownload>;
  /** Downloads, decrypts and verifies the platform certificates (platform-certificate mode). */
  downloadCertificates(): Promise<PlatformCertificate[]>;
};

const WECHAT_HOSTS = new Set(['api.mch.weixin.qq.com', 'api2.mch.weixin.qq.com']);

function normaliseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WxPayConfigError('baseUrl must be an absolute URL', { field: 'baseUrl' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WxPayConfigError('baseUrl must be http(s)', { field: 'baseUrl' });
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** What a v3 client needs besides the merchant's numbers; shared by the direct and the partner client. */
export type V3CoreOptions = Omit<V3ClientOptions, 'mchid' | 'appid'>;

/**
 * The transport, signer, verifier and bill download of one merchant (the direct merchant, or the 服务商 in partner
 * mode). Everything here is this client's own: nothing is cached at module level, so clients for different
 * merchants in one process share no key, certificate or cache.
 */
export function createV3Core(options: V3CoreOptions, mchid: string) {
  const clock = options.clock ?? Date.now;
  const nonce = options.nonce ?? defaultV3Nonce;
  const apiV3Key = assertApiV3Key(options.apiV3Key);
  const signer = createV3Signer({ mchid, serialNo: options.serialNo, privateKey: options.privateKey, clock, nonce });
  const baseUrl = normaliseBaseUrl(options.baseUrl ?? V3_DEFAULT_BASE_URL);
  const allowHttpNotifyUrl = options.allowHttpNotifyUrl ?? !WECHAT_HOSTS.has(new URL(baseUrl).hostname);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new WxPayConfigError('timeoutMs must be a positive integer', { field: 'timeoutMs' });
  const transportBase = {
    baseUrl,
    signer,
    clock,
    timeoutMs,
    retry: checkRetryPolicy(options.retry),
    sleep: options.sleep ?? realSleep,
    random: options.random ?? defaultRandom,
    fetch: options.fetch,
    userAgent: options.userAgent ?? 'wxpay-kit/0.1 (node)',
  };

  // The certificate download is verified by parseCertificatesDownload against the certificates it carries.
  const certificateTransport = new V3Transport({ ...transportBase, verifier: { has: () => false, verify: () => false } });
  const downloadRaw = () => certificateTransport.once('GET', V3_CERTIFICATES_PATH, undefined, { unverified: true });

  const verifiers: Verifier[] = [];
  let manager: PlatformCertificateManager | undefined;
  if (options.verifier !== undefined) verifiers.push(options.verifier);
  if (options.platformCertificates !== undefined && options.platformCertificates !== false) {
    const settings = options.platformCertificates === true ? {} : options.platformCertificates;
    manager = new PlatformCertificateManager({ apiV3Key: options.apiV3Key, download: downloadRaw, clock, ...settings });
    verifiers.push(manager);
  }
  if (options.publicKey !== undefined) verifiers.push(new PublicKeyVerifier(options.publicKey.id, options.publicKey.key));
  if (verifiers.length === 0) {
    throw new WxPayConfigError('one of verifier, publicKey or platformCertificates is required to verify WeChat answers', { field: 'verifier' });
  }
  const verifier: Verifier = verifiers.length === 1 ? verifiers[0]! : new CombinedVerifier(verifiers);
  const transport = new V3Transport({
    ...transportBase,
    verifier,
    // During migration WeChat signs answers with the key the request names; prefer the public key when we hold it.
    wechatpaySerial: options.publicKey?.id,
  });

  const json = async (method: string, path: string, body: object | undefined, callOptions: WxPayRequestOptions | undefined) => {
    const raw = await transport.call(method, path, body === undefined ? undefined : JSON.stringify(body), requestOptions(callOptions));
    return { value: parseJsonObject(raw.body, `${method} ${path.split('?')[0]} answer`, raw.requestId), requestId: raw.requestId };
  };

  async function downloadBill(path: string, callOptions: WxPayRequestOptions | undefined): Promise<V3BillDownload> {
    const { value, requestId } = await json('GET', path, undefined, callOptions);
    const { download_url: downloadUrl, hash_type: hashType, hash_value: hashValue } = value;
    if (typeof downloadUrl !== 'string' || typeof hashType !== 'string' || typeof hashValue !== 'string') {
      throw new WxPayProtocolError('bill answer lacks download_url, hash_type or hash_value', { requestId });
    }
    if (hashType !== 'SHA1') throw new WxPayProtocolError(`unsupported bill hash_type ${hashType.slice(0, 16)}`, { requestId });
    let target: URL;
    try {
      target = new URL(downloadUrl);
    } catch {
      throw new WxPayProtocolError('bill download_url is not a URL', { requestId });
    }
    // The download request carries our Authorization header: only ever send it to WeChat's own host.
    if (target.origin !== new URL(baseUrl).origin) throw new WxPayProtocolError('bill download_url points to another host', { requestId });
    // WeChat does not sign bill files; integrity comes from the SHA1 in the signed answer above.
    const file = await transport.call('GET', target.toString(), undefined, { ...requestOptions(callOptions), unverified: true, maxBytes: 200 * 1024 * 1024, accept: '*/*' });
    let bytes = file.body;
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes, { maxOutputLength: 1024 * 1024 * 1024 });
      } catch (cause) {
        throw new WxPayProtocolError('bill file is not valid gzip', { cause, requestId: file.requestId });
      }
    }
    // The documented digest is of the bill itself (after decompression).
    const actual = createHash('sha1').update(bytes).digest('hex');
    if (actual !== hashValue.toLowerCase()) throw new WxPayProtocolError('bill file hash does not match hash_value', { requestId: file.requestId });
    const text = bytes.toString('utf8');
    return { text, bill: parseBill(text), hashType, hashValue };
  }

  async function downloadCertificates(): Promise<PlatformCertificate[]> {
    if (manager !== undefined) {
      // Also refreshes the cache the verifier uses.
      await manager.refresh();
      return manager.certificates();
    }
    const raw = await downloadRaw();
    return parseCertificatesDownload(raw, { apiV3Key, clock });
  }

  return { clock, nonce, signer, verifier, transport, allowHttpNotifyUrl, json, downloadBill, downloadCertificates };
}

/** A WeChat Pay API v3 client. Options are validated here: a bad key fails at start-up, not at the first payment. */
export function createV3Client(options: V3ClientOptions): V3Client {
  const mchid = requireConfig(options.mchid, 'mchid');
  const appid = requireConfig(options.appid, 'appid');
  const { clock, nonce, signer, verifier, transport, allowHttpNotifyUrl, json, downloadBill, downloadCertificates } = createV3Core(options, mchid);

  return {
    mchid,
    appid,
    signer,
    verifier,

    async jsapiPrepay(request, callOptions) {
      const body = {
        appid,
        mchid,
        description: requireString(request.description, 'description', 127),
        out_trade_no: requireString(request.out_trade_no, 'out_trade_no', 32, OUT_TRADE_NO),
        time_expire: request.time_expire === undefined ? undefined : requireRfc3339(request.time_expire, 'time_expire'),
        attach: optionalString(request.attach, 'attach', 128),
        notify_url: requireNotifyUrl(request.notify_url, 'notify_url', allowHttpNotifyUrl),
        goods_tag: optionalString(request.goods_tag, 'goods_tag', 32),
        support_fapiao: request.support_fapiao,
        amount: { total: requireFen(request.amount?.total, 'amount.total'), currency: request.amount.currency ?? 'CNY' },
        payer: { openid: requireString(request.payer?.openid, 'payer.openid', 128) },
        detail: request.detail,
        scene_info: request.scene_info,
        settle_info: request.settle_info,
      };
      const { value, requestId } = await json('POST', '/v3/pay/transactions/jsapi', body, callOptions);
      if (typeof value.prepay_id !== 'string' || value.prepay_id.length === 0) {
        throw new WxPayProtocolError('prepay answer lacks prepay_id', { requestId });
      }
      return { prepay_id: value.prepay_id };
    },

    payParams(prepayId) {
      return buildV3PayParams({ appid, prepayId, signer, clock, nonce });
    },

    async queryByOutTradeNo(outTradeNo, callOptions) {
      const no = requireString(outTradeNo, 'out_trade_no', 32, OUT_TRADE_NO);
      const { value, requestId } = await json('GET', `/v3/pay/transactions/out-trade-no/${segment(no)}?mchid=${segment(mchid)}`, undefined, callOptions);
      return parseV3Transaction(value, requestId);
    },

    async queryByTransactionId(transactionId, callOptions) {
      const id = requireString(transactionId, 'transaction_id', 32, /^[0-9A-Za-z]+$/);
      const { value, requestId } = await json('GET', `/v3/pay/transactions/id/${segment(id)}?mchid=${segment(mchid)}`, undefined, callOptions);
      return parseV3Transaction(value, requestId);
    },

    async close(outTradeNo, callOptions) {
      const no = requireString(outTradeNo, 'out_trade_no', 32, OUT_TRADE_NO);
      const raw = await transport.call('POST', `/v3/pay/transactions/out-trade-no/${segment(no)}/close`, JSON.stringify({ mchid }), requestOptions(callOptions));
      if (raw.status === 202) {
        // 202 USER_PAYING: the payer is mid-payment; close again later (or query) rather than assume it closed.
        throw new WxPayApiError('WeChat Pay v3 answered 202 USER_PAYING: the order is being paid', {
          code: 'USER_PAYING', status: 202, retriable: true, requestId: raw.requestId,
        });
      }
      if (raw.status !== 204 && raw.status !== 200) {
        throw new WxPayProtocolError(`close answered ${raw.status}, expected 204`, { requestId: raw.requestId });
      }
    },

    async refund(request, callOptions) {
      if ((request.out_trade_no === undefined) === (request.transaction_id === undefined)) {
        throw new WxPayValidationError('out_trade_no', 'give exactly one of out_trade_no and transaction_id');
      }
      const refundFen = requireFen(request.amount?.refund, 'amount.refund');
      const totalFen = requireFen(request.amount?.total, 'amount.total');
      if (refundFen > totalFen) throw new WxPayValidationError('amount.refund', 'must not exceed amount.total');
      const body = {
        out_trade_no: request.out_trade_no === undefined ? undefined : requireString(request.out_trade_no, 'out_trade_no', 32, OUT_TRADE_NO),
        transaction_id: request.transaction_id === undefined ? undefined : requireString(request.transaction_id, 'transaction_id', 32, /^[0-9A-Za-z]+$/),
        out_refund_no: requireString(request.out_refund_no, 'out_refund_no', 64, OUT_REFUND_NO),
        reason: optionalString(request.reason, 'reason', 80),
        notify_url: request.notify_url === undefined ? undefined : requireNotifyUrl(request.notify_url, 'notify_url', allowHttpNotifyUrl),
        funds_account: request.funds_account,
        amount: { refund: refundFen, total: totalFen, currency: request.amount.currency ?? 'CNY' },
      };
      const { value, requestId } = await json('POST', '/v3/refund/domestic/refunds', body, callOptions);
      return parseV3Refund(value, 'status', requestId);
    },

    async refundQuery(outRefundNo, callOptions) {
      const no = requireString(outRefundNo, 'out_refund_no', 64, OUT_REFUND_NO);
      const { value, requestId } = await json('GET', `/v3/refund/domestic/refunds/${segment(no)}`, undefined, callOptions);
      return parseV3Refund(value, 'status', requestId);
    },

    async tradeBill(request, callOptions) {
      const q = new URLSearchParams({ bill_date: requireBillDate(request.bill_date) });
      if (request.bill_type !== undefined) q.set('bill_type', request.bill_type);
      if (request.tar_type !== undefined) q.set('tar_type', request.tar_type);
      return downloadBill(`/v3/bill/tradebill?${q.toString()}`, callOptions);
    },

    async fundFlowBill(request, callOptions) {
      const q = new URLSearchParams({ bill_date: requireBillDate(request.bill_date) });
      if (request.account_type !== undefined) q.set('account_type', request.account_type);
      if (request.tar_type !== undefined) q.set('tar_type', request.tar_type);
      return downloadBill(`/v3/bill/fundflowbill?${q.toString()}`, callOptions);
    },

    downloadCertificates,
  };
}

/** Only the transport's own per-call fields travel on: a caller's object cannot switch off answer verification. */
export function requestOptions(callOptions: WxPayRequestOptions | undefined): WxPayRequestOptions {
  return callOptions === undefined ? {} : { timeoutMs: callOptions.timeoutMs, signal: callOptions.signal, retries: callOptions.retries };
}

export function requireConfig(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new WxPayConfigError(`${field} is required`, { field });
  }
  return value;
}
