/**
 * Background work, one function per job, each safe to run on several instances at once: every row is claimed with a
 * conditional update before WeChat is called (a PostgreSQL version may claim with SKIP LOCKED instead), and every
 * effect goes through the same transitions as the request paths. server.ts runs them on timers; tests call them.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { JobLeases } from '../ports/job-leases.js';
import type { Store } from '../ports/store.js';
import { merchantOf } from '../domain/merchant-identity.js';
import type { OutboxEvent } from '../ports/store.js';
import type { DomainLogger } from '../domain/logger.js';
import { errorSummary } from '../domain/payment-service.js';
import type { PaymentService } from '../domain/payment-service.js';

/**
 * What the fulfilment hook and the webhook receive: the outbox event plus `livemode` (false in sandbox mode, where
 * nothing was paid for real), so a receiver can refuse sandbox events, as with Stripe's `livemode`.
 */
export type FulfilmentEvent = OutboxEvent & { livemode: boolean };
/** `signal` aborts when the delivery's time is up (the event is then retried later); a hook may pass it to fetch. */
export type FulfilmentHook = (event: FulfilmentEvent, signal?: AbortSignal) => Promise<void> | void;

export type JobsOptions = {
  store: Store;
  payments: PaymentService;
  /**
   * Many merchants (issue 16): the payment service of the merchant a row belongs to, whose keys query and close it.
   * Default: `payments` for every row (one merchant).
   */
  paymentsFor?: ((merchantId: string) => Promise<PaymentService | undefined>) | undefined;
  clock: Clock;
  logger: DomainLogger;
  /** Delivers one outbox event (app.ts adds livemode and calls the fulfilment hook and the webhook). */
  onEvent: (event: OutboxEvent, signal?: AbortSignal) => Promise<void> | void;
  /** Query attempts whose prepay is older than this and still unpaid (WeChat suggests within a minute). */
  reconcileAfterMs?: number;
  batch?: number;
  /**
   * Reconcile and expire take a lease per run, so with N instances one pages through the rows and calls WeChat at a
   * time (the rest skip that run). Without leases they still run correctly, only with redundant WeChat calls.
   */
  leases?: JobLeases;
  /** Outbox claims and job leases last this long; an instance killed mid-run is taken over after it (default 60 s). */
  leaseMs?: number;
  /** A failed delivery is retried after retryBaseMs × 2^attempt, capped at an hour (default 5 s). */
  retryBaseMs?: number;
  /** Outbox events delivered at once (default 8): one slow receiver holds one slot, not the whole batch. */
  deliveryConcurrency?: number;
  /** One delivery may take this long before it counts as failed and is retried later (default 10 s, under the lease). */
  deliveryTimeoutMs?: number;
  /** The daily bill reconciliation (jobs/bill-reconciliation.ts), run last on each tick; it decides itself when it is due. */
  bills?: { runDaily(): Promise<JobReport> } | undefined;
  /** The daily comparison of fulfilment with WeChat's get_order_list (jobs/shipping-check.ts), run after the bills. */
  shippingCheck?: { runDaily(): Promise<JobReport> } | undefined;
  /** The notification service: its in-memory refusal counts are written on every tick, by every instance. */
  notifications?: { flushRefusals(): Promise<number> } | undefined;
  /** Notification log retention (ms): authentic deliveries, and refused ones with their counters. */
  notificationRetention?: { authenticMs: number; refusedMs: number } | undefined;
};

/** Rows deleted per statement by the retention job, and statements per run: short write transactions, bounded work. */
const PRUNE_BATCH = 1_000;
const PRUNE_ROUNDS = 20;

export type JobReport = { examined: number; changed: number; failed: number };

export class Jobs {
  private readonly reconcileAfterMs: number;
  private readonly batch: number;
  private readonly leaseMs: number;
  private readonly holder = randomUUID();

  constructor(private readonly o: JobsOptions) {
    this.reconcileAfterMs = o.reconcileAfterMs ?? 60_000;
    this.batch = o.batch ?? 50;
    this.leaseMs = o.leaseMs ?? 60_000;
  }

  /** Runs `fn` under the job's lease; another instance holding it means this run is skipped (it is doing the work). */
  private async singleton(name: string, fn: () => Promise<JobReport>): Promise<JobReport> {
    const leases = this.o.leases;
    if (leases === undefined) return fn();
    if (!(await leases.acquire(`job:${name}`, this.holder, this.o.clock.now(), this.leaseMs))) return { examined: 0, changed: 0, failed: 0 };
    try {
      return await fn();
    } finally {
      await leases.release(`job:${name}`, this.holder).catch(() => {});
    }
  }

  /** Unpaid attempts whose notification should have come: orderquery, applied through the same transition. */
  async reconcile(): Promise<JobReport> {
    return this.singleton('reconcile', () => this.reconcileRun());
  }

  /** Close attempts past time_expire at WeChat, then orders past their expiry. A payment that raced is applied. */
  async expire(): Promise<JobReport> {
    return this.singleton('expire', () => this.expireRun());
  }

  /** The service of the row's merchant; a row whose merchant cannot be loaded is reported, never touched. */
  private async paymentsOf(row: { merchantId?: string | undefined }): Promise<PaymentService> {
    if (this.o.paymentsFor === undefined) return this.o.payments;
    const id = merchantOf(row);
    const payments = await this.o.paymentsFor(id);
    if (payments === undefined) throw new Error(`merchant ${id} is not configured`);
    return payments;
  }

  /** Writes the refusal counts held in memory (on close, and on every tick through runAll). */
  async flushRefusals(): Promise<number> {
    return (await this.o.notifications?.flushRefusals()) ?? 0;
  }

  private async reconcileRun(): Promise<JobReport> {
    const { store, clock } = this.o;
    const now = clock.now();
    const attempts = await store.listAttemptsToReconcile(now, now - this.reconcileAfterMs, this.batch);
    const report: JobReport = { examined: attempts.length, changed: 0, failed: 0 };
    for (const attempt of attempts) {
      if (!(await store.claimQuery(attempt.id, clock.now(), 30_000))) continue;
      try {
        const outcome = await (await this.paymentsOf(attempt)).syncAttempt(attempt);
        if (outcome !== 'unpaid' && outcome !== 'duplicate') report.changed++;
      } catch (error) {
        report.failed++;
        this.o.logger.warn({ outTradeNo: attempt.outTradeNo, err: errorSummary(error) }, 'reconcile query failed');
      }
    }
    return report;
  }

  private async expireRun(): Promise<JobReport> {
    const { store, clock } = this.o;
    const report: JobReport = { examined: 0, changed: 0, failed: 0 };
    const attempts = await store.listAttemptsToClose(clock.now(), this.batch);
    for (const attempt of attempts) {
      report.examined++;
      try {
        await (await this.paymentsOf(attempt)).closeAttempt(attempt);
        report.changed++;
      } catch (error) {
        report.failed++;
        this.o.logger.warn({ outTradeNo: attempt.outTradeNo, err: errorSummary(error) }, 'closing an expired attempt failed');
      }
    }
    const orders = await store.listOrdersToClose(clock.now(), this.batch);
    for (const order of orders) {
      report.examined++;
      const latest = await store.latestAttempt(order.id);
      if (latest !== undefined && latest.status === 'OPEN') {
        // Its attempt is still payable at WeChat: close that first (next run), never the order under a live prepay.
        try {
          await (await this.paymentsOf(latest)).closeAttempt(latest);
        } catch (error) {
          report.failed++;
          this.o.logger.warn({ orderId: order.id, err: errorSummary(error) }, 'closing the attempt of an expired order failed');
          continue;
        }
      }
      if ((await store.countOpenAttempts(order.id)) > 0) continue;
      if (await store.transition(order.id, 'expired', clock.now())) report.changed++;
    }
    return report;
  }

  /**
   * Notification log retention, under a lease (one instance prunes at a time): authentic deliveries older than their
   * retention, refused samples and refusal counters older than theirs, in bounded batches.
   */
  async pruneNotifications(): Promise<JobReport> {
    const retention = this.o.notificationRetention;
    if (retention === undefined) return { examined: 0, changed: 0, failed: 0 };
    return this.singleton('notification-retention', async () => {
      const now = this.o.clock.now();
      let changed = 0;
      for (let round = 0; round < PRUNE_ROUNDS; round++) {
        const deleted = await this.o.store.pruneNotifications(now - retention.authenticMs, now - retention.refusedMs, PRUNE_BATCH);
        changed += deleted;
        if (deleted === 0) break;
      }
      return { examined: changed, changed, failed: 0 };
    });
  }

  /**
   * Deliver outbox events to the fulfilment hook: at least once, with exponential backoff on failure. Up to
   * `deliveryConcurrency` at a time, each bounded by `deliveryTimeoutMs`, so a receiver that hangs on one event holds
   * one slot for at most that long while the others are delivered.
   */
  async deliverOutbox(): Promise<JobReport> {
    const { store, clock } = this.o;
    const events = await store.claimDue(clock.now(), this.leaseMs, this.batch);
    const report: JobReport = { examined: events.length, changed: 0, failed: 0 };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < events.length) {
        const event = events[next++];
        if (event !== undefined) await this.deliverOne(event, report);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.deliveryConcurrency ?? 8, events.length) }, worker));
    return report;
  }

  private async deliverOne(event: OutboxEvent, report: JobReport): Promise<void> {
    const { store, clock } = this.o;
    const timeoutMs = this.o.deliveryTimeoutMs ?? Math.min(10_000, Math.floor(this.leaseMs / 2));
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`delivery timed out after ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      await Promise.race([Promise.resolve().then(() => this.o.onEvent(event, controller.signal)), timedOut]);
      await store.markDelivered(event.id, clock.now());
      report.changed++;
    } catch (error) {
      const delay = Math.min(3_600_000, (this.o.retryBaseMs ?? 5_000) * 2 ** Math.min(event.attempts, 20));
      await store.markFailed(event.id, errorSummary(error), clock.now() + delay);
      if (isQuietRetry(error)) {
        // An expected wait (WeChat has not indexed a payment made seconds ago): retried with the backoff, not a failure.
        this.o.logger.info({ eventId: event.id, topic: event.topic, attempts: event.attempts, err: errorSummary(error) }, 'outbox event deferred; will retry');
        return;
      }
      report.failed++;
      this.o.logger.warn({ eventId: event.id, attempts: event.attempts, err: errorSummary(error) }, 'fulfilment hook failed; will retry');
    } finally {
      clearTimeout(timer);
    }
  }

  async runAll(): Promise<void> {
    await this.reconcile();
    await this.expire();
    await this.deliverOutbox();
    await this.o.notifications?.flushRefusals();
    await this.pruneNotifications();
    await this.o.bills?.runDaily();
    await this.o.shippingCheck?.runDaily();
  }
}

/** An error that asks to be retried without counting as a failure (domain/shipping-service.ts RetryLater). */
function isQuietRetry(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { quiet?: unknown }).quiet === true;
}

/** Runs the jobs on intervals (unref'd timers); `stop()` waits for a run in progress. */
export function scheduleJobs(jobs: Pick<Jobs, 'runAll'>, logger: DomainLogger, everyMs = 15_000): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running !== undefined) return;
    running = jobs
      .runAll()
      .catch((error: unknown) => logger.error({ err: errorSummary(error) }, 'background jobs failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
