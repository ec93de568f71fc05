/**
 * Fulfilment after payment (issue 14): one row per shipped order beside `orders` (no row = NOT_SHIPPED, so paying an
 * order writes nothing more), a `virtual` flag on products (an order of only virtual goods ships itself), counters of
 * WeChat's trade-management reminders, and one row per daily comparison with get_order_list. Portable types only,
 * like 0001: booleans are 0/1 integers, times bigint milliseconds.
 */
import type { Kysely, Migration } from 'kysely';

export const shipping: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('order_shipping')
      .addColumn('order_id', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('shipment_json', 'text')
      .addColumn('upload_status', 'text')
      .addColumn('upload_error', 'text')
      .addColumn('shipped_at', 'bigint')
      .addColumn('uploaded_at', 'bigint')
      .addColumn('confirmed_at', 'bigint')
      .addColumn('settled_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('order_shipping_status').on('order_shipping').columns(['status', 'updated_at']).execute();
    await db.schema.alterTable('products').addColumn('virtual', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema
      .createTable('message_push_counts')
      .addColumn('event', 'text', (c) => c.primaryKey())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addColumn('last_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('shipping_checks')
      .addColumn('check_date', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'bigint', (c) => c.notNull())
      .addColumn('examined', 'integer', (c) => c.notNull())
      .addColumn('differences', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .execute();
  },
};
