/**
 * An in-memory WeChat behind the PaymentGateway port, for unit and HTTP tests. Notifications are JSON bodies carrying
 * `secret`; the fake calls them authentic only when it matches (the real signature checks are tested with the v2
 * gateway and end to end through the sandbox).
 */
import { createHash } from 'node:crypto';
import { GatewayError, LoginRejectedError } from '../../src/ports/gateway.js';
import type {
  AttemptLookup,
  BillRow,
  InboundNotification,
  LoginGateway,
  LoginResult,
  NotificationAnswer,
  PayParams,
  PaymentFacts,
  PaymentGateway,
  PaymentNotice,
  PaymentQueryResult,
  PrepayRequest,
  PrepayResult,
  RefundNotice,
  RefundRequest,
  RefundResult,
  TradeState,
  Verified,
} from '../../src/ports/gateway.js';

export const FAKE_APPID = 'wxfake0000000000';
export const FAKE_MCHID = '1900000099';
export const FAKE_SECRET = 'fake-notification-secret';

type FakeOrder = { request: PrepayRequest; prepayId: string; state: TradeState; transactionId?: string; paidAt?: number };

export class FakeGateway implements PaymentGateway {
  readonly apiVersion = 'v2' as const;
  readonly appid = FAKE_APPID;
  readonly mchid = FAKE_MCHID;
  readonly orders = new Map<string, FakeOrder>();
  readonly calls: { op: string; outTradeNo: string }[] = [];
  readonly refunds: RefundRequest[] = [];
  /** Scripted failures: the next calls of an operation throw or answer as given. */
  readonly script: { prepay: (PrepayResult | Error)[]; close: ('closed' | 'already_paid' | Error)[]; query: Error[]; refund: (RefundResult | Error)[] } = {
    prepay: [],
    close: [],
    query: [],
    refund: [],
  };
  private seq = 0;

  async createPrepay(request: PrepayRequest): Promise<PrepayResult> {
    this.calls.push({ op: 'prepay', outTradeNo: request.outTradeNo });
    const next = this.script.prepay.shift();
    if (next instanceof Error) throw next;
    if (next !== undefined) return next;
    const existing = this.orders.get(request.outTradeNo);
    if (existing !== undefined) {
      if (existing.state === 'SUCCESS') return { kind: 'already_paid' };
      if (existing.state === 'CLOSED') return { kind: 'closed' };
      if (existing.request.amountFen !== request.amountFen || existing.request.timeExpire !== request.timeExpire) return { kind: 'out_trade_no_used' };
      return { kind: 'prepay', prepayId: existing.prepayId, signType: 'HMAC-SHA256' };
    }
    const prepayId = `wx_prepay_${++this.seq}`;
    this.orders.set(request.outTradeNo, { request, prepayId, state: 'NOTPAY' });
    return { kind: 'prepay', prepayId, signType: 'HMAC-SHA256' };
  }

  payParams(prepayId: string, signType: string): PayParams {
    const timeStamp = String(1_700_000_000 + this.seq);
    const pkg = `prepay_id=${prepayId}`;
    return { timeStamp, nonceStr: 'n'.repeat(16), package: pkg, signType, paySign: createHash('sha256').update(pkg).digest('hex').toUpperCase() };
  }

  /** The payer pays: WeChat's side becomes SUCCESS. Returns the facts a notification would carry. */
  pay(outTradeNo: string, overrides: Partial<PaymentFacts> = {}): PaymentFacts {
    const order = this.orders.get(outTradeNo);
    if (order === undefined) throw new Error(`fake: unknown ${outTradeNo}`);
    order.state = 'SUCCESS';
    order.transactionId ??= `4200${String(++this.seq).padStart(24, '0')}`;
    order.paidAt ??= 1_700_000_000_000;
    return { appid: this.appid, mchid: this.mchid, outTradeNo, transactionId: order.transactionId, amountFen: order.request.amountFen, paidAt: order.paidAt, ...overrides };
  }

  async queryPayment(outTradeNo: string): Promise<PaymentQueryResult> {
    this.calls.push({ op: 'query', outTradeNo });
    const failure = this.script.query.shift();
    if (failure !== undefined) throw failure;
    const order = this.orders.get(outTradeNo);
    if (order === undefined) return { state: 'NOT_FOUND' };
    if (order.state === 'SUCCESS' || order.state === 'REFUND') {
      return {
        state: order.state,
        payment: { appid: this.appid, mchid: this.mchid, outTradeNo, transactionId: order.transactionId ?? '', amountFen: order.request.amountFen, paidAt: order.paidAt ?? 0 },
      };
    }
    return { state: order.state as Exclude<TradeState, 'SUCCESS' | 'REFUND'> };
  }

  async closePayment(outTradeNo: string): Promise<'closed' | 'already_paid'> {
    this.calls.push({ op: 'close', outTradeNo });
    const next = this.script.close.shift();
    if (next instanceof Error) throw next;
    if (next !== undefined) return next;
    const order = this.orders.get(outTradeNo);
    if (order?.state === 'SUCCESS') return 'already_paid';
    if (order !== undefined) order.state = 'CLOSED';
    return 'closed';
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    this.calls.push({ op: 'refund', outTradeNo: request.outTradeNo });
    this.refunds.push(request);
    const next = this.script.refund.shift();
    if (next instanceof Error) throw next;
    if (next !== undefined) return next;
    return { kind: 'accepted', refundId: `50000${this.refunds.length}`, status: 'PROCESSING' };
  }

  async verifyPaymentNotification(input: InboundNotification, attemptOf?: AttemptLookup): Promise<Verified<PaymentNotice>> {
    const parsed = parse(input.body);
    if (parsed === undefined || parsed.secret !== FAKE_SECRET) return { authentic: false, reason: 'bad_signature' };
    const notice = parsed.notice as PaymentNotice;
    // As the real gateways do after the signature: look the attempt up (its sign type binds theirs; the caller keeps it).
    await attemptOf?.(notice.outTradeNo);
    return { authentic: true, notice };
  }

  async verifyRefundNotification(input: InboundNotification): Promise<Verified<RefundNotice>> {
    const parsed = parse(input.body);
    if (parsed === undefined || parsed.secret !== FAKE_SECRET) return { authentic: false, reason: 'bad_signature' };
    return { authentic: true, notice: parsed.notice as RefundNotice };
  }

  /** Bills by date (`YYYY-MM-DD`): set by tests; an Error is thrown. Days not set have no bill (empty). */
  readonly bills = new Map<string, BillRow[] | Error>();

  async downloadBill(date: string): Promise<BillRow[]> {
    this.calls.push({ op: 'bill', outTradeNo: date });
    const bill = this.bills.get(date);
    if (bill instanceof Error) throw bill;
    return bill ?? [];
  }

  answer(ok: boolean): NotificationAnswer {
    return { status: ok ? 200 : 500, contentType: 'application/json', body: JSON.stringify({ code: ok ? 'SUCCESS' : 'FAIL' }) };
  }
}

function parse(body: Buffer): { secret: string; notice: unknown } | undefined {
  try {
    const value = JSON.parse(body.toString('utf8')) as { secret?: unknown; notice?: unknown };
    return typeof value.secret === 'string' ? { secret: value.secret, notice: value.notice } : undefined;
  } catch {
    return undefined;
  }
}

/** A notification body as the fake gateway's "WeChat" would send it. */
export function fakeNotification(facts: PaymentFacts, options: { secret?: string; success?: boolean; eventKey?: string } = {}): string {
  const notice: PaymentNotice = { ...facts, eventKey: options.eventKey ?? `pay:${facts.transactionId}`, success: options.success ?? true, signatureBound: true };
  return JSON.stringify({ secret: options.secret ?? FAKE_SECRET, notice });
}

export function fakeRefundNotification(notice: RefundNotice, secret = FAKE_SECRET): string {
  return JSON.stringify({ secret, notice });
}

export class FakeLogin implements LoginGateway {
  readonly used = new Set<string>();
  fail: Error | undefined;
  async code2Session(code: string): Promise<LoginResult> {
    if (this.fail !== undefined) throw this.fail;
    if (!code.startsWith('code-') || this.used.has(code)) throw new LoginRejectedError('40029', 'invalid code');
    this.used.add(code);
    return { openid: `openid-${code.slice(5).split('.')[0] ?? ''}`, sessionKey: 'c2Vzc2lvbi1rZXktMTIzNDU2', unionid: undefined };
  }
}

export const unavailable = () => new GatewayError('SYSTEMERROR', 'system error', { retriable: true });
