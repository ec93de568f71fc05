/** The admin view and bill reconciliation routes against the real app (fake WeChat, hand-driven clock). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, loginAs } from '../helpers/build.js';
import type { Built } from '../helpers/build.js';
import { FAKE_APPID, FAKE_MCHID, fakeNotification, unavailable } from '../helpers/fake-gateway.js';
import type { BillRow } from '../../src/ports/gateway.js';
import { SqlJobLeases } from '../../src/store/job-leases.js';
import { KyselyStore } from '../../src/store/kysely-store.js';

const ADMIN = { authorization: 'Bearer admin-token-0123456789' };
const TODAY = '2026-11-26'; // the test clock: 2026-11-26 12:00 UTC = 20:00 in China

type Created = { orderId: string; outTradeNo: string; amount: number };

async function createOrders(built: Built, n: number): Promise<Created[]> {
  const token = await loginAs(built.app);
  const out: Created[] = [];
  for (let i = 0; i < n; i++) {
    built.clock.advance(1000);
    const res = await built.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: i + 1 }] } });
    assert.equal(res.statusCode, 201, res.body);
    out.push(res.json() as Created);
  }
  return out;
}

function billRow(built: Built, order: Created, transactionId: string, over: Partial<BillRow> = {}): BillRow {
  return { tradeState: 'SUCCESS', appid: FAKE_APPID, mchid: FAKE_MCHID, outTradeNo: order.outTradeNo, transactionId, totalFen: order.amount, time: built.clock.now(), ...over };
}

test('every admin route: 401 without or with a wrong token; 404 when ADMIN_TOKEN is not set', async (t) => {
  const built = await build(t);
  const off = await build(t, { env: { ADMIN_TOKEN: '' } });
  const routes: [string, string, Record<string, unknown>?][] = [
    ['GET', '/admin/orders'],
    ['GET', '/admin/orders/ord_x'],
    ['POST', '/admin/reconciliations', { date: '2026-11-25' }],
    ['GET', '/admin/reconciliations'],
    ['GET', '/admin/reconciliations/2026-11-25'],
  ];
  for (const [method, url, payload] of routes) {
    const none = await built.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload }) });
    assert.equal(none.statusCode, 401, `${method} ${url}`);
    assert.equal(none.json().error.code, 'unauthorized');
    const wrong = await built.app.inject({ method: method as 'GET', url, headers: { authorization: 'Bearer not-the-admin-token' }, ...(payload === undefined ? {} : { payload }) });
    assert.equal(wrong.statusCode, 401, `${method} ${url}`);
    const disabled = await off.app.inject({ method: method as 'GET', url, headers: ADMIN, ...(payload === undefined ? {} : { payload }) });
    assert.equal(disabled.statusCode, 404, `${method} ${url}`);
  }
  // A bad request without the token is still 401: nothing is validated for a caller who is not the operator.
  assert.equal((await built.app.inject({ method: 'GET', url: '/admin/orders?status=NOPE' })).statusCode, 401);
  // The page itself, in a browser, says how to turn it on (HTML, not a bare JSON 404).
  const page = await off.app.inject({ method: 'GET', url: '/admin' });
  assert.equal(page.statusCode, 404);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.body, /ADMIN_TOKEN/);
  assert.match(page.body, /restart/);
  assert.doesNotMatch(page.body, /<script/);
});

test('GET /admin serves the self-contained page (no token needed to load it; it asks for one)', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ method: 'GET', url: '/admin' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/html/);
  assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
  assert.match(res.body, /sessionStorage/);
  assert.match(res.body, /\/admin\/reconciliations/);
  assert.doesNotMatch(res.body, /admin-token-0123456789/);
  assert.doesNotMatch(res.body, /<script src=|<link /, 'no external resources');
});

test('GET /admin/orders: bad input is 400 with {error:{code,message}}', async (t) => {
  const { app } = await build(t);
  for (const query of ['status=NOPE', 'flagged=yes', 'limit=0', 'limit=201', 'limit=x', 'cursor=%3Cscript%3E', 'cursor=bm90LWEtY3Vyc29y', 'unknown=1']) {
    const res = await app.inject({ method: 'GET', url: `/admin/orders?${query}`, headers: ADMIN });
    assert.equal(res.statusCode, 400, query);
    assert.equal(typeof res.json().error.code, 'string', query);
    assert.equal(typeof res.json().error.message, 'string', query);
  }
  assert.equal((await app.inject({ method: 'GET', url: '/admin/orders/bad%20id', headers: ADMIN })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/orders/ord_missing', headers: ADMIN })).statusCode, 404);
});

test('GET /admin/orders lists newest first, filters by status and flag, pages by cursor', async (t) => {
  const built = await build(t);
  const orders = await createOrders(built, 3);
  const [first, second, third] = orders as [Created, Created, Created];
  await built.app.wx.store.flag(second.orderId, 'amount_mismatch', built.clock.now());

  const all = await built.app.inject({ method: 'GET', url: '/admin/orders?limit=2', headers: ADMIN });
  assert.equal(all.statusCode, 200);
  const page1 = all.json() as { orders: { orderId: string; outTradeNo: string; amount: number; status: string }[]; nextCursor?: string };
  assert.deepEqual(page1.orders.map((o) => o.orderId), [third.orderId, second.orderId]);
  assert.equal(page1.orders[0]?.outTradeNo, third.outTradeNo);
  assert.equal(page1.orders[0]?.amount, third.amount);
  const page2 = (await built.app.inject({ method: 'GET', url: `/admin/orders?limit=2&cursor=${page1.nextCursor ?? ''}`, headers: ADMIN })).json() as typeof page1;
  assert.deepEqual(page2.orders.map((o) => o.orderId), [first.orderId]);
  assert.equal(page2.nextCursor, undefined);

  const flagged = (await built.app.inject({ method: 'GET', url: '/admin/orders?flagged=true', headers: ADMIN })).json() as { orders: { orderId: string; reviewReason?: string }[] };
  assert.deepEqual(flagged.orders.map((o) => [o.orderId, o.reviewReason]), [[second.orderId, 'amount_mismatch']]);
  const paying = (await built.app.inject({ method: 'GET', url: '/admin/orders?status=PAYING', headers: ADMIN })).json() as { orders: unknown[] };
  assert.equal(paying.orders.length, 3);
  const paid = (await built.app.inject({ method: 'GET', url: '/admin/orders?status=PAID', headers: ADMIN })).json() as { orders: unknown[] };
  assert.equal(paid.orders.length, 0);
});

test('GET /admin/orders/:orderId: the order with its attempts, refunds, notification log and outbox events', async (t) => {
  const built = await build(t);
  const [order] = (await createOrders(built, 1)) as [Created];
  const facts = built.gateway.pay(order.outTradeNo);
  const notified = await built.app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(facts) });
  assert.equal(notified.statusCode, 200);

  const res = await built.app.inject({ method: 'GET', url: `/admin/orders/${order.orderId}`, headers: ADMIN });
  assert.equal(res.statusCode, 200);
  const d = res.json() as {
    order: { orderId: string; status: string; amount: number; items: unknown[]; openid: string };
    attempts: { outTradeNo: string; transactionId?: string; status: string }[];
    refunds: unknown[];
    notifications: { outcome: string; authentic: boolean; rawBody: string }[];
    events: { topic: string }[];
  };
  assert.equal(d.order.status, 'PAID');
  assert.equal(d.order.amount, order.amount);
  assert.equal(d.order.items.length, 1);
  assert.deepEqual(d.attempts.map((a) => [a.outTradeNo, a.status, a.transactionId]), [[order.outTradeNo, 'PAID', facts.transactionId]]);
  assert.deepEqual(d.refunds, []);
  assert.deepEqual(d.notifications.map((n) => [n.outcome, n.authentic]), [['paid', true]]);
  assert.ok(d.notifications[0]?.rawBody.includes(order.outTradeNo));
  assert.deepEqual(d.events.map((e) => e.topic), ['order.paid']);
});

test('POST /admin/reconciliations: bad dates are 400', async (t) => {
  const { app } = await build(t);
  const bodies: unknown[] = [{}, { date: '2026-02-30' }, { date: '20261125' }, { date: '2026-11-27' }, { date: '2026-11-25', extra: 1 }, { date: 20261125 }];
  for (const payload of bodies) {
    const res = await app.inject({ method: 'POST', url: '/admin/reconciliations', headers: ADMIN, payload: payload as object });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(typeof res.json().error.code, 'string');
  }
  assert.equal((await app.inject({ method: 'GET', url: '/admin/reconciliations/2026-13-01', headers: ADMIN })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/reconciliations?limit=0', headers: ADMIN })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/reconciliations/2026-11-25', headers: ADMIN })).statusCode, 404);
});

test('reconciling a day: a payment only the bill knows is applied once (PAID, one outbox event); the rest is flagged; a re-run changes nothing', async (t) => {
  const built = await build(t);
  const { app, gateway } = built;
  const [notified, lost, mismatched] = (await createOrders(built, 3)) as [Created, Created, Created];
  // One order paid and notified as usual; one paid at WeChat whose notifications never arrived; one whose bill total differs.
  const facts = gateway.pay(notified.outTradeNo);
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification({ ...facts, paidAt: built.clock.now() }) });
  gateway.bills.set(TODAY, [
    billRow(built, notified, facts.transactionId),
    billRow(built, lost, '4200000000000000000000000001'),
    billRow(built, mismatched, '4200000000000000000000000002', { totalFen: mismatched.amount + 1 }),
    billRow(built, mismatched, '4200000000000000000000000009', { outTradeNo: 'SOMEONE_ELSES', appid: 'wxanotherapp0000' }),
  ]);
  const eventsBefore = (await app.wx.store.listEvents(lost.orderId)).length;

  const res = await app.inject({ method: 'POST', url: '/admin/reconciliations', headers: ADMIN, payload: { date: TODAY } });
  assert.equal(res.statusCode, 200, res.body);
  type Run = { date: string; status: string; runs: number; billPayments: number; matched: number; applied: number; ignored: number; billPaid: number; differences: { kind: string; orderId?: string; resolution: string }[] };
  const run = (res.json() as { reconciliation: Run }).reconciliation;
  assert.equal(run.date, TODAY);
  assert.equal(run.status, 'differences');
  assert.equal(run.billPayments, 3);
  assert.equal(run.matched, 1);
  assert.equal(run.ignored, 1);
  assert.equal(run.applied, 1);
  assert.equal(run.billPaid, notified.amount + lost.amount + mismatched.amount + 1);
  assert.deepEqual(
    run.differences.map((d) => [d.kind, d.orderId, d.resolution]).sort(),
    [['amount_mismatch', mismatched.orderId, 'flagged'], ['missing_payment', lost.orderId, 'applied:paid']],
  );
  const lostOrder = await app.wx.store.getOrder(lost.orderId);
  assert.equal(lostOrder?.status, 'PAID');
  assert.equal(lostOrder?.paidAt, built.clock.now());
  assert.equal((await app.wx.store.listEvents(lost.orderId)).length, eventsBefore + 1);
  assert.equal((await app.wx.store.getOrder(mismatched.orderId))?.reviewReason, 'bill_amount_mismatch', 'flagged by the bill check, never applied');
  assert.equal((await app.wx.store.getOrder(mismatched.orderId))?.status, 'PAYING');

  built.clock.advance(60_000);
  const again = (await app.inject({ method: 'POST', url: '/admin/reconciliations', headers: ADMIN, payload: { date: TODAY } })).json() as { reconciliation: Run };
  assert.equal(again.reconciliation.runs, 2);
  assert.equal(again.reconciliation.applied, 1, 'nothing applied twice');
  assert.deepEqual(again.reconciliation.differences.map((d) => [d.kind, d.resolution]).sort(), [['amount_mismatch', 'flagged'], ['missing_payment', 'applied:paid']]);
  assert.equal((await app.wx.store.listEvents(lost.orderId)).length, eventsBefore + 1);

  const list = (await app.inject({ method: 'GET', url: '/admin/reconciliations', headers: ADMIN })).json() as { reconciliations: { date: string; runs: number; differenceCount: number }[] };
  assert.deepEqual(list.reconciliations.map((r) => [r.date, r.runs, r.differenceCount]), [[TODAY, 2, 2]]);
  const one = await app.inject({ method: 'GET', url: `/admin/reconciliations/${TODAY}`, headers: ADMIN });
  assert.equal(one.statusCode, 200);
  assert.equal((one.json() as { reconciliation: Run }).reconciliation.differences.length, 2);
});

test('a bill that cannot be had is a failed run with the reason; a later success replaces it', async (t) => {
  const built = await build(t);
  built.gateway.bills.set('2026-11-25', unavailable());
  const failed = await built.app.inject({ method: 'POST', url: '/admin/reconciliations', headers: ADMIN, payload: { date: '2026-11-25' } });
  assert.equal(failed.statusCode, 200);
  const f = (failed.json() as { reconciliation: { status: string; error?: string } }).reconciliation;
  assert.equal(f.status, 'failed');
  assert.match(f.error ?? '', /SYSTEMERROR/);
  built.gateway.bills.delete('2026-11-25');
  const ok = (await built.app.inject({ method: 'POST', url: '/admin/reconciliations', headers: ADMIN, payload: { date: '2026-11-25' } })).json() as { reconciliation: { status: string; runs: number; error?: string } };
  assert.deepEqual([ok.reconciliation.status, ok.reconciliation.runs, ok.reconciliation.error], ['matched', 2, undefined]);
});

test('409 while another instance holds the reconciliation lease', async (t) => {
  const built = await build(t);
  const store = built.app.wx.store;
  assert.ok(store instanceof KyselyStore);
  const leases = new SqlJobLeases(store.database);
  assert.equal(await leases.acquire('job:bill-reconcile', 'another-instance', built.clock.now(), 60_000), true);
  const res = await built.app.inject({ method: 'POST', url: '/admin/reconciliations', headers: ADMIN, payload: { date: '2026-11-25' } });
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().error.code, 'reconciliation_running');
  assert.equal(built.gateway.calls.filter((c) => c.op === 'bill').length, 0);
});

test('OpenAPI documents the admin routes', async (t) => {
  const { app } = await build(t);
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  for (const path of ['/admin/orders', '/admin/orders/{orderId}', '/admin/reconciliations', '/admin/reconciliations/{date}']) assert.ok(doc.paths[path], path);
  assert.ok(doc.paths['/admin/reconciliations']?.post);
  assert.equal(doc.paths['/admin'], undefined, 'the HTML page is not an API operation');
});
