/**
 * The console's dashboard and search queries on each dialect: China-day buckets (an order created at 01:00 China time
 * belongs to that China day, though it is still the previous day in UTC), statuses and conversion of the window,
 * notification health (deliveries, rejected, retried, time from payment to notification), refunds, flagged vs
 * reviewed, and the order search by id, out_trade_no, transaction_id and openid.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { chinaWindow, fillDays, percentile } from '../../src/domain/dashboard.js';
import type { Store } from '../../src/ports/store.js';
import { KyselyAdminStore } from '../../src/store/admin-store.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { DIALECTS } from './dialects.js';
import { NOW, attempt, order } from './sample-rows.js';

const H = 3_600_000;
const DAY = 24 * H;

test('chinaWindow: the last N China days end with today China time, [start, end) on UTC+8 midnights', () => {
  // NOW is 2027-01-15T08:00Z, 16:00 in China.
  const w = chinaWindow(NOW, 3);
  assert.deepEqual(w.dates, ['2027-01-13', '2027-01-14', '2027-01-15']);
  assert.equal(new Date(w.start).toISOString(), '2027-01-12T16:00:00.000Z');
  assert.equal(new Date(w.end).toISOString(), '2027-01-15T16:00:00.000Z');
  // 23:59 China time on the 15th is still the 15th; a minute later the window moves.
  assert.deepEqual(chinaWindow(Date.parse('2027-01-15T15:59:00Z'), 1).dates, ['2027-01-15']);
  assert.deepEqual(chinaWindow(Date.parse('2027-01-15T16:00:00Z'), 1).dates, ['2027-01-16']);
  assert.equal(chinaWindow(NOW, 30).dates.length, 30);
  assert.deepEqual(fillDays(['2027-01-14', '2027-01-15'], [{ day: Math.floor((NOW + 8 * H) / DAY), created: 2, paid: 1, revenueFen: 5, refundedFen: 0 }]), [
    { date: '2027-01-14', created: 0, paid: 0, revenueFen: 0, refundedFen: 0 },
    { date: '2027-01-15', created: 2, paid: 1, revenueFen: 5, refundedFen: 0 },
  ]);
  assert.equal(percentile([], 50), undefined);
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 90), 4);
});

for (const dialect of DIALECTS) {
  describe(`admin stats and search (${dialect.name})`, () => {
    async function seeded(t: TestContext): Promise<{ store: Store; admin: KyselyAdminStore }> {
      const store = await dialect.open();
      t.after(() => store.close());
      assert.ok(store instanceof KyselyStore);
      const admin = new KyselyAdminStore(store.database);
      // o1: China 2027-01-14 20:00, paid; notified twice (a retry of one event).
      await store.insertOrder(order('o1', { openid: 'alice', status: 'PAID', amountFen: 1000, createdAt: NOW - 20 * H, paidAt: NOW - 19 * H, paidAttemptId: 'a1' }));
      await store.insertAttempt(attempt('a1', 'o1', { status: 'PAID', amountFen: 1000, transactionId: 'T-ONE' }));
      // o2: 2027-01-14T17:00Z is 01:00 on the 15th in China; paid, then 5.00 of it refunded.
      await store.insertOrder(order('o2', { openid: 'bob', status: 'PARTIALLY_REFUNDED', amountFen: 2500, refundedFen: 500, createdAt: NOW - 15 * H, paidAt: NOW - 14 * H, paidAttemptId: 'a2' }));
      await store.insertAttempt(attempt('a2', 'o2', { status: 'PAID', amountFen: 2500, transactionId: 'T-TWO' }));
      await store.insertRefund({ id: 'r1', orderId: 'o2', outRefundNo: 'R1', amountFen: 500, status: 'SUCCESS', refundId: 'W1', reason: 'broken', createdAt: NOW - 2 * H, updatedAt: NOW - H });
      // o3 unpaid; o4 paid and flagged; o5 long ago (outside the window); o6 flagged long ago and marked reviewed.
      await store.insertOrder(order('o3', { openid: 'alice', status: 'CREATED', amountFen: 700, createdAt: NOW - H }));
      await store.insertAttempt(attempt('a3', 'o3', { amountFen: 700 }));
      await store.insertOrder(order('o4', { status: 'PAID', amountFen: 300, createdAt: NOW - 2 * H, paidAt: NOW - 2 * H + 1000, paidAttemptId: 'a4', reviewReason: 'amount_mismatch' }));
      await store.insertAttempt(attempt('a4', 'o4', { status: 'PAID', amountFen: 300, transactionId: 'T-FOUR' }));
      await store.insertOrder(order('o5', { status: 'PAID', amountFen: 9900, createdAt: NOW - 40 * DAY, paidAt: NOW - 40 * DAY, paidAttemptId: 'a5' }));
      await store.insertAttempt(attempt('a5', 'o5', { status: 'PAID', transactionId: 'T-FIVE' }));
      await store.insertOrder(order('o6', { status: 'PAID', createdAt: NOW - 50 * DAY, paidAt: NOW - 50 * DAY, reviewReason: 'paid_after_close' }));
      await admin.recordAction({ id: 'act1', orderId: 'o6', action: 'mark_reviewed', actor: 'ops', reason: 'refunded by phone', result: 'ok', detail: {}, createdAt: NOW - 30 * DAY });
      const log = (id: string, over: Partial<Parameters<Store['logNotification']>[0]>) =>
        store.logNotification({ id, kind: 'payment', apiVersion: 'v2', receivedAt: NOW, headers: {}, rawBody: '<xml/>', authentic: true, outcome: 'paid', eventKey: undefined, outTradeNo: undefined, ...over });
      await log('n1', { receivedAt: NOW - 19 * H + 2000, eventKey: 'E1', outTradeNo: 'OTNa1' });
      await log('n2', { receivedAt: NOW - 19 * H + 9000, eventKey: 'E1', outTradeNo: 'OTNa1', outcome: 'duplicate' });
      await log('n3', { receivedAt: NOW - 14 * H + 4000, eventKey: 'E2', outTradeNo: 'OTNa2' });
      await log('n4', { receivedAt: NOW - H, authentic: false, outcome: 'rejected:signature' });
      await log('n5', { receivedAt: NOW - 40 * DAY, eventKey: 'E5', outTradeNo: 'OTNa5' });
      await store.addRefusalCounts([{ minute: Math.floor((NOW - H) / 60_000) * 60_000, kind: 'payment', source: '1.2.3.4', reason: 'flood', count: 3 }]);
      return { store, admin };
    }

    test('stats over the last 30 China days', async (t) => {
      const { admin } = await seeded(t);
      const window = chinaWindow(NOW, 30);
      const s = await admin.stats(window);
      assert.deepEqual(fillDays(window.dates, s.days).filter((d) => d.created + d.paid + d.refundedFen > 0), [
        { date: '2027-01-14', created: 1, paid: 1, revenueFen: 1000, refundedFen: 0 },
        { date: '2027-01-15', created: 3, paid: 2, revenueFen: 2800, refundedFen: 500 },
      ]);
      assert.deepEqual(s.byStatus, { PAID: 2, PARTIALLY_REFUNDED: 1, CREATED: 1 });
      assert.deepEqual(s.conversion, { created: 4, paid: 3 });
      assert.deepEqual(s.notifications, {
        deliveries: 4,
        authentic: 3,
        rejected: 1 + 3,
        retried: 1,
        outcomes: { paid: 2, duplicate: 1, 'rejected:signature': 1 },
        paymentToNotificationMs: [2000, 4000],
      });
      assert.deepEqual(s.refunds, { SUCCESS: { count: 1, amountFen: 500 } });
      assert.deepEqual(s.flagged, { open: 1, reviewed: 1 });
    });

    test('an empty window answers zeros, not errors', async (t) => {
      const { admin } = await seeded(t);
      const s = await admin.stats(chinaWindow(NOW + 100 * DAY, 7));
      assert.deepEqual(s.days, []);
      assert.deepEqual(s.conversion, { created: 0, paid: 0 });
      assert.equal(s.notifications.deliveries, 0);
      assert.deepEqual(s.notifications.paymentToNotificationMs, []);
      assert.deepEqual(s.flagged, { open: 1, reviewed: 1 }, 'flagged orders are counted over all time');
    });

    test('search by order id, out_trade_no, transaction_id or openid; flagged excludes reviewed; China date range', async (t) => {
      const { admin } = await seeded(t);
      const ids = async (q: Parameters<KyselyAdminStore['listOrders']>[0]) => (await admin.listOrders(q)).orders.map((o) => o.orderId);
      assert.deepEqual(await ids({ search: 'o2', limit: 10 }), ['o2']);
      assert.deepEqual(await ids({ search: 'OTNa3', limit: 10 }), ['o3']);
      assert.deepEqual(await ids({ search: 'T-ONE', limit: 10 }), ['o1']);
      assert.deepEqual(await ids({ search: 'alice', limit: 10 }), ['o3', 'o1']);
      assert.deepEqual(await ids({ search: 'nobody', limit: 10 }), []);
      assert.deepEqual(await ids({ flagged: true, limit: 10 }), ['o4']);
      assert.deepEqual(await ids({ flagged: false, limit: 10 }), ['o3', 'o2', 'o1', 'o5', 'o6']);
      const reviewed = (await admin.listOrders({ search: 'o6', limit: 1 })).orders[0];
      assert.equal(reviewed?.reviewedAt, NOW - 30 * DAY);
      const w = chinaWindow(NOW, 1);
      assert.deepEqual(await ids({ createdFrom: w.start, createdTo: w.end, limit: 10 }), ['o3', 'o4', 'o2']);
      assert.deepEqual(await ids({ createdFrom: w.start, createdTo: w.end, status: 'PAID', limit: 10 }), ['o4']);
      const actions = await admin.listActions('o6');
      assert.deepEqual(actions.map((a) => [a.action, a.actor, a.reason, a.result]), [['mark_reviewed', 'ops', 'refunded by phone', 'ok']]);
    });
  });
}
