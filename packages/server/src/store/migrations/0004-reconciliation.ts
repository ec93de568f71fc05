/**
 * Reconciliation with the daily bill and the admin view: one run row per bill date (the primary key makes re-runs
 * update in place), and the indexes the bill and admin queries need. Portable types only, like 0001.
 */
import type { Kysely, Migration } from 'kysely';

export const reconciliation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('reconciliation_runs')
      .addColumn('bill_date', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint', (c) => c.notNull())
      .addColumn('bill_payments', 'integer', (c) => c.notNull())
      .addColumn('bill_refunds', 'integer', (c) => c.notNull())
      .addColumn('matched', 'integer', (c) => c.notNull())
      .addColumn('ignored', 'integer', (c) => c.notNull())
      .addColumn('applied', 'integer', (c) => c.notNull())
      .addColumn('bill_paid_fen', 'bigint', (c) => c.notNull())
      .addColumn('bill_refund_fen', 'bigint', (c) => c.notNull())
      .addColumn('difference_count', 'integer', (c) => c.notNull())
      .addColumn('differences_json', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .execute();
    // Orders paid within a day (the "paid here, absent from the bill" check) and the admin list.
    await db.schema.createIndex('orders_paid_at').on('orders').column('paid_at').execute();
    await db.schema.createIndex('orders_created').on('orders').columns(['created_at', 'id']).execute();
    await db.schema.createIndex('refunds_status_updated').on('refunds').columns(['status', 'updated_at']).execute();
    await db.schema.createIndex('notification_log_out_trade_no').on('notification_log').column('out_trade_no').execute();
  },
};
