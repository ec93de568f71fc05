/**
 * Shared state for running many instances on one database: job leases (a singleton job runs on one instance at a
 * time; a lease that is not renewed expires, so an instance killed mid-job cannot block the job forever) and the
 * shared WeChat access token with its refresh lock. Portable types only, like 0001.
 */
import type { Kysely, Migration } from 'kysely';

export const leasesAndTokens: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('job_leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text')
      .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();

    await db.schema
      .createTable('token_store')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value_json', 'text')
      .addColumn('value_until', 'bigint')
      .addColumn('lock_owner', 'text')
      .addColumn('lock_until', 'bigint')
      .execute();
  },
};
