/**
 * The order state machine: the single place that says which status may follow which. Stores apply a transition as a
 * conditional update (`WHERE status IN (allowed sources)`) and check the affected rows, so a duplicate or concurrent
 * event cannot apply it twice.
 */

export const ORDER_STATUSES = ['CREATED', 'PAYING', 'PAID', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED', 'CLOSED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const NEXT: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  CREATED: ['PAYING', 'PAID', 'CLOSED'],
  PAYING: ['PAID', 'CLOSED'],
  PAID: ['REFUNDING'],
  // A refund that settles partially leaves money to refund later; a second refund starts from PARTIALLY_REFUNDED.
  REFUNDING: ['PARTIALLY_REFUNDED', 'REFUNDED', 'PAID'],
  PARTIALLY_REFUNDED: ['REFUNDING'],
  REFUNDED: [],
  // CLOSED → PAID only under PAID_AFTER_CLOSE=accept: a payment raced the close and the merchant keeps it.
  CLOSED: ['PAID'],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

/** The statuses from which `to` may be reached: the WHERE clause of the conditional update. */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => NEXT[from].includes(to));
}

export function isUnpaid(status: OrderStatus): boolean {
  return status === 'CREATED' || status === 'PAYING';
}

export function isPaidOrLater(status: OrderStatus): boolean {
  return status === 'PAID' || status === 'REFUNDING' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED';
}

export type OrderItem = { sku: string; name: string; unitPriceFen: number; quantity: number };

export type Order = {
  id: string;
  openid: string;
  status: OrderStatus;
  amountFen: number;
  description: string;
  items: OrderItem[];
  idempotencyKey: string | undefined;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  paidAt: number | undefined;
  paidAttemptId: string | undefined;
  refundedFen: number;
  /** Why a person should look at this order (amount mismatch, paid after close, double payment…). */
  reviewReason: string | undefined;
};

export type AttemptStatus = 'OPEN' | 'PAID' | 'CLOSED';

/** One try at paying an order: its own out_trade_no, prepay and expiry (DESIGN.md "Payment attempts"). */
export type PaymentAttempt = {
  id: string;
  orderId: string;
  outTradeNo: string;
  amountFen: number;
  status: AttemptStatus;
  /** v2 sign type of the order (notifications carry none, so we remember it). */
  signType: string | undefined;
  prepayId: string | undefined;
  prepayAt: number | undefined;
  timeExpire: number;
  transactionId: string | undefined;
  createdAt: number;
  lastQueryAt: number | undefined;
};

/** A prepay_id lives 2 hours at WeChat; we stop reusing it a little earlier so the cashier never sees a dead one. */
export const PREPAY_LIFETIME_MS = 2 * 3600_000 - 5 * 60_000;

/** Whether the attempt's prepay can still be handed to wx.requestPayment at `now`. */
export function prepayUsable(attempt: PaymentAttempt, now: number): boolean {
  if (attempt.status !== 'OPEN' || attempt.prepayId === undefined || attempt.prepayAt === undefined) return false;
  return now < attempt.timeExpire - 60_000 && now < attempt.prepayAt + PREPAY_LIFETIME_MS;
}
