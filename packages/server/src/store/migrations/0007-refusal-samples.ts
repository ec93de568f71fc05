/**
 * The samples of refused notification deliveries move into their counter row: a flood grows the database by at most
 * one row per (minute, kind, source, reason), the row that counts it, and that row holds a bounded sample of what was
 * refused (the first few deliveries, their bodies cut to a bound) for the audit trail. Portable types only, like 0001.
 */
import type { Kysely, Migration } from 'kysely';

export const refusalSamples: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // A JSON array of samples, and how many it holds (the conditional append compares it).
    await db.schema.alterTable('notification_refusals').addColumn('samples_json', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.alterTable('notification_refusals').addColumn('samples', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
};
