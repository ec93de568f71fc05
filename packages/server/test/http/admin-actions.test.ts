/**
 * The console's actions over HTTP (fake WeChat, real store): each needs a reason and writes an audit row with who
 * (ADMIN_TOKEN_LABEL) and why — refused attempts too; query applies WeChat's answer through the usual rules; close
 * closes the attempt at WeChat first and never a paid order; review takes an order off the flagged list. And the
 * dashboard endpoint and the console's assets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, loginAs } from '../helpers/build.js';
import type { Built } from '../helpers/build.js';
import { fakeNotification, unavailable } from '../helpers/fake-gateway.js';
import type { PaymentFacts } from '../../src/ports/gateway.js';

const admin = { authorization: 'Bearer admin-token-0123456789' };

async function unpaidOrder(built: Built) {
  const token = await loginAs(built.app);
  const res = await built.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
  assert.equal(res.statusCode, 201);
  return res.json() as { orderId: string; outTradeNo: string; amount: number };
}

/** WeChat's payment notification for these facts, through the real notify route. */
async function notify(built: Built, facts: PaymentFacts): Promise<void> {
  const res = await built.app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(facts) });
  assert.equal(res.statusCode, 200, res.body);
}

const act = (built: Built, orderId: string, action: string, payload: unknown = { reason: 'checking' }) =>
  built.app.inject({ method: 'POST', url: `/admin/orders/${orderId}/${action}`, headers: admin, payload: payload as Record<string, unknown> });

const detail = async (built: Built, orderId: string) =>
  (await built.app.inject({ method: 'GET', url: `/admin/orders/${orderId}`, headers: admin })).json() as {
    order: { status: string; reviewedAt?: string };
    actions: { action: string; actor: string; reason: string; result: string; detail: Record<string, unknown> }[];
  };

test('query WeChat now: a payment whose notification never came is applied, and audited with who and why', async (t) => {
  const built = await build(t, { env: { ADMIN_TOKEN_LABEL: 'ops-li' } });
  const order = await unpaidOrder(built);
  built.gateway.pay(order.outTradeNo);
  const res = await act(built, order.orderId, 'query', { reason: 'payer sent a screenshot' });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().order, { orderId: order.orderId, status: 'PAID' });
  assert.equal(res.json().action.result, 'ok');
  const d = await detail(built, order.orderId);
  assert.equal(d.order.status, 'PAID');
  assert.deepEqual(d.actions.map((a) => [a.action, a.actor, a.reason, a.result, a.detail.answer]), [['query', 'ops-li', 'payer sent a screenshot', 'ok', 'paid']]);
});

test('a reason is required (400, nothing done, nothing audited); without the token 401; unknown order 404', async (t) => {
  const built = await build(t);
  const order = await unpaidOrder(built);
  for (const payload of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(81) }, { reason: 'ok', extra: 1 }]) {
    assert.equal((await act(built, order.orderId, 'close', payload)).statusCode, 400, JSON.stringify(payload));
  }
  assert.equal((await built.app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/close`, payload: { reason: 'x' } })).statusCode, 401);
  assert.equal((await act(built, 'ord_nope', 'close')).statusCode, 404);
  const d = await detail(built, order.orderId);
  assert.notEqual(d.order.status, 'CLOSED');
  assert.deepEqual(d.actions, []);
  assert.equal(built.gateway.calls.filter((c) => c.op === 'close').length, 0);
});

test('close: the open attempt is closed at WeChat, then the order; a paid order cannot be closed (refusal audited)', async (t) => {
  const built = await build(t);
  const order = await unpaidOrder(built);
  const res = await act(built, order.orderId, 'close', { reason: 'duplicate order by phone' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().order.status, 'CLOSED');
  assert.ok(built.gateway.calls.some((c) => c.op === 'close' && c.outTradeNo === order.outTradeNo));
  // Closed again: refused, and the refusal is on record (after the first, in time).
  built.clock.advance(1000);
  assert.equal((await act(built, order.orderId, 'close', { reason: 'again' })).statusCode, 409);
  assert.deepEqual((await detail(built, order.orderId)).actions.map((a) => [a.action, a.result]), [['close', 'ok'], ['close', 'not_closable']]);

  // A payment that raced the close: WeChat answers ORDERPAID, the payment is applied, the answer is 409 order_paid.
  const raced = await unpaidOrder(built);
  built.gateway.pay(raced.outTradeNo);
  const answer = await act(built, raced.orderId, 'close', { reason: 'customer cancelled' });
  assert.equal(answer.statusCode, 409);
  assert.equal(answer.json().error.code, 'order_paid');
  assert.equal((await detail(built, raced.orderId)).order.status, 'PAID');
});

test('WeChat unavailable: 503, nothing changed, the attempt audited', async (t) => {
  const built = await build(t);
  const order = await unpaidOrder(built);
  built.gateway.script.close.push(unavailable());
  assert.equal((await act(built, order.orderId, 'close', { reason: 'x' })).statusCode, 503);
  const d = await detail(built, order.orderId);
  assert.notEqual(d.order.status, 'CLOSED');
  assert.deepEqual(d.actions.map((a) => a.result), ['wechat_unavailable']);
});

test('mark reviewed: only a flagged order; it leaves flagged=true and the stats count it as reviewed', async (t) => {
  const built = await build(t);
  const order = await unpaidOrder(built);
  assert.equal((await act(built, order.orderId, 'review')).statusCode, 409);
  // A payment of another amount than the order's flags it (the usual rule), through a query.
  await notify(built, built.gateway.pay(order.outTradeNo, { amountFen: order.amount + 1 }));
  const flagged = async () => ((await built.app.inject({ method: 'GET', url: '/admin/orders?flagged=true', headers: admin })).json() as { orders: { orderId: string }[] }).orders.map((o) => o.orderId);
  assert.deepEqual(await flagged(), [order.orderId]);
  const stats = async () => (await built.app.inject({ method: 'GET', url: '/admin/stats', headers: admin })).json() as { flagged: { open: number; reviewed: number } };
  assert.deepEqual((await stats()).flagged, { open: 1, reviewed: 0 });
  assert.equal((await act(built, order.orderId, 'review', { reason: 'refunded the difference by hand' })).statusCode, 200);
  assert.deepEqual(await flagged(), []);
  assert.deepEqual((await stats()).flagged, { open: 0, reviewed: 1 });
  assert.ok((await detail(built, order.orderId)).order.reviewedAt !== undefined);
});

test('refunds through the API are audited too (who, why, amount, out_refund_no)', async (t) => {
  const built = await build(t);
  const order = await unpaidOrder(built);
  built.gateway.pay(order.outTradeNo);
  await act(built, order.orderId, 'query');
  const res = await built.app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: admin, payload: { amount: 1, reason: 'one cup broken' } });
  assert.equal(res.statusCode, 202, res.body);
  const refundAudit = (await detail(built, order.orderId)).actions.find((a) => a.action === 'refund');
  assert.deepEqual(refundAudit && [refundAudit.actor, refundAudit.reason, refundAudit.result, refundAudit.detail.amount, refundAudit.detail.outRefundNo], ['admin', 'one cup broken', 'ok', 1, res.json().refund.outRefundNo]);
});

test('GET /admin/stats: 30 China days ending today, zeros filled, totals match; days is validated', async (t) => {
  const built = await build(t);
  const order = await unpaidOrder(built);
  await notify(built, built.gateway.pay(order.outTradeNo, { paidAt: built.clock.now() }));
  const res = await built.app.inject({ method: 'GET', url: '/admin/stats', headers: admin });
  assert.equal(res.statusCode, 200, res.body);
  const s = res.json() as { window: { from: string; to: string; days: number }; days: { date: string; created: number; paid: number; revenue: number }[]; totals: Record<string, number>; byStatus: Record<string, number>; conversion: Record<string, number> };
  // The test clock is 2026-11-26T12:00Z: 20:00 on the 26th in China.
  assert.deepEqual(s.window, { ...s.window, from: '2026-10-28', to: '2026-11-26', days: 30 });
  assert.equal(s.days.length, 30);
  assert.deepEqual(s.days.at(-1), { date: '2026-11-26', created: 1, paid: 1, revenue: order.amount, refunded: 0 });
  assert.deepEqual(s.totals, { created: 1, paid: 1, revenue: order.amount, refunded: 0 });
  assert.equal(s.byStatus.PAID, 1);
  assert.equal(s.byStatus.CLOSED, 0);
  assert.deepEqual(s.conversion, { created: 1, paid: 1, rate: 1 });
  for (const q of ['days=0', 'days=91', 'days=x', 'other=1']) assert.equal((await built.app.inject({ method: 'GET', url: `/admin/stats?${q}`, headers: admin })).statusCode, 400, q);
  assert.equal((await built.app.inject({ method: 'GET', url: '/admin/stats' })).statusCode, 401);
});

test('the built console: /admin serves its page with a strict CSP, its script and styles from the package; nothing while admin is off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-console-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/admin/assets/console.js"></script>');
  writeFileSync(join(dir, 'console.js'), 'console.log("console")');
  writeFileSync(join(dir, 'console.css'), 'body{}');
  const built = await build(t, { deps: { consoleRoot: dir } });
  const page = await built.app.inject({ method: 'GET', url: '/admin' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /\/admin\/assets\/console\.js/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self';/);
  assert.doesNotMatch(String(page.headers['content-security-policy']), /unsafe-inline/);
  const js = await built.app.inject({ method: 'GET', url: '/admin/assets/console.js' });
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers['content-type']), /text\/javascript/);
  assert.match((await built.app.inject({ method: 'GET', url: '/admin/assets/console.css' })).headers['content-type'] as string, /text\/css/);
  const off = await build(t, { env: { ADMIN_TOKEN: '' }, deps: { consoleRoot: dir } });
  assert.equal((await off.app.inject({ method: 'GET', url: '/admin/assets/console.js' })).statusCode, 404);
  assert.match((await off.app.inject({ method: 'GET', url: '/admin' })).body, /The admin view is off/);
});

test('ADMIN_TOKEN_LABEL is validated', async (t) => {
  await assert.rejects(build(t, { env: { ADMIN_TOKEN_LABEL: '<script>' } }), /ADMIN_TOKEN_LABEL/);
});
