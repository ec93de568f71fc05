/**
 * AdminStore over Kysely: reconciliation runs and the admin view's queries. It shares the Store's connection pool and
 * uses only SQL both SQLite and PostgreSQL accept (ON CONFLICT … DO UPDATE, IN lists kept under SQLite's parameter
 * limit).
 */
import { sql } from 'kysely';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { AttemptRecord, RefundRecord } from '../domain/reconcile-bill.js';
import type { OrderStatus, PaymentAttempt } from '../domain/order.js';
import type { Product } from '../domain/pricing.js';
import type {
  AdminAction,
  AdminActionKind,
  AdminOrderQuery,
  AdminOrderSummary,
  AdminStats,
  AdminStore,
  ProductPatch,
  ReconciliationRun,
  ReconciliationStatus,
  RecordedDifference,
  StatsWindow,
} from '../ports/admin-store.js';
import type { NotificationLogEntry } from '../ports/store.js';
import { merchantField, num, toAttempt, toNotification, undef } from './rows.js';
import type { Database, OrdersTable } from './schema.js';
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

export type AdminActionsTable = {
  id: string;
  order_id: string;
  action: string;
  actor: string;
  reason: string;
  result: string;
  detail_json: string;
  created_at: number;
};

type AdminDatabase = Database & { reconciliation_runs: ReconciliationRunsTable; admin_actions: AdminActionsTable };

const DAY_MS = 86_400_000;

/** The order `o` was marked reviewed by a person (a flagged order stays flagged in the row; the audit says it was seen). */
function reviewedExists(eb: ExpressionBuilder<AdminDatabase & { o: OrdersTable }, 'o'>) {
  return eb.exists(
    eb.selectFrom('admin_actions as r').select('r.id').whereRef('r.order_id', '=', 'o.id').where('r.action', '=', 'mark_reviewed').where('r.result', '=', 'ok'),
  );
}

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
    this.db = db.withTables<{ reconciliation_runs: ReconciliationRunsTable; admin_actions: AdminActionsTable }>();
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
    let q = this.db.selectFrom('orders as o').selectAll('o').orderBy('o.created_at', 'desc').orderBy('o.id', 'desc').limit(query.limit + 1);
    if (query.status !== undefined) q = q.where('o.status', '=', query.status);
    if (query.merchantId !== undefined) q = q.where('o.merchant_id', '=', query.merchantId);
    if (query.flagged === true) q = q.where('o.review_reason', 'is not', null).where((eb) => eb.not(reviewedExists(eb)));
    if (query.flagged === false) q = q.where((eb) => eb.or([eb('o.review_reason', 'is', null), reviewedExists(eb)]));
    if (query.createdFrom !== undefined) q = q.where('o.created_at', '>=', query.createdFrom);
    if (query.createdTo !== undefined) q = q.where('o.created_at', '<', query.createdTo);
    const search = query.search;
    if (search !== undefined) {
      // Exact matches only: each is an indexed (unique or leading) column, so a search never scans the table.
      const byAttempt = this.db
        .selectFrom('payment_attempts as a')
        .select('a.order_id')
        .where((eb) => eb.or([eb('a.out_trade_no', '=', search), eb('a.transaction_id', '=', search)]));
      q = q.where((eb) => eb.or([eb('o.id', '=', search), eb('o.openid', '=', search), eb('o.id', 'in', byAttempt)]));
    }
    if (query.cursor !== undefined) {
      const c = decodeCursor(query.cursor);
      if (c === undefined) throw new RangeError('bad cursor');
      q = q.where((eb) => eb.or([eb('o.created_at', '<', c.createdAt), eb.and([eb('o.created_at', '=', c.createdAt), eb('o.id', '<', c.id)])]));
    }
    const rows = await q.execute();
    const page = rows.slice(0, query.limit);
    const latest = new Map<string, string>();
    const reviewedAt = new Map<string, number>();
    if (page.length > 0) {
      const ids = page.map((r) => r.id);
      const attempts = await this.db
        .selectFrom('payment_attempts')
        .select(['order_id', 'out_trade_no', 'created_at'])
        .where('order_id', 'in', ids)
        .orderBy('created_at', 'asc')
        .execute();
      for (const a of attempts) latest.set(a.order_id, a.out_trade_no);
      const marks = await this.db
        .selectFrom('admin_actions')
        .select(['order_id', 'created_at'])
        .where('order_id', 'in', ids)
        .where('action', '=', 'mark_reviewed')
        .where('result', '=', 'ok')
        .orderBy('created_at', 'asc')
        .execute();
      for (const m of marks) reviewedAt.set(m.order_id, Number(m.created_at));
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
        reviewedAt: reviewedAt.get(r.id),
      })),
      nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(Number(last.created_at), last.id) : undefined,
    };
  }

  // ---- the console's audit trail and dashboard -------------------------------------------------------------
  async recordAction(action: AdminAction): Promise<void> {
    await this.db
      .insertInto('admin_actions')
      .values({
        id: action.id,
        order_id: action.orderId,
        action: action.action,
        actor: action.actor,
        reason: action.reason,
        result: action.result,
        detail_json: JSON.stringify(action.detail),
        created_at: action.createdAt,
      })
      .execute();
  }

  async listActions(orderId: string): Promise<AdminAction[]> {
    const rows = await this.db.selectFrom('admin_actions').selectAll().where('order_id', '=', orderId).orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
    return rows.map((r) => ({
      id: r.id,
      orderId: r.order_id,
      action: r.action as AdminActionKind,
      actor: r.actor,
      reason: r.reason,
      result: r.result,
      detail: JSON.parse(r.detail_json) as AdminAction['detail'],
      createdAt: Number(r.created_at),
    }));
  }

  async stats(window: StatsWindow): Promise<AdminStats> {
    const { start, end, utcOffsetMs } = window;
    // Integer division on both dialects (bigint / bigint): the China day of an instant, computed in the database so
    // a month of orders is a few dozen rows, not every order.
    const dayOf = (column: string) => sql<number>`(${sql.ref(column)} + ${sql.lit(utcOffsetMs)}) / ${sql.lit(DAY_MS)}`;
    const createdRows = await this.db
      .selectFrom('orders')
      .select([dayOf('created_at').as('day'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('created_at', '>=', start)
      .where('created_at', '<', end)
      .groupBy(dayOf('created_at'))
      .execute();
    const paidRows = await this.db
      .selectFrom('orders')
      .select([dayOf('paid_at').as('day'), (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('amount_fen').as('fen')])
      .where('paid_at', '>=', start)
      .where('paid_at', '<', end)
      .groupBy(dayOf('paid_at'))
      .execute();
    const refundDays = await this.db
      .selectFrom('refunds')
      .select([dayOf('updated_at').as('day'), (eb) => eb.fn.sum<number>('amount_fen').as('fen')])
      .where('status', '=', 'SUCCESS')
      .where('updated_at', '>=', start)
      .where('updated_at', '<', end)
      .groupBy(dayOf('updated_at'))
      .execute();
    const days = new Map<number, AdminStats['days'][number]>();
    const day = (d: unknown) => {
      const key = Number(d);
      let entry = days.get(key);
      if (entry === undefined) days.set(key, (entry = { day: key, created: 0, paid: 0, revenueFen: 0, refundedFen: 0 }));
      return entry;
    };
    for (const r of createdRows) day(r.day).created = Number(r.n);
    for (const r of paidRows) Object.assign(day(r.day), { paid: Number(r.n), revenueFen: Number(r.fen) });
    for (const r of refundDays) day(r.day).refundedFen = Number(r.fen);

    const statusRows = await this.db
      .selectFrom('orders')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.count<number>('paid_at').as('paid')])
      .where('created_at', '>=', start)
      .where('created_at', '<', end)
      .groupBy('status')
      .execute();
    const byStatus: AdminStats['byStatus'] = {};
    let created = 0;
    let paid = 0;
    for (const r of statusRows) {
      byStatus[r.status as OrderStatus] = Number(r.n);
      created += Number(r.n);
      paid += Number(r.paid);
    }

    const outcomeRows = await this.db
      .selectFrom('notification_log')
      .select(['outcome', 'authentic', (eb) => eb.fn.countAll<number>().as('n')])
      .where('received_at', '>=', start)
      .where('received_at', '<', end)
      .groupBy(['outcome', 'authentic'])
      .execute();
    const outcomes: Record<string, number> = {};
    let deliveries = 0;
    let authentic = 0;
    for (const r of outcomeRows) {
      const n = Number(r.n);
      deliveries += n;
      if (Number(r.authentic) === 1) authentic += n;
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + n;
    }
    const counted = await this.db
      .selectFrom('notification_refusals')
      // A refusal's row is written at once with its first sample; its count is added when the counts in memory are
      // flushed (every jobs tick). Until then the samples it holds are the lower bound of what was refused.
      .select((eb) => eb.fn.sum<number>(eb.case().when('count', '>', eb.ref('samples')).then(eb.ref('count')).else(eb.ref('samples')).end()).as('n'))
      .where('minute', '>=', start) // the minute's start, epoch ms
      .where('minute', '<', end)
      .executeTakeFirst();
    const retried = await this.db
      .selectFrom((eb) =>
        eb
          .selectFrom('notification_log')
          .select('event_key')
          .where('event_key', 'is not', null)
          .where('received_at', '>=', start)
          .where('received_at', '<', end)
          .groupBy('event_key')
          .having((h) => h.fn.countAll(), '>', 1)
          .as('repeated'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    const latency = await this.db
      .selectFrom('orders as o')
      .innerJoin('payment_attempts as a', 'a.id', 'o.paid_attempt_id')
      .innerJoin('notification_log as n', 'n.out_trade_no', 'a.out_trade_no')
      .select(['o.id', 'o.paid_at', (eb) => eb.fn.min<number>('n.received_at').as('first')])
      .where('n.kind', '=', 'payment')
      .where('n.authentic', '=', 1)
      .where('o.paid_at', '>=', start)
      .where('o.paid_at', '<', end)
      .groupBy(['o.id', 'o.paid_at'])
      .execute();

    const refundRows = await this.db
      .selectFrom('refunds')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('amount_fen').as('fen')])
      .where('created_at', '>=', start)
      .where('created_at', '<', end)
      .groupBy('status')
      .execute();
    const refunds: AdminStats['refunds'] = {};
    for (const r of refundRows) refunds[r.status] = { count: Number(r.n), amountFen: Number(r.fen) };

    const flaggedCount = async (reviewed: boolean) => {
      const row = await this.db
        .selectFrom('orders as o')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('o.review_reason', 'is not', null)
        .where((eb) => (reviewed ? reviewedExists(eb) : eb.not(reviewedExists(eb))))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    };
    const flagged = { open: await flaggedCount(false), reviewed: await flaggedCount(true) };

    return {
      days: [...days.values()].sort((a, b) => a.day - b.day),
      byStatus,
      conversion: { created, paid },
      notifications: {
        deliveries,
        authentic,
        rejected: deliveries - authentic + Number(counted?.n ?? 0),
        retried: Number(retried?.n ?? 0),
        outcomes,
        paymentToNotificationMs: latency.map((r) => Math.max(0, Number(r.first) - Number(r.paid_at))).sort((a, b) => a - b),
      },
      refunds,
      flagged,
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
