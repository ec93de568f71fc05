/**
 * The background jobs with three instances (three apps, each with its own connection pool) on one PostgreSQL schema,
 * one (fake) WeChat and one hand-driven clock, run at the same moment: nothing done twice where it matters, nothing
 * lost when an instance dies holding work. The HTTP routes run on PostgreSQL here too.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { WxPayApp } from '../src/app.js';
import type { OutboxEvent, Store } from '../src/ports/store.js';
import { openStore } from '../src/store/open.js';
import { build, loginAs, TestClock } from './helpers/build.js';
import { FakeGateway } from './helpers/fake-gateway.js';
import { requirePostgres, testSchema } from './helpers/postgres.js';

type Cluster = { apps: WxPayApp[]; gateway: FakeGateway; clock: TestClock; delivered: OutboxEvent[]; store: Store };

async function cluster(t: TestContext, size = 3): Promise<Cluster | undefined> {
  const url = await requirePostgres(t);
  if (url === undefined) return undefined;
  const schema = await testSchema(t, url, 'jobs');
  const gateway = new FakeGateway();
  const clock = new TestClock();
  const delivered: OutboxEvent[] = [];
  const apps: WxPayApp[] = [];
  const stores: Store[] = [];
  for (let i = 0; i < size; i++) {
    const store = await openStore({ kind: 'postgres', url, schema, poolMax: 4 });
    stores.push(store);
    t.after(() => store.close());
    const built = await build(t, {
      env: { ORDER_EXPIRE_MINUTES: '30', PAY_EXPIRE_MINUTES: '30' },
      deps: { store, gateway, clock, onEvent: (event) => void delivered.push(event) },
    });
    apps.push(built.app);
  }
  return { apps, gateway, clock, delivered, store: stores[0] as Store };
}

async function placeOrders(c: Cluster, count: number): Promise<{ orderId: string; outTradeNo: string }[]> {
  const out: { orderId: string; outTradeNo: string }[] = [];
  for (let i = 0; i < count; i++) {
    const app = c.apps[i % c.apps.length] as WxPayApp;
    const token = await loginAs(app, `user${i}`);
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
    assert.equal(res.statusCode, 201, res.body);
    out.push(res.json());
  }
  return out;
}

const callsFor = (g: FakeGateway, op: string, outTradeNo: string) => g.calls.filter((c) => c.op === op && c.outTradeNo === outTradeNo).length;

test('expire on three instances at once: each attempt closed once at WeChat, unpaid orders CLOSED, a payment that raced the close PAID', async (t) => {
  const c = await cluster(t);
  if (c === undefined) return;
  const orders = await placeOrders(c, 6);
  // Two were paid at WeChat just before expiry; their notifications never came.
  const raced = orders.slice(0, 2);
  for (const o of raced) c.gateway.pay(o.outTradeNo);
  c.clock.advance(31 * 60_000);
  await Promise.all(c.apps.map((app) => app.wx.jobs.expire()));
  for (const o of orders) {
    const stored = await c.store.getOrder(o.orderId);
    const paid = raced.includes(o);
    assert.equal(stored?.status, paid ? 'PAID' : 'CLOSED', o.orderId);
    assert.equal(callsFor(c.gateway, 'close', o.outTradeNo), 1, 'closed once, by one instance');
    assert.equal((await c.store.listEvents(o.orderId)).length, paid ? 1 : 0);
  }
  // Nothing left for any instance to do.
  const again = await Promise.all(c.apps.map((app) => app.wx.jobs.expire()));
  assert.ok(again.every((r) => r.changed === 0 && r.failed === 0));
});

test('reconcile on three instances at once: one orderquery per attempt, every late payment applied once', async (t) => {
  const c = await cluster(t);
  if (c === undefined) return;
  const orders = await placeOrders(c, 5);
  for (const o of orders) c.gateway.pay(o.outTradeNo);
  c.clock.advance(61_000);
  await Promise.all(c.apps.flatMap((app) => [app.wx.jobs.reconcile(), app.wx.jobs.reconcile()]));
  for (const o of orders) {
    assert.equal((await c.store.getOrder(o.orderId))?.status, 'PAID');
    assert.equal(callsFor(c.gateway, 'query', o.outTradeNo), 1, 'one query across instances');
    assert.equal((await c.store.listEvents(o.orderId)).length, 1);
  }
});

test('outbox on three instances: every event delivered once when the hook succeeds; a dead claimer is taken over after the lease', async (t) => {
  const c = await cluster(t);
  if (c === undefined) return;
  const orders = await placeOrders(c, 8);
  for (const o of orders) c.gateway.pay(o.outTradeNo);
  c.clock.advance(61_000);
  await c.apps[0]?.wx.jobs.reconcile();
  // An instance claims two events and dies before delivering them (its claim is all that reached the database).
  const lost = await c.store.claimDue(c.clock.now(), 60_000, 2);
  assert.equal(lost.length, 2);
  await Promise.all(c.apps.map((app) => app.wx.jobs.deliverOutbox()));
  assert.equal(c.delivered.length, 6, 'the six unclaimed ones, each once');
  assert.equal(new Set(c.delivered.map((e) => e.id)).size, 6);
  c.clock.advance(59_999);
  await Promise.all(c.apps.map((app) => app.wx.jobs.deliverOutbox()));
  assert.equal(c.delivered.length, 6, 'still leased by the dead instance');
  c.clock.advance(1);
  await Promise.all(c.apps.map((app) => app.wx.jobs.deliverOutbox()));
  assert.equal(c.delivered.length, 8, 'taken over after the lease');
  assert.deepEqual(new Set(c.delivered.map((e) => e.orderId)), new Set(orders.map((o) => o.orderId)));
});

test('HTTP on PostgreSQL: an order created on one instance is read, repaid and notified on the others', async (t) => {
  const c = await cluster(t, 2);
  if (c === undefined) return;
  const [a, b] = c.apps as [WxPayApp, WxPayApp];
  const token = await loginAs(a, 'alice');
  const created = await a.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'k1' }, payload: { items: [{ sku: 'mug-clay', quantity: 2 }] } });
  assert.equal(created.statusCode, 201);
  const order = created.json() as { orderId: string; outTradeNo: string; amount: number };
  assert.equal(order.amount, 7800);
  const replay = await b.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'k1' }, payload: { items: [{ sku: 'mug-clay', quantity: 2 }] } });
  assert.equal((replay.json() as { orderId: string }).orderId, order.orderId, 'the idempotency key holds across instances');
  const read = await b.inject({ method: 'GET', url: `/api/orders/${order.orderId}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(read.statusCode, 200);
  assert.equal((read.json() as { amount: number }).amount, 7800);
  const other = await loginAs(b, 'mallory');
  assert.equal((await b.inject({ method: 'GET', url: `/api/orders/${order.orderId}`, headers: { authorization: `Bearer ${other}` } })).statusCode, 404);
  const list = await a.inject({ method: 'GET', url: '/api/orders', headers: { authorization: `Bearer ${token}` } });
  assert.equal((list.json() as { orders: unknown[] }).orders.length, 1);
  assert.equal((await b.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
});
