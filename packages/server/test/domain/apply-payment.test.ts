/** The money rules of applyPayment, one per test, on a real (in-memory) store. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { applyPayment } from '../../src/domain/apply-payment.js';
import type { ApplyContext } from '../../src/domain/apply-payment.js';
import type { Order, PaymentAttempt } from '../../src/domain/order.js';
import { cryptoIds } from '../../src/ids.js';
import type { PaymentFacts } from '../../src/ports/gateway.js';
import type { Store } from '../../src/ports/store.js';
import { openStore } from '../../src/store/open.js';

const NOW = 1_800_000_000_000;
const ctx = (over: Partial<ApplyContext> = {}): ApplyContext => ({ appid: 'wxA', mchid: '1001', paidAfterClose: 'refund', ids: cryptoIds, now: NOW, ...over });

async function setup(t: TestContext, status: Order['status'] = 'PAYING'): Promise<{ store: Store; order: Order; attempt: PaymentAttempt; facts: PaymentFacts }> {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  t.after(() => store.close());
  const order: Order = {
    id: 'ord_1', openid: 'u', status, amountFen: 500, description: 'd', items: [{ sku: 's', name: 'S', unitPriceFen: 500, quantity: 1 }],
    idempotencyKey: undefined, createdAt: NOW, updatedAt: NOW, expiresAt: NOW + 1e6, paidAt: undefined, paidAttemptId: undefined, refundedFen: 0, reviewReason: undefined,
  };
  const attempt: PaymentAttempt = {
    id: 'att_1', orderId: order.id, outTradeNo: 'OTN1', amountFen: 500, status: 'OPEN', signType: 'MD5', prepayId: 'wx1', prepayAt: NOW,
    timeExpire: NOW + 1e6, transactionId: undefined, createdAt: NOW, lastQueryAt: undefined,
  };
  await store.insertOrder(order);
  await store.insertAttempt(attempt);
  return { store, order, attempt, facts: { appid: 'wxA', mchid: '1001', outTradeNo: 'OTN1', transactionId: 'T1', amountFen: 500, paidAt: NOW } };
}

test('a matching payment marks the order PAID and writes one outbox event in the same transaction', async (t) => {
  const { store, facts } = await setup(t);
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), facts)), 'paid');
  const order = await store.getOrder('ord_1');
  assert.equal(order?.status, 'PAID');
  assert.equal(order?.paidAttemptId, 'att_1');
  assert.equal((await store.listEvents('ord_1')).length, 1);
});

test('the same payment again is a duplicate and changes nothing', async (t) => {
  const { store, facts } = await setup(t);
  await store.transaction((tx) => applyPayment(tx, ctx(), facts));
  const before = await store.getOrder('ord_1');
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), facts)), 'duplicate');
  assert.deepEqual(await store.getOrder('ord_1'), before);
  assert.equal((await store.listEvents('ord_1')).length, 1);
});

test('concurrent applications transition exactly once', async (t) => {
  const { store, facts } = await setup(t);
  const results = await Promise.all(Array.from({ length: 20 }, () => store.transaction((tx) => applyPayment(tx, ctx(), facts))));
  assert.equal(results.filter((r) => r === 'paid').length, 1);
  assert.equal(results.filter((r) => r === 'duplicate').length, 19);
  assert.equal((await store.listEvents('ord_1')).length, 1);
});

test('wrong appid or mchid: nothing changes', async (t) => {
  const { store, facts } = await setup(t);
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, appid: 'wxB' })), 'wrong_merchant');
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, mchid: '9' })), 'wrong_merchant');
  assert.equal((await store.getOrder('ord_1'))?.status, 'PAYING');
});

test('unknown out_trade_no: nothing changes', async (t) => {
  const { store, facts } = await setup(t);
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, outTradeNo: 'OTHER' })), 'unknown_order');
});

test('amount mismatch: not paid, flagged for review', async (t) => {
  const { store, facts } = await setup(t);
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, amountFen: 499 })), 'amount_mismatch');
  const order = await store.getOrder('ord_1');
  assert.equal(order?.status, 'PAYING');
  assert.equal(order?.reviewReason, 'amount_mismatch');
  assert.equal((await store.listEvents('ord_1')).length, 0);
});

test('a second transaction for the same attempt is a conflict, flagged', async (t) => {
  const { store, facts } = await setup(t);
  await store.transaction((tx) => applyPayment(tx, ctx(), facts));
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, transactionId: 'T2' })), 'transaction_conflict');
  assert.equal((await store.getOrder('ord_1'))?.reviewReason, 'transaction_conflict');
});

test('payment for a CLOSED order is recorded and flagged for refund (default policy)', async (t) => {
  const { store, facts } = await setup(t, 'CLOSED');
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), facts)), 'paid_after_close');
  const order = await store.getOrder('ord_1');
  assert.equal(order?.status, 'CLOSED');
  assert.equal(order?.reviewReason, 'paid_after_close');
  assert.equal((await store.getAttemptByOutTradeNo('OTN1'))?.transactionId, 'T1', 'the money is never lost');
});

test('payment for a CLOSED order under PAID_AFTER_CLOSE=accept reopens it as PAID with its event', async (t) => {
  const { store, facts } = await setup(t, 'CLOSED');
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx({ paidAfterClose: 'accept' }), facts)), 'paid_after_close_accepted');
  assert.equal((await store.getOrder('ord_1'))?.status, 'PAID');
  assert.equal((await store.listEvents('ord_1')).length, 1);
});

test('a second attempt of an already paid order paying too is a double payment, flagged', async (t) => {
  const { store, facts } = await setup(t);
  await store.transaction((tx) => applyPayment(tx, ctx(), facts));
  await store.insertAttempt({
    id: 'att_2', orderId: 'ord_1', outTradeNo: 'OTN2', amountFen: 500, status: 'OPEN', signType: 'MD5', prepayId: 'wx2', prepayAt: NOW,
    timeExpire: NOW + 1e6, transactionId: undefined, createdAt: NOW + 1, lastQueryAt: undefined,
  });
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, outTradeNo: 'OTN2', transactionId: 'T2' })), 'double_payment');
  assert.equal((await store.getOrder('ord_1'))?.reviewReason, 'double_payment');
  assert.equal((await store.listEvents('ord_1')).length, 1);
});

test('an attempt the caller already read is used for its fixed fields; what changes is still decided in the transaction', async (t) => {
  const { store, attempt, facts } = await setup(t);
  // Read before the payment was recorded (as a notification reads it to learn the sign type): still OPEN, no
  // transaction. The conditional writes, not this copy, decide: paid once, then a duplicate.
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), facts, attempt)), 'paid');
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), facts, attempt)), 'duplicate');
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, transactionId: 'T2' }, attempt)), 'transaction_conflict');
  assert.equal((await store.listEvents('ord_1')).length, 1);
  // A copy of another attempt is ignored: the payment's own out_trade_no is read.
  assert.equal(await store.transaction((tx) => applyPayment(tx, ctx(), { ...facts, outTradeNo: 'OTN9' }, attempt)), 'unknown_order');
});
