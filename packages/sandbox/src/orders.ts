import type { VirtualClock } from './clock.js';
import type { Notifier } from './notifier.js';
import { newPrepayId, newRefundId, newTransactionId } from './state/ids.js';
import type { SandboxStore } from './state/store.js';
import type { OrderSignType, Protocol, SandboxOrder, SandboxRefund } from './state/types.js';

/**
 * WeChat Pay's order and refund rules, protocol-neutral: v2 (XML) and v3 (JSON) routes and the cashier all call
 * these, so an order behaves the same whichever API created or queries it.
 */

/** A prepay_id is valid for 2 hours. */
export const PREPAY_TTL_MS = 2 * 3600 * 1000;
/** Refunds are accepted as PROCESSING and succeed this long after (virtual time). */
export const REFUND_SETTLE_MS = 5000;
/** WeChat allows at most 50 partial refunds per order. */
export const MAX_REFUNDS_PER_ORDER = 50;
/** Refunds of one order must be at least a minute apart. */
export const REFUND_MIN_INTERVAL_MS = 60_000;
/** The bank the sandbox's payers use. */
export const SANDBOX_BANK_TYPE = 'CMB_DEBIT';

export type NewOrderInput = Omit<
  SandboxOrder,
  'prepayId' | 'prepayExpiresAt' | 'state' | 'createdAt' | 'refundedFee' | 'fingerprint'
> & {
  /** The parameters whose change makes a repeated out_trade_no "used" (JSON of the business fields). */
  fingerprint: string;
};

export type PlaceOrderResult =
  | { ok: true; order: SandboxOrder; reused: boolean }
  | { ok: false; code: 'OUT_TRADE_NO_USED' | 'ORDERPAID' | 'ORDERCLOSED' };

export type CloseResult = { ok: true; order: SandboxOrder } | { ok: false; code: 'ORDERNOTEXIST' | 'ORDERPAID' | 'ORDERCLOSED' };

export type RefundInput = {
  protocol: Protocol;
  order: SandboxOrder;
  outRefundNo: string;
  totalFee: number;
  refundFee: number;
  refundDesc?: string;
  notifyUrl?: string;
  signType: OrderSignType;
};

export type RefundResult =
  | { ok: true; refund: SandboxRefund; reused: boolean }
  | {
      ok: false;
      code: 'ORDERNOTEXIST' | 'INVALID_REQUEST' | 'NOTENOUGH' | 'FREQUENCY_LIMITED';
      description: string;
    };

export class OrderBook {
  /** Told of every payment after it is recorded (trade management schedules its reminders). */
  onPaid: ((order: SandboxOrder) => void) | undefined;

  constructor(
    private readonly store: SandboxStore,
    private readonly clock: VirtualClock,
    private readonly notifier: Notifier,
  ) {}

  /** An order whose time_expire has passed unpaid is closed (WeChat closes expired orders). */
  refresh(order: SandboxOrder): SandboxOrder {
    const now = this.clock.now();
    if (order.state === 'NOTPAY' && order.expiresAt !== undefined && now >= order.expiresAt) {
      order.state = 'CLOSED';
      order.closedAt = order.expiresAt;
      this.store.commit();
    }
    return order;
  }

  find(mchid: string, outTradeNo: string): SandboxOrder | undefined {
    const order = this.store.order(mchid, outTradeNo);
    return order === undefined ? undefined : this.refresh(order);
  }

  findByTransactionId(mchid: string, transactionId: string): SandboxOrder | undefined {
    const order = this.store.orderByTransactionId(mchid, transactionId);
    return order === undefined ? undefined : this.refresh(order);
  }

  /**
   * unifiedorder / v3 prepay. The same out_trade_no with the same parameters gives back the same prepay_id while it
   * is valid, and a fresh one after its 2 hours; different parameters are OUT_TRADE_NO_USED.
   */
  place(input: NewOrderInput): PlaceOrderResult {
    const now = this.clock.now();
    const existing = this.find(input.mchid, input.outTradeNo);
    if (existing !== undefined) {
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') return { ok: false, code: 'ORDERPAID' };
      if (existing.state === 'CLOSED') return { ok: false, code: 'ORDERCLOSED' };
      if (existing.fingerprint !== input.fingerprint || existing.protocol !== input.protocol) {
        return { ok: false, code: 'OUT_TRADE_NO_USED' };
      }
      if (now >= existing.prepayExpiresAt) {
        existing.prepayId = newPrepayId(now);
        existing.prepayExpiresAt = now + PREPAY_TTL_MS;
        this.store.putOrder(existing);
        this.store.commit();
      }
      return { ok: true, order: existing, reused: true };
    }
    const order: SandboxOrder = {
      ...input,
      createdAt: now,
      prepayId: newPrepayId(now),
      prepayExpiresAt: now + PREPAY_TTL_MS,
      state: 'NOTPAY',
      refundedFee: 0,
    };
    this.store.putOrder(order);
    this.store.commit();
    return { ok: true, order, reused: false };
  }

  /** The user paid at the cashier: the order gets its transaction and WeChat owes the merchant a notification. */
  markPaid(order: SandboxOrder): void {
    const now = this.clock.now();
    order.state = 'SUCCESS';
    order.transactionId = newTransactionId();
    order.paidAt = now;
    order.bankType = SANDBOX_BANK_TYPE;
    delete order.lastPaymentError;
    this.store.putOrder(order);
    this.store.commit();
    this.notifier.enqueue({
      protocol: order.protocol,
      kind: 'payment',
      mchid: order.mchid,
      outTradeNo: order.outTradeNo,
      url: order.notifyUrl,
    });
    this.onPaid?.(order);
  }

  close(mchid: string, outTradeNo: string): CloseResult {
    const order = this.find(mchid, outTradeNo);
    if (order === undefined) return { ok: false, code: 'ORDERNOTEXIST' };
    if (order.state === 'SUCCESS' || order.state === 'REFUND') return { ok: false, code: 'ORDERPAID' };
    if (order.state === 'CLOSED') return { ok: false, code: 'ORDERCLOSED' };
    order.state = 'CLOSED';
    order.closedAt = this.clock.now();
    this.store.commit();
    return { ok: true, order };
  }

  /**
   * Accept a refund. The same out_refund_no with the same amount is the same refund (a safe retry); with a different
   * amount it is refused. Accepted refunds are PROCESSING and succeed REFUND_SETTLE_MS later.
   */
  refund(input: RefundInput): RefundResult {
    const { order } = input;
    const now = this.clock.now();
    const previous = this.store.refund(order.mchid, input.outRefundNo);
    if (previous !== undefined) {
      if (previous.outTradeNo !== order.outTradeNo || previous.refundFee !== input.refundFee) {
        return { ok: false, code: 'INVALID_REQUEST', description: '同一退款单号(out_refund_no)的参数与之前的请求不一致' };
      }
      return { ok: true, refund: previous, reused: true };
    }
    if (order.state !== 'SUCCESS' && order.state !== 'REFUND') {
      return { ok: false, code: 'ORDERNOTEXIST', description: '订单不存在或未支付' };
    }
    if (input.totalFee !== order.totalFee) {
      return { ok: false, code: 'INVALID_REQUEST', description: '订单金额或退款金额与之前请求不一致，请核实后再试' };
    }
    if (input.refundFee > order.totalFee - order.refundedFee) {
      return { ok: false, code: 'INVALID_REQUEST', description: '申请退款金额超过订单可退金额' };
    }
    const earlier = this.store.refundsOf(order.mchid, order.outTradeNo);
    if (earlier.length >= MAX_REFUNDS_PER_ORDER) {
      return { ok: false, code: 'INVALID_REQUEST', description: '订单的部分退款次数超过50次' };
    }
    const last = earlier[earlier.length - 1];
    if (last !== undefined && now - last.createdAt < REFUND_MIN_INTERVAL_MS) {
      return { ok: false, code: 'FREQUENCY_LIMITED', description: '同一订单的退款请求需间隔1分钟以上' };
    }
    const refund: SandboxRefund = {
      protocol: input.protocol,
      ...(order.partner === undefined ? {} : { partner: order.partner }),
      mchid: order.mchid,
      appid: order.appid,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId ?? '',
      outRefundNo: input.outRefundNo,
      refundId: newRefundId(),
      totalFee: order.totalFee,
      refundFee: input.refundFee,
      ...(input.refundDesc === undefined ? {} : { refundDesc: input.refundDesc }),
      ...(input.notifyUrl === undefined ? {} : { notifyUrl: input.notifyUrl }),
      signType: input.signType,
      status: 'PROCESSING',
      createdAt: now,
      settlesAt: now + REFUND_SETTLE_MS,
    };
    order.refundedFee += input.refundFee;
    order.state = 'REFUND';
    this.store.putRefund(refund);
    this.store.commit();
    this.scheduleSettlement(refund);
    return { ok: true, refund, reused: false };
  }

  /** Put PROCESSING refunds back on the clock after a restart. */
  resume(): void {
    for (const refund of this.store.refunds()) if (refund.status === 'PROCESSING') this.scheduleSettlement(refund);
  }

  private scheduleSettlement(refund: SandboxRefund): void {
    this.clock.at(refund.settlesAt, () => this.settle(refund.mchid, refund.outRefundNo));
  }

  private settle(mchid: string, outRefundNo: string): void {
    const refund = this.store.refund(mchid, outRefundNo);
    if (refund === undefined || refund.status !== 'PROCESSING') return;
    refund.status = 'SUCCESS';
    refund.successAt = this.clock.now();
    this.store.commit();
    // WeChat notifies the refund's notify_url (v2: the request's notify_url; a console-configured URL is not modelled).
    if (refund.notifyUrl !== undefined) {
      this.notifier.enqueue({
        protocol: refund.protocol,
        kind: 'refund',
        mchid: refund.mchid,
        outTradeNo: refund.outTradeNo,
        outRefundNo: refund.outRefundNo,
        url: refund.notifyUrl,
      });
    }
  }
}
