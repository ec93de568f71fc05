/**
 * PostgreSQL transactions sent as one round trip (store/pipelined-postgres.ts): atomic when a statement fails (nothing
 * kept, the connection handed back clean), results in order, a killed connection replaced; and the two order writes
 * built on it.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { pipelinedTransaction } from '../../src/store/pipelined-postgres.js';
import { postgresTestStore, postgresUrl } from '../helpers/postgres.js';
import { NOW, attempt, order } from './sample-rows.js';

async function open(t: TestContext): Promise<KyselyStore | undefined> {
  // One connection: whatever a failed transaction left on it, the next statement would meet.
  return postgresTestStore(t, 'pipe', 1);
}

/** PostgreSQL's one-round-trip writes (present on that store only). */
function writes(store: KyselyStore) {
  const { insertOrderWithAttempt: insert, recordPrepay: prepay } = store;
  assert.ok(insert !== undefined && prepay !== undefined, 'the PostgreSQL store sends its order writes at once');
  return { insert, prepay };
}

test('a failing statement undoes the whole pipelined transaction and leaves the connection clean', async (t) => {
  const store = await open(t);
  if (store === undefined) return;
  const { insert } = writes(store);
  const db = store.database;
  await insert(order('o1'), attempt('a1', 'o1'));
  // o2 would be new, but its attempt reuses a1's out_trade_no (unique): all of it must go.
  await assert.rejects(insert(order('o2'), attempt('a2', 'o2', { outTradeNo: 'OTNa1' })), /unique|duplicate/i);
  assert.equal(await store.getOrder('o2'), undefined, 'the order written before the failure was rolled back');
  // now() is the transaction's start: two statements in one open transaction would see the same one.
  const first = await sql<{ at: string }>`select clock_timestamp()::text as at, now()::text as started`.execute(db);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = await sql<{ at: string; started: string }>`select now()::text as started`.execute(db);
  assert.notEqual((second.rows[0] as { started: string } | undefined)?.started, (first.rows[0] as { started?: string } | undefined)?.started, 'no transaction left open on the connection');
  await insert(order('o3'), attempt('a3', 'o3'));
  assert.equal((await store.getOrder('o3'))?.status, 'CREATED');
  assert.equal((await store.latestAttempt('o3'))?.id, 'a3');
});

test('results come back in order; recordPrepay moves the order once, by the state machine', async (t) => {
  const store = await open(t);
  if (store === undefined) return;
  const { insert, prepay } = writes(store);
  const db = store.database;
  const results = await pipelinedTransaction(db, [
    db.insertInto('notification_events').values({ event_key: 'k1', kind: 'payment', out_trade_no: 'OTN1', outcome: 'paid', created_at: NOW }),
    db.updateTable('notification_events').set({ outcome: 'x' }).where('event_key', '=', 'nope'),
    db.updateTable('notification_events').set({ outcome: 'duplicate' }).where('event_key', '=', 'k1'),
  ]);
  assert.deepEqual(results.map((r) => Number(r.numAffectedRows ?? -1n)), [1, 0, 1]);

  await insert(order('o1'), attempt('a1', 'o1'));
  assert.equal(await prepay('a1', 'wx_prepay_1', 'MD5', NOW + 10, 'o1'), true);
  const o = await store.getOrder('o1');
  assert.equal(o?.status, 'PAYING');
  assert.equal(o?.updatedAt, NOW + 10);
  const a = await store.getAttempt('a1');
  assert.deepEqual([a?.prepayId, a?.signType, a?.prepayAt], ['wx_prepay_1', 'MD5', NOW + 10]);
  // PAYING is not a source of prepayIssued: the prepay is kept, the order does not move again.
  assert.equal(await prepay('a1', 'wx_prepay_2', 'MD5', NOW + 20, 'o1'), false);
  assert.equal((await store.getOrder('o1'))?.updatedAt, NOW + 10);
});

test('a connection killed under a pipelined transaction fails that transaction only; the next one gets a new connection', async (t) => {
  const store = await open(t);
  if (store === undefined) return;
  const { insert } = writes(store);
  const db = store.database;
  await insert(order('o1'), attempt('a1', 'o1'));
  const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid;
  assert.ok(pid !== undefined);
  // PostgreSQL restarted, or an operator killed the session: from another connection, as an operator would.
  const admin = new pg.Client({ connectionString: await postgresUrl() });
  await admin.connect();
  try {
    await admin.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const attempts: string[] = [];
  for (let i = 2; i <= 4; i++) {
    try {
      await insert(order(`o${i}`), attempt(`a${i}`, `o${i}`));
      attempts.push('ok');
    } catch {
      attempts.push('failed');
    }
  }
  // At most the first use of the dead connection fails; after it, the pool's new connection serves.
  assert.equal(attempts.at(-1), 'ok', attempts.join(','));
  assert.equal(attempts.filter((a) => a === 'failed').length <= 1, true, attempts.join(','));
  for (const [i, outcome] of attempts.entries()) assert.equal((await store.getOrder(`o${i + 2}`))?.status, outcome === 'ok' ? 'CREATED' : undefined);
});
