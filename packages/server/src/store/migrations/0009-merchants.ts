/**
 * Many merchants (issue 16, docs/adr/0015): merchants are rows, and every order, attempt, session, product and
 * reconciliation run belongs to exactly one. Existing rows belong to 'default', the merchant the environment
 * variables describe, so a one-merchant database keeps working unchanged. Secrets are one encrypted column
 * (secrets_enc, sealed like session_key), never a column per secret. Reconciliation runs are rebuilt with a
 * (merchant_id, bill_date) key, each merchant having its own daily bill. Portable types only, like 0001.
 */
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';

const DEFAULT = sql`'default'`;

export const merchants: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('merchants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('appid', 'text', (c) => c.notNull())
      .addColumn('mchid', 'text', (c) => c.notNull())
      .addColumn('api_version', 'text', (c) => c.notNull())
      .addColumn('pay_mode', 'text', (c) => c.notNull())
      .addColumn('sub_mchid', 'text')
      .addColumn('sub_appid', 'text')
      .addColumn('settings_json', 'text', (c) => c.notNull())
      .addColumn('secrets_enc', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    // A mini program logs in to one merchant: POST /api/login {appid} must name exactly one.
    await db.schema.createIndex('merchants_appid').on('merchants').column('appid').unique().execute();
    for (const table of ['orders', 'payment_attempts', 'sessions', 'products']) {
      await db.schema.alterTable(table).addColumn('merchant_id', 'text', (c) => c.notNull().defaultTo(DEFAULT)).execute();
    }
    await db.schema.createIndex('orders_merchant_created').on('orders').columns(['merchant_id', 'created_at', 'id']).execute();
    await db.schema.createIndex('products_merchant').on('products').columns(['merchant_id', 'sku']).execute();

    await db.schema
      .createTable('reconciliation_runs_m')
      .addColumn('merchant_id', 'text', (c) => c.notNull())
      .addColumn('bill_date', 'text', (c) => c.notNull())
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
      .addPrimaryKeyConstraint('reconciliation_runs_m_pk', ['merchant_id', 'bill_date'])
      .execute();
    await sql`insert into reconciliation_runs_m (merchant_id, bill_date, status, runs, started_at, finished_at, bill_payments, bill_refunds, matched, ignored, applied, bill_paid_fen, bill_refund_fen, difference_count, differences_json, error)
      select 'default', bill_date, status, runs, started_at, finished_at, bill_payments, bill_refunds, matched, ignored, applied, bill_paid_fen, bill_refund_fen, difference_count, differences_json, error from reconciliation_runs`.execute(db);
    await db.schema.dropTable('reconciliation_runs').execute();
    await db.schema.alterTable('reconciliation_runs_m').renameTo('reconciliation_runs').execute();
  },
};
