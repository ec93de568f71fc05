import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/ports/store.js';
import { openStore } from '../../src/store/open.js';
import { DIALECTS } from './dialects.js';
import { NOW, attempt, order } from './sample-rows.js';




for (const dialect of DIALECTS) {
  describe(`store (${dialect.name})`, () => {
    async function open(t: TestContext): Promise<Store> {
      const store = await dialect.open();
      t.after(() => store.close());
      return store;
    }

    test('orders round-trip with their items', async (t) => {
      const store = await open(t);
      const o = order('o1', { items: [{ sku: 'a', name: 'A', unitPriceFen: 50, quantity: 2 }, { sku: 'b', name: 'B 茶', unitPriceFen: 1, quantity: 1 }] });
      await store.insertOrder(o);
      assert.deepEqual(await store.getOrder('o1'), o);
      assert.equal(await store.getOrder('missing'), undefined);
    });

    test('unpaid orders are counted per user, unpaid only, and no further than asked', async (t) => {
      const store = await open(t);
      const statuses = ['CREATED', 'PAYING', 'PAYING', 'PAID', 'CLOSED', 'CREATED'] as const;
      for (const [i, status] of statuses.entries()) await store.insertOrder(order(`u${i}`, { status }));
      await store.insertOrder(order('other', { openid: 'u2', status: 'CREATED' }));
      assert.equal(await store.countUnpaidOrders('u1', 100), 4);
      assert.equal(await store.countUnpaidOrders('u1', 3), 3, 'stops at the cap');
      assert.equal(await store.countUnpaidOrders('u2', 100), 1);
      assert.equal(await store.countUnpaidOrders('nobody', 100), 0);
    });

    test('conditional transitions apply once and only from the allowed statuses', async (t) => {
      const store = await open(t);
      await store.insertOrder(order('o1'));
      assert.equal(await store.transition('o1', 'prepayIssued', NOW + 1), true);
      assert.equal(await store.transition('o1', 'prepayIssued', NOW + 2), false);
      assert.equal(await store.transition('o1', 'paid', NOW + 3, { patch: { paidAt: NOW + 3, paidAttemptId: 'a1' } }), true);
      const o = await store.getOrder('o1');
      assert.equal(o?.status, 'PAID');
      assert.equal(o?.paidAt, NOW + 3);
      assert.equal(o?.updatedAt, NOW + 3);
    });

    test('uniqueness: out_trade_no, transaction_id, idempotency key per user, out_refund_no, event key, outbox topic+order', async (t) => {
      const store = await open(t);
      await store.insertOrder(order('o1', { idempotencyKey: 'k' }));
      await assert.rejects(store.insertOrder(order('o2', { idempotencyKey: 'k' })));
      await store.insertOrder(order('o3', { idempotencyKey: 'k', openid: 'u2' }));
      await store.insertAttempt(attempt('a1', 'o1'));
      await assert.rejects(store.insertAttempt(attempt('a2', 'o1', { outTradeNo: 'OTNa1' })));
      await assert.rejects(store.insertAttempt(attempt('a4', 'o1')), 'one OPEN attempt per order');
      await store.insertAttempt(attempt('a3', 'o1', { status: 'CLOSED' }));
      assert.equal(await store.recordTransaction('a1', 'T1'), 'recorded');
      assert.equal(await store.recordTransaction('a1', 'T1'), 'same');
      assert.equal(await store.recordTransaction('a1', 'T2'), 'conflict');
      await assert.rejects(store.recordTransaction('a3', 'T1'), 'one transaction pays one attempt');
      const refund = { id: 'r1', orderId: 'o1', outRefundNo: 'R1', amountFen: 1, status: 'REQUESTED' as const, refundId: undefined, reason: undefined, createdAt: NOW, updatedAt: NOW };
      await store.insertRefund(refund);
      await assert.rejects(store.insertRefund({ ...refund, id: 'r2' }));
      assert.equal(await store.recordEvent('e1', 'payment', 'OTN', 'paid', NOW), true);
      assert.equal(await store.recordEvent('e1', 'payment', 'OTN', 'paid', NOW), false);
      assert.equal(await store.addEvent({ id: 'x1', topic: 'order.paid', orderId: 'o1', payload: {}, now: NOW }), true);
      assert.equal(await store.addEvent({ id: 'x2', topic: 'order.paid', orderId: 'o1', payload: {}, now: NOW }), false);
    });

    test('claimQuery rate-limits per attempt', async (t) => {
      const store = await open(t);
      await store.insertOrder(order('o1'));
      await store.insertAttempt(attempt('a1', 'o1'));
      assert.equal(await store.claimQuery('a1', NOW, 10_000), true);
      assert.equal(await store.claimQuery('a1', NOW + 5_000, 10_000), false);
      assert.equal(await store.claimQuery('a1', NOW + 10_000, 10_000), true);
    });

    test('outbox: claimed once per lease, redelivered after failure or an expired lease', async (t) => {
      const store = await open(t);
      await store.addEvent({ id: 'x1', topic: 'order.paid', orderId: 'o1', payload: { a: 1 }, now: NOW });
      const [first] = await store.claimDue(NOW, 60_000, 10);
      assert.deepEqual(first?.payload, { a: 1 });
      assert.deepEqual(await store.claimDue(NOW + 1, 60_000, 10), [], 'leased');
      assert.equal((await store.claimDue(NOW + 60_000, 60_000, 10)).length, 1, 'lease expired: an instance died mid-delivery');
      await store.markFailed('x1', 'boom', NOW + 120_000);
      assert.deepEqual(await store.claimDue(NOW + 119_999, 60_000, 10), []);
      const again = await store.claimDue(NOW + 120_000, 60_000, 10);
      assert.equal(again[0]?.attempts, 3);
      await store.markDelivered('x1', NOW + 120_001);
      assert.deepEqual(await store.claimDue(NOW + 1e9, 60_000, 10), []);
    });

    test('job queries: attempts to reconcile, attempts and orders to close', async (t) => {
      const store = await open(t);
      await store.insertOrder(order('o1', { status: 'PAYING' }));
      await store.insertAttempt(attempt('a1', 'o1', { prepayId: 'p', prepayAt: NOW }));
      assert.equal((await store.listAttemptsToReconcile(NOW + 1, NOW - 1, 10)).length, 0, 'too recent');
      assert.equal((await store.listAttemptsToReconcile(NOW + 1, NOW, 10)).length, 1);
      assert.equal((await store.listAttemptsToClose(NOW + 29_999, 10)).length, 0);
      assert.equal((await store.listAttemptsToClose(NOW + 30_000, 10)).length, 1);
      assert.equal((await store.listOrdersToClose(NOW + 60_000, 10)).length, 1);
      assert.equal(await store.countOpenAttempts('o1'), 1);
    });

    test('sessions expire; products seed only into an empty table', async (t) => {
      const store = await open(t);
      await store.insertSession({ tokenHash: 'h', openid: 'u', sessionKeyEnc: 'x', createdAt: NOW, expiresAt: NOW + 10 });
      assert.equal((await store.findSession('h', NOW + 9))?.openid, 'u');
      assert.equal(await store.findSession('h', NOW + 10), undefined);
      assert.equal(await store.seedProductsIfEmpty([{ sku: 'a', name: 'A', priceFen: 1, active: true }], NOW), true);
      assert.equal(await store.seedProductsIfEmpty([{ sku: 'b', name: 'B', priceFen: 1, active: true }], NOW), false);
      assert.deepEqual((await store.listProducts()).map((p) => p.sku), ['a']);
    });

    test('a transaction that throws leaves nothing behind', async (t) => {
      const store = await open(t);
      await assert.rejects(store.transaction(async (tx) => {
        await tx.insertOrder(order('o1'));
        throw new Error('boom');
      }));
      assert.equal(await store.getOrder('o1'), undefined);
    });
  });
}

test('sqlite file: WAL mode, migrations are idempotent across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-store-'));
  try {
    const path = join(dir, 'nested', 'db.sqlite');
    const first = await openStore({ kind: 'sqlite', path });
    await first.insertOrder(order('o1'));
    await first.close();
    const second = await openStore({ kind: 'sqlite', path });
    assert.equal((await second.getOrder('o1'))?.id, 'o1');
    await second.close();
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const raw = new BetterSqlite3(path, { readonly: true });
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
