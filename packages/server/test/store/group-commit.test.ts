/**
 * Group commit on SQLite (store/group-commit.ts): concurrent shared transactions commit together, each in its own
 * savepoint. What must hold: every unit that resolved is on disk (seen by another connection), a unit that throws is
 * undone alone, and through HTTP many notifications at once each pay their order exactly once with one outbox event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { TestContext } from 'node:test';
import { openStore } from '../../src/store/open.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { build, loginAs } from '../helpers/build.js';
import { fakeNotification } from '../helpers/fake-gateway.js';
import { NOW } from './sample-rows.js';

async function fileStore(t: TestContext): Promise<{ store: KyselyStore; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-group-'));
  const path = join(dir, 'shop.db');
  const store = await openStore({ kind: 'sqlite', path });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, path };
}

const event = (i: number) => ({ id: `ev${i}`, topic: 'order.paid', orderId: `o${i}`, payload: { i }, now: NOW });

test('concurrent units share one commit and each resolves only once it is on disk', async (t) => {
  if (process.env.TEST_DATABASE === 'postgres') return;
  const { store, path } = await fileStore(t);
  const other = new BetterSqlite3(path, { readonly: true });
  t.after(() => other.close());
  const visible = (id: string) => other.prepare('select count(*) as n from outbox where id = ?').get(id) as { n: number };
  const n = 20;
  const seenBeforeCommit: number[] = [];
  const units = Array.from({ length: n }, (_, i) =>
    store.sharedTransaction(async (tx) => {
      await tx.addEvent(event(i));
      // Another connection sees only committed data: the earlier units of this batch are not visible yet, which they
      // would be if each unit had committed on its own.
      if (i === n - 1) seenBeforeCommit.push(...Array.from({ length: n - 1 }, (_, j) => visible(`ev${j}`).n));
      return i;
    }).then((value) => {
      assert.equal(visible(`ev${i}`).n, 1, `unit ${i} resolved before its row was committed`);
      return value;
    }),
  );
  assert.deepEqual(await Promise.all(units), Array.from({ length: n }, (_, i) => i));
  assert.equal(seenBeforeCommit.length, n - 1);
  assert.ok(seenBeforeCommit.every((seen) => seen === 0), 'the units did not share a transaction');
  assert.equal((other.prepare('select count(*) as n from outbox').get() as { n: number }).n, n);
});

test('a unit that throws inside a batch is undone alone; the others are committed', async (t) => {
  if (process.env.TEST_DATABASE === 'postgres') return;
  const { store, path } = await fileStore(t);
  const results = await Promise.allSettled(Array.from({ length: 9 }, (_, i) =>
    store.sharedTransaction(async (tx) => {
      await tx.addEvent(event(i));
      if (i === 4) throw new Error('unit 4 fails after writing');
      // A constraint violation (the same id again) fails this unit's statement, not the batch.
      if (i === 6) await tx.addEvent({ ...event(6), orderId: 'other' });
      return i;
    })));
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.match(String((results[4] as PromiseRejectedResult).reason), /unit 4 fails/);
  const other = new BetterSqlite3(path, { readonly: true });
  t.after(() => other.close());
  const ids = (other.prepare('select id from outbox order by id').all() as { id: string }[]).map((r) => r.id);
  assert.deepEqual(ids, ['ev0', 'ev1', 'ev2', 'ev3', 'ev5', 'ev7', 'ev8']);
  // The store keeps working after a failed unit (no transaction left open).
  await store.sharedTransaction((tx) => tx.addEvent(event(9)));
  assert.equal((other.prepare('select count(*) as n from outbox').get() as { n: number }).n, 8);
});

test('many notifications at once: every order PAID exactly once, one outbox event each, duplicates answered SUCCESS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-group-http-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { app, gateway } = await build(t, { env: { DATABASE_URL: `sqlite:${join(dir, 'shop.db')}`, OPEN_ORDERS_MAX: '100' } });
  const token = await loginAs(app);
  const orders: { orderId: string; outTradeNo: string }[] = [];
  for (let i = 0; i < 30; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
    assert.equal(res.statusCode, 201, res.body);
    orders.push(res.json());
  }
  const bodies = orders.map((o) => fakeNotification(gateway.pay(o.outTradeNo)));
  // Each notification twice, all at once: the second of a pair may land in the same batch as the first.
  const answers = await Promise.all([...bodies, ...bodies].map((payload) =>
    app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload })));
  for (const res of answers) assert.equal(res.statusCode, 200, res.body);
  for (const o of orders) {
    assert.equal((await app.wx.store.getOrder(o.orderId))?.status, 'PAID');
    assert.equal((await app.wx.store.listEvents(o.orderId)).length, 1);
  }
});
