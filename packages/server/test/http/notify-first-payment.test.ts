/**
 * On PostgreSQL a payment notification's first delivery takes the store's one-statement path (recordFirstPayment);
 * a redelivery, a mismatch or anything else unusual takes the general path, with the same answers and log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, loginAs } from '../helpers/build.js';
import { FakeGateway, fakeNotification } from '../helpers/fake-gateway.js';
import type { InboundNotification } from '../../src/ports/gateway.js';
import { requirePostgres, testSchema } from '../helpers/postgres.js';
import type { FirstPayment } from '../../src/ports/store.js';

test('PostgreSQL: a first delivery is one statement; a redelivery and a mismatch go the general way', async (t) => {
  const url = await requirePostgres(t);
  if (url === undefined) return;
  const built = await build(t, { env: { DATABASE_URL: url, DATABASE_SCHEMA: await testSchema(t, url, 'fast'), DATABASE_POOL_MAX: '3' } });
  const { app, gateway } = built;
  const store = app.wx.store;
  const fast = store.recordFirstPayment?.bind(store);
  assert.ok(fast !== undefined, 'the PostgreSQL store has the one-statement path');
  const calls: { payment: FirstPayment; wrote: boolean }[] = [];
  let events = 0;
  Object.assign(store, {
    recordFirstPayment: async (payment: FirstPayment) => {
      const wrote = await fast(payment);
      calls.push({ payment, wrote });
      return wrote;
    },
  });
  // The general path records its event through the transaction's repos; counted where they come from.
  const transaction = store.transaction.bind(store);
  Object.assign(store, {
    transaction: <T>(fn: Parameters<typeof transaction<T>>[0]) => transaction<T>((tx) => fn(Object.assign(Object.create(tx) as typeof tx, {
      recordEvent: (...args: Parameters<typeof store.recordEvent>) => { events++; return tx.recordEvent(...args); },
    }))),
  });

  const token = await loginAs(app);
  const place = async (sku: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku, quantity: 1 }] } });
    return res.json() as { orderId: string; outTradeNo: string };
  };
  const notify = (body: string) => app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: body });

  const order = await place('tea-oolong');
  const facts = gateway.pay(order.outTradeNo);
  const first = await notify(fakeNotification(facts));
  assert.equal(first.statusCode, 200);
  assert.deepEqual(calls.map((c) => c.wrote), [true], 'one statement, and it wrote the payment');
  assert.equal(events, 0, 'the general path did not run');
  assert.equal((await store.getOrder(order.orderId))?.status, 'PAID');
  assert.equal((await store.listEvents(order.orderId)).length, 1, 'one outbox event');

  const again = await notify(fakeNotification(facts));
  assert.equal(again.statusCode, 200);
  assert.equal(calls.length, 1, 'a redelivery (the attempt has its transaction) is not tried at once');
  assert.equal(events, 1);

  const other = await place('tea-oolong');
  const wrongAmount = await notify(fakeNotification({ ...gateway.pay(other.outTradeNo), amountFen: 1 }));
  assert.equal(wrongAmount.statusCode, 200);
  assert.equal(calls.length, 1, 'an amount mismatch is the general path\'s to record');
  assert.equal((await store.getOrder(other.orderId))?.reviewReason, 'amount_mismatch');

  const outcomes = (await store.listNotifications(10)).map((e) => e.outcome).sort();
  assert.deepEqual(outcomes, ['amount_mismatch', 'paid', 'redelivery:duplicate']);
});

/** A gateway whose signatures are not per order (v3: the platform's key), so it looks no attempt up while verifying. */
class PlatformSignedGateway extends FakeGateway {
  override verifyPaymentNotification(input: InboundNotification): ReturnType<FakeGateway['verifyPaymentNotification']> {
    return super.verifyPaymentNotification(input);
  }
}

test('PostgreSQL: a notification verified without its attempt (v3) reads it, then pays in one statement', async (t) => {
  const url = await requirePostgres(t);
  if (url === undefined) return;
  const gateway = new PlatformSignedGateway();
  const { app } = await build(t, { env: { DATABASE_URL: url, DATABASE_SCHEMA: await testSchema(t, url, 'fast3'), DATABASE_POOL_MAX: '3' }, deps: { gateway } });
  const store = app.wx.store;
  const fast = store.recordFirstPayment?.bind(store);
  assert.ok(fast !== undefined);
  let wrote = 0;
  Object.assign(store, { recordFirstPayment: async (payment: FirstPayment) => ((await fast(payment)) ? ++wrote : wrote) > 0 });
  const token = await loginAs(app);
  const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 2 }] } });
  const order = res.json() as { orderId: string; outTradeNo: string };
  const answer = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(gateway.pay(order.outTradeNo)) });
  assert.equal(answer.statusCode, 200);
  assert.equal(wrote, 1);
  assert.equal((await store.getOrder(order.orderId))?.status, 'PAID');
  // An order of nobody's: no statement, the general path's verdict.
  const unknown = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification({ ...gateway.pay(order.outTradeNo), outTradeNo: 'NOPE', transactionId: '42000' }) });
  assert.equal(unknown.statusCode, 200);
  assert.equal(wrote, 1);
  assert.equal((await store.listNotifications(1))[0]?.outcome, 'unknown_order');
});
