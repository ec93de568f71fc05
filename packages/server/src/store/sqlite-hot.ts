/**
 * The statements of the notification hot path on SQLite, compiled once and run on better-sqlite3 directly. Through
 * Kysely every call builds an operation tree, compiles it to SQL and goes through the driver's connection mutex and
 * promise machinery: on a ~10-statement notification that was most of the server's CPU. The SQL here is the same SQL
 * kysely-store.ts runs (same tables, same conditions, same conflict targets); the order state machine's WHERE is not
 * written here but generated from domain/order.ts (resolveChange), like the Kysely version does.
 *
 * Who may run these: better-sqlite3 runs a statement synchronously on the one connection, so a statement run while a
 * transaction is open on it joins that transaction. The repos of a transaction (ours or a group commit's) hold the
 * connection and always may; the store itself may only when no transaction is open (see KyselyRepos.hotReady).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Selectable } from 'kysely';
import { resolveChange } from '../domain/order.js';
import type { OrderChange, OrderStatus, PaymentAttempt } from '../domain/order.js';
import type { NewOutboxEvent, NotificationLogEntry, OrderPatch, OrderState } from '../ports/store.js';
import { merchantField, toAttempt, undef } from './rows.js';
import type { PaymentAttemptsTable } from './schema.js';

type Statement = BetterSqlite3.Statement;

/** The optional columns a transition may set, in a fixed order (the statement text depends on which are set). */
const PATCH_COLUMNS = [
  ['paidAt', 'paid_at'],
  ['paidAttemptId', 'paid_attempt_id'],
  ['refundedFen', 'refunded_fen'],
] as const satisfies readonly (readonly [keyof OrderPatch, string])[];

export class SqliteHotStatements {
  private readonly attemptByOutTradeNo: Statement;
  private readonly recordTransactionUpdate: Statement;
  private readonly attemptTransactionId: Statement;
  private readonly orderState: Statement;
  private readonly flagOrder: Statement;
  private readonly insertOutbox: Statement;
  private readonly insertEvent: Statement;
  private readonly insertLog: Statement;
  /** Transition statements by shape (patch columns set, number of source statuses): a handful in all. */
  private readonly transitions = new Map<string, Statement>();
  readonly savepoint: Statement;
  readonly release: Statement;
  readonly rollbackTo: Statement;
  readonly beginImmediate: Statement;
  readonly commit: Statement;
  readonly rollback: Statement;
  readonly synchronousNormal: Statement;
  readonly synchronousFull: Statement;

  constructor(readonly db: BetterSqlite3.Database) {
    this.attemptByOutTradeNo = db.prepare('select * from "payment_attempts" where "out_trade_no" = ?');
    this.recordTransactionUpdate = db.prepare(
      'update "payment_attempts" set "transaction_id" = ?, "status" = \'PAID\' where "id" = ? and "transaction_id" is null',
    );
    this.attemptTransactionId = db.prepare('select "transaction_id" from "payment_attempts" where "id" = ?');
    this.orderState = db.prepare('select "id", "status", "paid_attempt_id", "merchant_id" from "orders" where "id" = ?');
    this.flagOrder = db.prepare('update "orders" set "review_reason" = ?, "updated_at" = ? where "id" = ? and "review_reason" is null');
    this.insertOutbox = db.prepare(
      'insert into "outbox" ("id", "topic", "order_id", "payload_json", "created_at", "available_at", "attempts", "lease_until", "delivered_at", "last_error") ' +
        'values (?, ?, ?, ?, ?, ?, 0, null, null, null) on conflict ("topic", "order_id") do nothing',
    );
    this.insertEvent = db.prepare(
      'insert into "notification_events" ("event_key", "kind", "out_trade_no", "outcome", "created_at") values (?, ?, ?, ?, ?) on conflict ("event_key") do nothing',
    );
    this.insertLog = db.prepare(
      'insert into "notification_log" ("id", "kind", "api_version", "received_at", "headers_json", "raw_body", "authentic", "outcome", "event_key", "out_trade_no") ' +
        'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.savepoint = db.prepare('savepoint unit');
    this.release = db.prepare('release savepoint unit');
    this.rollbackTo = db.prepare('rollback to savepoint unit');
    this.beginImmediate = db.prepare('begin immediate');
    this.commit = db.prepare('commit');
    this.rollback = db.prepare('rollback');
    this.synchronousNormal = db.prepare('pragma synchronous = NORMAL');
    this.synchronousFull = db.prepare('pragma synchronous = FULL');
  }

  getAttemptByOutTradeNo(outTradeNo: string): PaymentAttempt | undefined {
    const row = this.attemptByOutTradeNo.get(outTradeNo) as Selectable<PaymentAttemptsTable> | undefined;
    return row === undefined ? undefined : toAttempt(row);
  }

  recordTransaction(attemptId: string, transactionId: string): 'recorded' | 'same' | 'conflict' {
    if (this.recordTransactionUpdate.run(transactionId, attemptId).changes === 1) return 'recorded';
    const row = this.attemptTransactionId.get(attemptId) as { transaction_id: string | null } | undefined;
    return row?.transaction_id === transactionId ? 'same' : 'conflict';
  }

  getOrderState(id: string): OrderState | undefined {
    const row = this.orderState.get(id) as { id: string; status: string; paid_attempt_id: string | null; merchant_id: string } | undefined;
    return row === undefined ? undefined : { id: row.id, status: row.status as OrderStatus, paidAttemptId: undef(row.paid_attempt_id), ...merchantField(row.merchant_id) };
  }

  transition(id: string, change: OrderChange, now: number, options: { to?: OrderStatus; patch?: OrderPatch } = {}): boolean {
    // The rule's own answer: which statuses the change starts from and where it leads.
    const { from, to } = resolveChange(change, options.to);
    const patch = options.patch ?? {};
    const set = PATCH_COLUMNS.filter(([key]) => patch[key] !== undefined);
    const shape = `${set.map(([, column]) => column).join(',')}|${from.length}`;
    let statement = this.transitions.get(shape);
    if (statement === undefined) {
      const columns = ['"status" = ?', '"updated_at" = ?', ...set.map(([, column]) => `"${column}" = ?`)].join(', ');
      statement = this.db.prepare(`update "orders" set ${columns} where "id" = ? and "status" in (${from.map(() => '?').join(', ')})`);
      this.transitions.set(shape, statement);
    }
    return statement.run(to, now, ...set.map(([key]) => patch[key] ?? null), id, ...from).changes === 1;
  }

  flag(id: string, reason: string, now: number): void {
    this.flagOrder.run(reason, now, id);
  }

  addEvent(event: NewOutboxEvent): boolean {
    return this.insertOutbox.run(event.id, event.topic, event.orderId, JSON.stringify(event.payload), event.now, event.now).changes === 1;
  }

  recordEvent(eventKey: string, kind: 'payment' | 'refund', outTradeNo: string, outcome: string, now: number): boolean {
    return this.insertEvent.run(eventKey, kind, outTradeNo, outcome, now).changes === 1;
  }

  logNotification(e: NotificationLogEntry): void {
    this.insertLog.run(
      e.id, e.kind, e.apiVersion, e.receivedAt, JSON.stringify(e.headers), e.rawBody, e.authentic ? 1 : 0, e.outcome, e.eventKey ?? null, e.outTradeNo ?? null,
    );
  }
}
