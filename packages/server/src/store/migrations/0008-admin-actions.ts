/**
 * The operator console's audit trail: one row per action a person took on an order (refund, query WeChat now, close,
 * mark reviewed) — who (the admin token's label) and why (a required reason), and what came of it. Rows are only
 * ever inserted. An order whose review_reason is set and that has a `mark_reviewed` row is no longer "flagged".
 * Portable types only, like 0001.
 */
import type { Kysely, Migration } from 'kysely';

export const adminActions: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('admin_actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('order_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('detail_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('admin_actions_order').on('admin_actions').columns(['order_id', 'created_at']).execute();
    // The console's search by openid and the stats' day buckets over created_at.
    await db.schema.createIndex('notification_log_event').on('notification_log').column('event_key').execute();
  },
};
