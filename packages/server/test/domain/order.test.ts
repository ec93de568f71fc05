import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition, isPaidOrLater, isUnpaid, ORDER_STATUSES, prepayUsable, sourcesOf, PREPAY_LIFETIME_MS } from '../../src/domain/order.js';
import type { OrderStatus, PaymentAttempt } from '../../src/domain/order.js';

test('the state machine allows exactly the transitions of DESIGN.md', () => {
  const allowed: [OrderStatus, OrderStatus][] = [
    ['CREATED', 'PAYING'],
    ['CREATED', 'PAID'],
    ['CREATED', 'CLOSED'],
    ['PAYING', 'PAID'],
    ['PAYING', 'CLOSED'],
    ['PAID', 'REFUNDING'],
    ['REFUNDING', 'PARTIALLY_REFUNDED'],
    ['REFUNDING', 'REFUNDED'],
    ['REFUNDING', 'PAID'],
    ['PARTIALLY_REFUNDED', 'REFUNDING'],
    ['CLOSED', 'PAID'],
  ];
  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      const expected = allowed.some(([f, t]) => f === from && t === to);
      assert.equal(canTransition(from, to), expected, `${from} → ${to}`);
    }
  }
});

test('nothing leaves REFUNDED, and PAID is never reached twice from itself', () => {
  for (const to of ORDER_STATUSES) assert.equal(canTransition('REFUNDED', to), false);
  assert.equal(canTransition('PAID', 'PAID'), false);
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
  assert.equal(prepayUsable(attempt, now), true);
  assert.equal(prepayUsable({ ...attempt, status: 'CLOSED' }, now), false);
  assert.equal(prepayUsable({ ...attempt, prepayId: undefined }, now), false);
  assert.equal(prepayUsable(attempt, now + 29 * 60_000 + 1), false, 'too close to time_expire');
  const long = { ...attempt, timeExpire: now + 5 * 3600_000 };
  assert.equal(prepayUsable(long, now + PREPAY_LIFETIME_MS - 1), true);
  assert.equal(prepayUsable(long, now + PREPAY_LIFETIME_MS), false, 'prepay_id dies after 2 hours');
});
