/**
 * PaymentGateway for one sub-merchant (特约商户) of a WeChat Pay service provider (服务商), API v3 (issue 16): the
 * provider's keys sign every request and notification, the partner paths name sp_mchid + sub_mchid, and the payer is
 * the user's openid under the sub-merchant's mini program (payer.sub_openid, with sub_appid sent, so paySign is made
 * for sub_appid). Its identity is the provider's sp_appid / sp_mchid plus the sub_mchid: the sub_mchid is what tells
 * two sub-merchants of one provider apart (sameMerchant). A direct transaction at this URL is an unexpected event.
 */
import { createV3NotificationHandler, createV3PartnerClient, formatRfc3339Beijing, parseRfc3339 } from '@wxpay-kit/wechat';
import type { V3NotificationHandler, V3PartnerClient, V3PartnerTransaction } from '@wxpay-kit/wechat';
import type { KeyObject } from 'node:crypto';
import type {
  BillRow,
  InboundNotification,
  NotificationAnswer,
  NotificationFailure,
  PayParams,
  PaymentGateway,
  PaymentNotice,
  PaymentQueryResult,
  PrepayRequest,
  PrepayResult,
  RefundNotice,
  RefundRequest,
  RefundResult,
  Verified,
} from '../ports/gateway.js';
import { paidAt, queryResult, toPayParams } from './common.js';
import { toGatewayError } from './errors.js';
import { isCode, v3Answer, v3Bill, v3Close, v3EventOf, v3Query, v3Refund } from './v3-gateway.js';

export type V3PartnerGatewayOptions = {
  /** The provider: its appid and mchid, APIv3 key, private key and serial. */
  spAppid: string;
  spMchid: string;
  apiV3Key: string;
  privateKey: string | Buffer | KeyObject;
  certSerial: string;
  publicKey?: { id: string; key: string | Buffer | KeyObject } | undefined;
  platformCertificates?: boolean | undefined;
  /** The sub-merchant and its mini program (bound to it at WeChat). */
  subMchid: string;
  subAppid: string;
  baseUrl?: string | undefined;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  maxNotificationBytes?: number;
};

export class V3PartnerGateway implements PaymentGateway {
  readonly apiVersion = 'v3' as const;
  readonly appid: string;
  readonly mchid: string;
  readonly subMchid: string;
  private readonly subAppid: string;
  private readonly client: V3PartnerClient;
  private readonly notifications: V3NotificationHandler;
  private readonly now: () => number;

  constructor(o: V3PartnerGatewayOptions) {
    this.appid = o.spAppid;
    this.mchid = o.spMchid;
    this.subMchid = o.subMchid;
    this.subAppid = o.subAppid;
    this.now = o.clock ?? Date.now;
    this.client = createV3PartnerClient({
      spAppid: o.spAppid,
      spMchid: o.spMchid,
      subMchid: o.subMchid,
      subAppid: o.subAppid,
      apiV3Key: o.apiV3Key,
      privateKey: o.privateKey,
      serialNo: o.certSerial,
      ...(o.publicKey === undefined ? {} : { publicKey: o.publicKey }),
      ...(o.platformCertificates === true ? { platformCertificates: true } : {}),
      ...(o.baseUrl === undefined ? {} : { baseUrl: o.baseUrl }),
      clock: this.now,
      ...(o.sleep === undefined ? {} : { sleep: o.sleep }),
    });
    this.notifications = createV3NotificationHandler({ verifier: this.client.verifier, apiV3Key: o.apiV3Key, clock: this.now, maxBodyBytes: o.maxNotificationBytes ?? 64 * 1024 });
  }

  async createPrepay(request: PrepayRequest): Promise<PrepayResult> {
    try {
      const result = await this.client.jsapiPrepay({
        description: request.description,
        out_trade_no: request.outTradeNo,
        notify_url: request.notifyUrl,
        amount: { total: request.amountFen, currency: 'CNY' },
        // wx.login in the sub-merchant's mini program gives the openid under sub_appid.
        payer: { sub_openid: request.openid },
        time_expire: formatRfc3339Beijing(request.timeExpire),
        scene_info: { payer_client_ip: request.clientIp },
      });
      return { kind: 'prepay', prepayId: result.prepay_id, signType: 'RSA' };
    } catch (error) {
      if (isCode(error, 'ORDERPAID', 'ORDER_PAID')) return { kind: 'already_paid' };
      if (isCode(error, 'ORDER_CLOSED', 'ORDERCLOSED')) return { kind: 'closed' };
      if (isCode(error, 'OUT_TRADE_NO_USED')) return { kind: 'out_trade_no_used' };
      throw toGatewayError(error, 'partner jsapi prepay');
    }
  }

  /** paySign for the mini program that pays: sub_appid, which every prepay here sends. */
  payParams(prepayId: string): PayParams {
    return toPayParams(this.client.payParams(prepayId, { appid: this.subAppid }));
  }

  private facts(tx: V3PartnerTransaction): PaymentQueryResult {
    const { transaction_id: transactionId, amount } = tx;
    return queryResult(
      tx.trade_state,
      () =>
        transactionId === undefined || amount === undefined
          ? undefined
          : { appid: tx.sp_appid, mchid: tx.sp_mchid, subMchid: tx.sub_mchid, outTradeNo: tx.out_trade_no, transactionId, amountFen: amount.total, paidAt: paidAt(tx.success_time, parseRfc3339, this.now) },
      'partner query',
      'paid transaction without transaction_id or amount',
    );
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    return v3Query(() => this.client.queryByOutTradeNo(outTradeNo), (tx) => this.facts(tx), 'partner query');
  }

  async closePayment(outTradeNo: string): Promise<'closed' | 'already_paid'> {
    return v3Close(() => this.client.close(outTradeNo), 'partner close');
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    return v3Refund((body) => this.client.refund(body), request, 'partner refund');
  }

  async verifyPaymentNotification(input: InboundNotification): Promise<Verified<PaymentNotice>> {
    const parsed = await v3EventOf(this.notifications, input, 'partner_transaction');
    if (!('event' in parsed)) return parsed;
    const { event } = parsed;
    const tx = event.transaction;
    const success = tx.trade_state === 'SUCCESS' && tx.transaction_id !== undefined;
    return {
      authentic: true,
      notice: {
        eventKey: success ? `v3:pay:${tx.transaction_id}` : `v3:pay-event:${event.id}`,
        success,
        signatureBound: true,
        appid: tx.sp_appid,
        mchid: tx.sp_mchid,
        subMchid: tx.sub_mchid,
        outTradeNo: tx.out_trade_no,
        transactionId: tx.transaction_id ?? '',
        amountFen: tx.amount.total,
        paidAt: paidAt(tx.success_time, parseRfc3339, this.now),
      },
    };
  }

  async verifyRefundNotification(input: InboundNotification): Promise<Verified<RefundNotice>> {
    const parsed = await v3EventOf(this.notifications, input, 'partner_refund');
    if (!('event' in parsed)) return parsed;
    const r = parsed.event.refund;
    if (r.refund_status === 'PROCESSING') return { authentic: false, reason: 'malformed' };
    return {
      authentic: true,
      notice: {
        eventKey: `v3:refund:${r.refund_id}:${r.refund_status}`,
        appid: undefined,
        mchid: r.sp_mchid,
        subMchid: r.sub_mchid,
        outTradeNo: r.out_trade_no,
        outRefundNo: r.out_refund_no,
        refundId: r.refund_id,
        status: r.refund_status,
        refundFen: r.amount.refund,
        totalFen: r.amount.total,
      },
    };
  }

  /** This sub-merchant's bill only (the client's sub_mchid). */
  async downloadBill(date: string): Promise<BillRow[]> {
    return v3Bill(() => this.client.tradeBill({ bill_date: date, bill_type: 'ALL', tar_type: 'GZIP' }), 'partner tradebill');
  }

  answer(ok: boolean, failure?: NotificationFailure): NotificationAnswer {
    return v3Answer(ok, failure);
  }
}
