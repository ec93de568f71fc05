/**
 * PaymentGateway over WeChat Pay API v3 (packages/wechat): JSON, requests signed with the merchant's RSA key, answers
 * and notifications verified with the platform certificate and/or the WeChat Pay public key (by Wechatpay-Serial),
 * resources decrypted with the APIv3 key. Wire names stop here; the domain sees camelCase and fen.
 */
import {
  WxPayApiError,
  WxPayDecryptError,
  WxPayProtocolError,
  WxPaySignatureError,
  createV3Client,
  createV3NotificationHandler,
  formatRfc3339Beijing,
  parseRfc3339,
} from '@wxpay-kit/wechat';
import type { V3BillDownload, V3Client, V3NotificationEvent, V3NotificationHandler, V3Transaction } from '@wxpay-kit/wechat';
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
  RefundStatus,
  Verified,
} from '../ports/gateway.js';
import { toBillRow } from './bill-rows.js';
import { paidAt, queryResult, refusedRefund, toBillRows, toPayParams } from './common.js';
import { toGatewayError } from './errors.js';

export type V3GatewayOptions = {
  appid: string;
  mchid: string;
  /** The 32-byte APIv3 key (decrypts notifications and downloaded certificates). */
  apiV3Key: string;
  /** Merchant API private key (apiclient_key.pem) and its certificate's serial. */
  privateKey: string | Buffer | KeyObject;
  certSerial: string;
  /** WeChat Pay public-key mode: the `PUB_KEY_ID_…` id and the public key. */
  publicKey?: { id: string; key: string | Buffer | KeyObject } | undefined;
  /** Platform-certificate mode: download /v3/certificates (both with publicKey = migration). */
  platformCertificates?: boolean | undefined;
  baseUrl?: string | undefined;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Notification body limit (bytes). */
  maxNotificationBytes?: number;
  /** Injected client (tests); otherwise built from the options above. */
  client?: V3Client;
};

/** What a failed verification is called in the audit log and how it is answered (see answer()). */
export function v3FailureReason(error: unknown): string {
  if (error instanceof WxPaySignatureError) return error.reason;
  // Signed by WeChat but our APIv3 key cannot open it (wrong key, or bytes corrupted before signing): not our
  // verdict to make final, so WeChat is asked to retry (500) while we fix the key.
  if (error instanceof WxPayDecryptError) return 'undecryptable';
  if (error instanceof WxPayProtocolError) return error.code === 'BODY_TOO_LARGE' ? 'too_large' : 'malformed';
  // Anything else (the platform-certificate download on an unknown serial failed, a bug) says nothing about the
  // notification itself: fail closed, and ask WeChat to retry (500) rather than call it forged.
  return `verify_error:${error instanceof Error ? error.name : 'unknown'}`;
}

/** Failures that mean "authentic but not recorded by us": WeChat should retry. */
const RETRY_LATER = new Set(['not_recorded', 'undecryptable']);

export function isCode(error: unknown, ...codes: string[]): error is WxPayApiError {
  return error instanceof WxPayApiError && error.code !== undefined && codes.includes(error.code);
}

export class V3Gateway implements PaymentGateway {
  readonly apiVersion = 'v3' as const;
  readonly appid: string;
  readonly mchid: string;
  private readonly client: V3Client;
  private readonly notifications: V3NotificationHandler;
  private readonly now: () => number;

  constructor(options: V3GatewayOptions) {
    this.appid = options.appid;
    this.mchid = options.mchid;
    this.now = options.clock ?? Date.now;
    this.client =
      options.client ??
      createV3Client({
        appid: options.appid,
        mchid: options.mchid,
        apiV3Key: options.apiV3Key,
        privateKey: options.privateKey,
        serialNo: options.certSerial,
        ...(options.publicKey === undefined ? {} : { publicKey: options.publicKey }),
        ...(options.platformCertificates === true ? { platformCertificates: true } : {}),
        ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
        clock: this.now,
        ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      });
    // One verifier (and certificate cache) for answers and notifications.
    this.notifications = createV3NotificationHandler({
      verifier: this.client.verifier,
      apiV3Key: options.apiV3Key,
      clock: this.now,
      maxBodyBytes: options.maxNotificationBytes ?? 64 * 1024,
    });
  }

  async createPrepay(request: PrepayRequest): Promise<PrepayResult> {
    try {
      const result = await this.client.jsapiPrepay({
        description: request.description,
        out_trade_no: request.outTradeNo,
        notify_url: request.notifyUrl,
        amount: { total: request.amountFen, currency: 'CNY' },
        payer: { openid: request.openid },
        time_expire: formatRfc3339Beijing(request.timeExpire),
        scene_info: { payer_client_ip: request.clientIp },
      });
      return { kind: 'prepay', prepayId: result.prepay_id, signType: 'RSA' };
    } catch (error) {
      if (isCode(error, 'ORDERPAID', 'ORDER_PAID')) return { kind: 'already_paid' };
      if (isCode(error, 'ORDER_CLOSED', 'ORDERCLOSED')) return { kind: 'closed' };
      if (isCode(error, 'OUT_TRADE_NO_USED')) return { kind: 'out_trade_no_used' };
      // Field reports: a duplicate number can also come back as 400 INVALID_REQUEST "201 商户订单号重复".
      if (isCode(error, 'INVALID_REQUEST') && (error.description ?? '').includes('商户订单号重复')) return { kind: 'out_trade_no_used' };
      throw toGatewayError(error, 'jsapi prepay');
    }
  }

  payParams(prepayId: string): PayParams {
    return toPayParams(this.client.payParams(prepayId));
  }

  private facts(tx: V3Transaction): PaymentQueryResult {
    const { transaction_id: transactionId, amount } = tx;
    return queryResult(
      tx.trade_state,
      () =>
        transactionId === undefined || amount === undefined
          ? undefined
          : {
              appid: tx.appid,
              mchid: tx.mchid,
              outTradeNo: tx.out_trade_no,
              transactionId,
              // The order total, not payer_total (what the payer paid after coupons).
              amountFen: amount.total,
              paidAt: paidAt(tx.success_time, parseRfc3339, this.now),
            },
      'query',
      'paid transaction without transaction_id or amount',
    );
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    return v3Query(() => this.client.queryByOutTradeNo(outTradeNo), (tx) => this.facts(tx), 'query');
  }

  async closePayment(outTradeNo: string): Promise<'closed' | 'already_paid'> {
    return v3Close(() => this.client.close(outTradeNo), 'close');
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    return v3Refund((body) => this.client.refund(body), request, 'refund');
  }

  async verifyPaymentNotification(input: InboundNotification): Promise<Verified<PaymentNotice>> {
    const parsed = await v3EventOf(this.notifications, input, 'transaction');
    if (!('event' in parsed)) return parsed;
    const { event } = parsed;
    const tx = event.transaction;
    const success = tx.trade_state === 'SUCCESS' && tx.transaction_id !== undefined;
    return {
      authentic: true,
      notice: {
        // One payment is one business event, whichever notification (or retry) reports it.
        eventKey: success ? `v3:pay:${tx.transaction_id}` : `v3:pay-event:${event.id}`,
        success,
        // The key is chosen by the serial the message names, never by trying: bound whatever the attempt.
        signatureBound: true,
        appid: tx.appid,
        mchid: tx.mchid,
        outTradeNo: tx.out_trade_no,
        transactionId: tx.transaction_id ?? '',
        amountFen: tx.amount.total,
        paidAt: paidAt(tx.success_time, parseRfc3339, this.now),
      },
    };
  }

  async verifyRefundNotification(input: InboundNotification): Promise<Verified<RefundNotice>> {
    const parsed = await v3EventOf(this.notifications, input, 'refund');
    if (!('event' in parsed)) return parsed;
    const r = parsed.event.refund;
    // Refund notifications report an outcome; PROCESSING is never one.
    if (r.refund_status === 'PROCESSING') return { authentic: false, reason: 'malformed' };
    const status: Exclude<RefundStatus, 'PROCESSING'> = r.refund_status;
    return {
      authentic: true,
      notice: {
        eventKey: `v3:refund:${r.refund_id}:${status}`,
        // v3 refund resources carry mchid but no appid.
        appid: undefined,
        mchid: r.mchid ?? '',
        outTradeNo: r.out_trade_no,
        outRefundNo: r.out_refund_no,
        refundId: r.refund_id,
        status,
        refundFen: r.amount.refund,
        totalFen: r.amount.total,
      },
    };
  }

  async downloadBill(date: string): Promise<BillRow[]> {
    return v3Bill(() => this.client.tradeBill({ bill_date: date, bill_type: 'ALL', tar_type: 'GZIP' }), 'tradebill');
  }

  /**
   * WeChat's v3 rule: the status decides. Success is 204 with no body; failures are 4xx/5xx with
   * `{"code":"FAIL","message":…}`: 401 not authentic, 500 authentic but not recorded (retry later), 400 malformed,
   * 413 too large.
   */
  answer(ok: boolean, failure?: NotificationFailure): NotificationAnswer {
    return v3Answer(ok, failure);
  }
}

/**
 * A v3 notification parsed (verified, decrypted) and of the one kind this endpoint takes; otherwise the refusal: a
 * failed verification by its reason, another kind (a refund at the payment URL, a direct payment at a partner's) as
 * an unexpected event. Direct and partner gateways alike.
 */
export async function v3EventOf<K extends V3NotificationEvent['kind']>(
  notifications: V3NotificationHandler,
  input: InboundNotification,
  kind: K,
): Promise<{ event: Extract<V3NotificationEvent, { kind: K }> } | { authentic: false; reason: string }> {
  let event: V3NotificationEvent;
  try {
    event = await notifications.parse(input.headers, input.body);
  } catch (error) {
    return { authentic: false, reason: v3FailureReason(error) };
  }
  if (event.kind !== kind) return { authentic: false, reason: `unexpected_event:${event.eventType.slice(0, 40)}` };
  return { event: event as Extract<V3NotificationEvent, { kind: K }> };
}

/** A v3 trade bill, direct or partner. NO_STATEMENT_EXIST: nothing was paid or refunded that day. STATEMENT_CREATING and the rest are failures. */
export async function v3Bill(call: () => Promise<V3BillDownload>, what: string): Promise<BillRow[]> {
  let download;
  try {
    download = await call();
  } catch (error) {
    if (isCode(error, 'NO_STATEMENT_EXIST')) return [];
    throw toGatewayError(error, what);
  }
  return toBillRows(download.bill.rows, toBillRow, what);
}

/** WeChat's answer to a v3 query, direct or partner: an order it does not know is NOT_FOUND, other errors are ours. */
export async function v3Query<T>(call: () => Promise<T>, facts: (tx: T) => PaymentQueryResult, what: string): Promise<PaymentQueryResult> {
  let tx: T;
  try {
    tx = await call();
  } catch (error) {
    if (isCode(error, 'ORDER_NOT_EXIST', 'ORDERNOTEXIST')) return { state: 'NOT_FOUND' };
    throw toGatewayError(error, what);
  }
  return facts(tx);
}

/** WeChat's answer to a v3 close, direct or partner. */
export async function v3Close(call: () => Promise<unknown>, what: string): Promise<'closed' | 'already_paid'> {
  try {
    await call();
    return 'closed';
  } catch (error) {
    if (isCode(error, 'ORDERPAID', 'ORDER_PAID')) return 'already_paid';
    // Already closed or never created at WeChat: nothing there can be paid.
    if (isCode(error, 'ORDER_CLOSED', 'ORDERCLOSED', 'ORDER_NOT_EXIST', 'ORDERNOTEXIST')) return 'closed';
    throw toGatewayError(error, what);
  }
}

/** The body of a v3 refund both clients send (the partner client adds its sub_mchid) and the answer's meaning. */
export type V3RefundBody = {
  out_trade_no: string;
  out_refund_no: string;
  notify_url: string;
  reason?: string;
  amount: { refund: number; total: number; currency: 'CNY' };
};

export async function v3Refund(call: (body: V3RefundBody) => Promise<{ refund_id: string; status: RefundStatus }>, request: RefundRequest, what: string): Promise<RefundResult> {
  try {
    const result = await call({
      out_trade_no: request.outTradeNo,
      out_refund_no: request.outRefundNo,
      notify_url: request.notifyUrl,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      amount: { refund: request.refundFen, total: request.totalFen, currency: 'CNY' },
    });
    return { kind: 'accepted', refundId: result.refund_id, status: result.status };
  } catch (error) {
    const refused = refusedRefund(error, ['SIGN_ERROR']);
    if (refused !== undefined) return refused;
    throw toGatewayError(error, what);
  }
}

/** The v3 answer to a notification (V3Gateway.answer); the partner gateway answers the same way. */
export function v3Answer(ok: boolean, failure?: NotificationFailure): NotificationAnswer {
  if (ok) return { status: 204, contentType: 'application/json', body: '' };
  const reason = failure ?? 'not_authentic';
  let status = 401;
  let message = 'signature verification failed';
  if (RETRY_LATER.has(reason) || reason.startsWith('verify_error')) {
    status = 500;
    message = 'not recorded, retry later';
  } else if (reason === 'malformed' || reason.startsWith('unexpected_event')) {
    status = 400;
    message = 'malformed notification';
  } else if (reason === 'too_large') {
    status = 413;
    message = 'body too large';
  }
  return { status, contentType: 'application/json', body: JSON.stringify({ code: 'FAIL', message }) };
}
