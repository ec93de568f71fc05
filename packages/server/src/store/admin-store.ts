/**
 * AdminStore over Kysely: reconciliation runs and the admin view's queries. It shares the Store's connection pool and
 * uses only SQL both SQLite and PostgreSQL accept (ON CONFLICT … DO UPDATE, IN lists kept under SQLite's parameter
 * limit).
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { AttemptRecord, RefundRecord } from '../domain/reconcile-bill.js';
import type { OrderStatus, PaymentAttempt } from '../domain/order.js';
import type { Product } from '../domain/pricing.js';
import type { AdminOrderQuery, AdminOrderSummary, AdminStore, ProductPatch, ReconciliationRun, ReconciliationStatus, RecordedDifference } from '../ports/admin-store.js';
import type { NotificationLogEntry } from '../ports/store.js';
import { merchantField, num, toAttempt, toNotification, undef } from './rows.js';
import type { Database } from './schema.js';
import { DEFAULT_MERCHANT_ID } from '../domain/merchant-identity.js';

export type ReconciliationRunsTable = {
  merchant_id: string;
  bill_date: string;
  status: string;
  runs: number;
  started_at: number;
  finished_at: number;
  bill_payments: number;
  bill_refunds: number;
  matched: number;
  ignored: number;
  applied: number;
  bill_paid_fen: number;
  bill_refund_fen: number;
  difference_count: number;
  differences_json: string;
  error: string | null;
};

type AdminDatabase = Database & { reconciliation_runs: ReconciliationRunsTable };

/** SQLite allows 32 766 bound parameters; bills can name tens of thousands of orders. */
const CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}


function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`, 'utf8').toString('base64url');
}

/** Undefined for anything that is not a cursor we made (the route answers 400). */
export function decodeCursor(cursor: string): { createdAt: number; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):([\w-]{1,64})$/.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { createdAt: Number(m[1]), id: m[2] };
}

function toRun(row: ReconciliationRunsTable): ReconciliationRun {
  return {
    billDate: row.bill_date,
    status: row.status as ReconciliationStatus,
    runs: Number(row.runs),
    startedAt: Number(row.started_at),
    finishedAt: Number(row.finished_at),
    billPayments: Number(row.bill_payments),
    billRefunds: Number(row.bill_refunds),
    matched: Number(row.matched),
    ignored: Number(row.ignored),
    applied: Number(row.applied),
    billPaidFen: Number(row.bill_paid_fen),
    billRefundFen: Number(row.bill_refund_fen),
    differences: JSON.parse(row.differences_json) as RecordedDifference[],
    error: undef(row.error),
  };
}

export class KyselyAdminStore implements AdminStore {
  private readonly db: Kysely<AdminDatabase>;

  /** `merchantId`: whose reconciliation runs and bill records this store reads and writes (issue 16). */
  constructor(db: Kysely<Database>, private readonly merchantId: string = DEFAULT_MERCHANT_ID) {
    this.db = db.withTables<{ reconciliation_runs: ReconciliationRunsTable }>();
    this.base = db;
  }

  private readonly base: Kysely<Database>;

  /** The same store for another merchant's bills. */
  forMerchant(merchantId: string): KyselyAdminStore {
    return new KyselyAdminStore(this.base, merchantId);
  }

  async saveReconciliation(run: Omit<ReconciliationRun, 'runs'>): Promise<void> {
    const values = {
      status: run.status,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
      bill_payments: run.billPayments,
      bill_refunds: run.billRefunds,
      matched: run.matched,
      ignored: run.ignored,
      applied: run.applied,
      bill_paid_fen: run.billPaidFen,
      bill_refund_fen: run.billRefundFen,
      difference_count: run.differences.length,
      differences_json: JSON.stringify(run.differences),
      error: run.error ?? null,
    };
    await this.db
      .insertInto('reconciliation_runs')
      .values({ merchant_id: this.merchantId, bill_date: run.billDate, runs: 1, ...values })
      .onConflict((oc) => oc.columns(['merchant_id', 'bill_date']).doUpdateSet({ ...values, runs: sql<number>`reconciliation_runs.runs + 1` }))
      .execute();
  }

  async getReconciliation(billDate: string): Promise<ReconciliationRun | undefined> {
    const row = await this.db.selectFrom('reconciliation_runs').selectAll().where('merchant_id', '=', this.merchantId).where('bill_date', '=', billDate).executeTakeFirst();
    return row === undefined ? undefined : toRun(row);
  }

  async listReconciliations(limit: number, beforeDate?: string): Promise<ReconciliationRun[]> {
    let q = this.db.selectFrom('reconciliation_runs').selectAll().where('merchant_id', '=', this.merchantId).orderBy('bill_date', 'desc').limit(limit);
    if (beforeDate !== undefined) q = q.where('bill_date', '<', beforeDate);
    return (await q.execute()).map(toRun);
  }

  async recordsForBill(input: { outTradeNos: readonly string[]; outRefundNos: readonly string[]; day: { start: number; end: number } }): Promise<{ attempts: AttemptRecord[]; refunds: RefundRecord[] }> {
    const attemptQuery = () =>
      this.db
        .selectFrom('payment_attempts as a')
        .innerJoin('orders as o', 'o.id', 'a.order_id')
        // This merchant's records only: another merchant's order is never matched against (or flagged by) this bill.
        .where('o.merchant_id', '=', this.merchantId)
        .select(['a.id', 'a.order_id', 'a.out_trade_no', 'a.amount_fen', 'a.transaction_id', 'o.status', 'o.paid_attempt_id', 'o.paid_at']);
    type AttemptRow = Awaited<ReturnType<ReturnType<typeof attemptQuery>['execute']>>[number];
    const attempts = new Map<string, AttemptRecord>();
    const addAttempt = (r: AttemptRow) =>
      attempts.set(r.out_trade_no, {
        orderId: r.order_id,
        outTradeNo: r.out_trade_no,
        amountFen: Number(r.amount_fen),
        transactionId: undef(r.transaction_id),
        orderStatus: r.status as OrderStatus,
        paidByThis: r.paid_attempt_id === r.id,
        paidAt: r.paid_attempt_id === r.id ? num(r.paid_at) : undefined,
      });
    for (const part of chunks(input.outTradeNos)) (await attemptQuery().where('a.out_trade_no', 'in', part).execute()).forEach(addAttempt);
    const paidInDay = await attemptQuery()
      .whereRef('o.paid_attempt_id', '=', 'a.id')
      .where('o.paid_at', '>=', input.day.start)
      .where('o.paid_at', '<', input.day.end)
      .execute();
    paidInDay.forEach(addAttempt);

    // A refund's out_trade_no is that of the attempt that paid its order.
    const refundQuery = () =>
      this.db
        .selectFrom('refunds as r')
        .innerJoin('orders as o', 'o.id', 'r.order_id')
        .leftJoin('payment_attempts as a', 'a.id', 'o.paid_attempt_id')
        .where('o.merchant_id', '=', this.merchantId)
        .select(['r.order_id', 'r.out_refund_no', 'r.amount_fen', 'r.status', 'r.updated_at', 'a.out_trade_no']);
    type RefundRow = Awaited<ReturnType<ReturnType<typeof refundQuery>['execute']>>[number];
    const refunds = new Map<string, RefundRecord>();
    const addRefund = (r: RefundRow) =>
      refunds.set(r.out_refund_no, {
        orderId: r.order_id,
        outTradeNo: r.out_trade_no ?? '',
        outRefundNo: r.out_refund_no,
        amountFen: Number(r.amount_fen),
        status: r.status,
        updatedAt: Number(r.updated_at),
      });
    for (const part of chunks(input.outRefundNos)) (await refundQuery().where('r.out_refund_no', 'in', part).execute()).forEach(addRefund);
    (await refundQuery().where('r.status', '=', 'SUCCESS').where('r.updated_at', '>=', input.day.start).where('r.updated_at', '<', input.day.end).execute()).forEach(addRefund);
    return { attempts: [...attempts.values()], refunds: [...refunds.values()] };
  }

  async listOrders(query: AdminOrderQuery): Promise<{ orders: AdminOrderSummary[]; nextCursor: string | undefined }> {
    let q = this.db.selectFrom('orders').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.merchantId !== undefined) q = q.where('merchant_id', '=', query.merchantId);
    if (query.flagged === true) q = q.where('review_reason', 'is not', null);
    if (query.flagged === false) q = q.where('review_reason', 'is', null);
    if (query.cursor !== undefined) {
      const c = decodeCursor(query.cursor);
      if (c === undefined) throw new RangeError('bad cursor');
      q = q.where((eb) => eb.or([eb('created_at', '<', c.createdAt), eb.and([eb('created_at', '=', c.createdAt), eb('id', '<', c.id)])]));
    }
    const rows = await q.execute();
    const page = rows.slice(0, query.limit);
    const latest = new Map<string, string>();
    if (page.length > 0) {
      const attempts = await this.db
        .selectFrom('payment_attempts')
        .select(['order_id', 'out_trade_no', 'created_at'])
        .where('order_id', 'in', page.map((r) => r.id))
        .orderBy('created_at', 'asc')
        .execute();
      for (const a of attempts) latest.set(a.order_id, a.out_trade_no);
    }
    const last = page[page.length - 1];
    return {
      orders: page.map((r) => ({
        orderId: r.id,
        status: r.status as OrderStatus,
        amountFen: Number(r.amount_fen),
        refundedFen: Number(r.refunded_fen),
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
        paidAt: num(r.paid_at),
        reviewReason: undef(r.review_reason),
        merchantId: r.merchant_id,
        outTradeNo: latest.get(r.id),
      })),
      nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(Number(last.created_at), last.id) : undefined,
    };
  }

  async listAttempts(orderId: string): Promise<PaymentAttempt[]> {
    const rows = await this.db.selectFrom('payment_attempts').selectAll().where('order_id', '=', orderId).orderBy('created_at', 'asc').execute();
    return rows.map(toAttempt);
  }

  async notificationsFor(outTradeNos: readonly string[], limit: number): Promise<NotificationLogEntry[]> {
    if (outTradeNos.length === 0) return [];
    const rows = await this.db
      .selectFrom('notification_log')
      .selectAll()
      .where('out_trade_no', 'in', [...outTradeNos].slice(0, CHUNK))
      .orderBy('received_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toNotification);
  }

  async getNotification(id: string): Promise<NotificationLogEntry | undefined> {
    const row = await this.db.selectFrom('notification_log').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toNotification(row);
  }

  // ---- the catalogue (GET/POST/PATCH /admin/products) -----------------------------------------------------
  async listAllProducts(): Promise<Product[]> {
    const rows = await this.db.selectFrom('products').selectAll().orderBy('sku').execute();
    return rows.map(toProduct);
  }

  async insertProduct(product: Product, now: number): Promise<boolean> {
    const row = await this.db
      .insertInto('products')
      .values({ sku: product.sku, merchant_id: product.merchantId ?? DEFAULT_MERCHANT_ID, name: product.name, price_fen: product.priceFen, active: product.active ? 1 : 0, virtual: product.virtual === true ? 1 : 0, created_at: now })
      .onConflict((oc) => oc.column('sku').doNothing())
      .returning('sku')
      .executeTakeFirst();
    return row !== undefined;
  }

  async importProducts(products: readonly Product[], now: number): Promise<{ created: string[]; updated: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const created: string[] = [];
      const updated: string[] = [];
      for (const p of products) {
        const inserted = await trx
          .insertInto('products')
          .values({ sku: p.sku, name: p.name, price_fen: p.priceFen, active: p.active ? 1 : 0, created_at: now })
          .onConflict((oc) => oc.column('sku').doNothing())
          .returning('sku')
          .executeTakeFirst();
        if (inserted !== undefined) {
          created.push(p.sku);
          continue;
        }
        await trx.updateTable('products').set({ name: p.name, price_fen: p.priceFen, active: p.active ? 1 : 0 }).where('sku', '=', p.sku).execute();
        updated.push(p.sku);
      }
      return { created, updated };
    });
  }

  async updateProduct(sku: string, patch: ProductPatch): Promise<Product | undefined> {
    const set = {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.priceFen === undefined ? {} : { price_fen: patch.priceFen }),
      ...(patch.active === undefined ? {} : { active: patch.active ? 1 : 0 }),
      ...(patch.virtual === undefined ? {} : { virtual: patch.virtual ? 1 : 0 }),
    };
    if (Object.keys(set).length === 0) {
      const row = await this.db.selectFrom('products').selectAll().where('sku', '=', sku).executeTakeFirst();
      return row === undefined ? undefined : toProduct(row);
    }
    const row = await this.db.updateTable('products').set(set).where('sku', '=', sku).returningAll().executeTakeFirst();
    return row === undefined ? undefined : toProduct(row);
  }
}

function toProduct(row: { sku: string; name: string; price_fen: number; active: number; merchant_id: string; virtual: number }): Product {
  return { sku: row.sku, name: row.name, priceFen: Number(row.price_fen), active: Number(row.active) === 1, ...merchantField(row.merchant_id), virtual: Number(row.virtual) === 1 };
}
