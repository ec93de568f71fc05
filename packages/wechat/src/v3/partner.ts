import { WxPayApiError, WxPayConfigError, WxPayProtocolError, WxPayValidationError } from '../errors.js';
import type { WxPayRequestOptions } from '../transport/options.js';
import type { V3BillDownload, V3ClientOptions, V3RefundRequest } from './client.js';
import { createV3Core, requestOptions, requireConfig, segment } from './client.js';
import { buildV3PayParams } from './pay-params.js';
import type { V3PayParams } from './pay-params.js';
import type { V3Signer } from './auth.js';
import type { PlatformCertificate, Verifier } from './verifier.js';
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
import { parseV3PartnerTransaction, parseV3Refund } from './wire.js';
import type { V3PartnerTransaction, V3Refund } from './wire.js';

/**
 * WeChat Pay API v3 in partner (服务商) mode: the provider's keys sign every request, and each call names the
 * sub-merchant (特约商户) it is for. Paths and bodies are the partner ones (`/v3/pay/partner/transactions/…`,
 * `sp_mchid` + `sub_mchid`); refunds use the direct refund path with `sub_mchid` in the body.
 */

export type V3PartnerClientOptions = Omit<V3ClientOptions, 'mchid' | 'appid'> & {
  /** The provider's merchant number (服务商商户号). Its serialNo, privateKey, apiV3Key and verifier are used. */
  spMchid: string;
  /** The provider's appid (bound to spMchid). */
  spAppid: string;
  /** The sub-merchant every call is for unless it names another `sub_mchid`. */
  subMchid?: string | undefined;
  /** The sub-merchant's mini program (bound to subMchid), sent with prepays that use subMchid. */
  subAppid?: string | undefined;
};

/** Which sub-merchant a call is for (default: the client's subMchid). */
export type V3SubMerchantRef = { sub_mchid?: string | undefined };

export type V3PartnerJsapiPrepayRequest = {
  /** Default: the client's subMchid. */
  sub_mchid?: string | undefined;
  /**
   * The sub-merchant's mini program; required when `payer.sub_openid` is sent. Default: the client's subAppid when
   * the call uses the client's subMchid.
   */
  sub_appid?: string | undefined;
  description: string;
  out_trade_no: string;
  notify_url: string;
  amount: { total: number; currency?: 'CNY' | undefined };
  /** The payer under sp_appid (`sp_openid`) or under sub_appid (`sub_openid`; what a mini program's wx.login gives). */
  payer: { sp_openid?: string | undefined; sub_openid?: string | undefined };
  time_expire?: string | undefined;
  attach?: string | undefined;
  goods_tag?: string | undefined;
  support_fapiao?: boolean | undefined;
  detail?: Record<string, unknown> | undefined;
  scene_info?: Record<string, unknown> | undefined;
  settle_info?: { profit_sharing?: boolean } | undefined;
};

export type V3PartnerPrepayResult = {
  prepay_id: string;
  sub_mchid: string;
  sub_appid: string | undefined;
  /**
   * The appid of the mini program that must call wx.requestPayment and that paySign signs: sub_appid when it was
   * sent with the prepay, else sp_appid (WeChat: 若下单时候传了sub_appid，须为sub_appid的值).
   */
  pay_appid: string;
};

/** wx.requestPayment parameters together with the appid their paySign was made for. */
export type V3SignedPayParams = { appid: string; payParams: V3PayParams };

export type V3PartnerRefundRequest = V3RefundRequest & {
  /** Required in partner mode (服务商模式下必须传递此参数); default: the client's subMchid. */
  sub_mchid?: string | undefined;
};

export type V3PartnerClient = {
  readonly spMchid: string;
  readonly spAppid: string;
  readonly subMchid: string | undefined;
  readonly subAppid: string | undefined;
  readonly signer: V3Signer;
  /** The provider's verifier; pass it to the notification handler so both share one certificate cache. */
  readonly verifier: Verifier;
  jsapiPrepay(request: V3PartnerJsapiPrepayRequest, options?: WxPayRequestOptions): Promise<V3PartnerPrepayResult>;
  /** paySign for `appid` (default: the client's subAppid, else spAppid). Prefer payParamsFor. */
  payParams(prepayId: string, options?: { appid?: string | undefined }): V3PayParams;
  /** paySign for the prepay's pay_appid (sub_appid when it was sent, else sp_appid), saying which appid it used. */
  payParamsFor(prepay: Pick<V3PartnerPrepayResult, 'prepay_id' | 'pay_appid'>): V3SignedPayParams;
  queryByOutTradeNo(outTradeNo: string, ref?: V3SubMerchantRef, options?: WxPayRequestOptions): Promise<V3PartnerTransaction>;
  queryByTransactionId(transactionId: string, ref?: V3SubMerchantRef, options?: WxPayRequestOptions): Promise<V3PartnerTransaction>;
  /** Resolves on 204. */
  close(outTradeNo: string, ref?: V3SubMerchantRef, options?: WxPayRequestOptions): Promise<void>;
  refund(request: V3PartnerRefundRequest, options?: WxPayRequestOptions): Promise<V3Refund>;
  refundQuery(outRefundNo: string, ref?: V3SubMerchantRef, options?: WxPayRequestOptions): Promise<V3Refund>;
  /** One sub-merchant's trade bill (`sub_mchid`, default the client's), or with `sub_mchid: null` all of the provider's. */
  tradeBill(
    request: { bill_date: string; bill_type?: 'ALL' | 'SUCCESS' | 'REFUND'; tar_type?: 'GZIP'; sub_mchid?: string | null },
    options?: WxPayRequestOptions,
  ): Promise<V3BillDownload>;
  downloadCertificates(): Promise<PlatformCertificate[]>;
};

const MCHID = /^[0-9]{1,32}$/;

/** A partner-mode (服务商) v3 client. Options are validated here, once. */
export function createV3PartnerClient(options: V3PartnerClientOptions): V3PartnerClient {
  const spMchid = requireConfig(options.spMchid, 'spMchid');
  const spAppid = requireConfig(options.spAppid, 'spAppid');
  const clientSubMchid = options.subMchid === undefined ? undefined : requireConfig(options.subMchid, 'subMchid');
  const clientSubAppid = options.subAppid === undefined ? undefined : requireConfig(options.subAppid, 'subAppid');
  if (clientSubMchid !== undefined && !MCHID.test(clientSubMchid)) throw new WxPayConfigError('subMchid must be digits', { field: 'subMchid' });
  if (clientSubAppid !== undefined && clientSubMchid === undefined) {
    throw new WxPayConfigError('subAppid needs subMchid', { field: 'subAppid' });
  }
  const { clock, nonce, signer, verifier, transport, allowHttpNotifyUrl, json, downloadBill, downloadCertificates } = createV3Core(options, spMchid);

  function subMchidOf(ref: V3SubMerchantRef | undefined): string {
    const value = ref?.sub_mchid ?? clientSubMchid;
    if (value === undefined) throw new WxPayValidationError('sub_mchid', 'is required in partner mode (or set subMchid on the client)');
    return requireString(value, 'sub_mchid', 32, MCHID);
  }

  function signedPayParams(appid: string, prepayId: string): V3PayParams {
    return buildV3PayParams({ appid, prepayId, signer, clock, nonce });
  }

  const query = (subMchid: string) => `sp_mchid=${segment(spMchid)}&sub_mchid=${segment(subMchid)}`;

  return {
    spMchid,
    spAppid,
    subMchid: clientSubMchid,
    subAppid: clientSubAppid,
    signer,
    verifier,

    async jsapiPrepay(request, callOptions) {
      const usesClientSub = request.sub_mchid === undefined;
      const subMchid = subMchidOf(request);
      const subAppidValue = request.sub_appid ?? (usesClientSub ? clientSubAppid : undefined);
      const subAppid = subAppidValue === undefined ? undefined : requireString(subAppidValue, 'sub_appid', 32);
      const payer = request.payer;
      const spOpenid = optionalString(payer?.sp_openid, 'payer.sp_openid', 128);
      const subOpenid = optionalString(payer?.sub_openid, 'payer.sub_openid', 128);
      if (spOpenid === undefined && subOpenid === undefined) {
        throw new WxPayValidationError('payer', 'give payer.sp_openid (under sp_appid) or payer.sub_openid (under sub_appid)');
      }
      // WeChat: sub_appid is required when payer.sub_openid is sent.
      if (subOpenid !== undefined && subAppid === undefined) throw new WxPayValidationError('sub_appid', 'is required with payer.sub_openid');
      const body = {
        sp_appid: spAppid,
        sp_mchid: spMchid,
        sub_appid: subAppid,
        sub_mchid: subMchid,
        description: requireString(request.description, 'description', 127),
        out_trade_no: requireString(request.out_trade_no, 'out_trade_no', 32, OUT_TRADE_NO),
        time_expire: request.time_expire === undefined ? undefined : requireRfc3339(request.time_expire, 'time_expire'),
        attach: optionalString(request.attach, 'attach', 128),
        notify_url: requireNotifyUrl(request.notify_url, 'notify_url', allowHttpNotifyUrl),
        goods_tag: optionalString(request.goods_tag, 'goods_tag', 32),
        support_fapiao: request.support_fapiao,
        amount: { total: requireFen(request.amount?.total, 'amount.total'), currency: request.amount.currency ?? 'CNY' },
        payer: { sp_openid: spOpenid, sub_openid: subOpenid },
        detail: request.detail,
        scene_info: request.scene_info,
        settle_info: request.settle_info,
      };
      const { value, requestId } = await json('POST', '/v3/pay/partner/transactions/jsapi', body, callOptions);
      if (typeof value.prepay_id !== 'string' || value.prepay_id.length === 0) {
        throw new WxPayProtocolError('prepay answer lacks prepay_id', { requestId });
      }
      return { prepay_id: value.prepay_id, sub_mchid: subMchid, sub_appid: subAppid, pay_appid: subAppid ?? spAppid };
    },

    payParams(prepayId, payOptions = {}) {
      return signedPayParams(payOptions.appid ?? clientSubAppid ?? spAppid, prepayId);
    },

    payParamsFor(prepay) {
      const appid = requireString(prepay.pay_appid, 'pay_appid', 32);
      return { appid, payParams: signedPayParams(appid, prepay.prepay_id) };
    },

    async queryByOutTradeNo(outTradeNo, ref, callOptions) {
      const no = requireString(outTradeNo, 'out_trade_no', 32, OUT_TRADE_NO);
      const subMchid = subMchidOf(ref);
      const { value, requestId } = await json('GET', `/v3/pay/partner/transactions/out-trade-no/${segment(no)}?${query(subMchid)}`, undefined, callOptions);
      return checkedTransaction(value, requestId, subMchid);
    },

    async queryByTransactionId(transactionId, ref, callOptions) {
      const id = requireString(transactionId, 'transaction_id', 32, /^[0-9A-Za-z]+$/);
      const subMchid = subMchidOf(ref);
      const { value, requestId } = await json('GET', `/v3/pay/partner/transactions/id/${segment(id)}?${query(subMchid)}`, undefined, callOptions);
      return checkedTransaction(value, requestId, subMchid);
    },

    async close(outTradeNo, ref, callOptions) {
      const no = requireString(outTradeNo, 'out_trade_no', 32, OUT_TRADE_NO);
      const subMchid = subMchidOf(ref);
      const raw = await transport.call(
        'POST',
        `/v3/pay/partner/transactions/out-trade-no/${segment(no)}/close`,
        JSON.stringify({ sp_mchid: spMchid, sub_mchid: subMchid }),
        requestOptions(callOptions),
      );
      if (raw.status === 202) {
        throw new WxPayApiError('WeChat Pay v3 answered 202 USER_PAYING: the order is being paid', {
          code: 'USER_PAYING', status: 202, retriable: true, requestId: raw.requestId,
        });
      }
      if (raw.status !== 204 && raw.status !== 200) {
        throw new WxPayProtocolError(`close answered ${raw.status}, expected 204`, { requestId: raw.requestId });
      }
    },

    async refund(request, callOptions) {
      const subMchid = subMchidOf(request);
      if ((request.out_trade_no === undefined) === (request.transaction_id === undefined)) {
        throw new WxPayValidationError('out_trade_no', 'give exactly one of out_trade_no and transaction_id');
      }
      const refundFen = requireFen(request.amount?.refund, 'amount.refund');
      const totalFen = requireFen(request.amount?.total, 'amount.total');
      if (refundFen > totalFen) throw new WxPayValidationError('amount.refund', 'must not exceed amount.total');
      const body = {
        sub_mchid: subMchid,
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

    async refundQuery(outRefundNo, ref, callOptions) {
      const no = requireString(outRefundNo, 'out_refund_no', 64, OUT_REFUND_NO);
      const subMchid = subMchidOf(ref);
      const { value, requestId } = await json('GET', `/v3/refund/domestic/refunds/${segment(no)}?sub_mchid=${segment(subMchid)}`, undefined, callOptions);
      return parseV3Refund(value, 'status', requestId);
    },

    async tradeBill(request, callOptions) {
      const q = new URLSearchParams({ bill_date: requireBillDate(request.bill_date) });
      // null: the provider's whole bill; undefined: the client's sub-merchant (when it has one).
      const subMchid = request.sub_mchid === null ? undefined : (request.sub_mchid ?? clientSubMchid);
      if (subMchid !== undefined) q.set('sub_mchid', requireString(subMchid, 'sub_mchid', 32, MCHID));
      if (request.bill_type !== undefined) q.set('bill_type', request.bill_type);
      if (request.tar_type !== undefined) q.set('tar_type', request.tar_type);
      return downloadBill(`/v3/bill/tradebill?${q.toString()}`, callOptions);
    },

    downloadCertificates,
  };

  /** A query answer must be about the provider and the sub-merchant asked for. */
  function checkedTransaction(value: unknown, requestId: string | undefined, subMchid: string): V3PartnerTransaction {
    const tx = parseV3PartnerTransaction(value, requestId);
    if (tx.sp_mchid !== spMchid || tx.sub_mchid !== subMchid) {
      throw new WxPayProtocolError('answer is about another merchant (sp_mchid/sub_mchid)', { requestId });
    }
    return tx;
  }
}
