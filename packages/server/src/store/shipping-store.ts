/** ShippingStore on Kysely: the same SQL on SQLite and PostgreSQL (conditional updates, INSERT … ON CONFLICT). */
import type { Kysely, Selectable } from 'kysely';
import { fulfilmentChange, notShipped } from '../domain/fulfilment.js';
import type { Fulfilment, FulfilmentStatus, Shipment, UploadStatus } from '../domain/fulfilment.js';
import type { ShippingCheck, ShippingCounts, ShippingStore } from '../ports/shipping-store.js';
import { affected, num, undef } from './rows.js';
import type { Database, OrderShippingTable } from './schema.js';

/** SQLite allows 32 766 bound parameters; order lists are far smaller, but stay well under it. */
const IN_CHUNK = 500;

function toFulfilment(row: Selectable<OrderShippingTable>): Fulfilment {
  return {
    orderId: row.order_id,
    status: row.status as FulfilmentStatus,
    shipment: row.shipment_json === null ? undefined : (JSON.parse(row.shipment_json) as Shipment),
    revision: Number(row.revision),
    uploadStatus: undef(row.upload_status) as UploadStatus | undefined,
    uploadError: undef(row.upload_error),
    shippedAt: num(row.shipped_at),
    uploadedAt: num(row.uploaded_at),
    confirmedAt: num(row.confirmed_at),
    settledAt: num(row.settled_at),
    updatedAt: Number(row.updated_at),
  };
}

export class KyselyShippingStore implements ShippingStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getFulfilment(orderId: string, now: number): Promise<Fulfilment> {
    const row = await this.db.selectFrom('order_shipping').selectAll().where('order_id', '=', orderId).executeTakeFirst();
    return row === undefined ? notShipped(orderId, now) : toFulfilment(row);
  }

  async getFulfilments(orderIds: readonly string[]): Promise<Map<string, Fulfilment>> {
    const map = new Map<string, Fulfilment>();
    for (let i = 0; i < orderIds.length; i += IN_CHUNK) {
      const chunk = orderIds.slice(i, i + IN_CHUNK);
      if (chunk.length === 0) continue;
      const rows = await this.db.selectFrom('order_shipping').selectAll().where('order_id', 'in', chunk).execute();
      for (const row of rows) map.set(row.order_id, toFulfilment(row));
    }
    return map;
  }

  async recordShipment(orderId: string, change: 'shipped' | 'reshipped', shipment: Shipment, revision: number, now: number): Promise<boolean> {
    const { from, to } = fulfilmentChange(change);
    const values = { status: to, revision: revision + 1, shipment_json: JSON.stringify(shipment), upload_status: 'PENDING', upload_error: null, shipped_at: now, uploaded_at: null, updated_at: now };
    if ((from as readonly FulfilmentStatus[]).includes('NOT_SHIPPED')) {
      // No row is NOT_SHIPPED: the first shipment creates it; a concurrent first shipment finds it there and loses.
      if (revision !== 0) return false;
      const result = await this.db
        .insertInto('order_shipping')
        .values({ order_id: orderId, ...values, confirmed_at: null, settled_at: null })
        .onConflict((oc) => oc.column('order_id').doNothing())
        .executeTakeFirst();
      return affected(result) === 1;
    }
    const result = await this.db
      .updateTable('order_shipping')
      .set(values)
      .where('order_id', '=', orderId)
      .where('revision', '=', revision)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return affected(result) === 1;
  }

  async setUpload(orderId: string, revision: number, status: UploadStatus, error: string | undefined, now: number): Promise<void> {
    await this.db
      .updateTable('order_shipping')
      .set({ upload_status: status, upload_error: error ?? null, ...(status === 'UPLOADED' ? { uploaded_at: now } : {}), updated_at: now })
      .where('order_id', '=', orderId)
      .where('revision', '=', revision)
      .execute();
  }

  async applyChange(orderId: string, change: 'confirmed' | 'settled', times: { confirmedAt?: number | undefined; settledAt?: number | undefined }, now: number): Promise<boolean> {
    const { from, to } = fulfilmentChange(change);
    const set = {
      status: to,
      updated_at: now,
      ...(times.confirmedAt === undefined ? {} : { confirmed_at: times.confirmedAt }),
      ...(times.settledAt === undefined ? {} : { settled_at: times.settledAt }),
    };
    const result = await this.db.updateTable('order_shipping').set(set).where('order_id', '=', orderId).where('status', 'in', [...from]).executeTakeFirst();
    if (affected(result) === 1) return true;
    if (!(from as readonly FulfilmentStatus[]).includes('NOT_SHIPPED')) return false;
    // No row is NOT_SHIPPED: a change allowed from there creates it (WeChat settled an order shipped elsewhere).
    const inserted = await this.db
      .insertInto('order_shipping')
      .values({
        order_id: orderId,
        status: to,
        revision: 0,
        shipment_json: null,
        upload_status: null,
        upload_error: null,
        shipped_at: null,
        uploaded_at: null,
        confirmed_at: times.confirmedAt ?? null,
        settled_at: times.settledAt ?? null,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .executeTakeFirst();
    return affected(inserted) === 1;
  }

  async listPendingUploads(before: number, limit: number): Promise<{ orderId: string; revision: number }[]> {
    const rows = await this.db
      .selectFrom('order_shipping')
      .select(['order_id', 'revision'])
      .where('status', '=', 'SHIPPED')
      .where('upload_status', '=', 'PENDING')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ orderId: r.order_id, revision: Number(r.revision) }));
  }

  async countPushEvent(event: string, now: number): Promise<void> {
    await this.db
      .insertInto('message_push_counts')
      .values({ event, count: 1, last_at: now })
      .onConflict((oc) => oc.column('event').doUpdateSet((eb) => ({ count: eb('message_push_counts.count', '+', 1), last_at: now })))
      .execute();
  }

  async pushEventCounts(): Promise<{ event: string; count: number; lastAt: number }[]> {
    const rows = await this.db.selectFrom('message_push_counts').selectAll().orderBy('event').execute();
    return rows.map((r) => ({ event: r.event, count: Number(r.count), lastAt: Number(r.last_at) }));
  }

  async shippingCounts(): Promise<ShippingCounts> {
    const rows = await this.db.selectFrom('order_shipping').select(['status', 'upload_status']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy(['status', 'upload_status']).execute();
    const sum = (match: (r: (typeof rows)[number]) => boolean) => rows.filter(match).reduce((total, r) => total + Number(r.n), 0);
    // A PAID order has no shipping row until something happens to its shipping: both mean "to ship".
    const toShip = await this.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('orders.status', '=', 'PAID')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('order_shipping').select('order_shipping.order_id').whereRef('order_shipping.order_id', '=', 'orders.id').where('order_shipping.status', '!=', 'NOT_SHIPPED'))))
      .executeTakeFirst();
    return {
      toShip: Number(toShip?.n ?? 0),
      shipped: sum((r) => r.status === 'SHIPPED'),
      confirmed: sum((r) => r.status === 'CONFIRMED'),
      settled: sum((r) => r.status === 'SETTLED'),
      uploadPending: sum((r) => r.upload_status === 'PENDING'),
      uploadFailed: sum((r) => r.upload_status === 'FAILED'),
    };
  }

  async getShippingCheck(checkDate: string): Promise<ShippingCheck | undefined> {
    const row = await this.db.selectFrom('shipping_checks').selectAll().where('check_date', '=', checkDate).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      checkDate: row.check_date,
      status: row.status as ShippingCheck['status'],
      finishedAt: Number(row.finished_at),
      examined: Number(row.examined),
      differences: Number(row.differences),
      error: undef(row.error),
    };
  }

  async saveShippingCheck(check: ShippingCheck): Promise<void> {
    const values = { status: check.status, finished_at: check.finishedAt, examined: check.examined, differences: check.differences, error: check.error ?? null };
    await this.db
      .insertInto('shipping_checks')
      .values({ check_date: check.checkDate, ...values })
      .onConflict((oc) => oc.column('check_date').doUpdateSet(values))
      .execute();
  }

  async virtualSkus(skus: readonly string[]): Promise<Set<string>> {
    if (skus.length === 0) return new Set();
    const rows = await this.db.selectFrom('products').select('sku').where('sku', 'in', [...skus]).where('virtual', '=', 1).execute();
    return new Set(rows.map((r) => r.sku));
  }
}
