/**
 * Reconciliation with WeChat's daily trade bill. WeChat makes the bill of a China day after about 10:00 the next
 * day; runDaily() (on the jobs timer of every instance) reconciles the previous China day once that hour has passed,
 * once per day across instances: a job lease makes one instance do it at a time, and the run row of the date, read
 * under the lease, tells the others it is done. reconcileBill(date) runs a date on demand (the admin API).
 *
 * What is acted on: a payment WeChat has and we never heard of (notifications lost, the attempt expired before the
 * query job saw it) is applied through applyPayment, the one path every payment takes, with the outbox event in the
 * same transaction. Everything else is flagged on the order for a person. Re-running a date updates its row.
 */
import { randomUUID } from 'node:crypto';
import { applyContextOf, applyPayment } from '../domain/apply-payment.js';
import type { ApplyContext, PaymentOutcome } from '../domain/apply-payment.js';
import type { DomainLogger } from '../domain/logger.js';
import { errorSummary } from '../domain/payment-service.js';
import type { PaymentService } from '../domain/payment-service.js';
import { reconcileBill } from '../domain/reconcile-bill.js';
import { DEFAULT_MERCHANT_ID } from '../domain/merchant-identity.js';
import type { BillDifference } from '../domain/reconcile-bill.js';
import type { AdminStore, ReconciliationRun, RecordedDifference } from '../ports/admin-store.js';
import type { Clock, IdSource } from '../ports/clock.js';
import type { BillRow, PaymentGateway } from '../ports/gateway.js';
import type { JobLeases } from '../ports/job-leases.js';
import type { Store } from '../ports/store.js';

const CHINA_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;

/** The China calendar date (`YYYY-MM-DD`) of an instant. China has no daylight saving time. */
/**
 * Where a reconciliation stands, for a progress bar: downloading the bill, compared (`done` = bill lines), acting on
 * the differences (`done` of `total`).
 */
export type ReconcileProgress = { stage: 'download' | 'compare' | 'resolve'; done: number; total: number };

/** Why a date cannot be reconciled now (the admin route and the command line): a day that has not begun has no bill. */
export function billDateProblem(date: string, now: number): string | undefined {
  return date > chinaDate(now) ? 'a day that has not begun has no bill' : undefined;
}

export function chinaDate(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** [start, end) in ms of a China calendar date. */
export function chinaDayRange(date: string): { start: number; end: number } {
  const start = Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS;
  return { start, end: start + DAY_MS };
}

export type BillReconcilerOptions = {
  store: Store;
  admin: AdminStore;
  gateway: PaymentGateway;
  payments: PaymentService;
  clock: Clock;
  ids: IdSource;
  logger: DomainLogger;
  paidAfterClose: 'refund' | 'accept';
  /** The merchant whose bill this is (issue 16): its gateway downloads it, its orders are compared. Default 'default'. */
  merchantId?: string | undefined;
  leases?: JobLeases | undefined;
  /** How long one run may hold the lease (a bill of a busy day takes a while to download and compare). */
  leaseMs?: number;
  /** China hour from which the previous day's bill is fetched (default 10: WeChat's bills are ready after 10:00). */
  readyHour?: number;
  /** A failed daily run is tried again after this long (default 30 minutes). */
  retryAfterMs?: number;
};

export type ReconcileBillResult = { ok: true; run: ReconciliationRun } | { ok: false; reason: 'busy' };

const LEASE = 'job:bill-reconcile';

/** A missing payment whose application left the books agreeing. */
const SETTLED: ReadonlySet<string> = new Set(['applied:paid', 'applied:paid_after_close_accepted']);

const keyOf = (d: BillDifference): string => `${d.kind}\u0000${d.outTradeNo}\u0000${d.outRefundNo ?? ''}`;

export class BillReconciler {
  private readonly holder = randomUUID();
  private readonly leaseMs: number;
  private readonly readyHour: number;
  private readonly retryAfterMs: number;
  private readonly lease: string;

  constructor(private readonly o: BillReconcilerOptions) {
    this.leaseMs = o.leaseMs ?? 10 * 60_000;
    this.readyHour = o.readyHour ?? 10;
    this.retryAfterMs = o.retryAfterMs ?? 30 * 60_000;
    // One lease per merchant: each merchant's bill is its own job (the default merchant keeps the old name).
    this.lease = o.merchantId === undefined || o.merchantId === DEFAULT_MERCHANT_ID ? LEASE : `${LEASE}:${o.merchantId}`;
  }

  /** The daily run: the previous China day, once its bill is ready, unless already reconciled (or failed recently). */
  async runDaily(): Promise<{ examined: number; changed: number; failed: number }> {
    const none = { examined: 0, changed: 0, failed: 0 };
    const now = this.o.clock.now();
    const chinaHour = new Date(now + CHINA_OFFSET_MS).getUTCHours();
    if (chinaHour < this.readyHour) return none;
    const date = chinaDate(now - DAY_MS);
    if (!this.due(await this.o.admin.getReconciliation(date), now)) return none;
    const result = await this.withLease(async () => {
      // Read again under the lease: another instance may have finished the date a moment ago.
      if (!this.due(await this.o.admin.getReconciliation(date), this.o.clock.now())) return undefined;
      return this.run(date);
    });
    if (result === undefined || !result.ok) return none;
    const run = result.run;
    return { examined: run.billPayments + run.billRefunds, changed: run.applied, failed: run.status === 'failed' ? 1 : 0 };
  }

  /** Reconcile one China date now. 'busy' when another run (on any instance) holds the lease. */
  async reconcileBill(date: string, onProgress?: (progress: ReconcileProgress) => void): Promise<ReconcileBillResult> {
    const run = await this.withLease(() => this.run(date, onProgress ?? (() => {})));
    return run === undefined ? { ok: false, reason: 'busy' } : run;
  }

  private due(existing: ReconciliationRun | undefined, now: number): boolean {
    if (existing === undefined) return true;
    return existing.status === 'failed' && now - existing.finishedAt >= this.retryAfterMs;
  }

  private async withLease<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const leases = this.o.leases;
    if (leases === undefined) return fn();
    if (!(await leases.acquire(this.lease, this.holder, this.o.clock.now(), this.leaseMs))) return undefined;
    try {
      return await fn();
    } finally {
      await leases.release(this.lease, this.holder).catch(() => {});
    }
  }

  private async run(date: string, progress: (progress: ReconcileProgress) => void = () => {}): Promise<ReconcileBillResult> {
    const { admin, gateway, clock, logger } = this.o;
    const startedAt = clock.now();
    const previous = await admin.getReconciliation(date);
    let rows: BillRow[];
    progress({ stage: 'download', done: 0, total: 0 });
    try {
      rows = await gateway.downloadBill(date);
    } catch (error) {
      const message = errorSummary(error).slice(0, 300);
      logger.warn({ billDate: date, err: message }, 'bill download failed');
      // A failure never overwrites a completed reconciliation of the date: its findings stay visible.
      if (previous !== undefined && previous.status !== 'failed') return { ok: true, run: previous };
      const failed: Omit<ReconciliationRun, 'runs'> = {
        billDate: date, status: 'failed', startedAt, finishedAt: clock.now(), billPayments: 0, billRefunds: 0, matched: 0, ignored: 0,
        applied: previous?.applied ?? 0, billPaidFen: 0, billRefundFen: 0, differences: previous?.differences ?? [], error: message,
      };
      await admin.saveReconciliation(failed);
      return { ok: true, run: (await admin.getReconciliation(date)) ?? { ...failed, runs: 1 } };
    }

    const day = chinaDayRange(date);
    const records = await admin.recordsForBill({
      outTradeNos: [...new Set(rows.map((r) => r.outTradeNo))],
      outRefundNos: [...new Set(rows.flatMap((r) => (r.outRefundNo === undefined ? [] : [r.outRefundNo])))],
      day,
    });
    const comparison = reconcileBill(rows, { appid: gateway.appid, day, ...records });
    progress({ stage: 'compare', done: rows.length, total: rows.length });

    const earlier = new Map((previous?.differences ?? []).map((d) => [keyOf(d), d]));
    const differences: RecordedDifference[] = [];
    let applied = 0;
    for (const [i, d] of comparison.differences.entries()) {
      progress({ stage: 'resolve', done: i, total: comparison.differences.length });
      const resolution = await this.resolve(d, rows);
      if (SETTLED.has(resolution)) applied++;
      differences.push({ ...d, resolution, firstSeenAt: earlier.get(keyOf(d))?.firstSeenAt ?? startedAt });
    }
    // What an earlier run applied no longer shows as a difference; keep it as the record of what was done.
    const current = new Set(differences.map(keyOf));
    for (const d of previous?.differences ?? []) if (d.resolution.startsWith('applied:') && !current.has(keyOf(d))) differences.push(d);

    const needsReview = differences.some((d) => !SETTLED.has(d.resolution));
    const run: Omit<ReconciliationRun, 'runs'> = {
      billDate: date,
      status: needsReview ? 'differences' : 'matched',
      startedAt,
      finishedAt: clock.now(),
      billPayments: comparison.billPayments,
      billRefunds: comparison.billRefunds,
      matched: comparison.matchedPayments + comparison.matchedRefunds,
      ignored: comparison.ignored,
      applied: (previous?.applied ?? 0) + applied,
      billPaidFen: comparison.billPaidFen,
      billRefundFen: comparison.billRefundFen,
      differences,
      error: undefined,
    };
    await admin.saveReconciliation(run);
    progress({ stage: 'resolve', done: comparison.differences.length, total: comparison.differences.length });
    const level = needsReview ? 'warn' : 'info';
    logger[level]({ billDate: date, differences: differences.length, applied, ...(needsReview ? { alert: true } : {}) }, 'bill reconciled');
    return { ok: true, run: (await admin.getReconciliation(date)) ?? { ...run, runs: 1 } };
  }

  /** Act on one difference: apply a missing payment, flag the rest on their order. Returns what was done. */
  private async resolve(d: BillDifference, rows: readonly BillRow[]): Promise<string> {
    const { store, clock } = this.o;
    if (d.kind === 'missing_payment') {
      const row = rows.find((r) => r.tradeState === 'SUCCESS' && r.outTradeNo === d.outTradeNo);
      if (row === undefined) return 'reported';
      const ctx: ApplyContext = applyContextOf(this.o, this.o.paidAfterClose);
      // A bill line without appid/mchid columns is still of our account (the bill was downloaded for our mchid).
      // A partner bill is downloaded per sub-merchant, so its lines are that sub-merchant's.
      const facts = { appid: row.appid === '' ? ctx.appid : row.appid, mchid: row.mchid === '' ? ctx.mchid : row.mchid, subMchid: ctx.subMchid, outTradeNo: row.outTradeNo, transactionId: row.transactionId, amountFen: row.totalFen, paidAt: row.time };
      const outcome: PaymentOutcome = await store.transaction((tx) => applyPayment(tx, ctx, facts));
      this.o.payments.report(outcome, row.outTradeNo, 'bill');
      return `applied:${outcome}`;
    }
    if (d.orderId === undefined) return 'reported';
    await store.flag(d.orderId, `bill_${d.kind}`, clock.now());
    return 'flagged';
  }
}
