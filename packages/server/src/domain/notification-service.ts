/**
 * WeChat's payment and refund notifications, in DESIGN.md's order: verify (the gateway: size, headers, signature,
 * decryption, strict parse), then the business checks and the transition in one transaction, then the answer.
 * Authentic and recorded → success whatever the verdict; not authentic → failure; not recorded → failure, so WeChat's
 * retries become our recovery window. Every delivery is logged raw with its outcome.
 */
import type { Clock, IdSource } from '../ports/clock.js';
import type { InboundNotification, NotificationAnswer, PaymentGateway } from '../ports/gateway.js';
import type { NotificationLogEntry, Store } from '../ports/store.js';
import { applyPayment } from './apply-payment.js';
import type { PaymentOutcome } from './apply-payment.js';
import type { DomainLogger } from './logger.js';
import { errorSummary } from './payment-service.js';
import type { PaymentService } from './payment-service.js';
import type { RefundService } from './refund-service.js';

export type NotificationServiceOptions = {
  store: Store;
  gateway: PaymentGateway;
  clock: Clock;
  ids: IdSource;
  logger: DomainLogger;
  payments: PaymentService;
  refunds: RefundService;
  paidAfterClose: 'refund' | 'accept';
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

export class NotificationService {
  constructor(private readonly o: NotificationServiceOptions) {}

  private entry(kind: 'payment' | 'refund', input: InboundNotification): NotificationLogEntry {
    return {
      id: this.o.ids.rowId(),
      kind,
      apiVersion: this.o.gateway.apiVersion,
      receivedAt: this.o.clock.now(),
      headers: auditHeaders(input.headers),
      rawBody: input.body.toString('utf8'),
      authentic: false,
      outcome: 'pending',
      eventKey: undefined,
      outTradeNo: undefined,
    };
  }

  private async logRejected(entry: NotificationLogEntry, reason: string): Promise<void> {
    this.o.logger.warn({ kind: entry.kind, reason, alert: true }, 'notification rejected');
    try {
      await this.o.store.logNotification({ ...entry, outcome: `rejected:${reason}` });
    } catch (error) {
      this.o.logger.error({ err: errorSummary(error) }, 'could not log a rejected notification');
    }
  }

  async handlePayment(input: InboundNotification): Promise<NotificationAnswer> {
    const { gateway, store } = this.o;
    const entry = this.entry('payment', input);
    let verified;
    try {
      verified = await gateway.verifyPaymentNotification(input);
    } catch (error) {
      // A verifier that throws is treated as a refusal: fail closed.
      verified = { authentic: false as const, reason: `verify_error:${errorSummary(error)}` };
    }
    if (!verified.authentic) {
      await this.logRejected(entry, verified.reason);
      return gateway.answer(false, verified.reason);
    }
    const notice = verified.notice;
    try {
      const outcome = await store.transaction(async (tx) => {
        const result: PaymentOutcome = notice.success
          ? await applyPayment(tx, { appid: gateway.appid, mchid: gateway.mchid, paidAfterClose: this.o.paidAfterClose, ids: this.o.ids, now: this.o.clock.now() }, notice)
          : 'not_success';
        const first = await tx.recordEvent(notice.eventKey, 'payment', notice.outTradeNo, result, this.o.clock.now());
        await tx.logNotification({ ...entry, authentic: true, outcome: first ? result : `redelivery:${result}`, eventKey: notice.eventKey, outTradeNo: notice.outTradeNo });
        return result;
      });
      this.o.payments.report(outcome, notice.outTradeNo, 'notification');
      return gateway.answer(true);
    } catch (error) {
      this.o.logger.error({ outTradeNo: notice.outTradeNo, err: errorSummary(error), alert: true }, 'authentic payment notification not recorded; asking WeChat to retry');
      return gateway.answer(false, 'not_recorded');
    }
  }

  async handleRefund(input: InboundNotification): Promise<NotificationAnswer> {
    const { gateway, store } = this.o;
    const entry = this.entry('refund', input);
    let verified;
    try {
      verified = await gateway.verifyRefundNotification(input);
    } catch (error) {
      verified = { authentic: false as const, reason: `verify_error:${errorSummary(error)}` };
    }
    if (!verified.authentic) {
      await this.logRejected(entry, verified.reason);
      return gateway.answer(false, verified.reason);
    }
    const notice = verified.notice;
    try {
      await store.transaction(async (tx) => {
        const result = await this.o.refunds.applyRefundNotice(tx, notice);
        const first = await tx.recordEvent(notice.eventKey, 'refund', notice.outTradeNo, result, this.o.clock.now());
        await tx.logNotification({ ...entry, authentic: true, outcome: first ? result : `redelivery:${result}`, eventKey: notice.eventKey, outTradeNo: notice.outTradeNo });
      });
      return gateway.answer(true);
    } catch (error) {
      this.o.logger.error({ outRefundNo: notice.outRefundNo, err: errorSummary(error), alert: true }, 'authentic refund notification not recorded; asking WeChat to retry');
      return gateway.answer(false, 'not_recorded');
    }
  }
}
