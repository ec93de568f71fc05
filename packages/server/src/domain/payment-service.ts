/**
 * Orders and their payment attempts: creation (priced from the catalogue), wx.requestPayment parameters (reusing a
 * live prepay, otherwise a new attempt after closing the old one), and learning about payments by asking WeChat.
 * WeChat is never called inside a database transaction.
 */
import { GatewayError, GatewayRequestError } from '../ports/gateway.js';
import type { PayParams } from '../ports/gateway.js';
import { applyContextOf, applyPayment, REVIEW_OUTCOMES } from './apply-payment.js';
import type { ApplyContext, PaymentOutcome } from './apply-payment.js';
import { isPaidOrLater, isUnpaid, prepayUsable } from './order.js';
import type { Order, PaymentAttempt } from './order.js';
import { fitDescription, priceCart } from './pricing.js';
import type { CartLine, PricingResult } from './pricing.js';
import type { ServiceDeps } from './service-deps.js';
import { DEFAULT_MERCHANT_ID } from './merchant-identity.js';

export type PaymentServiceOptions = ServiceDeps & {
  /** PUBLIC_URL + /wxpay/notify/payment (a function: the port may be known only after listen). */
  notifyUrl: () => string;
  payExpireMs: number;
  orderExpireMs: number;
  paidAfterClose: 'refund' | 'accept';
  /** Reading an unpaid order this long after its prepay queries WeChat (a notification may be late or lost). */
  lateQueryAfterMs?: number;
  /** At most one such query per order per this many ms, across requests and instances. */
  queryGapMs?: number;
  /**
   * OPEN_ORDERS_MAX: a new order is refused while its user has this many unpaid ones. A replay of an Idempotency-Key
   * is not a new order and is never refused. Without it there is no cap.
   */
  openOrdersMax?: number;
};

/** WeChat v2 wants time_expire more than 5 minutes ahead; below this a fresh attempt is not worth starting. */
const MIN_PAY_WINDOW_MS = 6 * 60_000;

export type PaymentReady = { ok: true; order: Order; attempt: PaymentAttempt; payParams: PayParams };
export type PaymentRefused = { ok: false; reason: 'already_paid' | 'not_payable' | 'expired' };

/**
 * A repeated Idempotency-Key for an order that can no longer be paid (paid, refunded, closed, expired): the same order
 * with its current status, no pay parameters (Stripe's rule: the key returns the first result, here as it stands now).
 */
export type OrderReplay = { ok: true; replayed: true; order: Order; attempt: PaymentAttempt | undefined; payParams: undefined };

export type CreateOrderResult =
  | (PaymentReady & { replayed: boolean })
  | OrderReplay
  | (PaymentRefused & { order: Order })
  | { ok: false; reason: Exclude<PricingResult, { ok: true }>['reason']; sku?: string | undefined }
  /** The idempotency key was used before for a different cart. */
  | { ok: false; reason: 'idempotency_mismatch'; sku?: undefined }
  /** The user already has openOrdersMax unpaid orders. */
  | { ok: false; reason: 'too_many_open_orders'; sku?: undefined };

/** Same skus and quantities, in any order: what an idempotent replay must repeat. */
function sameCart(items: readonly { sku: string; quantity: number }[], lines: readonly CartLine[]): boolean {
  const key = (list: readonly { sku: string; quantity: number }[]) => list.map((l) => `${l.sku}\u0000${l.quantity}`).sort().join('\u0001');
  return key(items) === key(lines);
}

export class PaymentService {
  private readonly lateQueryAfterMs: number;
  private readonly queryGapMs: number;

  constructor(private readonly o: PaymentServiceOptions) {
    this.lateQueryAfterMs = o.lateQueryAfterMs ?? 5_000;
    this.queryGapMs = o.queryGapMs ?? 10_000;
  }

  private ctx(): ApplyContext {
    return applyContextOf(this.o, this.o.paidAfterClose);
  }

  /**
   * Creates an order priced on the server and gets it ready to pay. With an idempotency key, a repeated request returns
   * the same order (and tries again to make it payable, e.g. after WeChat was down the first time).
   * Throws GatewayError when WeChat cannot be reached; the order then exists and a retry with the same key resumes it.
   */
  async createOrder(input: { openid: string; lines: readonly CartLine[]; idempotencyKey?: string | undefined; clientIp: string }): Promise<CreateOrderResult> {
    const { store, clock, ids } = this.o;
    if (input.idempotencyKey !== undefined) {
      const existing = await store.findByIdempotencyKey(input.openid, input.idempotencyKey);
      if (existing !== undefined) {
        if (!sameCart(existing.items, input.lines)) return { ok: false, reason: 'idempotency_mismatch' };
        return this.resume(existing, input.clientIp, true);
      }
    }
    // Two reads that do not depend on each other, sent together: on PostgreSQL one round trip instead of two.
    const cap = this.o.openOrdersMax;
    const [open, catalogue] = await Promise.all([
      cap === undefined ? 0 : store.countUnpaidOrders(input.openid, cap),
      store.productsBySku(input.lines.map((l) => l.sku), this.o.merchantId),
    ]);
    if (cap !== undefined && open >= cap) return { ok: false, reason: 'too_many_open_orders' };
    const priced = priceCart(input.lines, catalogue);
    if (!priced.ok) return { ok: false, reason: priced.reason, sku: priced.sku };
    const now = clock.now();
    const order: Order = {
      id: ids.orderId(),
      merchantId: this.o.merchantId === DEFAULT_MERCHANT_ID ? undefined : this.o.merchantId,
      openid: input.openid,
      status: 'CREATED',
      amountFen: priced.amountFen,
      description: priced.description,
      items: priced.items,
      idempotencyKey: input.idempotencyKey,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + this.o.orderExpireMs,
      paidAt: undefined,
      paidAttemptId: undefined,
      refundedFen: 0,
      reviewReason: undefined,
    };
    const attempt = this.newAttempt(order, now);
    try {
      await this.insertOrderWithAttempt(order, attempt);
    } catch (error) {
      // Two requests with one idempotency key raced; the database's uniqueness picked a winner.
      if (input.idempotencyKey !== undefined) {
        const winner = await store.findByIdempotencyKey(input.openid, input.idempotencyKey);
        if (winner !== undefined) return this.resume(winner, input.clientIp, true);
      }
      throw error;
    }
    // The attempt just written is the order's latest: handed on, not read back.
    return this.resume(order, input.clientIp, false, attempt);
  }

  private async resume(order: Order, clientIp: string, replayed: boolean, latest?: PaymentAttempt): Promise<CreateOrderResult> {
    const result = await this.prepare(order, clientIp, 0, latest);
    if (result.ok) return { ...result, replayed };
    if (!replayed) return { ...result, order };
    const current = (await this.o.store.getOrder(order.id)) ?? order;
    return { ok: true, replayed: true, order: current, attempt: await this.attemptToShow(current), payParams: undefined };
  }

  /** The attempt that paid the order, else its latest one: whose out_trade_no the order answers with. */
  async attemptToShow(order: Order): Promise<PaymentAttempt | undefined> {
    const paid = order.paidAttemptId === undefined ? undefined : await this.o.store.getAttempt(order.paidAttemptId);
    return paid ?? (await this.o.store.latestAttempt(order.id));
  }

  private newAttempt(order: Order, now: number): PaymentAttempt {
    return {
      id: this.o.ids.rowId(),
      merchantId: order.merchantId,
      orderId: order.id,
      outTradeNo: this.o.ids.outTradeNo(now),
      amountFen: order.amountFen,
      status: 'OPEN',
      signType: undefined,
      prepayId: undefined,
      prepayAt: undefined,
      timeExpire: Math.min(now + this.o.payExpireMs, order.expiresAt),
      transactionId: undefined,
      createdAt: now,
      lastQueryAt: undefined,
    };
  }

  /** wx.requestPayment parameters for an unpaid order: reuse a live prepay, else retry or start a new attempt. */
  async preparePayment(order: Order, clientIp: string): Promise<PaymentReady | PaymentRefused> {
    return this.prepare(order, clientIp, 0);
  }

  private refusal(order: Order): PaymentRefused {
    return { ok: false, reason: isPaidOrLater(order.status) ? 'already_paid' : 'not_payable' };
  }

  /** `latest`: the order's latest attempt when the caller has just written it (a new order), so it is not read again. */
  private async prepare(order: Order, clientIp: string, depth: number, latest?: PaymentAttempt): Promise<PaymentReady | PaymentRefused> {
    const { store, clock, gateway } = this.o;
    if (!isUnpaid(order.status)) return this.refusal(order);
    let now = clock.now();
    if (now >= order.expiresAt) return { ok: false, reason: 'expired' };
    let attempt = latest ?? (await store.latestAttempt(order.id));
    if (attempt !== undefined && prepayUsable(attempt, now, gateway.apiVersion) && attempt.prepayId !== undefined) {
      return { ok: true, order, attempt, payParams: gateway.payParams(attempt.prepayId, attempt.signType ?? 'MD5') };
    }
    // An attempt whose unifiedorder never succeeded is retried with identical parameters (SYSTEMERROR's rule).
    const retrySame = attempt !== undefined && attempt.status === 'OPEN' && attempt.prepayId === undefined && now < attempt.timeExpire - MIN_PAY_WINDOW_MS;
    if (attempt !== undefined && !retrySame) {
      if (attempt.status === 'OPEN') {
        // Close the old attempt before a new out_trade_no exists, or one order could be paid twice.
        const closed = await this.closeAttempt(attempt);
        if (closed === 'paid') {
          const fresh = await store.getOrder(order.id);
          return this.refusal(fresh ?? order);
        }
      }
      now = clock.now();
      if (order.expiresAt - now < MIN_PAY_WINDOW_MS) return { ok: false, reason: 'expired' };
      const fresh = this.newAttempt(order, now);
      if (!(await this.insertAttemptOnce(fresh))) {
        // A concurrent request started the new attempt first (one OPEN attempt per order): use that one.
        if (depth > 1) throw new GatewayError('BUSY', 'the order is being prepared by another request', { retriable: true });
        return this.prepare((await store.getOrder(order.id)) ?? order, clientIp, depth + 1);
      }
      attempt = fresh;
    }
    if (attempt === undefined) {
      const fresh = this.newAttempt(order, now);
      if (!(await this.insertAttemptOnce(fresh))) return this.prepare((await store.getOrder(order.id)) ?? order, clientIp, depth + 1);
      attempt = fresh;
    }
    let result;
    try {
      result = await gateway.createPrepay({
        outTradeNo: attempt.outTradeNo,
        description: fitDescription(order.description),
        amountFen: attempt.amountFen,
        openid: order.openid,
        notifyUrl: this.o.notifyUrl(),
        timeExpire: attempt.timeExpire,
        clientIp,
      });
    } catch (error) {
      // Refused before it was sent: this out_trade_no never reached WeChat, so retiring it locally is safe, and the
      // order's next try starts a new attempt instead of resending the same refused request forever.
      if (error instanceof GatewayRequestError) await store.setAttemptStatus(attempt.id, ['OPEN'], 'CLOSED');
      throw error;
    }
    switch (result.kind) {
      case 'prepay': {
        const at = clock.now();
        // One commit for both writes (not two autocommits), and the order is not read back: it is as we had it, moved
        // to PAYING when this prepay moved it; only when something else changed it meanwhile is it read again.
        const moved = await this.recordPrepay(attempt.id, result.prepayId, result.signType, at, order.id);
        const fresh: Order = moved
          ? { ...order, status: 'PAYING', updatedAt: at }
          : order.status === 'PAYING' ? order : ((await store.getOrder(order.id)) ?? order);
        const updated: PaymentAttempt = { ...attempt, prepayId: result.prepayId, signType: result.signType, prepayAt: at };
        return { ok: true, order: fresh, attempt: updated, payParams: gateway.payParams(result.prepayId, result.signType) };
      }
      case 'already_paid': {
        await this.syncAttempt(attempt);
        const fresh = (await store.getOrder(order.id)) ?? order;
        if (!isUnpaid(fresh.status)) return this.refusal(fresh);
        throw new GatewayError('INCONSISTENT', 'WeChat says the order is paid but the query does not show it yet', { retriable: true });
      }
      case 'closed':
      case 'out_trade_no_used': {
        // This out_trade_no can no longer be paid by us: make sure it was not paid, retire it, and try once more.
        if (result.kind === 'out_trade_no_used') {
          const synced = await this.syncAttempt(attempt);
          if (synced === 'paid' || synced === 'duplicate') return this.refusal((await store.getOrder(order.id)) ?? order);
        }
        await store.setAttemptStatus(attempt.id, ['OPEN'], 'CLOSED');
        if (depth > 0) throw new GatewayError(result.kind.toUpperCase(), 'WeChat refused a fresh out_trade_no', { retriable: false });
        return this.prepare((await store.getOrder(order.id)) ?? order, clientIp, depth + 1);
      }
    }
  }

  /** The order and its first attempt in one transaction (one round trip where the store can: Store docs). */
  private async insertOrderWithAttempt(order: Order, attempt: PaymentAttempt): Promise<void> {
    const { store } = this.o;
    if (store.insertOrderWithAttempt !== undefined) {
      await store.insertOrderWithAttempt(order, attempt);
      return;
    }
    await store.transaction(async (tx) => {
      await tx.insertOrder(order);
      await tx.insertAttempt(attempt);
    });
  }

  /** The prepay and the order's prepayIssued move in one transaction; whether the order moved. */
  private recordPrepay(attemptId: string, prepayId: string, signType: string, at: number, orderId: string): Promise<boolean> {
    const { store } = this.o;
    if (store.recordPrepay !== undefined) return store.recordPrepay(attemptId, prepayId, signType, at, orderId);
    return store.transaction(async (tx) => {
      await tx.setPrepay(attemptId, prepayId, signType, at);
      return tx.transition(orderId, 'prepayIssued', at);
    });
  }

  /** Inserts an attempt unless the order already has an OPEN one (the database's partial unique index decides). */
  private async insertAttemptOnce(attempt: PaymentAttempt): Promise<boolean> {
    try {
      await this.o.store.insertAttempt(attempt);
      return true;
    } catch (error) {
      const latest = await this.o.store.latestAttempt(attempt.orderId);
      if (latest !== undefined && latest.status === 'OPEN' && latest.id !== attempt.id) return false;
      throw error;
    }
  }

  /** Close an attempt at WeChat. A close answered ORDERPAID means paid: the payment is fetched and applied. */
  async closeAttempt(attempt: PaymentAttempt): Promise<'closed' | 'paid'> {
    const answer = await this.o.gateway.closePayment(attempt.outTradeNo);
    if (answer === 'closed') {
      await this.o.store.setAttemptStatus(attempt.id, ['OPEN'], 'CLOSED');
      return 'closed';
    }
    const outcome = await this.syncAttempt(attempt);
    if (outcome === 'unpaid') throw new GatewayError('INCONSISTENT', 'close said ORDERPAID but the query shows no payment', { retriable: true });
    return 'paid';
  }

  /** orderquery and apply the answer through the same transition as a notification. */
  async syncAttempt(attempt: PaymentAttempt): Promise<PaymentOutcome | 'unpaid'> {
    const answer = await this.o.gateway.queryPayment(attempt.outTradeNo);
    if (answer.state === 'SUCCESS' || answer.state === 'REFUND') {
      const outcome = await this.o.store.transaction((tx) => applyPayment(tx, this.ctx(), answer.payment));
      this.report(outcome, attempt.outTradeNo, 'query');
      return outcome;
    }
    if (answer.state === 'CLOSED' || answer.state === 'REVOKED' || answer.state === 'PAYERROR') {
      await this.o.store.setAttemptStatus(attempt.id, ['OPEN'], 'CLOSED');
    }
    return 'unpaid';
  }

  report(outcome: PaymentOutcome, outTradeNo: string, source: string): void {
    if (outcome === 'paid' || outcome === 'paid_after_close_accepted') this.o.logger.info({ outTradeNo, source, outcome }, 'order paid');
    else if (REVIEW_OUTCOMES.has(outcome)) this.o.logger.warn({ outTradeNo, source, outcome, alert: true }, 'payment needs review');
  }

  /**
   * The late-notification path: an order read while unpaid, a few seconds after its prepay, is checked with WeChat
   * (rate-limited per order by a conditional claim, so many readers or instances make one query). Query failures are
   * logged and the stored order is returned: reading an order must not fail because WeChat is slow.
   */
  async refreshIfLate(order: Order): Promise<Order> {
    if (!isUnpaid(order.status)) return order;
    const { store, clock } = this.o;
    const attempt = await store.latestAttempt(order.id);
    const now = clock.now();
    if (attempt === undefined || attempt.status !== 'OPEN' || attempt.prepayAt === undefined) return order;
    if (now - attempt.prepayAt < this.lateQueryAfterMs) return order;
    if (!(await store.claimQuery(attempt.id, now, this.queryGapMs))) return order;
    try {
      await this.syncAttempt(attempt);
    } catch (error) {
      this.o.logger.warn({ outTradeNo: attempt.outTradeNo, err: errorSummary(error) }, 'late-payment query failed');
      return order;
    }
    return (await store.getOrder(order.id)) ?? order;
  }
}

export function errorSummary(error: unknown): string {
  if (error instanceof GatewayError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return 'unknown error';
}
