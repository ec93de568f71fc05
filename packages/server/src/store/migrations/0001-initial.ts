/**
 * The first schema. Written with Kysely's schema builder and portable types only (text, integer, bigint) so the same
 * migration runs on SQLite and PostgreSQL. Uniqueness that keeps money safe lives here, not in application code.
 */
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';

export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('products')
      .addColumn('sku', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('price_fen', 'bigint', (c) => c.notNull().check(sqlPositive('price_fen')))
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('orders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('openid', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull().check(sqlPositive('amount_fen')))
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('paid_at', 'bigint')
      .addColumn('paid_attempt_id', 'text')
      .addColumn('refunded_fen', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('review_reason', 'text')
      .addUniqueConstraint('orders_idempotency_unique', ['openid', 'idempotency_key'])
      .execute();
    await db.schema.createIndex('orders_openid_created').on('orders').columns(['openid', 'created_at']).execute();
    await db.schema.createIndex('orders_status_expires').on('orders').columns(['status', 'expires_at']).execute();

    await db.schema
      .createTable('order_items')
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('line', 'integer', (c) => c.notNull())
      .addColumn('sku', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('unit_price_fen', 'bigint', (c) => c.notNull())
      .addColumn('quantity', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('order_items_pk', ['order_id', 'line'])
      .execute();

    await db.schema
      .createTable('payment_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('out_trade_no', 'text', (c) => c.notNull().unique())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('sign_type', 'text')
      .addColumn('prepay_id', 'text')
      .addColumn('prepay_at', 'bigint')
      .addColumn('time_expire', 'bigint', (c) => c.notNull())
      .addColumn('transaction_id', 'text', (c) => c.unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_query_at', 'bigint')
      .execute();
    await db.schema.createIndex('attempts_order').on('payment_attempts').columns(['order_id', 'created_at']).execute();
    await db.schema.createIndex('attempts_status_expire').on('payment_attempts').columns(['status', 'time_expire']).execute();

    await db.schema
      .createTable('refunds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
      .addColumn('out_refund_no', 'text', (c) => c.notNull().unique())
      .addColumn('amount_fen', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('refund_id', 'text')
      .addColumn('reason', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('refunds_order').on('refunds').column('order_id').execute();

    await db.schema
      .createTable('notification_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('api_version', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('headers_json', 'text', (c) => c.notNull())
      .addColumn('raw_body', 'text', (c) => c.notNull())
      .addColumn('authentic', 'integer', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('event_key', 'text')
      .addColumn('out_trade_no', 'text')
      .execute();
    await db.schema.createIndex('notification_log_received').on('notification_log').column('received_at').execute();

    await db.schema
      .createTable('notification_events')
      .addColumn('event_key', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('out_trade_no', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('payload_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('available_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_until', 'bigint')
      .addColumn('delivered_at', 'bigint')
      .addColumn('last_error', 'text')
      .addUniqueConstraint('outbox_topic_order_unique', ['topic', 'order_id'])
      .execute();
    await db.schema.createIndex('outbox_due').on('outbox').columns(['delivered_at', 'available_at']).execute();

    await db.schema
      .createTable('sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('openid', 'text', (c) => c.notNull())
      .addColumn('session_key_enc', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
  },
};

function sqlPositive(column: string) {
  return sql`${sql.ref(column)} > 0`;
}
