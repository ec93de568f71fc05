/**
 * WeChat's payment and refund notifications, in DESIGN.md's order: verify (the gateway: size, headers, signature,
 * decryption, strict parse), then the business checks and the transition in one transaction, then the answer.
 * Authentic and recorded → success whatever the verdict; not authentic → failure; not recorded → failure, so WeChat's
 * retries become our recovery window. Every delivery is logged raw with its outcome.
 */
import type { InboundNotification, NotificationAnswer, PaymentNotice, RefundNotice, Verified } from '../ports/gateway.js';
import type { NotificationLogEntry, RefusalSample, Repos } from '../ports/store.js';
import { applyContextOf, applyPayment, paidEvent, paymentMismatch } from './apply-payment.js';
import { DEFAULT_REFUSAL_SAMPLING, MINUTE_MS, RefusalSampler, SAMPLE_BODY_MAX, contentTypeRefusal } from './notification-intake.js';
import type { RefusalSampling } from './notification-intake.js';
import type { PaymentOutcome } from './apply-payment.js';
import type { PaymentAttempt } from './order.js';
import { errorSummary } from './payment-service.js';
import { DEFAULT_MERCHANT_ID, merchantOf, sameMerchant } from './merchant-identity.js';
import type { PaymentService } from './payment-service.js';
import type { RefundOutcome, RefundService } from './refund-service.js';
import type { ServiceDeps } from './service-deps.js';

export type NotificationServiceOptions = ServiceDeps & {
  payments: PaymentService;
  refunds: RefundService;
  paidAfterClose: 'refund' | 'accept';
  /** How many refused deliveries are kept raw (default: notification-intake.ts). */
  refusalSampling?: RefusalSampling;
};

/** Keep WeChat's headers for the audit trail, nothing else a proxy may have added (cookies, authorization). */
function auditHeaders(headers: InboundNotification['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('wechatpay-') || lower === 'content-type' || lower === 'request-id') {
      out[lower] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    }
  }
  return out;
}

/** What one delivery came to: refused (why), recorded (the outcome; `first` false for a redelivery), or not recorded. */
export type ProcessResult = { answer: NotificationAnswer; outTradeNo?: string } & (
  | { authentic: false; reason: string }
  | { authentic: true; recorded: true; outcome: string; first: boolean }
  | { authentic: true; recorded: false }
);

export class NotificationService {
  private readonly refusals: RefusalSampler;
  private readonly sampling: RefusalSampling;
  private lastRefusalMinute = -1;

  constructor(private readonly o: NotificationServiceOptions) {
    this.sampling = o.refusalSampling ?? DEFAULT_REFUSAL_SAMPLING;
    this.refusals = new RefusalSampler(this.sampling);
  }

  /** The log entry of an authentic delivery (made only then: a refusal is counted, and at most sampled). */
  private entry(kind: 'payment' | 'refund', input: InboundNotification, receivedAt: number, notice: { eventKey: string; outTradeNo: string }, outcome: string): NotificationLogEntry {
    return {
      id: this.o.ids.rowId(),
      kind,
      apiVersion: this.o.gateway.apiVersion,
      receivedAt,
      headers: auditHeaders(input.headers),
      rawBody: input.body.toString('utf8'),
      authentic: true,
      outcome,
      eventKey: notice.eventKey,
      outTradeNo: notice.outTradeNo,
    };
  }

  /**
   * A refused delivery: counted; kept (and alerted) only as one of the first few of its kind, source and reason in
   * this minute, as a sample inside that key's counter row, so refusals add at most one row per key and minute. The
   * count itself and a skipped sample cost no database write on the request.
   */
  private async logRejected(input: InboundNotification | undefined, receivedAt: number, kind: 'payment' | 'refund', source: string | undefined, reason: string): Promise<void> {
    const now = this.o.clock.now();
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const key = this.refusals.record({ minute, kind, source: source ?? 'unknown', reason });
    if (minute > this.lastRefusalMinute) {
      // A new minute: the finished ones are written now (one row per key), not left in memory until the next job run.
      if (this.lastRefusalMinute !== -1 && this.refusals.hasCountsBefore(minute)) void this.flushRefusals();
      this.lastRefusalMinute = minute;
    }
    if (key === undefined || input === undefined) return;
    this.o.logger.warn({ kind, reason, source, alert: true }, 'notification rejected');
    try {
      // Only now, for one of the few kept, are the body and headers copied: a refusal beyond the samples copies nothing.
      const sample: RefusalSample = { receivedAt, apiVersion: this.o.gateway.apiVersion, headers: auditHeaders(input.headers), rawBody: input.body.toString('utf8').slice(0, SAMPLE_BODY_MAX) };
      // In the shared transaction: on SQLite it joins the next group commit instead of being a write of its own, whose
      // fsync would stop the event loop while genuine notifications wait.
      await this.o.store.sharedTransaction((tx) => tx.addRefusalSample(key, sample, this.sampling.perKey));
    } catch (error) {
      this.o.logger.error({ err: errorSummary(error) }, 'could not keep a sample of a rejected notification');
    }
  }

  private countWrongMerchant(kind: 'payment' | 'refund', source: string | undefined): void {
    const minute = Math.floor(this.o.clock.now() / MINUTE_MS) * MINUTE_MS;
    this.refusals.record({ minute, kind, source: source ?? 'unknown', reason: 'wrong_merchant' });
    this.o.logger.warn({ kind, source, merchantId: this.o.merchantId ?? DEFAULT_MERCHANT_ID, reason: 'wrong_merchant', alert: true }, 'notification names another merchant; nothing applied');
  }

  /** A delivery refused before its body was read (too large, unreadable): counted, never stored. */
  refuseUnread(kind: 'payment' | 'refund', source: string | undefined, reason: string): void {
    void this.logRejected(undefined, this.o.clock.now(), kind, source, reason);
  }

  /** Writes the refusal counts held in memory (the jobs call it on every instance; also on close). Returns the rows. */
  async flushRefusals(): Promise<number> {
    const rows = this.refusals.drain();
    if (rows.length === 0) return 0;
    try {
      await this.o.store.sharedTransaction((tx) => tx.addRefusalCounts(rows));
      return rows.length;
    } catch (error) {
      this.refusals.restore(rows);
      this.o.logger.warn({ err: errorSummary(error) }, 'could not write notification refusal counts; kept for the next flush');
      return 0;
    }
  }

  async handlePayment(input: InboundNotification): Promise<NotificationAnswer> {
    return (await this.processPayment(input)).answer;
  }

  async handleRefund(input: InboundNotification): Promise<NotificationAnswer> {
    return (await this.processRefund(input)).answer;
  }

  /**
   * Runs a logged delivery again (`wxpay-kit notifications replay <id>`): the same verification and apply as when it
   * arrived, so it is idempotent (an event already recorded is a redelivery and changes nothing) and a forged or
   * stale one is refused again. v3 signatures carry a timestamp valid for 5 minutes: an older v3 delivery is refused
   * as stale (WeChat's own retries are the way to re-deliver those).
   */
  async replay(entry: NotificationLogEntry): Promise<ProcessResult> {
    if (entry.apiVersion !== this.o.gateway.apiVersion) return { authentic: false, reason: `api_version_mismatch:${entry.apiVersion}`, answer: this.o.gateway.answer(false, 'malformed') };
    const input: InboundNotification = { headers: entry.headers, body: Buffer.from(entry.rawBody, 'utf8'), source: 'replay' };
    return entry.kind === 'refund' ? this.processRefund(input) : this.processPayment(input);
  }

  private processPayment(input: InboundNotification): Promise<ProcessResult> {
    const { gateway } = this.o;
    // The attempt read to learn the sign type is handed to the apply step, which then need not read it again.
    let bound: PaymentAttempt | undefined;
    return this.handle<PaymentNotice, PaymentOutcome>('payment', input, {
      // Parse, find the attempt, then verify with its sign type (a read, never a write, before verification).
      verify: () => gateway.verifyPaymentNotification(input, async (outTradeNo) => {
        const attempt = await this.o.store.getAttemptByOutTradeNo(outTradeNo);
        // Only this merchant's attempts bind a signature here: another merchant's order is unknown at this URL.
        if (attempt === undefined || merchantOf(attempt) !== (this.o.merchantId ?? DEFAULT_MERCHANT_ID)) return undefined;
        bound = attempt;
        return { signType: attempt.signType };
      }),
      apply: async (tx, notice) => {
        if (!notice.success) return 'not_success';
        // Naming another merchant (or sub-merchant) is that verdict whatever else is known about the order.
        if (!sameMerchant(gateway, notice)) return 'wrong_merchant';
        // Verified without knowing the attempt (it did not exist): kept for the audit trail, never applied.
        if (!notice.signatureBound) return 'unknown_order';
        return applyPayment(tx, applyContextOf(this.o, this.o.paidAfterClose), notice, bound);
      },
      fast: this.o.store.recordFirstPayment === undefined ? undefined : (notice, logEntry) => this.firstPayment(notice, bound, logEntry),
      recorded: (outcome, notice) => this.o.payments.report(outcome, notice.outTradeNo, 'notification'),
      subject: (notice) => ({ outTradeNo: notice.outTradeNo }),
    });
  }

  /**
   * The common case at once, where the store can (Store.recordFirstPayment: one statement on PostgreSQL): an authentic
   * success for this merchant, for a known attempt of its own, which had no transaction when it was read, and that passes the
   * checks that need no write. Everything else, or a statement that finds its conditions no longer hold, is left to the
   * general path (undefined), which decides exactly as it always does.
   */
  private async firstPayment(notice: PaymentNotice, attempt: PaymentAttempt | undefined, logEntry: (outcome: string) => NotificationLogEntry): Promise<PaymentOutcome | undefined> {
    const { store } = this.o;
    if (store.recordFirstPayment === undefined || !notice.success || !notice.signatureBound) return undefined;
    // v2 read the attempt to bind the signature's algorithm; a v3 signature is the platform's, so it is read here.
    attempt ??= await store.getAttemptByOutTradeNo(notice.outTradeNo);
    if (attempt === undefined || attempt.transactionId !== undefined) return undefined;
    const ctx = applyContextOf(this.o, this.o.paidAfterClose);
    if (paymentMismatch(ctx, notice, attempt) !== undefined) return undefined;
    const outcome: PaymentOutcome = 'paid';
    const done = await store.recordFirstPayment({
      attemptId: attempt.id,
      orderId: attempt.orderId,
      transactionId: notice.transactionId,
      paidAt: notice.paidAt,
      now: ctx.now,
      paid: paidEvent(ctx, attempt.orderId, notice),
      eventKey: notice.eventKey,
      outTradeNo: notice.outTradeNo,
      log: logEntry(outcome),
    });
    return done ? outcome : undefined;
  }

  private processRefund(input: InboundNotification): Promise<ProcessResult> {
    return this.handle<RefundNotice, RefundOutcome>('refund', input, {
      verify: () => this.o.gateway.verifyRefundNotification(input),
      apply: (tx, notice) => this.o.refunds.applyRefundNotice(tx, notice),
      recorded: (outcome, notice) => this.o.refunds.report(outcome, notice),
      subject: (notice) => ({ outRefundNo: notice.outRefundNo }),
    });
  }

  /**
   * The one skeleton both kinds follow: verify (a verifier that throws is a refusal: fail closed), log a refusal and
   * answer failure; otherwise apply, record the event (a redelivery is marked) and log it in one transaction, and
   * answer success only after the commit; a failure to record asks WeChat to retry.
   */
  private async handle<N extends { eventKey: string; outTradeNo: string }, R extends string>(
    kind: 'payment' | 'refund',
    input: InboundNotification,
    steps: {
      verify: () => Promise<Verified<N>>;
      /** The store's one-statement path for the common case, tried first: the outcome when it wrote it all. */
      fast?: ((notice: N, logEntry: (outcome: string) => NotificationLogEntry) => Promise<R | undefined>) | undefined;
      apply: (tx: Repos, notice: N) => Promise<R>;
      recorded: (outcome: R, notice: N) => void;
      subject: (notice: N) => Record<string, string>;
    },
  ): Promise<ProcessResult> {
    const { gateway, store } = this.o;
    const receivedAt = this.o.clock.now();
    // Cheap checks first (size was checked by the route), then the signature: nothing is written before both pass.
    let verified: Verified<N>;
    const badType = contentTypeRefusal(gateway.apiVersion, input.headers);
    if (badType !== undefined) {
      verified = { authentic: false, reason: badType };
    } else {
      try {
        verified = await steps.verify();
      } catch (error) {
        verified = { authentic: false, reason: `verify_error:${errorSummary(error)}` };
      }
    }
    if (!verified.authentic) {
      await this.logRejected(input, receivedAt, kind, input.source, verified.reason);
      return { authentic: false, reason: verified.reason, answer: gateway.answer(false, verified.reason) };
    }
    const notice = verified.notice;
    const logEntry = (outcome: string): NotificationLogEntry => this.entry(kind, input, receivedAt, notice, outcome);
    if (steps.fast !== undefined) {
      let outcome: R | undefined;
      try {
        outcome = await steps.fast(notice, logEntry);
      } catch {
        // The general path below tries again and says what went wrong if it fails too.
        outcome = undefined;
      }
      if (outcome !== undefined) {
        steps.recorded(outcome, notice);
        return { authentic: true, recorded: true, outcome, first: true, outTradeNo: notice.outTradeNo, answer: gateway.answer(true) };
      }
    }
    try {
      // Shared: on SQLite, concurrent notifications commit (and fsync) together; each is answered after that commit.
      const { outcome, first } = await store.sharedTransaction(async (tx) => {
        const result = await steps.apply(tx, notice);
        const isFirst = await tx.recordEvent(notice.eventKey, kind, notice.outTradeNo, result, this.o.clock.now());
        await tx.logNotification(logEntry(isFirst ? result : `redelivery:${result}`));
        return { outcome: result, first: isFirst };
      });
      steps.recorded(outcome, notice);
      // Authentic but for another merchant (a sub-merchant's notification at its sibling's URL): recorded above with
      // that verdict and nothing applied; counted with the refusals too, so it shows where forgeries are looked for.
      if (outcome === 'wrong_merchant') this.countWrongMerchant(kind, input.source);
      return { authentic: true, recorded: true, outcome, first, outTradeNo: notice.outTradeNo, answer: gateway.answer(true) };
    } catch (error) {
      this.o.logger.error({ ...steps.subject(notice), err: errorSummary(error), alert: true }, `authentic ${kind} notification not recorded; asking WeChat to retry`);
      return { authentic: true, recorded: false, outTradeNo: notice.outTradeNo, answer: gateway.answer(false, 'not_recorded') };
    }
  }
}
