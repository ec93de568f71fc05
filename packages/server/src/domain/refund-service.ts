/**
 * Refunds: one at a time per order (the order sits in REFUNDING meanwhile), each with its own out_refund_no that is
 * reused on every retry so WeChat refunds at most once. The final word comes from the refund notification.
 */
import type { RefundNotice } from '../ports/gateway.js';
import type { Refund, Repos } from '../ports/store.js';
import type { Order, PaymentAttempt } from './order.js';
import type { ServiceDeps } from './service-deps.js';
import { DEFAULT_MERCHANT_ID, merchantOf, sameMerchant } from './merchant-identity.js';

export type RefundServiceOptions = ServiceDeps & {
  /** PUBLIC_URL + /wxpay/notify/refund */
  notifyUrl: () => string;
};

export type RefundRequestResult =
  | { ok: true; refund: Refund }
  /** A refund of this order is already under way with another amount (or already with WeChat): that one is returned. */
  | { ok: false; reason: 'refund_in_progress'; refund: Refund }
  | { ok: false; reason: 'not_found' | 'not_refundable' | 'bad_amount' | 'rejected'; message?: string };

export type RefundOutcome =
  | 'refunded'
  | 'refund_closed'
  | 'refund_abnormal'
  | 'duplicate'
  | 'unknown_refund'
  | 'wrong_merchant'
  | 'refund_trade_mismatch'
  | 'refund_amount_mismatch';

/** Refund notifications that need a person: money moved (or was said to) in a way our records do not explain. */
const REFUND_REVIEW: ReadonlySet<RefundOutcome> = new Set(['refund_abnormal', 'unknown_refund', 'wrong_merchant', 'refund_trade_mismatch', 'refund_amount_mismatch']);

export class RefundService {
  constructor(private readonly o: RefundServiceOptions) {}

  /** Start (or resend, with the same out_refund_no) a refund of `amountFen` (default: all that is left). */
  async requestRefund(input: { orderId: string; amountFen?: number | undefined; reason?: string | undefined }): Promise<RefundRequestResult> {
    const { store, clock, ids, gateway } = this.o;
    const order = await store.getOrder(input.orderId);
    if (order === undefined) return { ok: false, reason: 'not_found' };
    const inFlight = (await store.listRefunds(order.id)).find((r) => r.status === 'REQUESTED' || r.status === 'PROCESSING');
    // Only an unanswered request is resent, and only as it was first made: another amount would silently become the
    // old one (the out_refund_no pins it at WeChat), so it is refused with the refund that is under way.
    if (inFlight !== undefined && (inFlight.status !== 'REQUESTED' || (input.amountFen !== undefined && input.amountFen !== inFlight.amountFen))) {
      return { ok: false, reason: 'refund_in_progress', refund: inFlight };
    }
    let refund = inFlight;
    if (refund === undefined) {
      if (order.status !== 'PAID' && order.status !== 'PARTIALLY_REFUNDED') return { ok: false, reason: 'not_refundable' };
      const remaining = order.amountFen - order.refundedFen;
      const amountFen = input.amountFen ?? remaining;
      if (!Number.isSafeInteger(amountFen) || amountFen <= 0 || amountFen > remaining) return { ok: false, reason: 'bad_amount' };
      const now = clock.now();
      const fresh: Refund = {
        id: ids.rowId(),
        orderId: order.id,
        outRefundNo: ids.outRefundNo(now),
        amountFen,
        status: 'REQUESTED',
        refundId: undefined,
        reason: input.reason,
        createdAt: now,
        updatedAt: now,
      };
      const started = await store.transaction(async (tx) => {
        if (!(await tx.transition(order.id, 'refundStarted', now))) return false;
        await tx.insertRefund(fresh);
        return true;
      });
      if (!started) return { ok: false, reason: 'not_refundable' };
      refund = fresh;
    }
    const paid = await this.paidAttempt(store, order);
    const answer = await gateway.refund({
      outTradeNo: paid.outTradeNo,
      outRefundNo: refund.outRefundNo,
      totalFen: paid.amountFen,
      refundFen: refund.amountFen,
      reason: refund.reason,
      notifyUrl: this.o.notifyUrl(),
    });
    const now = clock.now();
    if (answer.kind === 'rejected') {
      await store.transaction(async (tx) => {
        await tx.setRefundStatus(refund.outRefundNo, ['REQUESTED'], 'REJECTED', now);
        await this.release(tx, order, now);
      });
      this.o.logger.warn({ orderId: order.id, code: answer.code }, 'refund rejected by WeChat');
      return { ok: false, reason: 'rejected', message: `${answer.code}: ${answer.message}` };
    }
    await store.setRefundStatus(refund.outRefundNo, ['REQUESTED'], answer.status === 'SUCCESS' ? 'PROCESSING' : answer.status, now, answer.refundId);
    return { ok: true, refund: (await store.getRefundByOutRefundNo(refund.outRefundNo)) ?? refund };
  }

  /**
   * The attempt whose money is refunded: the one that paid the order. After a double payment the latest attempt is
   * the other payment (refunded by a person, flagged), so "latest" would refund the wrong money.
   */
  private async paidAttempt(repos: Repos, order: Order): Promise<PaymentAttempt> {
    const paid = order.paidAttemptId === undefined ? undefined : await repos.getAttempt(order.paidAttemptId);
    if (paid === undefined) throw new Error(`order ${order.id} has no paying attempt recorded`);
    return paid;
  }

  /** Logs a refund notification's verdict; the ones that need a person are alerted. */
  report(outcome: RefundOutcome, notice: RefundNotice): void {
    const subject = { outRefundNo: notice.outRefundNo, outTradeNo: notice.outTradeNo, outcome };
    if (REFUND_REVIEW.has(outcome)) this.o.logger.warn({ ...subject, alert: true }, 'refund notification needs review');
    else if (outcome === 'refunded') this.o.logger.info(subject, 'refund settled');
  }

  /** REFUNDING → back to PAID / PARTIALLY_REFUNDED when a refund did not happen. */
  private async release(tx: Repos, order: Order, now: number): Promise<void> {
    const current = await tx.getOrder(order.id);
    if (current === undefined) return;
    await tx.transition(order.id, 'refundReleased', now, { to: current.refundedFen > 0 ? 'PARTIALLY_REFUNDED' : 'PAID' });
  }

  async applyRefundNotice(tx: Repos, notice: RefundNotice): Promise<RefundOutcome> {
    const { gateway, clock } = this.o;
    const now = clock.now();
    const refund = await tx.getRefundByOutRefundNo(notice.outRefundNo);
    const order = refund === undefined ? undefined : await tx.getOrder(refund.orderId);
    // Another merchant's refund (or one naming another sub-merchant) never moves this merchant's orders, nor theirs.
    const ours = sameMerchant(gateway, notice) && (order === undefined || merchantOf(order) === (this.o.merchantId ?? DEFAULT_MERCHANT_ID));
    if (!ours) {
      if (order !== undefined && merchantOf(order) === (this.o.merchantId ?? DEFAULT_MERCHANT_ID)) await tx.flag(order.id, 'refund_wrong_merchant', now);
      return 'wrong_merchant';
    }
    if (refund === undefined || order === undefined) return 'unknown_refund';
    // What WeChat says was refunded must be what we asked for, from the payment we asked it of: else nothing moves.
    const paid = order.paidAttemptId === undefined ? undefined : await tx.getAttempt(order.paidAttemptId);
    if (paid === undefined || notice.outTradeNo !== paid.outTradeNo) {
      await tx.flag(order.id, 'refund_trade_mismatch', now);
      return 'refund_trade_mismatch';
    }
    if (notice.refundFen !== refund.amountFen || notice.totalFen !== paid.amountFen) {
      await tx.flag(order.id, 'refund_amount_mismatch', now);
      return 'refund_amount_mismatch';
    }
    if (notice.status === 'SUCCESS') {
      if (!(await tx.setRefundStatus(refund.outRefundNo, ['REQUESTED', 'PROCESSING'], 'SUCCESS', now, notice.refundId))) return 'duplicate';
      const refundedFen = order.refundedFen + refund.amountFen;
      await tx.transition(order.id, 'refundSettled', now, { to: refundedFen >= order.amountFen ? 'REFUNDED' : 'PARTIALLY_REFUNDED', patch: { refundedFen } });
      return 'refunded';
    }
    const to = notice.status === 'CLOSED' ? 'CLOSED' : 'ABNORMAL';
    if (!(await tx.setRefundStatus(refund.outRefundNo, ['REQUESTED', 'PROCESSING'], to, now, notice.refundId))) return 'duplicate';
    await this.release(tx, order, now);
    if (to === 'ABNORMAL') await tx.flag(order.id, 'refund_abnormal', now);
    return to === 'CLOSED' ? 'refund_closed' : 'refund_abnormal';
  }
}
