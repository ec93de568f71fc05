/**
 * The daily comparison of our fulfilment with WeChat's get_order_list (orders paid in the last LOOKBACK days), once
 * per China day across instances: a job lease makes one instance do it at a time, and the day's row in
 * shipping_checks, read under the lease, tells the others (and later ticks) it is done. Differences are flagged on
 * the orders, as bill reconciliation flags its differences.
 */
import { randomUUID } from 'node:crypto';
import type { DomainLogger } from '../domain/logger.js';
import { errorSummary } from '../domain/payment-service.js';
import type { ShippingService } from '../domain/shipping-service.js';
import type { Clock } from '../ports/clock.js';
import type { JobLeases } from '../ports/job-leases.js';
import type { ShippingStore } from '../ports/shipping-store.js';
import { chinaDate } from './bill-reconciliation.js';
import type { JobReport } from './jobs.js';

const LEASE = 'job:shipping-check';
const DAY_MS = 86_400_000;

export type ShippingCheckOptions = {
  service: ShippingService;
  store: ShippingStore;
  clock: Clock;
  logger: DomainLogger;
  leases?: JobLeases | undefined;
  /** Orders paid within this many days are compared (default 30: WeChat settles within weeks). */
  lookbackDays?: number;
  /** A failed run is tried again after this long (default 30 minutes). */
  retryAfterMs?: number;
};

export class ShippingCheck {
  private readonly holder = randomUUID();

  constructor(private readonly o: ShippingCheckOptions) {}

  /** Every tick: re-queue stalled uploads (cheap, idempotent); once a China day: the comparison. */
  async runDaily(): Promise<JobReport> {
    const none = { examined: 0, changed: 0, failed: 0 };
    await this.o.service.requeueStalled();
    const now = this.o.clock.now();
    const date = chinaDate(now);
    const done = await this.o.store.getShippingCheck(date);
    if (done !== undefined && (done.status === 'ok' || now - done.finishedAt < (this.o.retryAfterMs ?? 30 * 60_000))) return none;
    const leases = this.o.leases;
    if (leases !== undefined && !(await leases.acquire(LEASE, this.holder, now, 10 * 60_000))) return none;
    try {
      // Read again under the lease: another instance may have finished the day meanwhile.
      const again = await this.o.store.getShippingCheck(date);
      if (again?.status === 'ok') return none;
      return await this.run(date);
    } finally {
      await leases?.release(LEASE, this.holder).catch(() => {});
    }
  }

  /** One comparison now (also what the admin route runs on demand). */
  async run(date = chinaDate(this.o.clock.now())): Promise<JobReport & { differences: number }> {
    const now = this.o.clock.now();
    try {
      const result = await this.o.service.compareWithWechat({ beginMs: now - (this.o.lookbackDays ?? 30) * DAY_MS, endMs: now + 1000 });
      await this.o.store.saveShippingCheck({ checkDate: date, status: 'ok', finishedAt: this.o.clock.now(), examined: result.examined, differences: result.differences.length, error: undefined });
      return { examined: result.examined, changed: result.differences.length, failed: 0, differences: result.differences.length };
    } catch (error) {
      const summary = errorSummary(error);
      this.o.logger.warn({ err: summary }, 'shipping check with WeChat failed; retried later');
      await this.o.store.saveShippingCheck({ checkDate: date, status: 'failed', finishedAt: this.o.clock.now(), examined: 0, differences: 0, error: summary });
      return { examined: 0, changed: 0, failed: 1, differences: 0 };
    }
  }
}
