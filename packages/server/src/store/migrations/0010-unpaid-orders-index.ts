/**
 * The per-user cap on unpaid orders (OPEN_ORDERS_MAX) is checked on every order creation. With only (openid,
 * created_at) to go by, that check read every order the user ever placed, paid ones too, row by row: a loyal
 * customer's order creation got slower with each order. (openid, status) covers the check: it reads the unpaid ones
 * only, from the index alone, and stops at the cap (countUnpaidOrders' bound). Portable types only, like 0001.
 */
import type { Kysely, Migration } from 'kysely';

export const unpaidOrdersIndex: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('orders_openid_status').on('orders').columns(['openid', 'status']).execute();
  },
};
