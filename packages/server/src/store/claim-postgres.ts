/**
 * The outbox claim on PostgreSQL: one statement that picks due rows with FOR UPDATE SKIP LOCKED and leases them.
 * Instances polling at the same moment never wait on each other's rows and never claim the same row: a row being
 * claimed elsewhere is skipped, not blocked on. The lease (lease_until) is what makes a claim by an instance that
 * died mid-delivery expire, so another instance retries it; SKIP LOCKED only covers the claim itself.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, OutboxTable } from './schema.js';

export async function claimDuePostgres(
  db: Kysely<Database> | Transaction<Database>,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<Selectable<OutboxTable>[]> {
  return db
    .updateTable('outbox')
    .set((eb) => ({ lease_until: now + leaseMs, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('outbox')
        .select('id')
        .where('delivered_at', 'is', null)
        .where('available_at', '<=', now)
        .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<=', now)]))
        .orderBy('available_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}
