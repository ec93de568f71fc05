/** The notification endpoint's answers and audit trail, with the fake gateway (the v2 wire is tested end to end). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, failNotificationWrites, loginAs } from '../helpers/build.js';
import { fakeNotification, fakeRefundNotification } from '../helpers/fake-gateway.js';

async function paidSetup(t: Parameters<typeof build>[0]) {
  const built = await build(t);
  const token = await loginAs(built.app);
  const res = await built.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
  const order = res.json() as { orderId: string; outTradeNo: string };
  const facts = built.gateway.pay(order.outTradeNo);
  return { ...built, token, order, facts };
}

const notify = (app: Awaited<ReturnType<typeof build>>['app'], body: string, url = '/wxpay/notify/payment') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'text/xml' }, payload: body });

test('authentic notification: PAID, answered success, logged with its outcome', async (t) => {
  const { app, order, facts } = await paidSetup(t);
  const res = await notify(app, fakeNotification(facts));
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /SUCCESS/);
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAID');
  const log = await app.wx.store.listNotifications(10);
  assert.equal(log.length, 1);
  assert.equal(log[0]?.outcome, 'paid');
  assert.equal(log[0]?.authentic, true);
});

test('forged notification: failure answer, logged raw as rejected, nothing changes', async (t) => {
  const { app, order, facts } = await paidSetup(t);
  const res = await notify(app, fakeNotification(facts, { secret: 'wrong' }));
  assert.equal(res.statusCode, 500);
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAYING');
  const [entry] = await app.wx.store.listNotifications(10);
  assert.equal(entry?.authentic, false);
  assert.equal(entry?.outcome, 'rejected:bad_signature');
  assert.ok(entry?.rawBody.includes(order.outTradeNo));
});

test('authentic verdicts other than paid still answer success (a retry cannot change them)', async (t) => {
  const { app, order, facts } = await paidSetup(t);
  const rows: [string, string][] = [
    [fakeNotification({ ...facts, amountFen: 1 }, { eventKey: 'e1' }), 'amount_mismatch'],
    [fakeNotification({ ...facts, mchid: 'other' }, { eventKey: 'e2' }), 'wrong_merchant'],
    [fakeNotification({ ...facts, outTradeNo: 'UNKNOWN' }, { eventKey: 'e3' }), 'unknown_order'],
    [fakeNotification(facts, { eventKey: 'e4', success: false }), 'not_success'],
  ];
  for (const [body, outcome] of rows) {
    const res = await notify(app, body);
    assert.equal(res.statusCode, 200, outcome);
    const [entry] = await app.wx.store.listNotifications(1);
    assert.equal(entry?.outcome, outcome);
  }
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAYING');
});

test('authentic but not recorded (database failure): failure answer so WeChat retries', async (t) => {
  const { app, order, facts } = await paidSetup(t);
  const store = app.wx.store;
  const restore = failNotificationWrites(store);
  const res = await notify(app, fakeNotification(facts));
  assert.equal(res.statusCode, 500);
  restore();
  const retry = await notify(app, fakeNotification(facts));
  assert.equal(retry.statusCode, 200);
  assert.equal((await store.getOrder(order.orderId))?.status, 'PAID');
});

test('oversized notification bodies are refused before verification', async (t) => {
  const { app } = await paidSetup(t);
  const res = await notify(app, `<xml>${'a'.repeat(70 * 1024)}</xml>`);
  assert.equal(res.statusCode, 500);
  assert.equal((await app.wx.store.listNotifications(10)).length, 0);
});

test('refund notification settles the refund and the order', async (t) => {
  const { app, order, facts } = await paidSetup(t);
  await notify(app, fakeNotification(facts));
  const refund = await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: { authorization: 'Bearer admin-token-0123456789' }, payload: { amount: 800 } });
  assert.equal(refund.statusCode, 202, refund.body);
  const { outRefundNo } = (refund.json() as { refund: { outRefundNo: string } }).refund;
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'REFUNDING');
  const body = fakeRefundNotification({ eventKey: 'r1', appid: facts.appid, mchid: facts.mchid, outTradeNo: order.outTradeNo, outRefundNo, refundId: '5001', status: 'SUCCESS', refundFen: 800, totalFen: 4800 });
  assert.equal((await notify(app, body, '/wxpay/notify/refund')).statusCode, 200);
  assert.equal((await notify(app, body, '/wxpay/notify/refund')).statusCode, 200);
  const after = await app.wx.store.getOrder(order.orderId);
  assert.equal(after?.status, 'PARTIALLY_REFUNDED');
  assert.equal(after?.refundedFen, 800);
  const outcomes = (await app.wx.store.listNotifications(10)).filter((n) => n.kind === 'refund').map((n) => n.outcome).sort();
  assert.deepEqual(outcomes, ['redelivery:duplicate', 'refunded']);
});

test('admin refunds: off without ADMIN_TOKEN semantics, bad amounts, unpaid orders', async (t) => {
  const { app, order, facts } = await paidSetup(t);
  const admin = { authorization: 'Bearer admin-token-0123456789' };
  assert.equal((await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, payload: {} })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: admin, payload: {} })).statusCode, 409, 'not paid yet');
  await notify(app, fakeNotification(facts));
  assert.equal((await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: admin, payload: { amount: 999999 } })).statusCode, 400);
  assert.equal((await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: admin, payload: { amount: 1.5 } })).statusCode, 400);
  assert.equal((await app.inject({ method: 'POST', url: '/admin/orders/ord_nope/refunds', headers: admin, payload: {} })).statusCode, 404);
});

test('the admin API does not exist without ADMIN_TOKEN', async (t) => {
  const { app } = await build(t, { env: { ADMIN_TOKEN: '' } });
  const res = await app.inject({ method: 'POST', url: '/admin/orders/ord_x/refunds', headers: { authorization: 'Bearer anything-anything' }, payload: {} });
  assert.equal(res.statusCode, 404);
});

test('admin refunds: the token is checked before the body, so a bad body without the token is 401, never 400', async (t) => {
  const { app, order } = await paidSetup(t);
  const bad = { amount: 1.5, extra: 'x' };
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }]) {
    const res = await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers, payload: bad });
    assert.equal(res.statusCode, 401);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'unauthorized');
  }
  const notJson = await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: { 'content-type': 'application/json' }, payload: '{not json' });
  assert.equal(notJson.statusCode, 401);
  const withToken = await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: { authorization: 'Bearer admin-token-0123456789' }, payload: bad });
  assert.equal(withToken.statusCode, 400, 'with the token, the same body is a validation error');
});

test('a refund WeChat refuses: 502 with the reason, the order back to PAID, a later refund possible', async (t) => {
  const { app, order, facts, gateway } = await paidSetup(t);
  await notify(app, fakeNotification(facts));
  const admin = { authorization: 'Bearer admin-token-0123456789' };
  gateway.script.refund.push({ kind: 'rejected', code: 'NOTENOUGH', message: 'insufficient balance' });
  const res = await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: admin, payload: {} });
  assert.equal(res.statusCode, 502);
  assert.match((res.json() as { error: { message: string } }).error.message, /NOTENOUGH/);
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAID');
  assert.equal((await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: admin, payload: {} })).statusCode, 202);
});
