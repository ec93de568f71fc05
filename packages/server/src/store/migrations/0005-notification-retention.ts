/**
 * Refused notification deliveries are counted, not stored one row each: one counter row per (minute, kind, source,
 * reason), added to as instances flush their counts. The index serves the retention job, which prunes the log by
 * class (authentic or refused) and age. Portable types only, like 0001.
 */
import type { Kysely, Migration } from 'kysely';

export const notificationRetention: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('notification_refusals')
      .addColumn('minute', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('notification_refusals_pk', ['minute', 'kind', 'source', 'reason'])
      .execute();
    await db.schema.createIndex('notification_log_class_received').on('notification_log').columns(['authentic', 'received_at']).execute();
  },
};
