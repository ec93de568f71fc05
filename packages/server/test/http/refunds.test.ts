/**
 * Refunds against our records: the money refunded is the payment that paid the order, a refund is never silently
 * resent with another amount, and a refund notification that does not match what we asked for changes nothing but
 * flags the order and alerts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { build, loginAs } from '../helpers/build.js';
import type { Built } from '../helpers/build.js';
import { fakeNotification, fakeRefundNotification, unavailable } from '../helpers/fake-gateway.js';
import type { RefundNotice } from '../../src/ports/gateway.js';

const admin = { authorization: 'Bearer admin-token-0123456789' };

/** A logger whose lines the test can read: alerts are warnings with `"alert":true`. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), alerts: () => lines.filter((l) => l.alert === true) };
}

async function paidOrder(built: Built) {
  const { app, gateway } = built;
  const token = await loginAs(app);
  const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
  const order = res.json() as { orderId: string; outTradeNo: string; amount: number };
  const facts = gateway.pay(order.outTradeNo);
  assert.equal((await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(facts) })).statusCode, 200);
  return { order, facts };
}

const refund = (built: Built, orderId: string, payload: Record<string, unknown> = {}) =>
  built.app.inject({ method: 'POST', url: `/admin/orders/${orderId}/refunds`, headers: admin, payload });

test('a refund targets the attempt that paid the order, not a later one', async (t) => {
  const built = await build(t, { env: { PAY_EXPIRE_MINUTES: '10' } });
  const { app, gateway, clock } = built;
  const token = await loginAs(app);
  const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string };
  // The payer pays the first prepay; its notification is late. Meanwhile a repay starts a second attempt.
  const facts = gateway.pay(created.outTradeNo);
  gateway.script.close.push('closed');
  clock.advance(11 * 60_000);
  const repay = await app.inject({ method: 'POST', url: `/api/orders/${created.orderId}/payment`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(repay.statusCode, 200, repay.body);
  const second = (repay.json() as { outTradeNo: string }).outTradeNo;
  assert.notEqual(second, created.outTradeNo);
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(facts) });
  assert.equal((await app.wx.store.getOrder(created.orderId))?.status, 'PAID');
  assert.equal((await app.wx.store.latestAttempt(created.orderId))?.outTradeNo, second, 'the latest attempt is not the one that paid');

  assert.equal((await refund(built, created.orderId)).statusCode, 202);
  assert.deepEqual(gateway.refunds.map((r) => r.outTradeNo), [created.outTradeNo]);
});

test('re-requesting a refund with another amount is refused (409) with the refund under way; the same amount resends it', async (t) => {
  const built = await build(t);
  const { gateway } = built;
  const { order } = await paidOrder(built);
  gateway.script.refund.push(unavailable());
  assert.equal((await refund(built, order.orderId, { amount: 800 })).statusCode, 503, 'WeChat did not answer: the refund stays requested');
  const other = await refund(built, order.orderId, { amount: 900 });
  assert.equal(other.statusCode, 409);
  const body = other.json() as { error: { code: string }; refund: { outRefundNo: string; amount: number; status: string } };
  assert.equal(body.error.code, 'refund_in_progress');
  assert.equal(body.refund.amount, 800);
  assert.equal(body.refund.status, 'REQUESTED');
  const same = await refund(built, order.orderId, { amount: 800 });
  assert.equal(same.statusCode, 202, same.body);
  assert.equal((same.json() as { refund: { outRefundNo: string } }).refund.outRefundNo, body.refund.outRefundNo);
  assert.deepEqual(gateway.refunds.map((r) => [r.outRefundNo, r.refundFen]), [[body.refund.outRefundNo, 800], [body.refund.outRefundNo, 800]]);
  // Accepted by WeChat now: any further request is refused with it, whatever the amount.
  const after = await refund(built, order.orderId, {});
  assert.equal(after.statusCode, 409);
  assert.equal((after.json() as { refund: { status: string } }).refund.status, 'PROCESSING');
  assert.equal(gateway.refunds.length, 2);
});

test('a refund notification that does not match our records changes nothing, flags the order and alerts', async (t) => {
  type Row = { name: string; edit: (n: RefundNotice) => RefundNotice; outcome: string; flag: string };
  const rows: Row[] = [
    { name: 'amount', edit: (n) => ({ ...n, refundFen: n.refundFen + 1 }), outcome: 'refund_amount_mismatch', flag: 'refund_amount_mismatch' },
    { name: 'order total', edit: (n) => ({ ...n, totalFen: n.totalFen - 1 }), outcome: 'refund_amount_mismatch', flag: 'refund_amount_mismatch' },
    { name: 'out_trade_no', edit: (n) => ({ ...n, outTradeNo: 'OTHER0000000000000000' }), outcome: 'refund_trade_mismatch', flag: 'refund_trade_mismatch' },
    { name: 'merchant', edit: (n) => ({ ...n, mchid: '1999999999' }), outcome: 'wrong_merchant', flag: 'refund_wrong_merchant' },
  ];
  for (const row of rows) {
    const { logger, alerts } = capturedLogger();
    const built = await build(t, { deps: { logger } });
    const { app } = built;
    const { order, facts } = await paidOrder(built);
    const started = await refund(built, order.orderId, { amount: 800 });
    const { outRefundNo } = (started.json() as { refund: { outRefundNo: string } }).refund;
    const notice: RefundNotice = { eventKey: `r-${row.name}`, appid: facts.appid, mchid: facts.mchid, outTradeNo: order.outTradeNo, outRefundNo, refundId: '5001', status: 'SUCCESS', refundFen: 800, totalFen: order.amount };
    const res = await app.inject({ method: 'POST', url: '/wxpay/notify/refund', headers: { 'content-type': 'text/xml' }, payload: fakeRefundNotification(row.edit(notice)) });
    assert.equal(res.statusCode, 200, `${row.name}: authentic and recorded`);
    const after = await app.wx.store.getOrder(order.orderId);
    assert.equal(after?.status, 'REFUNDING', row.name);
    assert.equal(after?.refundedFen, 0, row.name);
    assert.equal(after?.reviewReason, row.flag, row.name);
    assert.equal((await app.wx.store.getRefundByOutRefundNo(outRefundNo))?.status, 'PROCESSING', row.name);
    assert.equal((await app.wx.store.listNotifications(1))[0]?.outcome, row.outcome, row.name);
    assert.ok(alerts().some((a) => a.outcome === row.outcome), `${row.name}: alerted`);
  }
});

test('an authentic refund notification for a refund we never asked for is recorded and alerted', async (t) => {
  const { logger, alerts } = capturedLogger();
  const built = await build(t, { deps: { logger } });
  const { order, facts } = await paidOrder(built);
  const notice: RefundNotice = { eventKey: 'r-unknown', appid: facts.appid, mchid: facts.mchid, outTradeNo: order.outTradeNo, outRefundNo: 'RNOTOURS1', refundId: '5002', status: 'SUCCESS', refundFen: 100, totalFen: order.amount };
  const res = await built.app.inject({ method: 'POST', url: '/wxpay/notify/refund', headers: { 'content-type': 'text/xml' }, payload: fakeRefundNotification(notice) });
  assert.equal(res.statusCode, 200);
  assert.equal((await built.app.wx.store.listNotifications(1))[0]?.outcome, 'unknown_refund');
  assert.equal((await built.app.wx.store.getOrder(order.orderId))?.status, 'PAID');
  assert.ok(alerts().some((a) => a.outcome === 'unknown_refund' && a.outRefundNo === 'RNOTOURS1'));
});
