/**
 * Reconciliation with the daily bill, end to end through the sandbox for every API version: the server downloads the
 * sandbox's real bill (v2 downloadbill CSV / v3 tradebill with its signed SHA1 and download URL), and a payment whose
 * notifications never arrived becomes PAID through applyPayment with exactly one outbox event; a second run changes
 * nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chinaDate } from '../../packages/server/src/jobs/bill-reconciliation.js';
import { API_VERSIONS, chinaNoon, startStack } from './helpers/stack.js';
import type { Stack, User } from './helpers/stack.js';

const ADMIN = { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' };

type Run = {
  date: string;
  status: string;
  runs: number;
  billPayments: number;
  billRefunds: number;
  matched: number;
  applied: number;
  billPaid: number;
  billRefunded: number;
  differences: { kind: string; orderId?: string; resolution: string }[];
};

async function reconcile(s: Stack, date: string): Promise<Run> {
  const res = await fetch(`${s.url}/admin/reconciliations`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ date }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { reconciliation: Run }).reconciliation;
}

async function payOrder(s: Stack, user: User, quantity: number, dropAll = false) {
  const created = await s.createOrder(user, [{ sku: 'tea-oolong', quantity }]);
  assert.equal(created.status, 201);
  if (dropAll) await s.fault({ outTradeNo: created.body.outTradeNo, notify: { drop: 1000 } });
  assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
  return created.body;
}

for (const version of API_VERSIONS) {
  describe(`bill reconciliation (${version})`, () => {
    test('a payment the server never heard of is applied from the bill once; refunds and the rest match; a re-run changes nothing', async (t) => {
      // Noon China time: the payments, the refund and the minute advanced all fall on one China day, so the day's
      // bill holds them all even when the suite runs near China midnight.
      const s = await startStack(t, version, { startAt: chinaNoon(Date.now()) });
      const user = await s.login();
      const refunded = await payOrder(s, user, 1);
      const plain = await payOrder(s, user, 2);
      const lost = await payOrder(s, user, 3, true);
      // Read the store, never GET /api/orders: reading would find the lost payment by querying WeChat.
      const status = async (orderId: string) => (await s.app.wx.store.getOrder(orderId))?.status;
      assert.equal(await status(refunded.orderId), 'PAID');
      assert.equal(await status(plain.orderId), 'PAID');
      assert.equal(await status(lost.orderId), 'PAYING', 'every notification of this one is dropped');

      const refund = await fetch(`${s.url}/admin/orders/${refunded.orderId}/refunds`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ amount: 1 }) });
      assert.equal(refund.status, 202, await refund.clone().text());
      await s.advance(60);
      assert.equal(await status(refunded.orderId), 'PARTIALLY_REFUNDED');
      assert.equal(await status(lost.orderId), 'PAYING');

      // The bill date is the China day the orders were paid on (as the server recorded it), not the clock's "today".
      const paidAt = (await s.app.wx.store.getOrder(plain.orderId))?.paidAt;
      assert.ok(paidAt !== undefined);
      const today = chinaDate(paidAt);
      const first = await reconcile(s, today);
      assert.equal(first.date, today);
      assert.equal(first.billPayments, 3);
      assert.equal(first.billRefunds, 1);
      assert.equal(first.matched, 3, 'two payments and the refund agree');
      assert.equal(first.billPaid, refunded.amount + plain.amount + lost.amount);
      assert.equal(first.billRefunded, 1);
      assert.deepEqual(first.differences.map((d) => [d.kind, d.orderId, d.resolution]), [['missing_payment', lost.orderId, 'applied:paid']]);
      assert.equal(first.applied, 1);
      assert.equal(first.status, 'matched', 'after applying it the books agree');

      const order = await s.app.wx.store.getOrder(lost.orderId);
      assert.equal(order?.status, 'PAID');
      assert.equal(order?.reviewReason, undefined);
      const events = await s.app.wx.store.listEvents(lost.orderId);
      assert.deepEqual(events.map((e) => e.topic), ['order.paid']);

      const second = await reconcile(s, today);
      assert.equal(second.runs, 2);
      assert.equal(second.applied, 1);
      assert.equal(second.matched, 4, 'the applied payment now matches too');
      assert.deepEqual(second.differences.map((d) => [d.kind, d.resolution]), [['missing_payment', 'applied:paid']], 'kept as the record of what was done');
      assert.equal((await s.app.wx.store.listEvents(lost.orderId)).length, 1);
      assert.equal(await status(lost.orderId), 'PAID');

      // The admin view shows it: the run, and the order with its attempt's transaction and no notification ever received.
      const list = (await (await fetch(`${s.url}/admin/reconciliations`, { headers: ADMIN })).json()) as { reconciliations: { date: string; runs: number }[] };
      assert.deepEqual(list.reconciliations.map((r) => [r.date, r.runs]), [[today, 2]]);
      const detail = (await (await fetch(`${s.url}/admin/orders/${lost.orderId}`, { headers: ADMIN })).json()) as { attempts: { transactionId?: string }[]; notifications: unknown[] };
      assert.ok(detail.attempts[0]?.transactionId);
      assert.deepEqual(detail.notifications, []);
    });

    test('a day without payments has an empty bill: a matched run with nothing in it', async (t) => {
      const s = await startStack(t, version);
      const yesterday = chinaDate(s.clock.now() - 24 * 3600_000);
      const run = await reconcile(s, yesterday);
      assert.deepEqual([run.status, run.billPayments, run.billRefunds, run.differences.length], ['matched', 0, 0, 0]);
    });
  });
}
