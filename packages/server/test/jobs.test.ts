import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, loginAs } from './helpers/build.js';
import { fakeNotification, unavailable } from './helpers/fake-gateway.js';

async function paidOrder(t: Parameters<typeof build>[0], deps: Parameters<typeof build>[1] = {}) {
  const built = await build(t, deps);
  const token = await loginAs(built.app);
  const res = await built.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  const order = res.json() as { orderId: string; outTradeNo: string };
  return { ...built, token, order };
}

test('outbox: the fulfilment hook gets the event at least once, retried with backoff after a failure', async (t) => {
  let fail = true;
  const seen: string[] = [];
  const { app, gateway, clock, order } = await paidOrder(t, {
    deps: {
      onEvent: (event) => {
        seen.push(event.orderId);
        if (fail) throw new Error('merchant hook down');
      },
    },
  });
  const facts = gateway.pay(order.outTradeNo);
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(facts) });
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 1, changed: 0, failed: 1 });
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 0, changed: 0, failed: 0 }, 'backing off');
  fail = false;
  clock.advance(10_000);
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 1, changed: 1, failed: 0 });
  clock.advance(3_600_000);
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 0, changed: 0, failed: 0 }, 'delivered: never again');
  assert.deepEqual(seen, [order.orderId, order.orderId]);
});

test('reconcile: an unpaid order whose payment WeChat knows becomes PAID; failures are counted, not thrown', async (t) => {
  const { app, gateway, clock, order } = await paidOrder(t);
  gateway.pay(order.outTradeNo);
  assert.equal((await app.wx.jobs.reconcile()).examined, 0, 'too early');
  clock.advance(61_000);
  gateway.script.query.push(unavailable());
  assert.deepEqual(await app.wx.jobs.reconcile(), { examined: 1, changed: 0, failed: 1 });
  clock.advance(31_000);
  assert.deepEqual(await app.wx.jobs.reconcile(), { examined: 1, changed: 1, failed: 0 });
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAID');
});

test('expire: a close answered ORDERPAID means paid, never CLOSED', async (t) => {
  const { app, gateway, clock, order } = await paidOrder(t, { env: { ORDER_EXPIRE_MINUTES: '30' } });
  gateway.pay(order.outTradeNo);
  clock.advance(31 * 60_000);
  await app.wx.jobs.expire();
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAID');
  assert.ok(gateway.calls.some((c) => c.op === 'close'));
});

test('expire: WeChat down leaves the order for the next run', async (t) => {
  const { app, gateway, clock, order } = await paidOrder(t, { env: { ORDER_EXPIRE_MINUTES: '30' } });
  clock.advance(31 * 60_000);
  gateway.script.close.push(unavailable(), unavailable());
  const report = await app.wx.jobs.expire();
  assert.equal(report.failed, 2);
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAYING');
  await app.wx.jobs.expire();
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'CLOSED');
});

test('late-notification query on read is rate-limited per order', async (t) => {
  const { app, gateway, clock, token, order } = await paidOrder(t);
  clock.advance(6_000);
  for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: `/api/orders/${order.orderId}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(gateway.calls.filter((c) => c.op === 'query').length, 1);
  clock.advance(10_000);
  gateway.pay(order.outTradeNo);
  const res = await app.inject({ method: 'GET', url: `/api/orders/${order.orderId}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal((res.json() as { status: string }).status, 'PAID');
});

test('a query failure on read still returns the stored order', async (t) => {
  const { app, gateway, clock, token, order } = await paidOrder(t);
  clock.advance(6_000);
  gateway.script.query.push(unavailable());
  const res = await app.inject({ method: 'GET', url: `/api/orders/${order.orderId}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.statusCode, 200);
  assert.equal((res.json() as { status: string }).status, 'PAYING');
});
