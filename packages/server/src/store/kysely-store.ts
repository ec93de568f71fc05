/**
 * The storage ports over Kysely. The SQL is kept to what SQLite and PostgreSQL both accept (ON CONFLICT DO NOTHING,
 * conditional UPDATE with affected-row counts), so the PostgreSQL dialect is a new connection, not new code.
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { sql } from 'kysely';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { UNPAID_STATUSES, resolveChange } from '../domain/order.js';
import type { AttemptStatus, Order, OrderChange, OrderItem, OrderStatus, PaymentAttempt } from '../domain/order.js';
import type { Product } from '../domain/pricing.js';
import type {
  FirstPayment,
  NewOutboxEvent,
  NotificationLogEntry,
  OrderPatch,
  OrderState,
  OutboxEvent,
  Refund,
  RefusalCount,
  RefusalSample,
  Repos,
  Session,
  Store,
} from '../ports/store.js';
import { claimDuePostgres } from './claim-postgres.js';
import { recordFirstPaymentPostgres } from './first-payment-postgres.js';
import { pipelinedTransaction } from './pipelined-postgres.js';
import { GROUP_COMMIT_MAX, GroupCommitter } from './group-commit.js';
import { WalSync } from './wal-sync.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import type { SqliteHotStatements } from './sqlite-hot.js';
import { affected, merchantField, num, toAttempt, toNotification, toOutboxEvent, toRefund, undef } from './rows.js';
import type { Database, OrdersTable } from './schema.js';
import { DEFAULT_MERCHANT_ID as DEFAULT_MERCHANT } from '../domain/merchant-identity.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Samples kept by this process, in order: breaks ties between samples received in the same millisecond (a stopped
 * test clock, a burst), so the newest is listed first. Only an order, never a time.
 */
let sampleSeq = 0;
type StoredSample = RefusalSample & { seq?: number };

/**
 * SQLite's hot-path statements (store/sqlite-hot.ts) and when these repos may run them: always inside a transaction
 * that holds the connection; on the store itself only while no transaction is open on it (otherwise a statement run
 * synchronously would land inside someone else's open transaction, so the call waits for the connection as usual).
 */
export type HotPath = { statements: SqliteHotStatements; ready: () => boolean };

export class KyselyRepos implements Repos {
  constructor(
    protected readonly db: Db,
    /** Where the dialects differ (the outbox claim), the PostgreSQL way is taken. */
    protected readonly sqlDialect: 'sqlite' | 'postgres' = 'sqlite',
    protected readonly hotPath?: HotPath,
  ) {}

  /** The compiled statements when they may run now; otherwise the Kysely query below. */
  protected hot(): SqliteHotStatements | undefined {
    return this.hotPath !== undefined && this.hotPath.ready() ? this.hotPath.statements : undefined;
  }

  // ---- orders ------------------------------------------------------------------------------------------------
  private async withItems(rows: Selectable<OrdersTable>[]): Promise<Order[]> {
    if (rows.length === 0) return [];
    const items = await this.db
      .selectFrom('order_items')
      .selectAll()
      .where('order_id', 'in', rows.map((r) => r.id))
      .orderBy('order_id')
      .orderBy('line')
      .execute();
    const byOrder = new Map<string, OrderItem[]>();
    for (const item of items) {
      const list = byOrder.get(item.order_id) ?? [];
      list.push({ sku: item.sku, name: item.name, unitPriceFen: Number(item.unit_price_fen), quantity: Number(item.quantity) });
      byOrder.set(item.order_id, list);
    }
    return rows.map((row) => ({
      id: row.id,
      ...merchantField(row.merchant_id),
      openid: row.openid,
      status: row.status as OrderStatus,
      amountFen: Number(row.amount_fen),
      description: row.description,
      items: byOrder.get(row.id) ?? [],
      idempotencyKey: undef(row.idempotency_key),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      expiresAt: Number(row.expires_at),
      paidAt: num(row.paid_at),
      paidAttemptId: undef(row.paid_attempt_id),
      refundedFen: Number(row.refunded_fen),
      reviewReason: undef(row.review_reason),
    }));
  }

  async insertOrder(order: Order): Promise<void> {
    for (const query of orderInserts(this.db, order)) await query.execute();
  }

  async getOrder(id: string): Promise<Order | undefined> {
    const rows = await this.db.selectFrom('orders').selectAll().where('id', '=', id).execute();
    return (await this.withItems(rows))[0];
  }

  async getOrderState(id: string): Promise<OrderState | undefined> {
    const hot = this.hot();
    if (hot !== undefined) return hot.getOrderState(id);
    const row = await this.db.selectFrom('orders').select(['id', 'status', 'paid_attempt_id', 'merchant_id']).where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : { id: row.id, status: row.status as OrderStatus, paidAttemptId: undef(row.paid_attempt_id), ...merchantField(row.merchant_id) };
  }

  async findByIdempotencyKey(openid: string, key: string): Promise<Order | undefined> {
    const rows = await this.db.selectFrom('orders').selectAll().where('openid', '=', openid).where('idempotency_key', '=', key).execute();
    return (await this.withItems(rows))[0];
  }

  async listByOpenid(openid: string, limit: number): Promise<Order[]> {
    const rows = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('openid', '=', openid)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return this.withItems(rows);
  }

  async countUnpaidOrders(openid: string, atMost: number): Promise<number> {
    // From the (openid, status) index alone, and no further than the cap (migration 0010).
    const row = await this.db
      .selectFrom((eb) => eb
        .selectFrom('orders')
        .select(sql<number>`1`.as('one'))
        .where('openid', '=', openid)
        .where('status', 'in', [...UNPAID_STATUSES])
        .limit(atMost)
        .as('unpaid'))
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async transition(id: string, change: OrderChange, now: number, options: { to?: OrderStatus; patch?: OrderPatch } = {}): Promise<boolean> {
    const hot = this.hot();
    if (hot !== undefined) return hot.transition(id, change, now, options);
    return affected(await transitionUpdate(this.db, id, change, now, options).executeTakeFirst()) === 1;
  }

  async flag(id: string, reason: string, now: number): Promise<void> {
    // Keep the first reason: it is usually the root cause; later ones are echoes of it.
    const hot = this.hot();
    if (hot !== undefined) {
      hot.flag(id, reason, now);
      return;
    }
    await this.db.updateTable('orders').set({ review_reason: reason, updated_at: now }).where('id', '=', id).where('review_reason', 'is', null).execute();
  }

  // ---- attempts ----------------------------------------------------------------------------------------------
  async insertAttempt(a: PaymentAttempt): Promise<void> {
    await attemptInsert(this.db, a).execute();
  }

  async getAttempt(id: string): Promise<PaymentAttempt | undefined> {
    const row = await this.db.selectFrom('payment_attempts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toAttempt(row);
  }

  async getAttemptByOutTradeNo(outTradeNo: string): Promise<PaymentAttempt | undefined> {
    const hot = this.hot();
    if (hot !== undefined) return hot.getAttemptByOutTradeNo(outTradeNo);
    const row = await this.db.selectFrom('payment_attempts').selectAll().where('out_trade_no', '=', outTradeNo).executeTakeFirst();
    return row === undefined ? undefined : toAttempt(row);
  }

  async latestAttempt(orderId: string): Promise<PaymentAttempt | undefined> {
    const row = await this.db
      .selectFrom('payment_attempts')
      .selectAll()
      .where('order_id', '=', orderId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toAttempt(row);
  }

  async setPrepay(attemptId: string, prepayId: string, signType: string, at: number): Promise<void> {
    await prepayUpdate(this.db, attemptId, prepayId, signType, at).execute();
  }

  async setAttemptStatus(attemptId: string, from: readonly AttemptStatus[], to: AttemptStatus): Promise<boolean> {
    const result = await this.db
      .updateTable('payment_attempts')
      .set({ status: to })
      .where('id', '=', attemptId)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return affected(result) === 1;
  }

  async recordTransaction(attemptId: string, transactionId: string): Promise<'recorded' | 'same' | 'conflict'> {
    const hot = this.hot();
    if (hot !== undefined) return hot.recordTransaction(attemptId, transactionId);
    const result = await this.db
      .updateTable('payment_attempts')
      .set({ transaction_id: transactionId, status: 'PAID' })
      .where('id', '=', attemptId)
      .where('transaction_id', 'is', null)
      .executeTakeFirst();
    if (affected(result) === 1) return 'recorded';
    const row = await this.db.selectFrom('payment_attempts').select('transaction_id').where('id', '=', attemptId).executeTakeFirst();
    return row?.transaction_id === transactionId ? 'same' : 'conflict';
  }

  async claimQuery(attemptId: string, now: number, minGapMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('payment_attempts')
      .set({ last_query_at: now })
      .where('id', '=', attemptId)
      .where((eb) => eb.or([eb('last_query_at', 'is', null), eb('last_query_at', '<=', now - minGapMs)]))
      .executeTakeFirst();
    return affected(result) === 1;
  }

  async listAttemptsToReconcile(now: number, prepayBefore: number, limit: number): Promise<PaymentAttempt[]> {
    const rows = await this.db
      .selectFrom('payment_attempts as a')
      .innerJoin('orders as o', 'o.id', 'a.order_id')
      .selectAll('a')
      .where('a.status', '=', 'OPEN')
      .where('a.prepay_at', '<=', prepayBefore)
      .where('a.time_expire', '>', now)
      .where('o.status', 'in', [...UNPAID_STATUSES])
      .orderBy('a.last_query_at')
      .limit(limit)
      .execute();
    return rows.map(toAttempt);
  }

  async listAttemptsToClose(now: number, limit: number): Promise<PaymentAttempt[]> {
    const rows = await this.db
      .selectFrom('payment_attempts')
      .selectAll()
      .where('status', '=', 'OPEN')
      .where('time_expire', '<=', now)
      .orderBy('time_expire')
      .limit(limit)
      .execute();
    return rows.map(toAttempt);
  }

  async listOrdersToClose(now: number, limit: number): Promise<Order[]> {
    const rows = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('status', 'in', [...UNPAID_STATUSES])
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return this.withItems(rows);
  }

  async countOpenAttempts(orderId: string): Promise<number> {
    const row = await this.db
      .selectFrom('payment_attempts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('order_id', '=', orderId)
      .where('status', '=', 'OPEN')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  // ---- refunds -----------------------------------------------------------------------------------------------
  async insertRefund(r: Refund): Promise<void> {
    await this.db
      .insertInto('refunds')
      .values({
        id: r.id,
        order_id: r.orderId,
        out_refund_no: r.outRefundNo,
        amount_fen: r.amountFen,
        status: r.status,
        refund_id: r.refundId ?? null,
        reason: r.reason ?? null,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
      })
      .execute();
  }

  async getRefundByOutRefundNo(outRefundNo: string): Promise<Refund | undefined> {
    const row = await this.db.selectFrom('refunds').selectAll().where('out_refund_no', '=', outRefundNo).executeTakeFirst();
    return row === undefined ? undefined : toRefund(row);
  }

  async listRefunds(orderId: string): Promise<Refund[]> {
    const rows = await this.db.selectFrom('refunds').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute();
    return rows.map(toRefund);
  }

  async setRefundStatus(outRefundNo: string, from: readonly Refund['status'][], to: Refund['status'], now: number, refundId?: string): Promise<boolean> {
    if (from.length === 0) return false;
    const result = await this.db
      .updateTable('refunds')
      .set({ status: to, updated_at: now, ...(refundId === undefined ? {} : { refund_id: refundId }) })
      .where('out_refund_no', '=', outRefundNo)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return affected(result) === 1;
  }

  // ---- notifications -----------------------------------------------------------------------------------------
  async logNotification(e: NotificationLogEntry): Promise<void> {
    const hot = this.hot();
    if (hot !== undefined) {
      hot.logNotification(e);
      return;
    }
    await this.db
      .insertInto('notification_log')
      .values({
        id: e.id,
        kind: e.kind,
        api_version: e.apiVersion,
        received_at: e.receivedAt,
        headers_json: JSON.stringify(e.headers),
        raw_body: e.rawBody,
        authentic: e.authentic ? 1 : 0,
        outcome: e.outcome,
        event_key: e.eventKey ?? null,
        out_trade_no: e.outTradeNo ?? null,
      })
      .execute();
  }

  async addRefusalCounts(rows: readonly RefusalCount[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('notification_refusals')
      .values(rows.map((r) => ({ minute: r.minute, kind: r.kind, source: r.source, reason: r.reason, count: r.count })))
      .onConflict((oc) =>
        oc.columns(['minute', 'kind', 'source', 'reason']).doUpdateSet((eb) => ({ count: eb('notification_refusals.count', '+', eb.ref('excluded.count')) })),
      )
      .execute();
  }

  async listRefusalCounts(sinceMinute: number, limit: number): Promise<RefusalCount[]> {
    const rows = await this.db
      .selectFrom('notification_refusals')
      .selectAll()
      .where('minute', '>=', sinceMinute)
      .orderBy('minute')
      .orderBy('kind')
      .orderBy('source')
      .orderBy('reason')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ minute: Number(r.minute), kind: r.kind as RefusalCount['kind'], source: r.source, reason: r.reason, count: Number(r.count) }));
  }

  async pruneNotifications(authenticBefore: number, refusedBefore: number, limit: number): Promise<number> {
    // Bounded deletes (ids chosen by a LIMITed subquery, which both dialects accept): a long backlog is pruned over
    // several short transactions instead of one that holds the write lock for seconds.
    const logRows = (authentic: number, before: number) =>
      this.db
        .deleteFrom('notification_log')
        .where('id', 'in', (eb) =>
          eb.selectFrom('notification_log').select('id').where('authentic', '=', authentic).where('received_at', '<', before).limit(limit),
        )
        .executeTakeFirst();
    const authentic = await logRows(1, authenticBefore);
    const refused = await logRows(0, refusedBefore);
    const counters = await this.db.deleteFrom('notification_refusals').where('minute', '<', refusedBefore).executeTakeFirst();
    return [authentic, refused, counters].reduce((sum, r) => sum + Number(r.numDeletedRows), 0);
  }

  async recordEvent(eventKey: string, kind: 'payment' | 'refund', outTradeNo: string, outcome: string, now: number): Promise<boolean> {
    const hot = this.hot();
    if (hot !== undefined) return hot.recordEvent(eventKey, kind, outTradeNo, outcome, now);
    const result = await this.db
      .insertInto('notification_events')
      .values({ event_key: eventKey, kind, out_trade_no: outTradeNo, outcome, created_at: now })
      .onConflict((oc) => oc.column('event_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async addRefusalSample(key: Omit<RefusalCount, 'count'>, sample: RefusalSample, max: number): Promise<void> {
    const where = { minute: key.minute, kind: key.kind, source: key.source, reason: key.reason };
    const created = await this.db
      .insertInto('notification_refusals')
      .values({ ...where, count: 0, samples_json: JSON.stringify([{ ...sample, seq: ++sampleSeq }]), samples: 1 })
      .onConflict((oc) => oc.columns(['minute', 'kind', 'source', 'reason']).doNothing())
      .executeTakeFirst();
    if (Number(created.numInsertedOrUpdatedRows ?? 0n) === 1) return;
    const row = await this.db
      .selectFrom('notification_refusals')
      .select(['samples_json', 'samples'])
      .where('minute', '=', key.minute).where('kind', '=', key.kind).where('source', '=', key.source).where('reason', '=', key.reason)
      .executeTakeFirst();
    if (row === undefined || Number(row.samples) >= max) return;
    const samples = [...(JSON.parse(row.samples_json) as StoredSample[]), { ...sample, seq: ++sampleSeq }];
    // Conditional on the count read: of two instances appending at once, one wins and the other's sample is dropped
    // (a sample, not a count: the counts are added separately and never lost this way).
    await this.db
      .updateTable('notification_refusals')
      .set({ samples_json: JSON.stringify(samples), samples: samples.length })
      .where('minute', '=', key.minute).where('kind', '=', key.kind).where('source', '=', key.source).where('reason', '=', key.reason)
      .where('samples', '=', Number(row.samples))
      .execute();
  }

  async listNotifications(limit: number): Promise<NotificationLogEntry[]> {
    const rows = await this.db.selectFrom('notification_log').selectAll().orderBy('received_at', 'desc').limit(limit).execute();
    // Refused deliveries are samples inside their counter rows (migration 0007); older ones may still be log rows.
    // Every row of the minutes that may hold the newest `limit` samples: the limit-th newest row's minute and after
    // (rows of one minute are in no particular order; the samples per minute are bounded by the sampling).
    const oldest = await this.db
      .selectFrom('notification_refusals')
      .select('minute')
      .where('samples', '>', 0)
      .orderBy('minute', 'desc')
      .limit(1)
      .offset(Math.max(limit - 1, 0))
      .executeTakeFirst();
    const counters = await this.db
      .selectFrom('notification_refusals')
      .selectAll()
      .where('samples', '>', 0)
      .where('minute', '>=', oldest === undefined ? 0 : Number(oldest.minute))
      .execute();
    const refused = counters.flatMap((c) => (JSON.parse(c.samples_json) as StoredSample[]).map((sample, i) => ({
      seq: sample.seq ?? 0,
      entry: {
        id: `refusal:${Number(c.minute)}:${c.kind}:${c.source}:${c.reason}:${i}`,
        kind: c.kind as NotificationLogEntry['kind'],
        apiVersion: sample.apiVersion,
        receivedAt: sample.receivedAt,
        headers: sample.headers,
        rawBody: sample.rawBody,
        authentic: false,
        outcome: `rejected:${c.reason}`,
        eventKey: undefined,
        outTradeNo: undefined,
      } satisfies NotificationLogEntry,
    })));
    refused.sort((a, b) => b.entry.receivedAt - a.entry.receivedAt || b.seq - a.seq);
    // Newest first (a stable sort: within one millisecond the log rows' own order, then the samples').
    return [...rows.map(toNotification), ...refused.map((r) => r.entry)].sort((a, b) => b.receivedAt - a.receivedAt).slice(0, limit);
  }

  // ---- outbox ------------------------------------------------------------------------------------------------
  async addEvent(event: NewOutboxEvent): Promise<boolean> {
    const hot = this.hot();
    if (hot !== undefined) return hot.addEvent(event);
    const result = await this.db
      .insertInto('outbox')
      .values({
        id: event.id,
        topic: event.topic,
        order_id: event.orderId,
        payload_json: JSON.stringify(event.payload),
        created_at: event.now,
        available_at: event.now,
        attempts: 0,
        lease_until: null,
        delivered_at: null,
        last_error: null,
      })
      .onConflict((oc) => oc.columns(['topic', 'order_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxEvent[]> {
    if (this.sqlDialect === 'postgres') {
      const rows = await claimDuePostgres(this.db, now, leaseMs, limit);
      return rows.map((row) => toOutboxEvent(row));
    }
    const candidates = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('delivered_at', 'is', null)
      .where('available_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .orderBy('available_at')
      .limit(limit)
      .execute();
    const claimed: OutboxEvent[] = [];
    for (const row of candidates) {
      // The claim is the conditional update: of several instances racing for a row, exactly one gets affected = 1.
      const result = await this.db
        .updateTable('outbox')
        .set({ lease_until: now + leaseMs, attempts: Number(row.attempts) + 1 })
        .where('id', '=', row.id)
        .where('delivered_at', 'is', null)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .executeTakeFirst();
      if (affected(result) !== 1) continue;
      claimed.push(toOutboxEvent(row, Number(row.attempts) + 1));
    }
    return claimed;
  }

  async markDelivered(id: string, now: number): Promise<void> {
    await this.db.updateTable('outbox').set({ delivered_at: now, lease_until: null, last_error: null }).where('id', '=', id).execute();
  }

  async markFailed(id: string, error: string, retryAt: number): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ last_error: error.slice(0, 500), available_at: retryAt, lease_until: null })
      .where('id', '=', id)
      .where('delivered_at', 'is', null)
      .execute();
  }

  async listEvents(orderId: string): Promise<(OutboxEvent & { deliveredAt: number | undefined })[]> {
    const rows = await this.db.selectFrom('outbox').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute();
    return rows.map((row) => ({ ...toOutboxEvent(row), deliveredAt: num(row.delivered_at) }));
  }

  // ---- sessions ----------------------------------------------------------------------------------------------
  async insertSession(s: Session): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({ token_hash: s.tokenHash, merchant_id: s.merchantId ?? DEFAULT_MERCHANT, openid: s.openid, session_key_enc: s.sessionKeyEnc, created_at: s.createdAt, expires_at: s.expiresAt })
      .execute();
  }

  async findSession(tokenHash: string, now: number): Promise<Session | undefined> {
    const row = await this.db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).where('expires_at', '>', now).executeTakeFirst();
    if (row === undefined) return undefined;
    return { tokenHash: row.token_hash, ...merchantField(row.merchant_id), openid: row.openid, sessionKeyEnc: row.session_key_enc, createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
  }

  // ---- products ----------------------------------------------------------------------------------------------
  async listProducts(merchantId: string = DEFAULT_MERCHANT): Promise<Product[]> {
    const rows = await this.db.selectFrom('products').selectAll().where('merchant_id', '=', merchantId).where('active', '=', 1).orderBy('sku').execute();
    return rows.map((r) => ({ sku: r.sku, name: r.name, priceFen: Number(r.price_fen), active: true }));
  }

  async productsBySku(skus: readonly string[], merchantId: string = DEFAULT_MERCHANT): Promise<Map<string, Product>> {
    const map = new Map<string, Product>();
    if (skus.length === 0) return map;
    // Another merchant's sku is not in this merchant's catalogue: an unknown sku, never its price.
    const rows = await this.db.selectFrom('products').selectAll().where('merchant_id', '=', merchantId).where('sku', 'in', [...skus]).execute();
    for (const r of rows) map.set(r.sku, { sku: r.sku, name: r.name, priceFen: Number(r.price_fen), active: Number(r.active) === 1 });
    return map;
  }

  async seedProductsIfEmpty(products: readonly Product[], now: number): Promise<boolean> {
    const row = await this.db.selectFrom('products').select((eb) => eb.fn.countAll().as('n')).where('merchant_id', '=', DEFAULT_MERCHANT).executeTakeFirst();
    if (Number(row?.n ?? 0) > 0 || products.length === 0) return false;
    await this.db
      .insertInto('products')
      .values(products.map((p) => ({ sku: p.sku, name: p.name, price_fen: p.priceFen, active: p.active ? 1 : 0, created_at: now })))
      .onConflict((oc) => oc.column('sku').doNothing())
      .execute();
    return true;
  }
}

export class KyselyStore extends KyselyRepos implements Store {
  constructor(
    private readonly kysely: Kysely<Database>,
    readonly dialect: 'sqlite' | 'postgres',
    /** SQLite: the hot path's compiled statements on the same connection (store/sqlite-hot.ts). */
    private readonly statements?: SqliteHotStatements,
  ) {
    // The store itself runs a compiled statement only while no transaction is open on the connection.
    super(kysely, dialect, statements === undefined ? undefined : { statements, ready: () => !statements.db.inTransaction });
    this.committer = dialect === 'sqlite'
      ? new GroupCommitter(kysely, (conn) => new KyselyRepos(conn, dialect, this.inTransaction()), statements, GROUP_COMMIT_MAX, walSyncFor(statements))
      : undefined;
    if (dialect === 'postgres') {
      this.recordFirstPayment = (payment) => recordFirstPaymentPostgres(kysely, payment);
      this.insertOrderWithAttempt = async (order, attempt) => {
        await pipelinedTransaction(kysely, [...orderInserts(kysely, order), attemptInsert(kysely, attempt)]);
      };
      this.recordPrepay = async (attemptId, prepayId, signType, at, orderId) => {
        const [, moved] = await pipelinedTransaction(kysely, [prepayUpdate(kysely, attemptId, prepayId, signType, at), transitionUpdate(kysely, orderId, 'prepayIssued', at)]);
        return Number(moved?.numAffectedRows ?? 0n) === 1;
      };
    }
    this.checkpointer = statements !== undefined && walMode(statements) ? new WalCheckpointer(statements.db) : undefined;
  }

  /** SQLite in WAL mode: checkpoints off the event loop (store/wal-checkpointer.ts). */
  private readonly checkpointer: WalCheckpointer | undefined;

  /** SQLite: concurrent shared transactions commit together (store/group-commit.ts). */
  private readonly committer: GroupCommitter | undefined;

  /** PostgreSQL only: store/first-payment-postgres.ts. */
  readonly recordFirstPayment?: (payment: FirstPayment) => Promise<boolean>;
  /** PostgreSQL only: one round trip each (store/pipelined-postgres.ts). */
  readonly insertOrderWithAttempt?: (order: Order, attempt: PaymentAttempt) => Promise<void>;
  readonly recordPrepay?: (attemptId: string, prepayId: string, signType: string, at: number, orderId: string) => Promise<boolean>;

  /** Inside a transaction the connection is ours: the compiled statements always may run (they join it). */
  private inTransaction(): HotPath | undefined {
    return this.statements === undefined ? undefined : { statements: this.statements, ready: () => true };
  }

  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    return this.kysely.transaction().execute((trx) => fn(new KyselyRepos(trx, this.dialect, this.inTransaction())));
  }

  sharedTransaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    // PostgreSQL commits concurrent transactions in parallel over its pool (and groups their WAL flushes itself).
    if (this.committer === undefined) return this.transaction(fn);
    return this.committer.run(fn);
  }

  /** The connection pool, for stores that share it (job leases, the access-token store). */
  get database(): Kysely<Database> {
    return this.kysely;
  }

  async ping(): Promise<void> {
    await this.kysely.selectFrom('products').select('sku').limit(1).execute();
  }

  async close(): Promise<void> {
    await this.committer?.close();
    // Before the connection closes: as the last one, it then checkpoints what is left and removes the WAL.
    await this.checkpointer?.close();
    await this.kysely.destroy();
  }
}

/**
 * A file database in WAL mode gets its shared commits synced off the event loop; memory and other modes do not, and
 * neither does a file in memory (tmpfs, ramfs): there an fsync returns at once, and handing it to the thread pool and
 * back cost more than it (measured: ~60 µs of CPU per batch on tmpfs, against a syscall that does nothing).
 */
export function walSyncFor(statements: SqliteHotStatements | undefined): WalSync | undefined {
  if (statements === undefined || !walMode(statements)) return undefined;
  const file = resolve(statements.db.name);
  return inMemoryFileSystem(dirname(file)) ? undefined : new WalSync(`${file}-wal`);
}

/** A file database in WAL mode (not one in memory, not another journal mode). */
function walMode(statements: SqliteHotStatements): boolean {
  if (statements.db.memory) return false;
  const mode = statements.db.pragma('journal_mode', { simple: true });
  return typeof mode === 'string' && mode.toLowerCase() === 'wal';
}

/** statfs(2) magic numbers of Linux's file systems that live in memory (linux/magic.h). */
const MEMORY_FILE_SYSTEMS = new Set([0x01021994 /* TMPFS_MAGIC */, 0x858458f6 /* RAMFS_MAGIC */]);

export function inMemoryFileSystem(dir: string): boolean {
  try {
    return MEMORY_FILE_SYSTEMS.has(Number(statfsSync(dir).type));
  } catch {
    // Not known (statfs unsupported): treated as a disk; both ways are equally durable, this one is the cheaper there.
    return false;
  }
}

// The statements of the writes a pipelined transaction sends (KyselyStore.insertOrderWithAttempt, recordPrepay): one
// definition each, run one by one by the repos above and compiled together on PostgreSQL.

function orderInserts(db: Db, order: Order) {
  const row = db.insertInto('orders').values({
    id: order.id,
    merchant_id: order.merchantId ?? DEFAULT_MERCHANT,
    openid: order.openid,
    status: order.status,
    amount_fen: order.amountFen,
    description: order.description,
    idempotency_key: order.idempotencyKey ?? null,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    expires_at: order.expiresAt,
    paid_at: order.paidAt ?? null,
    paid_attempt_id: order.paidAttemptId ?? null,
    refunded_fen: order.refundedFen,
    review_reason: order.reviewReason ?? null,
  });
  if (order.items.length === 0) return [row];
  const items = db.insertInto('order_items').values(order.items.map((item, line) => ({
    order_id: order.id,
    line,
    sku: item.sku,
    name: item.name,
    unit_price_fen: item.unitPriceFen,
    quantity: item.quantity,
  })));
  return [row, items];
}

function attemptInsert(db: Db, a: PaymentAttempt) {
  return db.insertInto('payment_attempts').values({
    id: a.id,
    merchant_id: a.merchantId ?? DEFAULT_MERCHANT,
    order_id: a.orderId,
    out_trade_no: a.outTradeNo,
    amount_fen: a.amountFen,
    status: a.status,
    sign_type: a.signType ?? null,
    prepay_id: a.prepayId ?? null,
    prepay_at: a.prepayAt ?? null,
    time_expire: a.timeExpire,
    transaction_id: a.transactionId ?? null,
    created_at: a.createdAt,
    last_query_at: a.lastQueryAt ?? null,
  });
}

function prepayUpdate(db: Db, attemptId: string, prepayId: string, signType: string, at: number) {
  return db.updateTable('payment_attempts').set({ prepay_id: prepayId, sign_type: signType, prepay_at: at }).where('id', '=', attemptId);
}

/** The state machine's change (domain/order.ts) as a conditional update: only from one of the change's sources. */
function transitionUpdate(db: Db, id: string, change: OrderChange, now: number, options: { to?: OrderStatus; patch?: OrderPatch } = {}) {
  const { from, to } = resolveChange(change, options.to);
  const patch = options.patch ?? {};
  return db
    .updateTable('orders')
    .set({
      status: to,
      updated_at: now,
      ...(patch.paidAt === undefined ? {} : { paid_at: patch.paidAt }),
      ...(patch.paidAttemptId === undefined ? {} : { paid_attempt_id: patch.paidAttemptId }),
      ...(patch.refundedFen === undefined ? {} : { refunded_fen: patch.refundedFen }),
    })
    .where('id', '=', id)
    .where('status', 'in', [...from]);
}
