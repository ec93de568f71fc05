/**
 * Two stores on ONE database — two server instances — racing each other, on every dialect: SQLite (one file, two
 * connections) and PostgreSQL (one schema, two pools). What the many-instance design rests on: outbox claims never
 * overlap, conditional transitions apply once, a payment applied concurrently from both sides is paid once with one
 * outbox event, job leases have one holder, and N instances starting at once migrate once.
 */
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { DatabaseConfig } from '../../src/config.js';
import { applyPayment } from '../../src/domain/apply-payment.js';
import type { Order, PaymentAttempt } from '../../src/domain/order.js';
import { cryptoIds } from '../../src/ids.js';
import { SqlJobLeases } from '../../src/store/job-leases.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrations } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open.js';
import { requirePostgres, testSchema } from '../helpers/postgres.js';
import { NOW, attempt as sampleAttempt, order as sampleOrder } from './sample-rows.js';


/**
 * `parallel`: two connections may each hold a transaction open at once. Not so for SQLite in ONE process: better-sqlite3
 * waits for a lock synchronously (busy_timeout), which blocks the very event loop the other transaction needs to
 * finish. SQLite mode is one instance; its rows here open stores one after another and run transactions through one
 * store (Kysely serialises them), which still checks the outcomes.
 */
type Shared = { config: DatabaseConfig; parallel: boolean; open(): Promise<KyselyStore> };

const DIALECTS: { name: string; shared(t: TestContext): Promise<Shared | undefined> }[] = [
  {
    name: 'sqlite',
    async shared(t) {
      const dir = mkdtempSync(join(tmpdir(), 'wxpay-conc-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const config: DatabaseConfig = { kind: 'sqlite', path: join(dir, 'shared.db') };
      return { config, parallel: false, open: () => opened(t, config) };
    },
  },
  {
    name: 'postgres',
    async shared(t) {
      const url = await requirePostgres(t);
      if (url === undefined) return undefined;
      const config: DatabaseConfig = { kind: 'postgres', url, schema: await testSchema(t, url, 'conc'), poolMax: 6 };
      return { config, parallel: true, open: () => opened(t, config) };
    },
  },
];

async function opened(t: TestContext, config: DatabaseConfig): Promise<KyselyStore> {
  const store = await openStore(config);
  t.after(() => store.close());
  assert.ok(store instanceof KyselyStore);
  return store;
}

function order(id: string): Order {
  return sampleOrder(id, { status: 'PAYING', amountFen: 4800, items: [{ sku: 'a', name: 'A', unitPriceFen: 4800, quantity: 1 }] });
}

function attempt(id: string, orderId: string): PaymentAttempt {
  return sampleAttempt(id, orderId, { amountFen: 4800, signType: 'MD5', prepayId: 'p', prepayAt: NOW });
}

for (const dialect of DIALECTS) {
  describe(`two instances on one database (${dialect.name})`, () => {
    test('N instances starting (at once, where the dialect allows) migrate once and all work', async (t) => {
      const shared = await dialect.shared(t);
      if (shared === undefined) return;
      const stores: KyselyStore[] = [];
      if (shared.parallel) stores.push(...(await Promise.all(Array.from({ length: 4 }, () => shared.open()))));
      else for (let i = 0; i < 4; i++) stores.push(await shared.open());
      await stores[0]?.insertOrder(order('o1'));
      for (const store of stores) assert.equal((await store.getOrder('o1'))?.id, 'o1');
      const rows = await sql<{ n: number | string }>`select count(*) as n from kysely_migration`.execute(stores[0]?.database as KyselyStore['database']);
      assert.equal(Number(rows.rows[0]?.n), Object.keys(migrations).length, 'each migration recorded once');
    });

    test('outbox: racing claims from two instances never hand one event to both', async (t) => {
      const shared = await dialect.shared(t);
      if (shared === undefined) return;
      const [a, b] = [await shared.open(), await shared.open()];
      for (let i = 0; i < 40; i++) await a.addEvent({ id: `e${i}`, topic: 'order.paid', orderId: `o${i}`, payload: { i }, now: NOW });
      const claimed: string[] = [];
      for (let round = 0; round < 20; round++) {
        const batches = await Promise.all([a.claimDue(NOW, 60_000, 3), b.claimDue(NOW, 60_000, 3), a.claimDue(NOW, 60_000, 3), b.claimDue(NOW, 60_000, 3)]);
        for (const batch of batches) claimed.push(...batch.map((e) => e.id));
      }
      assert.equal(claimed.length, 40, 'every event claimed');
      assert.equal(new Set(claimed).size, 40, 'none twice');
      assert.deepEqual(await a.claimDue(NOW + 59_999, 60_000, 100), [], 'all leased');
      // The instance holding them dies: after the lease the other one gets every event again (at least once).
      assert.equal((await b.claimDue(NOW + 60_000, 60_000, 100)).length, 40);
    });

    test('a conditional transition raced from two instances applies exactly once', async (t) => {
      const shared = await dialect.shared(t);
      if (shared === undefined) return;
      const [a, b] = [await shared.open(), await shared.open()];
      await a.insertOrder(order('o1'));
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).transition('o1', 'paid', NOW + i)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('one payment applied concurrently by both instances: paid once, one outbox event, the rest duplicates', async (t) => {
      const shared = await dialect.shared(t);
      if (shared === undefined) return;
      const a = await shared.open();
      const b = shared.parallel ? await shared.open() : a;
      await a.insertOrder(order('o1'));
      await a.insertAttempt(attempt('a1', 'o1'));
      const facts = { appid: 'wx1', mchid: 'm1', outTradeNo: 'OTNa1', transactionId: '4200000000000000000000000001', amountFen: 4800, paidAt: NOW };
      const ctx = { appid: 'wx1', mchid: 'm1', paidAfterClose: 'refund' as const, ids: cryptoIds, now: NOW };
      // SQLite serialises writers (busy timeout); PostgreSQL runs them at once under READ COMMITTED row locks.
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).transaction((tx) => applyPayment(tx, ctx, facts))));
      assert.deepEqual(outcomes.filter((o) => o === 'paid'), ['paid']);
      assert.ok(outcomes.every((o) => o === 'paid' || o === 'duplicate'), outcomes.join());
      assert.equal((await b.listEvents('o1')).length, 1);
      const stored = await b.getOrder('o1');
      assert.equal(stored?.status, 'PAID');
      assert.equal(stored?.paidAttemptId, 'a1');
      assert.equal(stored?.reviewReason, undefined);
    });

    test('job leases: one holder at a time; a dead holder is taken over after the lease; only the holder releases', async (t) => {
      const shared = await dialect.shared(t);
      if (shared === undefined) return;
      const [a, b] = [new SqlJobLeases((await shared.open()).database), new SqlJobLeases((await shared.open()).database)];
      const wins = await Promise.all([a.acquire('job:expire', 'A', NOW, 1000), b.acquire('job:expire', 'B', NOW, 1000), a.acquire('job:expire', 'A2', NOW, 1000)]);
      assert.equal(wins.filter(Boolean).length, 1, 'one holder');
      const holder = wins[0] ? 'A' : wins[1] ? 'B' : 'A2';
      const other = holder === 'B' ? 'A' : 'B';
      assert.equal(await b.acquire('job:expire', other, NOW + 999, 1000), false);
      assert.equal(await a.acquire('job:expire', holder, NOW + 500, 1000), true, 'the holder renews');
      await b.release('job:expire', other);
      assert.equal(await b.acquire('job:expire', other, NOW + 1499, 1000), false, "a stranger's release freed nothing");
      assert.equal(await b.acquire('job:expire', other, NOW + 1500, 1000), true, 'expired: taken over');
      await a.release('job:expire', other);
      assert.equal(await a.acquire('job:expire', 'C', NOW + 1501, 1000), true, 'released by its holder');
      assert.equal(await a.acquire('job:reconcile', 'D', NOW + 1501, 1000), true, 'leases are per job');
    });
  });
}

test('postgres: int8 comes back as a number, and a value past 2^53 is refused, never rounded', async (t) => {
  const url = await requirePostgres(t);
  if (url === undefined) return;
  const store = await opened(t, { kind: 'postgres', url, schema: await testSchema(t, url, 'int8'), poolMax: 2 });
  await store.seedProductsIfEmpty([{ sku: 'big', name: 'Big', priceFen: Number.MAX_SAFE_INTEGER, active: true }], NOW);
  const [big] = await store.listProducts();
  assert.equal(big?.priceFen, Number.MAX_SAFE_INTEGER);
  assert.equal(typeof big?.priceFen, 'number');
  await sql`update products set price_fen = 9007199254740993`.execute(store.database);
  await assert.rejects(store.listProducts(), RangeError);
});
