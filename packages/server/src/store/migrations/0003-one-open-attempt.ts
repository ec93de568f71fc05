/**
 * At most one OPEN payment attempt per order, enforced by the database: two concurrent repay requests (or two
 * instances) that both closed an expired attempt cannot both start a new out_trade_no, which would let the payer pay
 * one order twice. A partial unique index; SQLite and PostgreSQL both support it.
 */
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';

export const oneOpenAttempt: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('attempts_one_open_per_order')
      .on('payment_attempts')
      .column('order_id')
      .unique()
      .where(sql.ref('status'), '=', sql.lit('OPEN'))
      .execute();
  },
};
