/** The daily bill reconciliation on the jobs timer: when it runs, once per day across instances, retries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from './helpers/build.js';
import type { Built } from './helpers/build.js';
import { FakeGateway, unavailable } from './helpers/fake-gateway.js';
import { silentLogger } from '../src/domain/logger.js';
import { cryptoIds } from '../src/ids.js';
import { BillReconciler, chinaDate, chinaDayRange } from '../src/jobs/bill-reconciliation.js';
import { KyselyAdminStore } from '../src/store/admin-store.js';
import { SqlJobLeases } from '../src/store/job-leases.js';
import { KyselyStore } from '../src/store/kysely-store.js';

const billCalls = (gateway: FakeGateway) => gateway.calls.filter((c) => c.op === 'bill').map((c) => c.outTradeNo);

/** A second instance on the same database: its own reconciler, gateway and lease holder. */
function otherInstance(built: Built): { reconciler: BillReconciler; gateway: FakeGateway } {
  const store = built.app.wx.store;
  assert.ok(store instanceof KyselyStore);
  const gateway = new FakeGateway();
  const reconciler = new BillReconciler({
    store, admin: new KyselyAdminStore(store.database), gateway, payments: built.app.wx.payments, clock: built.clock, ids: cryptoIds,
    logger: silentLogger, paidAfterClose: 'refund', leases: new SqlJobLeases(store.database),
  });
  return { reconciler, gateway };
}

test('China dates: the day of an instant and its [start, end) in UTC', () => {
  assert.equal(chinaDate(Date.UTC(2026, 10, 25, 15, 59, 59)), '2026-11-25');
  assert.equal(chinaDate(Date.UTC(2026, 10, 25, 16, 0, 0)), '2026-11-26');
  assert.deepEqual(chinaDayRange('2026-11-26'), { start: Date.UTC(2026, 10, 25, 16), end: Date.UTC(2026, 10, 26, 16) });
});

test('the daily run waits for 10:00 China time, then reconciles the previous China day once', async (t) => {
  const built = await build(t);
  built.clock.ms = Date.UTC(2026, 10, 26, 1, 59); // 09:59 in China
  await built.app.wx.jobs.runAll();
  assert.deepEqual(billCalls(built.gateway), []);
  built.clock.ms = Date.UTC(2026, 10, 26, 2, 0); // 10:00
  await built.app.wx.jobs.runAll();
  assert.deepEqual(billCalls(built.gateway), ['2026-11-25']);
  built.clock.advance(3 * 3600_000);
  await built.app.wx.jobs.runAll();
  assert.deepEqual(billCalls(built.gateway), ['2026-11-25'], 'done for the day');
  const run = await built.app.wx.adminStore?.getReconciliation('2026-11-25');
  assert.deepEqual([run?.status, run?.runs], ['matched', 1]);
  // Just after midnight (China) the previous day is 2026-11-26, whose bill is not ready before 10:00.
  built.clock.ms = Date.UTC(2026, 10, 26, 16, 30);
  await built.app.wx.jobs.runAll();
  assert.deepEqual(billCalls(built.gateway), ['2026-11-25']);
});

test('a failed daily run is retried after 30 minutes, not on every tick', async (t) => {
  const built = await build(t);
  built.gateway.bills.set('2026-11-25', unavailable());
  await built.app.wx.jobs.runAll();
  built.clock.advance(29 * 60_000);
  await built.app.wx.jobs.runAll();
  assert.equal(billCalls(built.gateway).length, 1);
  assert.equal((await built.app.wx.adminStore?.getReconciliation('2026-11-25'))?.status, 'failed');
  built.gateway.bills.delete('2026-11-25');
  built.clock.advance(60_000);
  await built.app.wx.jobs.runAll();
  assert.equal(billCalls(built.gateway).length, 2);
  assert.equal((await built.app.wx.adminStore?.getReconciliation('2026-11-25'))?.status, 'matched');
});

test('N instances: the one that finds the date done does not download the bill again', async (t) => {
  const built = await build(t);
  const b = otherInstance(built);
  await built.app.wx.jobs.runAll();
  await b.reconciler.runDaily();
  assert.deepEqual(billCalls(built.gateway), ['2026-11-25']);
  assert.deepEqual(billCalls(b.gateway), []);
});

test('N instances: while one holds the lease the others skip (and reconcile nothing)', async (t) => {
  const built = await build(t);
  const store = built.app.wx.store;
  assert.ok(store instanceof KyselyStore);
  await new SqlJobLeases(store.database).acquire('job:bill-reconcile', 'instance-b', built.clock.now(), 10 * 60_000);
  await built.app.wx.jobs.runAll();
  assert.deepEqual(billCalls(built.gateway), []);
  assert.equal(await built.app.wx.adminStore?.getReconciliation('2026-11-25'), undefined);
  // The lease of an instance that died runs out; then the date is taken over.
  built.clock.advance(10 * 60_000);
  await built.app.wx.jobs.runAll();
  assert.deepEqual(billCalls(built.gateway), ['2026-11-25']);
});
