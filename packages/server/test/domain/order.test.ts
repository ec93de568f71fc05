/**
 * The state machine, tested through the one function every status change goes through: `transition()` on a real
 * store (SQLite in memory), for every named change from every status. The table in domain/order.ts is the only list
 * of allowed moves; these tests pin its behaviour to DESIGN.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ORDER_CHANGES, ORDER_STATUSES, canTransition, isPaidOrLater, isUnpaid, prepayUsable, protocolOf, resolveChange, sourcesOf, PREPAY_LIFETIME_MS } from '../../src/domain/order.js';
import type { OrderChange, OrderStatus, PaymentAttempt } from '../../src/domain/order.js';
import { openStore } from '../../src/store/open.js';
import { NOW, order } from '../store/sample-rows.js';

/** DESIGN.md's transitions, by cause: [change, from, to]. */
const ALLOWED: [OrderChange, OrderStatus, OrderStatus][] = [
  ['prepayIssued', 'CREATED', 'PAYING'],
  ['paid', 'CREATED', 'PAID'],
  ['paid', 'PAYING', 'PAID'],
  ['paidAfterClose', 'CLOSED', 'PAID'],
  ['expired', 'CREATED', 'CLOSED'],
  ['expired', 'PAYING', 'CLOSED'],
  ['closedByOperator', 'CREATED', 'CLOSED'],
  ['closedByOperator', 'PAYING', 'CLOSED'],
  ['refundStarted', 'PAID', 'REFUNDING'],
  ['refundStarted', 'PARTIALLY_REFUNDED', 'REFUNDING'],
  ['refundSettled', 'REFUNDING', 'PARTIALLY_REFUNDED'],
  ['refundSettled', 'REFUNDING', 'REFUNDED'],
  ['refundReleased', 'REFUNDING', 'PAID'],
  ['refundReleased', 'REFUNDING', 'PARTIALLY_REFUNDED'],
];

const targetsOf = (change: OrderChange) => [...new Set(ALLOWED.filter(([c]) => c === change).map(([, , to]) => to))];

test('transition() applies each change exactly from the statuses the table allows, to the targets it allows', async (t) => {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  t.after(() => store.close());
  let n = 0;
  for (const change of ORDER_CHANGES) {
    for (const to of targetsOf(change)) {
      for (const from of ORDER_STATUSES) {
        const id = `o${++n}`;
        await store.insertOrder(order(id, { status: from }));
        const expected = ALLOWED.some(([c, f, target]) => c === change && f === from && target === to);
        assert.equal(await store.transition(id, change, NOW + 1, { to }), expected, `${change}: ${from} → ${to}`);
        assert.equal((await store.getOrder(id))?.status, expected ? to : from, `${change}: ${from} → ${to}`);
        // A second delivery of the same change never applies twice (unless the change loops, which none does).
        assert.equal(await store.transition(id, change, NOW + 2, { to }), false, `${change} twice from ${from}`);
      }
    }
  }
});

test('transition() refuses a target the change does not lead to, and writes nothing', async (t) => {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  t.after(() => store.close());
  await store.insertOrder(order('o1', { status: 'REFUNDING' }));
  await assert.rejects(store.transition('o1', 'refundSettled', NOW + 1, { to: 'PAID' }), /cannot lead to PAID/);
  await assert.rejects(store.transition('o1', 'refundReleased', NOW + 1), /needs a target/);
  assert.equal((await store.getOrder('o1'))?.status, 'REFUNDING');
  assert.throws(() => resolveChange('paid', 'CLOSED'));
});

test('a payment never moves an order out of REFUNDING, and an expiry never closes a paid order', async (t) => {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  t.after(() => store.close());
  for (const status of ['REFUNDING', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const) {
    await store.insertOrder(order(`o-${status}`, { status }));
    assert.equal(await store.transition(`o-${status}`, 'paid', NOW + 1), false, status);
    assert.equal(await store.transition(`o-${status}`, 'expired', NOW + 1), false, status);
  }
});

test('the derived edge view matches the table: nothing leaves REFUNDED, PAID is never reached from itself', () => {
  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      assert.equal(canTransition(from, to), ALLOWED.some(([, f, target]) => f === from && target === to), `${from} → ${to}`);
    }
  }
  for (const to of ORDER_STATUSES) assert.equal(canTransition('REFUNDED', to), false);
  assert.deepEqual(sourcesOf('PAID').sort(), ['CLOSED', 'CREATED', 'PAYING', 'REFUNDING'], 'REFUNDING → PAID: a refund WeChat refused');
});

test('unpaid and paid-or-later partition the statuses except CLOSED', () => {
  for (const s of ORDER_STATUSES) {
    if (s === 'CLOSED') assert.ok(!isUnpaid(s) && !isPaidOrLater(s));
    else assert.notEqual(isUnpaid(s), isPaidOrLater(s), s);
  }
});

test('a prepay is reused only while open, before time_expire and within its 2-hour life', () => {
  const now = 1_000_000_000_000;
  const attempt: PaymentAttempt = {
    id: 'a', orderId: 'o', outTradeNo: 'N', amountFen: 1, status: 'OPEN', signType: 'MD5', prepayId: 'wx1', prepayAt: now,
    timeExpire: now + 30 * 60_000, transactionId: undefined, createdAt: now, lastQueryAt: undefined,
  };
  assert.equal(prepayUsable(attempt, now, 'v2'), true);
  assert.equal(prepayUsable({ ...attempt, status: 'CLOSED' }, now, 'v2'), false);
  assert.equal(prepayUsable({ ...attempt, prepayId: undefined }, now, 'v2'), false);
  assert.equal(prepayUsable(attempt, now + 29 * 60_000 + 1, 'v2'), false, 'too close to time_expire');
  const long = { ...attempt, timeExpire: now + 5 * 3600_000 };
  assert.equal(prepayUsable(long, now + PREPAY_LIFETIME_MS - 1, 'v2'), true);
  assert.equal(prepayUsable(long, now + PREPAY_LIFETIME_MS, 'v2'), false, 'prepay_id dies after 2 hours');
});

test('a prepay is reused only by a gateway of its own protocol (WXPAY_API_VERSION changed on the same data)', () => {
  const now = 1_000_000_000_000;
  const base: PaymentAttempt = {
    id: 'a', orderId: 'o', outTradeNo: 'N', amountFen: 1, status: 'OPEN', signType: 'HMAC-SHA256', prepayId: 'wx1', prepayAt: now,
    timeExpire: now + 30 * 60_000, transactionId: undefined, createdAt: now, lastQueryAt: undefined,
  };
  assert.deepEqual([protocolOf('MD5'), protocolOf('HMAC-SHA256'), protocolOf('RSA'), protocolOf(undefined)], ['v2', 'v2', 'v3', undefined]);
  assert.equal(prepayUsable(base, now, 'v2'), true);
  assert.equal(prepayUsable(base, now, 'v3'), false, 'a v2 prepay cannot be paid with v3 (RSA) parameters');
  assert.equal(prepayUsable({ ...base, signType: 'RSA' }, now, 'v3'), true);
  assert.equal(prepayUsable({ ...base, signType: 'RSA' }, now, 'v2'), false);
});
