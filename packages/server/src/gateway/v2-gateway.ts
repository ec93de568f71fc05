/**
 * PaymentGateway over WeChat Pay API v2 (packages/wechat): XML, MD5/HMAC-SHA256 signatures, req_info-encrypted refund
 * notifications. Wire names stop here; the domain sees camelCase and fen.
 */
import {
  WxPayApiError,
  WxPayConfigError,
  WxPayProtocolError,
  WxPaySignatureError,
  createV2Client,
  createV2NotificationVerifier,
  parseChinaTime,
  parseXml,
  v2NotificationReply,
} from '@wxpay-kit/wechat';
import type { V2Client, V2ClientCert, V2NotificationVerifier, V2SignType } from '@wxpay-kit/wechat';
import type {
  AttemptLookup,
  BillRow,
  InboundNotification,
  NotificationAnswer,
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
import { toBillRow } from './bill-rows.js';
import { paidAt, queryResult, refusedRefund, toBillRows, toPayParams } from './common.js';
import { toGatewayError } from './errors.js';

export type V2GatewayOptions = {
  /** Direct: the mini program's appid; partner: the provider's appid. */
  appid: string;
  /** Direct: the merchant's mch_id; partner: the provider's (its API key signs everything). */
  mchid: string;
  apiKey: string;
  /**
   * Partner (服务商) mode: the sub-merchant (sub_mch_id) and its mini program (sub_appid), sent with every call; the
   * payer is then named by sub_openid (wx.login runs in the sub-merchant's mini program) and the paySign uses sub_appid.
   */
  partner?: { subMchid: string; subAppid: string } | undefined;
  baseUrl?: string | undefined;
  clientCert?: V2ClientCert | undefined;
  /** Default HMAC-SHA256. */
  signType?: V2SignType;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Notification body limit (bytes). */
  maxNotificationBytes?: number;
  /** Injected client (tests); otherwise built from the options above. */
  client?: V2Client;
};

function signTypeOf(value: string): V2SignType {
  return value === 'MD5' ? 'MD5' : 'HMAC-SHA256';
}

function failureReason(error: unknown): string {
  if (error instanceof WxPaySignatureError) return error.reason;
  if (error instanceof WxPayProtocolError) return 'malformed';
  if (error instanceof Error) return error.name;
  return 'unknown';
}

export class V2Gateway implements PaymentGateway {
  readonly apiVersion = 'v2' as const;
  readonly appid: string;
  readonly mchid: string;
  /** Partner mode: the sub-merchant; notifications and answers must name it (merchant-identity.ts). */
  readonly subMchid: string | undefined;
  private readonly partner: boolean;
  private readonly client: V2Client;
  /** Bound to the API key once: the refund notification's AES key is derived here, not per notification. */
  private readonly notifications: V2NotificationVerifier;
  private readonly now: () => number;
  /** What new prepays are signed with: the sign type of an attempt whose prepay answer we never got. */
  private readonly signType: V2SignType;
  private readonly maxNotificationBytes: number;

  constructor(options: V2GatewayOptions) {
    this.appid = options.appid;
    this.mchid = options.mchid;
    this.subMchid = options.partner?.subMchid;
    this.partner = options.partner !== undefined;
    this.now = options.clock ?? Date.now;
    this.signType = options.signType ?? 'HMAC-SHA256';
    this.maxNotificationBytes = options.maxNotificationBytes ?? 64 * 1024;
    this.notifications = createV2NotificationVerifier({ apiKey: options.apiKey, maxBytes: this.maxNotificationBytes });
    this.client =
      options.client ??
      createV2Client({
        appid: options.appid,
        mchid: options.mchid,
        apiKey: options.apiKey,
        ...(options.partner === undefined ? {} : { subMchId: options.partner.subMchid, subAppid: options.partner.subAppid }),
        signType: this.signType,
        ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
        ...(options.clientCert === undefined ? {} : { clientCert: options.clientCert }),
        clock: this.now,
        ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      });
  }

  async createPrepay(request: PrepayRequest): Promise<PrepayResult> {
    try {
      const result = await this.client.unifiedOrder({
        body: request.description,
        out_trade_no: request.outTradeNo,
        total_fee: request.amountFen,
        spbill_create_ip: request.clientIp,
        notify_url: request.notifyUrl,
        ...(this.partner ? { sub_openid: request.openid } : { openid: request.openid }),
        trade_type: 'JSAPI',
        time_expire: request.timeExpire,
      });
      return { kind: 'prepay', prepayId: result.prepay_id, signType: result.sign_type };
    } catch (error) {
      if (error instanceof WxPayApiError) {
        if (error.code === 'ORDERPAID') return { kind: 'already_paid' };
        if (error.code === 'ORDERCLOSED') return { kind: 'closed' };
        if (error.code === 'OUT_TRADE_NO_USED') return { kind: 'out_trade_no_used' };
      }
      throw toGatewayError(error, 'unifiedorder');
    }
  }

  payParams(prepayId: string, signType: string): PayParams {
    return toPayParams(this.client.payParams(prepayId, { signType: signTypeOf(signType) }));
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    let answer;
    try {
      answer = await this.client.orderQuery({ out_trade_no: outTradeNo });
    } catch (error) {
      if (error instanceof WxPayApiError && error.code === 'ORDERNOTEXIST') return { state: 'NOT_FOUND' };
      throw toGatewayError(error, 'orderquery');
    }
    const { transaction_id: transactionId, total_fee: amountFen } = answer;
    return queryResult(
      answer.trade_state,
      () =>
        transactionId === undefined || amountFen === undefined
          ? undefined
          : {
              // The client has checked the answer's appid / mch_id against ours and its signature.
              appid: answer.raw.appid ?? this.appid,
              mchid: answer.raw.mch_id ?? this.mchid,
              ...(this.partner ? { subMchid: answer.raw.sub_mch_id } : {}),
              outTradeNo: answer.out_trade_no,
              transactionId,
              amountFen,
              paidAt: paidAt(answer.time_end, parseChinaTime, this.now),
            },
      'orderquery',
      'paid order without transaction_id or total_fee',
    );
  }

  async closePayment(outTradeNo: string): Promise<'closed' | 'already_paid'> {
    try {
      await this.client.closeOrder({ out_trade_no: outTradeNo });
      return 'closed';
    } catch (error) {
      if (error instanceof WxPayApiError) {
        if (error.code === 'ORDERPAID') return 'already_paid';
        // Never created at WeChat (unifiedorder failed): nothing there can be paid.
        if (error.code === 'ORDERNOTEXIST') return 'closed';
        // Already closed (by another instance's expire job, or an earlier close whose answer we lost): same end state.
        if (error.code === 'ORDERCLOSED') return 'closed';
      }
      throw toGatewayError(error, 'closeorder');
    }
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    try {
      const result = await this.client.refund({
        out_trade_no: request.outTradeNo,
        out_refund_no: request.outRefundNo,
        total_fee: request.totalFen,
        refund_fee: request.refundFen,
        notify_url: request.notifyUrl,
        ...(request.reason === undefined ? {} : { refund_desc: request.reason }),
      });
      return { kind: 'accepted', refundId: result.refund_id, status: 'PROCESSING' };
    } catch (error) {
      // Refunds are the one v2 call that needs the API client certificate; without it nothing was sent.
      if (error instanceof WxPayConfigError) return { kind: 'rejected', code: 'NO_CLIENT_CERT', message: 'set WXPAY_CLIENT_CERT_PATH and WXPAY_CLIENT_KEY_PATH (or WXPAY_CLIENT_P12_PATH) to refund' };
      const refused = refusedRefund(error);
      if (refused !== undefined) return refused;
      throw toGatewayError(error, 'refund');
    }
  }

  /**
   * v2 notifications carry no sign_type, so the algorithm is the one the attempt was placed with: parse, find the
   * attempt, then verify with its sign type only (a merchant on HMAC-SHA256 never accepts an MD5 signature). An
   * attempt we do not know is verified by the signature's length, for the audit trail only (signatureBound false).
   */
  async verifyPaymentNotification(input: InboundNotification, attemptOf?: AttemptLookup): Promise<Verified<PaymentNotice>> {
    // Scanned once, then verified with the algorithm its own sign_type or signature length names, before anything is
    // read from the database: a forged notification costs a parse and an HMAC, never a query.
    let checked;
    try {
      checked = this.notifications.checkPaymentFields(parseXml(input.body, { maxBytes: this.maxNotificationBytes }));
    } catch (error) {
      return { authentic: false, reason: failureReason(error) };
    }
    // A signature refusal (what a flood of forgeries gets) is a value: no exception built per forged request.
    if (!checked.ok) return { authentic: false, reason: checked.reason };
    const n = checked.notification;
    // A lookup that fails (database down) is thrown, not called a forgery: the caller answers "retry later".
    const attempt = attemptOf === undefined ? undefined : await attemptOf(n.out_trade_no);
    const expected = attempt === undefined ? undefined : signTypeOf(attempt.signType ?? this.signType);
    // Bound to the order's algorithm: a signature of the other algorithm is refused as a bad signature (it would not
    // have verified under the order's), and a sign_type inside the document, covered by the signature but not the
    // order's, as a mismatch.
    if (expected !== undefined && n.signType !== expected) {
      return { authentic: false, reason: n.raw.sign_type === undefined ? 'bad_signature' : 'sign_type_mismatch' };
    }
    const success = n.result_code === 'SUCCESS';
    return {
      authentic: true,
      notice: {
        eventKey: success && n.transaction_id !== undefined ? `v2:pay:${n.transaction_id}` : `v2:pay-fail:${n.out_trade_no}:${n.raw.nonce_str ?? ''}`,
        success,
        signatureBound: expected !== undefined,
        appid: n.appid,
        mchid: n.mch_id,
        // Partner: the sub-merchant it was paid to, checked against ours (a sibling sub-merchant's is refused).
        subMchid: n.sub_mch_id,
        outTradeNo: n.out_trade_no,
        transactionId: n.transaction_id ?? '',
        amountFen: n.total_fee,
        paidAt: paidAt(n.time_end, parseChinaTime, this.now),
      },
    };
  }

  async verifyRefundNotification(input: InboundNotification): Promise<Verified<RefundNotice>> {
    let n;
    try {
      // No sign here: authenticity is req_info's encryption under a key derived from the API key.
      n = this.notifications.refund(input.body);
    } catch (error) {
      return { authentic: false, reason: failureReason(error) };
    }
    const status = n.refund_status === 'SUCCESS' ? 'SUCCESS' : n.refund_status === 'REFUNDCLOSE' ? 'CLOSED' : 'ABNORMAL';
    return {
      authentic: true,
      notice: {
        eventKey: `v2:refund:${n.refund_id}:${n.refund_status}`,
        appid: n.appid,
        mchid: n.mch_id,
        subMchid: n.sub_mch_id,
        outTradeNo: n.out_trade_no,
        outRefundNo: n.out_refund_no,
        refundId: n.refund_id,
        status,
        refundFen: n.refund_fee,
        totalFen: n.total_fee,
      },
    };
  }

  async downloadBill(date: string): Promise<BillRow[]> {
    let bill;
    try {
      bill = await this.client.downloadBill({ bill_date: date.replaceAll('-', ''), bill_type: 'ALL', gzip: true });
    } catch (error) {
      // 20002 "No Bill Exist": nothing was paid or refunded that day. Anything else (not made yet, busy) is a failure.
      if (error instanceof WxPayApiError && (error.code === '20002' || /No Bill Exist/i.test(error.description ?? ''))) return [];
      throw toGatewayError(error, 'downloadbill');
    }
    return toBillRows(bill.rows, (row) => toBillRow(row.raw), 'downloadbill');
  }

  answer(ok: boolean): NotificationAnswer {
    return { status: 200, contentType: 'text/xml; charset=utf-8', body: v2NotificationReply(ok ? { ok: true } : { ok: false, message: 'FAIL' }) };
  }
}
