/**
 * The order state machine: the single place that says which status may follow which, and why. Each named change
 * lists the statuses it may start from and the ones it may lead to; stores apply a change as a conditional update
 * (`WHERE status IN (its sources)`) and check the affected rows, so a duplicate or concurrent event cannot apply it
 * twice. Nothing else lists statuses: callers name the change, never the sources.
 */

export const ORDER_STATUSES = ['CREATED', 'PAYING', 'PAID', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED', 'CLOSED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Not paid yet and still payable: the sources of a payment and of an expiry (also what the jobs select). */
export const UNPAID_STATUSES: readonly OrderStatus[] = ['CREATED', 'PAYING'];

type Change = { readonly from: readonly OrderStatus[]; readonly to: readonly OrderStatus[] };

const CHANGES = {
  /** WeChat issued a prepay for the order's attempt. */
  prepayIssued: { from: ['CREATED'], to: ['PAYING'] },
  paid: { from: UNPAID_STATUSES, to: ['PAID'] },
  /** Only under PAID_AFTER_CLOSE=accept: a payment raced the close and the merchant keeps it. */
  paidAfterClose: { from: ['CLOSED'], to: ['PAID'] },
  expired: { from: UNPAID_STATUSES, to: ['CLOSED'] },
  /** A person closed an unpaid order from the console (after its open attempt was closed at WeChat). */
  closedByOperator: { from: UNPAID_STATUSES, to: ['CLOSED'] },
  /** One refund at a time; a partly refunded order may be refunded again. */
  refundStarted: { from: ['PAID', 'PARTIALLY_REFUNDED'], to: ['REFUNDING'] },
  /** The refund notification said SUCCESS: all of the order refunded, or part of it. */
  refundSettled: { from: ['REFUNDING'], to: ['PARTIALLY_REFUNDED', 'REFUNDED'] },
  /** The refund did not happen (refused, closed, abnormal): back to where it started. */
  refundReleased: { from: ['REFUNDING'], to: ['PAID', 'PARTIALLY_REFUNDED'] },
} as const satisfies Record<string, Change>;

export type OrderChange = keyof typeof CHANGES;
export const ORDER_CHANGES = Object.keys(CHANGES) as OrderChange[];

/** A change resolved against the table: the WHERE clause (`from`) and the new status (`to`) of the conditional update. */
export type ResolvedChange = { readonly change: OrderChange; readonly from: readonly OrderStatus[]; readonly to: OrderStatus };

/**
 * The table's answer for `change` (leading to `to` when it may lead to several). A target the change does not allow
 * is a bug in the caller: it throws rather than write a status the table never allowed.
 */
export function resolveChange(change: OrderChange, to?: OrderStatus): ResolvedChange {
  const entry: Change = CHANGES[change];
  const target = to ?? (entry.to.length === 1 ? entry.to[0] : undefined);
  if (target === undefined) throw new Error(`order change ${change} needs a target status (one of ${entry.to.join(', ')})`);
  if (!entry.to.includes(target)) throw new Error(`order change ${change} cannot lead to ${target}`);
  return { change, from: entry.from, to: target };
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return Object.values(CHANGES).some((c: Change) => c.from.includes(from) && c.to.includes(to));
}

/** Every status from which `to` may be reached, by any change. */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

export function isUnpaid(status: OrderStatus): boolean {
  return UNPAID_STATUSES.includes(status);
}

export function isPaidOrLater(status: OrderStatus): boolean {
  return status === 'PAID' || status === 'REFUNDING' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED';
}

export type OrderItem = { sku: string; name: string; unitPriceFen: number; quantity: number };

export type Order = {
  id: string;
  /** The merchant the order belongs to (issue 16); undefined means 'default', the merchant of the environment. */
  merchantId?: string | undefined;
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
  /** The order's merchant (whose keys place, query and close it); undefined means 'default'. */
  merchantId?: string | undefined;
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

/** The API version a prepay was issued under, told by its sign type: RSA is v3, MD5 / HMAC-SHA256 are v2. */
export function protocolOf(signType: string | undefined): 'v2' | 'v3' | undefined {
  if (signType === 'RSA') return 'v3';
  if (signType === 'MD5' || signType === 'HMAC-SHA256') return 'v2';
  return undefined;
}

/**
 * Whether the attempt's prepay can still be handed to wx.requestPayment at `now` by a gateway speaking `protocol`.
 * Pay params are signed in the protocol of their prepay; a prepay of the other version (WXPAY_API_VERSION changed on
 * the same data) would be refused by the cashier (签名类型错误), so the attempt is closed and a new one started.
 */
export function prepayUsable(attempt: PaymentAttempt, now: number, protocol: 'v2' | 'v3'): boolean {
  if (attempt.status !== 'OPEN' || attempt.prepayId === undefined || attempt.prepayAt === undefined) return false;
  if (protocolOf(attempt.signType) !== protocol) return false;
  return now < attempt.timeExpire - 60_000 && now < attempt.prepayAt + PREPAY_LIFETIME_MS;
}
