/**
 * Store.recordFirstPayment on PostgreSQL (store/first-payment-postgres.ts): one statement that writes exactly the rows
 * the general path (applyPayment, then the event and the log entry, in a transaction) writes for a first delivery,
 * writes nothing when its conditions do not hold, and pays an order once when deliveries race.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { applyPayment, paidEvent } from '../../src/domain/apply-payment.js';
import type { ApplyContext } from '../../src/domain/apply-payment.js';
import { cryptoIds } from '../../src/ids.js';
import type { PaymentFacts } from '../../src/ports/gateway.js';
import type { FirstPayment, NotificationLogEntry, Store } from '../../src/ports/store.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { postgresTestStore } from '../helpers/postgres.js';
import { NOW, attempt as sampleAttempt, order as sampleOrder } from './sample-rows.js';

async function open(t: TestContext): Promise<KyselyStore | undefined> {
  return postgresTestStore(t, 'first', 4);
}

const ctx: ApplyContext = { appid: 'wxapp', mchid: '1900000001', paidAfterClose: 'refund', ids: cryptoIds, now: NOW + 5_000 };

async function placed(store: Store, n: string, over: { status?: 'CREATED' | 'PAYING' | 'CLOSED'; transactionId?: string } = {}) {
  const order = sampleOrder(`ord_${n}`, { status: over.status ?? 'PAYING' });
  const attempt = sampleAttempt(`att_${n}`, order.id, { transactionId: over.transactionId, status: over.transactionId === undefined ? 'OPEN' : 'PAID' });
  await store.transaction(async (tx) => {
    await tx.insertOrder(order);
    await tx.insertAttempt(attempt);
  });
  const facts: PaymentFacts = { appid: ctx.appid, mchid: ctx.mchid, outTradeNo: attempt.outTradeNo, transactionId: `4200${n}`, amountFen: attempt.amountFen, paidAt: NOW + 4_000 };
  return { order, attempt, facts, eventKey: `v2:pay:4200${n}` };
}

function logEntry(outTradeNo: string, eventKey: string, outcome: string): NotificationLogEntry {
  return {
    id: cryptoIds.rowId(), kind: 'payment', apiVersion: 'v2', receivedAt: NOW + 4_500, headers: { 'content-type': 'text/xml' }, rawBody: `<xml>${outTradeNo}</xml>`,
    authentic: true, outcome, eventKey, outTradeNo,
  };
}

function firstPayment(p: Awaited<ReturnType<typeof placed>>): FirstPayment {
  return {
    attemptId: p.attempt.id, orderId: p.order.id, transactionId: p.facts.transactionId, paidAt: p.facts.paidAt, now: ctx.now,
    paid: paidEvent(ctx, p.order.id, p.facts), eventKey: p.eventKey, outTradeNo: p.facts.outTradeNo, log: logEntry(p.facts.outTradeNo, p.eventKey, 'paid'),
  };
}

/** Every row a payment touches, ids and the order's own names replaced by placeholders so two orders compare. */
async function rowsOf(store: KyselyStore, p: Awaited<ReturnType<typeof placed>>): Promise<unknown> {
  const db = store.database;
  const one = async (query: ReturnType<typeof sql<Record<string, unknown>>>) => (await query.execute(db)).rows;
  const rows = {
    attempt: await one(sql`select status, transaction_id from payment_attempts where id = ${p.attempt.id}`),
    order: await one(sql`select status, updated_at, paid_at, paid_attempt_id, review_reason from orders where id = ${p.order.id}`),
    outbox: await one(sql`select topic, order_id, payload_json, created_at, available_at, attempts, lease_until, delivered_at, last_error from outbox where order_id = ${p.order.id}`),
    events: await one(sql`select event_key, kind, out_trade_no, outcome, created_at from notification_events where out_trade_no = ${p.facts.outTradeNo}`),
    log: await one(sql`select kind, api_version, received_at, headers_json, raw_body, authentic, outcome, event_key, out_trade_no from notification_log where out_trade_no = ${p.facts.outTradeNo}`),
  };
  const names: [string, string][] = [[p.attempt.id, '<attempt>'], [p.order.id, '<order>'], [p.facts.outTradeNo, '<otn>'], [p.facts.transactionId, '<txn>']];
  return JSON.parse(names.reduce((text, [name, placeholder]) => text.split(name).join(placeholder), JSON.stringify(rows)));
}

test('one statement writes the rows the general path writes for a first delivery', async (t) => {
  const store = await open(t);
  if (store === undefined) return;
  const general = await placed(store, 'g');
  await store.transaction(async (tx) => {
    const outcome = await applyPayment(tx, ctx, general.facts, general.attempt);
    assert.equal(outcome, 'paid');
    assert.equal(await tx.recordEvent(general.eventKey, 'payment', general.facts.outTradeNo, outcome, ctx.now), true);
    await tx.logNotification(logEntry(general.facts.outTradeNo, general.eventKey, outcome));
  });
  const fast = await placed(store, 'f');
  assert.equal(await store.recordFirstPayment?.(firstPayment(fast)), true);
  const expected = await rowsOf(store, general);
  assert.deepEqual(await rowsOf(store, fast), expected);
  // And what they are: PAID from PAYING, one outbox event, one event, one log row.
  assert.deepEqual((expected as { order: unknown[] }).order, [{ status: 'PAID', updated_at: ctx.now, paid_at: NOW + 4_000, paid_attempt_id: '<attempt>', review_reason: null }]);
  assert.equal((expected as { outbox: unknown[] }).outbox.length, 1);
});

test('it writes nothing when its conditions do not hold: a transaction already recorded, an order not unpaid, a known event', async (t) => {
  const store = await open(t);
  if (store === undefined) return;
  const recorded = await placed(store, 'r', { transactionId: '4200other' });
  const closed = await placed(store, 'c', { status: 'CLOSED' });
  const known = await placed(store, 'k');
  await store.recordEvent(known.eventKey, 'payment', known.facts.outTradeNo, 'amount_mismatch', NOW);
  for (const p of [recorded, closed, known]) {
    const before = await rowsOf(store, p);
    assert.equal(await store.recordFirstPayment?.(firstPayment(p)), false, p.order.id);
    assert.deepEqual(await rowsOf(store, p), before, `${p.order.id}: nothing written`);
  }
});

test('deliveries racing for one order pay it once, whichever path each takes', async (t) => {
  const store = await open(t);
  if (store === undefined) return;
  for (const round of ['a', 'b', 'c']) {
    const p = await placed(store, `race${round}`);
    // Two first deliveries of one payment (the same transaction, two event keys: a v2 pay-fail key then a pay key can
    // both exist), and the general path (an orderquery) at the same moment.
    const other = { ...firstPayment(p), eventKey: `${p.eventKey}:2`, paid: paidEvent(ctx, p.order.id, p.facts), log: logEntry(p.facts.outTradeNo, `${p.eventKey}:2`, 'paid') };
    const results: unknown[] = await Promise.all([
      store.recordFirstPayment?.(firstPayment(p)),
      store.recordFirstPayment?.(other),
      store.transaction((tx) => applyPayment(tx, ctx, p.facts)),
    ]);
    const fastPaid = results.slice(0, 2).filter((r: unknown) => r === true).length;
    const generalPaid = results[2] === 'paid' ? 1 : 0;
    assert.equal(fastPaid + generalPaid, 1, `round ${round}: paid once (${JSON.stringify(results)})`);
    const rows = (await rowsOf(store, p)) as { order: { status: string }[]; outbox: unknown[]; attempt: { transaction_id: string }[] };
    assert.equal(rows.order[0]?.status, 'PAID');
    assert.equal(rows.outbox.length, 1);
    assert.equal(rows.attempt[0]?.transaction_id, '<txn>');
  }
});
