/**
 * What the domain needs from WeChat, whatever the API version. v2 (XML) and v3 (JSON) adapters implement it; the
 * domain never sees wire names, only these camelCase shapes with units.
 */

export type PayParams = { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };

/**
 * An infrastructure failure talking to WeChat (timeout, 5xx, SYSTEMERROR, a response we cannot verify). `retriable`:
 * the same request may be sent again unchanged. `outcomeUnknown`: it may have taken effect.
 */
export class GatewayError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly outcomeUnknown: boolean;
  constructor(code: string, message: string, options: { retriable?: boolean; outcomeUnknown?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

/**
 * A request we built that WeChat would refuse (a field too long, a bad format), detected before anything was sent:
 * our bug, not WeChat being unavailable. Nothing reached WeChat, so the attempt it was for can be retired locally.
 */
export class GatewayRequestError extends Error {
  readonly code = 'INVALID_REQUEST';
  /** The request field at fault, as the SDK names it. */
  readonly field: string | undefined;
  constructor(message: string, options: { field?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayRequestError';
    this.field = options.field;
  }
}

export type PrepayRequest = {
  outTradeNo: string;
  description: string;
  amountFen: number;
  openid: string;
  notifyUrl: string;
  /** ms since epoch; sent as time_expire. */
  timeExpire: number;
  clientIp: string;
};

export type PrepayResult =
  | { kind: 'prepay'; prepayId: string; signType: string }
  /** ORDERPAID: this out_trade_no is already paid. */
  | { kind: 'already_paid' }
  /** ORDERCLOSED: this out_trade_no can never be paid; a new attempt is needed. */
  | { kind: 'closed' }
  /** OUT_TRADE_NO_USED: the number exists at WeChat with different parameters. */
  | { kind: 'out_trade_no_used' };

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR' | 'NOT_FOUND';

/** A payment as WeChat reports it (query answer or notification), in domain units. */
export type PaymentFacts = {
  appid: string;
  mchid: string;
  /** Partner mode: the sub-merchant it was paid to (sub_mch_id / sub_mchid); absent for a direct merchant. */
  subMchid?: string | undefined;
  outTradeNo: string;
  transactionId: string;
  /** The order total (total_fee / amount.total), not what the payer paid after coupons. */
  amountFen: number;
  paidAt: number;
};

export type PaymentQueryResult = { state: 'SUCCESS' | 'REFUND'; payment: PaymentFacts } | { state: Exclude<TradeState, 'SUCCESS' | 'REFUND'> };

export type PaymentNotice = PaymentFacts & {
  /** Unique per business event: the notification id the database keeps unique. */
  eventKey: string;
  /** result_code / trade_state is SUCCESS. */
  success: boolean;
  /**
   * The signature was checked the way the attempt it names requires (v2: with the sign type that attempt was placed
   * with; v3: always). False: no such attempt was found, so a v2 signature was told apart by its length — enough for
   * the audit trail, never for a state change.
   */
  signatureBound: boolean;
};

/** The attempt a payment notification names, as far as verifying it needs (v2: the sign type it was placed with). */
export type AttemptLookup = (outTradeNo: string) => Promise<{ signType: string | undefined } | undefined>;

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

export type RefundNotice = {
  eventKey: string;
  /** appid when the wire format carries it (v2 outer document); the domain checks it when present. */
  appid: string | undefined;
  mchid: string;
  /** Partner mode: the sub-merchant; absent for a direct merchant. */
  subMchid?: string | undefined;
  outTradeNo: string;
  outRefundNo: string;
  refundId: string;
  status: Exclude<RefundStatus, 'PROCESSING'>;
  refundFen: number;
  totalFen: number;
};

export type RefundRequest = {
  outTradeNo: string;
  outRefundNo: string;
  totalFen: number;
  refundFen: number;
  reason: string | undefined;
  notifyUrl: string;
};

export type RefundResult = { kind: 'accepted'; refundId: string; status: RefundStatus } | { kind: 'rejected'; code: string; message: string };

/** Raw HTTP delivery of a notification, as received: verification needs the exact bytes. */
export type InboundNotification = {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
  /** Who sent it (the client IP), for counting refusals by source; never used to refuse or throttle. */
  source?: string | undefined;
};

export type Verified<T> = { authentic: true; notice: T } | { authentic: false; reason: string };

/** How to answer WeChat: status, content type and body are version-specific. */
export type NotificationAnswer = { status: number; contentType: string; body: string };

/**
 * Why a notification is answered with a failure, for gateways whose answer depends on it (v3: not authentic → 401,
 * authentic but not recorded or not decryptable with our key → 500, malformed → 400). A verification reason
 * (`bad_signature`, `stale_timestamp`, `unknown_serial`, `undecryptable`, `malformed`, …), `too_large`, or
 * `not_recorded` (our database failed). v2 answers FAIL whatever the reason.
 */
export type NotificationFailure = string;

/**
 * One line of WeChat's trade bill for a day (downloadbill / tradebill, bill_type ALL), in domain units. A payment line
 * has tradeState SUCCESS; a refund line has REFUND and the refund fields. Amounts are exact integer fen.
 */
export type BillRow = {
  tradeState: string;
  appid: string;
  mchid: string;
  outTradeNo: string;
  transactionId: string;
  /** The order total (订单金额), what an attempt asked for; not what the payer paid after coupons. */
  totalFen: number;
  /** Refund lines: the amount refunded (退款金额). */
  refundFen?: number;
  outRefundNo?: string;
  refundId?: string;
  refundStatus?: string;
  /** ms since epoch: when it happened (交易时间, China time in the bill). */
  time: number;
};

export interface PaymentGateway {
  readonly apiVersion: 'v2' | 'v3';
  /** Direct: the mini program's appid; partner: the provider's sp_appid. */
  readonly appid: string;
  /** Direct: the merchant's mchid; partner: the provider's sp_mchid (its keys sign everything). */
  readonly mchid: string;
  /** Partner mode: the sub-merchant this gateway places orders for. */
  readonly subMchid?: string | undefined;
  createPrepay(request: PrepayRequest): Promise<PrepayResult>;
  /** Fresh wx.requestPayment parameters for a prepay (new nonce and timestamp, same prepay_id). */
  payParams(prepayId: string, signType: string): PayParams;
  queryPayment(outTradeNo: string): Promise<PaymentQueryResult>;
  /** closeorder. ORDERCLOSED counts as closed; ORDERPAID is 'already_paid'. */
  closePayment(outTradeNo: string): Promise<'closed' | 'already_paid'>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Verify before anything is trusted; never throws for forged input, only reports it. */
  /** `attemptOf`: v2 verifies with the sign type of the attempt the notification names (parse, find, then verify). */
  verifyPaymentNotification(input: InboundNotification, attemptOf?: AttemptLookup): Promise<Verified<PaymentNotice>>;
  verifyRefundNotification(input: InboundNotification): Promise<Verified<RefundNotice>>;
  answer(ok: boolean, failure?: NotificationFailure): NotificationAnswer;
  /**
   * The trade bill of one China day (`YYYY-MM-DD`), every line. A day without transactions is an empty list; a bill
   * not made yet (WeChat makes them after ~10:00 the next day) or unreachable is a GatewayError.
   */
  downloadBill(date: string): Promise<BillRow[]>;
}

export type LoginResult = { openid: string; sessionKey: string; unionid: string | undefined };

export class LoginRejectedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LoginRejectedError';
    this.code = code;
  }
}

/** code2Session. Throws LoginRejectedError for a bad or used code, GatewayError for infrastructure. */
export interface LoginGateway {
  code2Session(code: string): Promise<LoginResult>;
}
