/**
 * Refunds: one at a time per order (the order sits in REFUNDING meanwhile), each with its own out_refund_no that is
 * reused on every retry so WeChat refunds at most once. The final word comes from the refund notification.
 */
import type { RefundNotice } from '../ports/gateway.js';
import type { Refund, Repos } from '../ports/store.js';
import type { Order } from './order.js';
import type { ServiceDeps } from './service-deps.js';

export type RefundServiceOptions = ServiceDeps & {
  /** PUBLIC_URL + /wxpay/notify/refund */
  notifyUrl: () => string;
};

export type RefundRequestResult =
  | { ok: true; refund: Refund }
  | { ok: false; reason: 'not_found' | 'not_refundable' | 'bad_amount' | 'rejected'; message?: string };

export type RefundOutcome = 'refunded' | 'refund_closed' | 'refund_abnormal' | 'duplicate' | 'unknown_refund' | 'wrong_merchant';

export class RefundService {
  constructor(private readonly o: RefundServiceOptions) {}

  /** Start (or resend, with the same out_refund_no) a refund of `amountFen` (default: all that is left). */
  async requestRefund(input: { orderId: string; amountFen?: number | undefined; reason?: string | undefined }): Promise<RefundRequestResult> {
    const { store, clock, ids, gateway } = this.o;
    const order = await store.getOrder(input.orderId);
    if (order === undefined) return { ok: false, reason: 'not_found' };
    let refund = (await store.listRefunds(order.id)).find((r) => r.status === 'REQUESTED');
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
    const outTradeNo = await this.paidOutTradeNo(order);
    const answer = await gateway.refund({
      outTradeNo,
      outRefundNo: refund.outRefundNo,
      totalFen: order.amountFen,
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

  private async paidOutTradeNo(order: Order): Promise<string> {
    // No attempt is started once an order is paid, so the latest attempt is the one that paid.
    const latest = await this.o.store.latestAttempt(order.id);
    if (latest === undefined) throw new Error('paid order without an attempt');
    return latest.outTradeNo;
  }

  /** REFUNDING → back to PAID / PARTIALLY_REFUNDED when a refund did not happen. */
  private async release(tx: Repos, order: Order, now: number): Promise<void> {
    const current = await tx.getOrder(order.id);
    if (current === undefined) return;
    await tx.transition(order.id, 'refundReleased', now, { to: current.refundedFen > 0 ? 'PARTIALLY_REFUNDED' : 'PAID' });
  }

  async applyRefundNotice(tx: Repos, notice: RefundNotice): Promise<RefundOutcome> {
    const { gateway, clock } = this.o;
    if (notice.mchid !== gateway.mchid || (notice.appid !== undefined && notice.appid !== gateway.appid)) return 'wrong_merchant';
    const refund = await tx.getRefundByOutRefundNo(notice.outRefundNo);
    if (refund === undefined) return 'unknown_refund';
    const order = await tx.getOrder(refund.orderId);
    if (order === undefined) return 'unknown_refund';
    const now = clock.now();
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
