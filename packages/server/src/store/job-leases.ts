/**
 * JobLeases on the job_leases table: one conditional upsert, the same SQL on SQLite and PostgreSQL (both support
 * INSERT … ON CONFLICT DO UPDATE … WHERE, and report 0 affected rows when the WHERE refuses).
 */
import type { Kysely } from 'kysely';
import type { JobLeases } from '../ports/job-leases.js';
import type { Database } from './schema.js';

export class SqlJobLeases implements JobLeases {
  constructor(private readonly db: Kysely<Database>) {}

  async acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .insertInto('job_leases')
      .values({ name, holder, lease_until: now + ttlMs })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ holder, lease_until: now + ttlMs })
          .where((eb) => eb.or([eb('job_leases.lease_until', '<=', now), eb('job_leases.holder', '=', holder)])),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.updateTable('job_leases').set({ holder: null, lease_until: 0 }).where('name', '=', name).where('holder', '=', holder).execute();
  }
}
