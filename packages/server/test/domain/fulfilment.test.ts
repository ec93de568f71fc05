/**
 * The fulfilment state machine (domain/fulfilment.ts), tested through the store that applies it, on every dialect:
 * every named change from every status, against the table below (the moves issue 14 asks for). The table in
 * fulfilment.ts is the only list of moves; these tests pin it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { FULFILMENT_STATUSES, canChangeFulfilment, sameShipment, shipmentProblem, shippable } from '../../src/domain/fulfilment.js';
import type { FulfilmentChange, FulfilmentStatus, Shipment } from '../../src/domain/fulfilment.js';
import { ORDER_STATUSES } from '../../src/domain/order.js';
import { KyselyShippingStore } from '../../src/store/shipping-store.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { DIALECTS } from '../store/dialects.js';
import { NOW, order } from '../store/sample-rows.js';

const ALLOWED: [FulfilmentChange, FulfilmentStatus, FulfilmentStatus][] = [
  ['shipped', 'NOT_SHIPPED', 'SHIPPED'],
  ['reshipped', 'SHIPPED', 'SHIPPED'],
  ['confirmed', 'SHIPPED', 'CONFIRMED'],
  ['settled', 'NOT_SHIPPED', 'SETTLED'],
  ['settled', 'SHIPPED', 'SETTLED'],
  ['settled', 'CONFIRMED', 'SETTLED'],
];
const CHANGES: FulfilmentChange[] = ['shipped', 'reshipped', 'confirmed', 'settled'];

const EXPRESS: Shipment = { logisticsType: 'express', packages: [{ expressCompany: 'SF', trackingNo: 'SF1', contact: '189****1234' }], allDelivered: true };
const OTHER: Shipment = { logisticsType: 'express', packages: [{ expressCompany: 'YTO', trackingNo: 'YT2' }], allDelivered: true };

test('the table: each change from each status is allowed exactly as listed', () => {
  for (const change of CHANGES) {
    for (const from of FULFILMENT_STATUSES) {
      const listed = ALLOWED.some(([c, f]) => c === change && f === from);
      assert.equal(canChangeFulfilment(from, change), listed, `${change} from ${from}`);
    }
  }
});

test('only a PAID order ships (not unpaid, closed, refunding or refunded ones)', () => {
  assert.deepEqual(ORDER_STATUSES.filter(shippable), ['PAID']);
});

test('shipment rules: express needs 1-15 packages, the other kinds none; the same shipment is recognised whatever the key order', () => {
  assert.equal(shipmentProblem(EXPRESS), undefined);
  assert.match(shipmentProblem({ ...EXPRESS, packages: [] }) ?? '', /at least one/);
  assert.match(shipmentProblem({ ...EXPRESS, packages: Array.from({ length: 16 }, (_, i) => ({ expressCompany: 'SF', trackingNo: `T${i}` })) }) ?? '', /15/);
  assert.match(shipmentProblem({ logisticsType: 'pickup', packages: EXPRESS.packages, allDelivered: true }) ?? '', /express only/);
  assert.equal(shipmentProblem({ logisticsType: 'virtual', packages: [], allDelivered: true }), undefined);
  const reordered = JSON.parse(JSON.stringify({ allDelivered: true, packages: [{ contact: '189****1234', trackingNo: 'SF1', expressCompany: 'SF' }], logisticsType: 'express' })) as Shipment;
  assert.ok(sameShipment(EXPRESS, reordered));
  assert.ok(!sameShipment(EXPRESS, OTHER));
  assert.ok(!sameShipment(EXPRESS, { ...EXPRESS, allDelivered: false }));
});

for (const dialect of DIALECTS) {
  describe(`fulfilment transitions on the store (${dialect.name})`, () => {
    async function open(t: TestContext): Promise<KyselyShippingStore> {
      const store = await dialect.open();
      t.after(() => store.close());
      assert.ok(store instanceof KyselyStore);
      return new KyselyShippingStore(store.database);
    }

    /** Brings order `id` to `status` through allowed changes only. */
    async function reach(s: KyselyShippingStore, id: string, status: FulfilmentStatus): Promise<void> {
      if (status === 'NOT_SHIPPED') return;
      if (status === 'SETTLED') {
        assert.ok(await s.applyChange(id, 'settled', { settledAt: NOW }, NOW));
        return;
      }
      assert.ok(await s.recordShipment(id, 'shipped', EXPRESS, 0, NOW));
      if (status === 'CONFIRMED') assert.ok(await s.applyChange(id, 'confirmed', { confirmedAt: NOW }, NOW));
    }

    async function apply(s: KyselyShippingStore, id: string, change: FulfilmentChange): Promise<boolean> {
      const revision = (await s.getFulfilment(id, NOW)).revision;
      if (change === 'shipped' || change === 'reshipped') return s.recordShipment(id, change, OTHER, revision, NOW + 1);
      return s.applyChange(id, change, change === 'confirmed' ? { confirmedAt: NOW + 1 } : { settledAt: NOW + 1 }, NOW + 1);
    }

    test('every change from every status: applied exactly when the table allows it, to its target', async (t) => {
      const s = await open(t);
      let n = 0;
      for (const change of CHANGES) {
        for (const from of FULFILMENT_STATUSES) {
          const id = `o${n++}`;
          await reach(s, id, from);
          assert.equal((await s.getFulfilment(id, NOW)).status, from);
          const allowed = ALLOWED.find(([c, f]) => c === change && f === from);
          assert.equal(await apply(s, id, change), allowed !== undefined, `${change} from ${from}`);
          assert.equal((await s.getFulfilment(id, NOW)).status, allowed?.[2] ?? from);
        }
      }
    });

    test('a shipment is recorded against the revision read: the loser of two concurrent shipments changes nothing', async (t) => {
      const s = await open(t);
      const [a, b] = await Promise.all([s.recordShipment('o1', 'shipped', EXPRESS, 0, NOW), s.recordShipment('o1', 'shipped', OTHER, 0, NOW)]);
      assert.equal(Number(a) + Number(b), 1);
      const f = await s.getFulfilment('o1', NOW);
      assert.equal(f.revision, 1);
      assert.equal(f.uploadStatus, 'PENDING');
      assert.equal(await s.recordShipment('o1', 'reshipped', OTHER, 0, NOW), false, 'a stale revision');
      assert.equal(await s.recordShipment('o1', 'reshipped', OTHER, 1, NOW + 5), true);
      // The outcome of an older revision's upload does not overwrite the newer one's.
      await s.setUpload('o1', 1, 'UPLOADED', undefined, NOW + 6);
      assert.equal((await s.getFulfilment('o1', NOW)).uploadStatus, 'PENDING');
      await s.setUpload('o1', 2, 'UPLOADED', undefined, NOW + 7);
      const done = await s.getFulfilment('o1', NOW);
      assert.equal(done.uploadStatus, 'UPLOADED');
      assert.equal(done.uploadedAt, NOW + 7);
      assert.deepEqual(done.shipment, OTHER);
      assert.equal((await s.getFulfilments(['o1', 'nope'])).size, 1);
    });

    test('counts for the console: PAID orders not shipped (with or without a row), shipped orders by status, uploads waiting or refused', async (t) => {
      const store = await dialect.open();
      t.after(() => store.close());
      assert.ok(store instanceof KyselyStore);
      const s = new KyselyShippingStore(store.database);
      for (const [id, status] of [['p1', 'PAID'], ['p2', 'PAID'], ['p3', 'PAID'], ['p4', 'PAID'], ['c1', 'CREATED'], ['r1', 'REFUNDED']] as const) await store.insertOrder(order(id, { status }));
      await reach(s, 'p2', 'SHIPPED');
      await s.setUpload('p2', 1, 'FAILED', '10060001', NOW + 1);
      await reach(s, 'p3', 'CONFIRMED');
      await s.setUpload('p3', 1, 'UPLOADED', undefined, NOW + 1);
      await reach(s, 'r1', 'SETTLED');
      await s.getFulfilment('p4', NOW); // read only: p4 stays to ship
      assert.deepEqual(await s.shippingCounts(), { toShip: 2, shipped: 1, confirmed: 1, settled: 1, uploadPending: 0, uploadFailed: 1 });
      await reach(s, 'p1', 'SHIPPED');
      assert.deepEqual(await s.shippingCounts(), { toShip: 1, shipped: 2, confirmed: 1, settled: 1, uploadPending: 1, uploadFailed: 1 });
    });

    test('settled twice is applied once; counters and daily checks are one row each', async (t) => {
      const s = await open(t);
      await reach(s, 'o1', 'SHIPPED');
      assert.equal(await s.applyChange('o1', 'settled', { settledAt: NOW + 9, confirmedAt: NOW + 8 }, NOW + 10), true);
      assert.equal(await s.applyChange('o1', 'settled', { settledAt: NOW + 99 }, NOW + 100), false);
      const f = await s.getFulfilment('o1', NOW);
      assert.deepEqual([f.status, f.confirmedAt, f.settledAt], ['SETTLED', NOW + 8, NOW + 9]);
      await s.countPushEvent('trade_manage_remind_shipping', NOW);
      await s.countPushEvent('trade_manage_remind_shipping', NOW + 1);
      assert.deepEqual(await s.pushEventCounts(), [{ event: 'trade_manage_remind_shipping', count: 2, lastAt: NOW + 1 }]);
      await s.saveShippingCheck({ checkDate: '2026-11-27', status: 'failed', finishedAt: NOW, examined: 0, differences: 0, error: 'x' });
      await s.saveShippingCheck({ checkDate: '2026-11-27', status: 'ok', finishedAt: NOW + 1, examined: 3, differences: 1, error: undefined });
      assert.deepEqual(await s.getShippingCheck('2026-11-27'), { checkDate: '2026-11-27', status: 'ok', finishedAt: NOW + 1, examined: 3, differences: 1, error: undefined });
    });
  });
}
