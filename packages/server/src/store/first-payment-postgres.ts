/**
 * A payment notification's first delivery on PostgreSQL in one statement (Store.recordFirstPayment). The general path
 * is eight round trips (the attempt read, BEGIN, five writes, COMMIT), and on PostgreSQL a round trip, not a
 * statement, is the cost: each is a socket write and a wake-up on both sides (measured: a third of the server's CPU
 * per notification was the write syscalls). One data-modifying WITH statement is atomic on its own, so it needs no
 * BEGIN or COMMIT.
 *
 * Its writes are the general path's (same columns, same conflict targets, the transition's sources from the state
 * machine: resolveChange('paid')), each conditional on the one before: the attempt takes the transaction only if it has
 * none, its order is unpaid and the event is new; the order moves only if the attempt did; the rest are written only
 * if the order moved. The attempt row is locked before the order row, as the general path does, so the two never
 * deadlock on each other. All parts see one snapshot: under a concurrent writer, the order's update re-checks its row
 * (READ COMMITTED) and may find it no longer unpaid; then only the attempt's transaction was written (see FirstPayment).
 */
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { resolveChange } from '../domain/order.js';
import type { FirstPayment } from '../ports/store.js';
import type { Database } from './schema.js';

export async function recordFirstPaymentPostgres(db: Kysely<Database> | Transaction<Database>, p: FirstPayment): Promise<boolean> {
  const { from, to } = resolveChange('paid');
  const unpaid = sql.join(from.map((status) => sql`${status}`));
  const { paid: event, log } = p;
  // Values only selected (INSERT … SELECT) have no column to take their type from: cast to the column's.
  const result = await sql<{ paid: number }>`
    with attempt as (
      update payment_attempts set transaction_id = ${p.transactionId}, status = 'PAID'
      where id = ${p.attemptId} and transaction_id is null
        and exists (select 1 from orders where id = ${p.orderId} and status in (${unpaid}))
        and not exists (select 1 from notification_events where event_key = ${p.eventKey})
      returning id
    ), paid as (
      update orders set status = ${to}, updated_at = ${p.now}, paid_at = ${p.paidAt}, paid_attempt_id = ${p.attemptId}
      where id = ${p.orderId} and status in (${unpaid}) and exists (select 1 from attempt)
      returning id
    ), outbox_row as (
      insert into outbox (id, topic, order_id, payload_json, created_at, available_at, attempts, lease_until, delivered_at, last_error)
      select ${event.id}::text, ${event.topic}::text, ${event.orderId}::text, ${JSON.stringify(event.payload)}::text,
        ${event.now}::bigint, ${event.now}::bigint, 0, null, null, null
      from paid
      on conflict (topic, order_id) do nothing
    ), event_row as (
      insert into notification_events (event_key, kind, out_trade_no, outcome, created_at)
      select ${p.eventKey}::text, 'payment', ${p.outTradeNo}::text, ${log.outcome}::text, ${p.now}::bigint from paid
      on conflict (event_key) do nothing
    ), log_row as (
      insert into notification_log (id, kind, api_version, received_at, headers_json, raw_body, authentic, outcome, event_key, out_trade_no)
      select ${log.id}::text, ${log.kind}::text, ${log.apiVersion}::text, ${log.receivedAt}::bigint, ${JSON.stringify(log.headers)}::text,
        ${log.rawBody}::text, ${log.authentic ? 1 : 0}::integer, ${log.outcome}::text, ${log.eventKey ?? null}::text, ${log.outTradeNo ?? null}::text
      from paid
    )
    select count(*)::integer as paid from paid`.execute(db);
  return result.rows[0]?.paid === 1;
}
