import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ReconciliationRun } from '../../src/ports/admin-store.js';
import type { Store } from '../../src/ports/store.js';
import { KyselyAdminStore } from '../../src/store/admin-store.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { DIALECTS } from './dialects.js';
import { NOW, attempt, order } from './sample-rows.js';

const DAY = { start: NOW - 3_600_000, end: NOW + 3_600_000 };



function run(billDate: string, over: Partial<ReconciliationRun> = {}): Omit<ReconciliationRun, 'runs'> {
  return {
    billDate, status: 'matched', startedAt: NOW, finishedAt: NOW + 5, billPayments: 2, billRefunds: 1, matched: 3, ignored: 0, applied: 0,
    billPaidFen: 12_345_678_901, billRefundFen: 40, differences: [], error: undefined, ...over,
  };
}

for (const dialect of DIALECTS) {
  describe(`admin store (${dialect.name})`, () => {
    async function open(t: TestContext): Promise<{ store: Store; admin: KyselyAdminStore }> {
      const store = await dialect.open();
      t.after(() => store.close());
      assert.ok(store instanceof KyselyStore);
      return { store, admin: new KyselyAdminStore(store.database) };
    }

    test('a reconciliation run is one row per date: a re-run updates it in place and counts the runs', async (t) => {
      const { admin } = await open(t);
      assert.equal(await admin.getReconciliation('2026-11-25'), undefined);
      await admin.saveReconciliation(run('2026-11-25', { status: 'failed', error: 'SYSTEMERROR: busy' }));
      const diff = { kind: 'not_in_bill' as const, outTradeNo: 'OTN1', orderId: 'o1', ourFen: 100, detail: 'x', resolution: 'flagged', firstSeenAt: NOW };
      await admin.saveReconciliation(run('2026-11-25', { status: 'differences', differences: [diff], finishedAt: NOW + 9 }));
      await admin.saveReconciliation(run('2026-11-24'));
      const got = await admin.getReconciliation('2026-11-25');
      assert.deepEqual(got, { ...run('2026-11-25', { status: 'differences', differences: [diff], finishedAt: NOW + 9 }), runs: 2 });
      assert.deepEqual((await admin.listReconciliations(10)).map((r) => [r.billDate, r.runs]), [['2026-11-25', 2], ['2026-11-24', 1]]);
      assert.deepEqual((await admin.listReconciliations(10, '2026-11-25')).map((r) => r.billDate), ['2026-11-24']);
      assert.equal((await admin.listReconciliations(1)).length, 1);
    });

    test('recordsForBill: attempts named by the bill and paid within the day; refunds named and succeeded within the day', async (t) => {
      const { store, admin } = await open(t);
      // o1 paid today by a1; o2 unpaid (a2 named by the bill); o3 paid yesterday; o4 paid today by its second attempt.
      await store.insertOrder(order('o1', { status: 'PAID', paidAt: NOW, paidAttemptId: 'a1' }));
      await store.insertAttempt(attempt('a1', 'o1', { status: 'PAID', transactionId: 'T1' }));
      await store.insertOrder(order('o2', { status: 'PAYING' }));
      await store.insertAttempt(attempt('a2', 'o2'));
      await store.insertOrder(order('o3', { status: 'PAID', paidAt: DAY.start - 1, paidAttemptId: 'a3' }));
      await store.insertAttempt(attempt('a3', 'o3', { status: 'PAID', transactionId: 'T3' }));
      await store.insertOrder(order('o4', { status: 'REFUNDING', paidAt: NOW, paidAttemptId: 'a4b' }));
      await store.insertAttempt(attempt('a4a', 'o4', { status: 'CLOSED' }));
      await store.insertAttempt(attempt('a4b', 'o4', { status: 'PAID', transactionId: 'T4', createdAt: NOW + 1 }));
      const refund = { orderId: 'o3', amountFen: 40, refundId: undefined, reason: undefined, createdAt: NOW, updatedAt: NOW };
      await store.insertRefund({ ...refund, id: 'r1', outRefundNo: 'R1', status: 'SUCCESS' });
      await store.insertRefund({ ...refund, id: 'r2', outRefundNo: 'R2', status: 'PROCESSING', orderId: 'o4' });
      await store.insertRefund({ ...refund, id: 'r3', outRefundNo: 'R3', status: 'SUCCESS', updatedAt: DAY.end });

      const got = await admin.recordsForBill({ outTradeNos: ['OTNa2', 'OTNnope'], outRefundNos: ['R2'], day: DAY });
      const attempts = [...got.attempts].sort((a, b) => a.outTradeNo.localeCompare(b.outTradeNo));
      assert.deepEqual(attempts, [
        { orderId: 'o1', outTradeNo: 'OTNa1', amountFen: 100, transactionId: 'T1', orderStatus: 'PAID', paidByThis: true, paidAt: NOW },
        { orderId: 'o2', outTradeNo: 'OTNa2', amountFen: 100, transactionId: undefined, orderStatus: 'PAYING', paidByThis: false, paidAt: undefined },
        { orderId: 'o4', outTradeNo: 'OTNa4b', amountFen: 100, transactionId: 'T4', orderStatus: 'REFUNDING', paidByThis: true, paidAt: NOW },
      ]);
      const refunds = [...got.refunds].sort((a, b) => a.outRefundNo.localeCompare(b.outRefundNo));
      assert.deepEqual(refunds, [
        { orderId: 'o3', outTradeNo: 'OTNa3', outRefundNo: 'R1', amountFen: 40, status: 'SUCCESS', updatedAt: NOW },
        { orderId: 'o4', outTradeNo: 'OTNa4b', outRefundNo: 'R2', amountFen: 40, status: 'PROCESSING', updatedAt: NOW },
      ]);
    });

    test('listOrders: newest first, by status and flag, paged by an opaque cursor', async (t) => {
      const { store, admin } = await open(t);
      for (let i = 0; i < 5; i++) {
        await store.insertOrder(order(`o${i}`, { createdAt: NOW + i, status: i % 2 === 0 ? 'PAID' : 'CREATED' }));
        await store.insertAttempt(attempt(`a${i}`, `o${i}`, { status: 'CLOSED' }));
      }
      await store.insertAttempt(attempt('a4z', 'o4', { createdAt: NOW + 10 }));
      await store.flag('o2', 'amount_mismatch', NOW + 20);

      const first = await admin.listOrders({ limit: 2 });
      assert.deepEqual(first.orders.map((o) => o.orderId), ['o4', 'o3']);
      assert.equal(first.orders[0]?.outTradeNo, 'OTNa4z', 'the latest attempt');
      assert.ok(first.nextCursor !== undefined);
      const second = await admin.listOrders({ limit: 2, cursor: first.nextCursor });
      assert.deepEqual(second.orders.map((o) => o.orderId), ['o2', 'o1']);
      const third = await admin.listOrders({ limit: 2, cursor: second.nextCursor });
      assert.deepEqual(third.orders.map((o) => o.orderId), ['o0']);
      assert.equal(third.nextCursor, undefined);

      assert.deepEqual((await admin.listOrders({ limit: 10, status: 'PAID' })).orders.map((o) => o.orderId), ['o4', 'o2', 'o0']);
      const flagged = await admin.listOrders({ limit: 10, flagged: true });
      assert.deepEqual(flagged.orders.map((o) => [o.orderId, o.reviewReason]), [['o2', 'amount_mismatch']]);
      assert.equal((await admin.listOrders({ limit: 10, flagged: false })).orders.length, 4);
      await assert.rejects(admin.listOrders({ limit: 2, cursor: 'not-a-cursor' }), RangeError);
    });

    test('listAttempts and notificationsFor', async (t) => {
      const { store, admin } = await open(t);
      await store.insertOrder(order('o1'));
      await store.insertAttempt(attempt('a1', 'o1', { status: 'CLOSED' }));
      await store.insertAttempt(attempt('a2', 'o1', { createdAt: NOW + 1, prepayId: 'wx1', prepayAt: NOW + 2 }));
      assert.deepEqual((await admin.listAttempts('o1')).map((a) => [a.outTradeNo, a.status, a.prepayAt]), [['OTNa1', 'CLOSED', undefined], ['OTNa2', 'OPEN', NOW + 2]]);
      const entry = { kind: 'payment' as const, apiVersion: 'v2', headers: {}, rawBody: '<xml/>', authentic: true, outcome: 'paid', eventKey: undefined };
      await store.logNotification({ ...entry, id: 'n1', receivedAt: NOW, outTradeNo: 'OTNa1' });
      await store.logNotification({ ...entry, id: 'n2', receivedAt: NOW + 1, outTradeNo: 'OTNa2' });
      await store.logNotification({ ...entry, id: 'n3', receivedAt: NOW + 2, outTradeNo: 'OTHER' });
      assert.deepEqual((await admin.notificationsFor(['OTNa1', 'OTNa2'], 10)).map((n) => n.id), ['n2', 'n1']);
      assert.deepEqual(await admin.notificationsFor([], 10), []);
    });
  });
}
