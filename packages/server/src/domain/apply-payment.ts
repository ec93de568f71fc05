/**
 * Applies a payment WeChat reported (notification, orderquery or a close answered ORDERPAID) inside the caller's
 * transaction. Every path that learns of a payment goes through here, so the rules hold whatever the source:
 * business checks first, then conditional transitions, and the outbox event in the same transaction as PAID.
 */
import type { PaymentFacts } from '../ports/gateway.js';
import type { NewOutboxEvent, Repos } from '../ports/store.js';
import type { IdSource } from '../ports/clock.js';
import type { ServiceDeps } from './service-deps.js';
import { merchantOf, sameMerchant } from './merchant-identity.js';
import { isPaidOrLater, isUnpaid } from './order.js';
import type { PaymentAttempt } from './order.js';

export type PaymentOutcome =
  | 'paid'
  | 'duplicate'
  | 'not_success'
  | 'wrong_merchant'
  | 'unknown_order'
  | 'amount_mismatch'
  | 'transaction_conflict'
  | 'paid_after_close'
  | 'paid_after_close_accepted'
  | 'double_payment';

/** Outcomes that need a person: money arrived that we did not simply accept. */
export const REVIEW_OUTCOMES: ReadonlySet<PaymentOutcome> = new Set([
  'wrong_merchant',
  'unknown_order',
  'amount_mismatch',
  'transaction_conflict',
  'paid_after_close',
  'double_payment',
]);

export type ApplyContext = {
  appid: string;
  mchid: string;
  /** Partner mode: the sub-merchant the payment must name. */
  subMchid?: string | undefined;
  /** The merchant whose URL, job or query reported the payment; its orders only (default: 'default'). */
  merchantId?: string | undefined;
  paidAfterClose: 'refund' | 'accept';
  ids: IdSource;
  now: number;
};

export const ORDER_PAID_TOPIC = 'order.paid';

/** The context of a service acting for one merchant: its gateway's identity and its id (one place builds it). */
export function applyContextOf(o: Pick<ServiceDeps, 'gateway' | 'ids' | 'clock' | 'merchantId'>, paidAfterClose: 'refund' | 'accept'): ApplyContext {
  return { appid: o.gateway.appid, mchid: o.gateway.mchid, subMchid: o.gateway.subMchid, merchantId: o.merchantId, paidAfterClose, ids: o.ids, now: o.clock.now() };
}

/** The outbox event of an order becoming PAID (one shape, whichever path wrote it). */
export function paidEvent(ctx: Pick<ApplyContext, 'ids' | 'now'>, orderId: string, facts: PaymentFacts): NewOutboxEvent {
  return {
    id: ctx.ids.rowId(),
    topic: ORDER_PAID_TOPIC,
    orderId,
    payload: { orderId, outTradeNo: facts.outTradeNo, transactionId: facts.transactionId, amountFen: facts.amountFen, paidAt: facts.paidAt },
    now: ctx.now,
  };
}

async function markPaid(tx: Repos, ctx: ApplyContext, orderId: string, facts: PaymentFacts, attemptId: string, from: 'unpaid' | 'closed'): Promise<boolean> {
  const ok = await tx.transition(orderId, from === 'unpaid' ? 'paid' : 'paidAfterClose', ctx.now, {
    patch: { paidAt: facts.paidAt, paidAttemptId: attemptId },
  });
  if (!ok) return false;
  await tx.addEvent(paidEvent(ctx, orderId, facts));
  return true;
}

/**
 * The checks of a payment against the attempt it names that need no write: the merchant, then the amount. Undefined
 * when they pass; applyPayment records a failed one (an amount mismatch flags the order).
 */
export function paymentMismatch(ctx: ApplyContext, facts: PaymentFacts, attempt: PaymentAttempt): 'wrong_merchant' | 'amount_mismatch' | undefined {
  if (!sameMerchant(ctx, facts)) return 'wrong_merchant';
  // Another merchant's order is never touched, even by a payment its own merchant's keys vouch for.
  if (merchantOf(attempt) !== (ctx.merchantId ?? merchantOf({}))) return 'wrong_merchant';
  // The order total, not what the payer paid after coupons: the attempt's amount is what we asked WeChat for.
  if (facts.amountFen !== attempt.amountFen) return 'amount_mismatch';
  return undefined;
}

/**
 * `known`: the attempt of facts.outTradeNo as the caller already read it (a notification reads it to learn the sign
 * type before verifying). Only fields that never change after the attempt is made are used from it (id, order,
 * amount, merchant); everything that changes is decided by the conditional writes below, inside this transaction.
 */
export async function applyPayment(tx: Repos, ctx: ApplyContext, facts: PaymentFacts, known?: PaymentAttempt): Promise<PaymentOutcome> {
  if (!sameMerchant(ctx, facts)) return 'wrong_merchant';
  const attempt = known?.outTradeNo === facts.outTradeNo ? known : await tx.getAttemptByOutTradeNo(facts.outTradeNo);
  if (attempt === undefined) return 'unknown_order';
  const mismatch = paymentMismatch(ctx, facts, attempt);
  if (mismatch === 'amount_mismatch') await tx.flag(attempt.orderId, 'amount_mismatch', ctx.now);
  if (mismatch !== undefined) return mismatch;
  const recorded = await tx.recordTransaction(attempt.id, facts.transactionId);
  if (recorded === 'conflict') {
    await tx.flag(attempt.orderId, 'transaction_conflict', ctx.now);
    return 'transaction_conflict';
  }
  // The common case first: a transaction seen for the first time, on an unpaid order. The conditional update applies
  // only from an unpaid status (the state machine's rule), so it is its own check and the order need not be read
  // before it. Otherwise the order is looked at (status and paying attempt only: never the items).
  if (recorded === 'recorded' && (await markPaid(tx, ctx, attempt.orderId, facts, attempt.id, 'unpaid'))) return 'paid';
  let order = await tx.getOrderState(attempt.orderId);
  if (order === undefined) return 'unknown_order';
  if (isUnpaid(order.status)) {
    if (await markPaid(tx, ctx, order.id, facts, attempt.id, 'unpaid')) return 'paid';
    order = await tx.getOrderState(attempt.orderId);
    if (order === undefined) return 'unknown_order';
  }
  if (order.status === 'CLOSED') {
    // The money is real and recorded on the attempt; the order is never silently left CLOSED.
    if (ctx.paidAfterClose === 'accept' && (await markPaid(tx, ctx, order.id, facts, attempt.id, 'closed'))) {
      return 'paid_after_close_accepted';
    }
    await tx.flag(order.id, 'paid_after_close', ctx.now);
    return 'paid_after_close';
  }
  if (isPaidOrLater(order.status)) {
    if (order.paidAttemptId === attempt.id) return 'duplicate';
    // Two attempts of one order both paid: the second payment must be refunded by a person.
    await tx.flag(order.id, 'double_payment', ctx.now);
    return 'double_payment';
  }
  return 'duplicate';
}
