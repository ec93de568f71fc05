/**
 * Reconciliation with WeChat's daily trade bill: a pure comparison of the bill's lines with what we recorded. It only
 * decides; the job (jobs/bill-reconciliation.ts) acts. A payment WeChat has and we never heard of is the one
 * difference acted on automatically, and only through applyPayment (the same path as a notification or a query); every
 * other difference is for a person and is flagged on the order.
 */
import type { BillRow } from '../ports/gateway.js';
import type { OrderStatus } from './order.js';
import { isPaidOrLater } from './order.js';

/** One payment attempt of ours, with its order's state. */
export type AttemptRecord = {
  orderId: string;
  outTradeNo: string;
  amountFen: number;
  /** The transaction recorded on this attempt (by a notification, a query or an earlier reconciliation). */
  transactionId: string | undefined;
  orderStatus: OrderStatus;
  /** This attempt is the one that paid the order. */
  paidByThis: boolean;
  /** The order's paid_at (WeChat's payment time) when paidByThis. */
  paidAt: number | undefined;
};

export type RefundRecord = {
  orderId: string;
  outTradeNo: string;
  outRefundNo: string;
  amountFen: number;
  status: string;
  /** When we recorded the current status (a SUCCESS refund: when we learned it succeeded). */
  updatedAt: number;
};

export type OurRecords = {
  appid: string;
  /** The China day of the bill, [start, end) in ms. */
  day: { start: number; end: number };
  /** Every attempt named by the bill, and every attempt that paid an order within the day. */
  attempts: readonly AttemptRecord[];
  /** Every refund named by the bill, and every refund we recorded as succeeded within the day. */
  refunds: readonly RefundRecord[];
};

export const DIFFERENCE_KINDS = [
  /** Paid at WeChat, never recorded here: applied through applyPayment. */
  'missing_payment',
  /** Paid at WeChat under an out_trade_no we do not know. */
  'unknown_payment',
  /** The bill's order total differs from what the attempt asked for. */
  'amount_mismatch',
  /** The attempt records another transaction than the bill's. */
  'transaction_mismatch',
  /** Recorded as paid on the attempt, but the order is not paid (paid after close, awaiting a decision). */
  'payment_not_settled',
  /** Paid here within the day, absent from the bill. */
  'not_in_bill',
  /** A refund in the bill whose out_refund_no we do not know. */
  'unknown_refund',
  /** A refund in the bill that we have not recorded as succeeded (its notification was lost or is late). */
  'refund_not_settled',
  /** The bill's refund amount differs from ours. */
  'refund_amount_mismatch',
  /** A refund we recorded as succeeded within the day, absent from the bill. */
  'refund_not_in_bill',
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export type BillDifference = {
  kind: DifferenceKind;
  outTradeNo: string;
  /** Absent when the bill names something we do not know. */
  orderId?: string;
  outRefundNo?: string;
  transactionId?: string;
  /** What the bill says, in fen (order total or refund amount). */
  billFen?: number;
  /** What we recorded, in fen. */
  ourFen?: number;
  /** A short explanation for the person reviewing it. */
  detail: string;
};

export type BillComparison = {
  differences: BillDifference[];
  /** Payment lines of ours that agree with our records. */
  matchedPayments: number;
  matchedRefunds: number;
  billPayments: number;
  billRefunds: number;
  /** Lines of other apps of the same merchant account, and states we do not reconcile (REVOKED…). */
  ignored: number;
  /** Sums of our lines in the bill: order totals of payments, amounts of refunds. */
  billPaidFen: number;
  billRefundFen: number;
};

const inDay = (day: OurRecords['day'], t: number | undefined): boolean => t !== undefined && t >= day.start && t < day.end;

export function reconcileBill(rows: readonly BillRow[], ours: OurRecords): BillComparison {
  const attempts = new Map(ours.attempts.map((a) => [a.outTradeNo, a]));
  const refunds = new Map(ours.refunds.map((r) => [r.outRefundNo, r]));
  const seenPayments = new Set<string>();
  const seenRefunds = new Set<string>();
  const result: BillComparison = { differences: [], matchedPayments: 0, matchedRefunds: 0, billPayments: 0, billRefunds: 0, ignored: 0, billPaidFen: 0, billRefundFen: 0 };
  const diff = (d: BillDifference) => result.differences.push(d);

  for (const row of rows) {
    // One merchant account may serve several apps; each app's backend reconciles its own lines.
    if (row.appid !== '' && row.appid !== ours.appid) {
      result.ignored++;
      continue;
    }
    if (row.tradeState === 'SUCCESS') {
      result.billPayments++;
      result.billPaidFen += row.totalFen;
      seenPayments.add(row.outTradeNo);
      if (comparePayment(row, attempts.get(row.outTradeNo), diff)) result.matchedPayments++;
    } else if (row.tradeState === 'REFUND' && row.outRefundNo !== undefined) {
      result.billRefunds++;
      result.billRefundFen += row.refundFen ?? 0;
      seenRefunds.add(row.outRefundNo);
      if (compareRefund(row, row.outRefundNo, refunds.get(row.outRefundNo), attempts.get(row.outTradeNo), diff)) result.matchedRefunds++;
    } else {
      result.ignored++;
    }
  }

  for (const a of ours.attempts) {
    if (a.paidByThis && inDay(ours.day, a.paidAt) && !seenPayments.has(a.outTradeNo)) {
      diff({ kind: 'not_in_bill', outTradeNo: a.outTradeNo, orderId: a.orderId, ourFen: a.amountFen, ...(a.transactionId === undefined ? {} : { transactionId: a.transactionId }), detail: 'paid here that day, absent from WeChat’s bill' });
    }
  }
  for (const r of ours.refunds) {
    if (r.status === 'SUCCESS' && inDay(ours.day, r.updatedAt) && !seenRefunds.has(r.outRefundNo)) {
      diff({ kind: 'refund_not_in_bill', outTradeNo: r.outTradeNo, orderId: r.orderId, outRefundNo: r.outRefundNo, ourFen: r.amountFen, detail: 'refund recorded as succeeded that day, absent from WeChat’s bill (or on the neighbouring day’s)' });
    }
  }
  return result;
}

/** True when the line agrees with our records; otherwise reports the difference. */
function comparePayment(row: BillRow, attempt: AttemptRecord | undefined, diff: (d: BillDifference) => void): boolean {
  const base = { outTradeNo: row.outTradeNo, transactionId: row.transactionId, billFen: row.totalFen };
  if (attempt === undefined) {
    diff({ ...base, kind: 'unknown_payment', detail: 'WeChat was paid under an out_trade_no we do not know' });
    return false;
  }
  const ours = { orderId: attempt.orderId, ourFen: attempt.amountFen };
  if (row.totalFen !== attempt.amountFen) {
    diff({ ...base, ...ours, kind: 'amount_mismatch', detail: 'the bill’s order total differs from the attempt’s amount' });
    return false;
  }
  if (attempt.transactionId === undefined) {
    diff({ ...base, ...ours, kind: 'missing_payment', detail: 'paid at WeChat, never recorded here' });
    return false;
  }
  if (attempt.transactionId !== row.transactionId) {
    diff({ ...base, ...ours, kind: 'transaction_mismatch', detail: `the attempt records transaction ${attempt.transactionId}` });
    return false;
  }
  if (!isPaidOrLater(attempt.orderStatus)) {
    diff({ ...base, ...ours, kind: 'payment_not_settled', detail: `recorded on the attempt but the order is ${attempt.orderStatus}` });
    return false;
  }
  return true;
}

function compareRefund(row: BillRow, outRefundNo: string, refund: RefundRecord | undefined, attempt: AttemptRecord | undefined, diff: (d: BillDifference) => void): boolean {
  const base = { outTradeNo: row.outTradeNo, outRefundNo, transactionId: row.transactionId, ...(row.refundFen === undefined ? {} : { billFen: row.refundFen }) };
  if (refund === undefined) {
    diff({ ...base, ...(attempt === undefined ? {} : { orderId: attempt.orderId }), kind: 'unknown_refund', detail: 'WeChat refunded under an out_refund_no we do not know' });
    return false;
  }
  const ours = { orderId: refund.orderId, ourFen: refund.amountFen };
  if (row.refundFen !== refund.amountFen) {
    diff({ ...base, ...ours, kind: 'refund_amount_mismatch', detail: 'the bill’s refund amount differs from ours' });
    return false;
  }
  // A line whose refund status is not SUCCESS (PROCESSING, CHANGE…) is not a settled refund either way.
  if ((row.refundStatus ?? 'SUCCESS') === 'SUCCESS' && refund.status !== 'SUCCESS') {
    diff({ ...base, ...ours, kind: 'refund_not_settled', detail: `refunded at WeChat, ${refund.status} here` });
    return false;
  }
  return true;
}
