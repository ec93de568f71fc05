/**
 * The notification endpoints under a flood of forged deliveries: refusals are counted and sampled (never one row
 * each: one counter row per source, reason and minute, which holds the samples), authentic notifications keep
 * flowing (no throttle of any kind before verification), and the retention job prunes the log by class and age.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, loginAs } from '../helpers/build.js';
import type { Built } from '../helpers/build.js';
import { fakeNotification } from '../helpers/fake-gateway.js';
import { DEFAULT_REFUSAL_SAMPLING, SAMPLE_BODY_MAX } from '../../src/domain/notification-intake.js';
import type { NotificationLogEntry, RefusalSample } from '../../src/ports/store.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { cryptoIdsFor } from '../../src/ids.js';
import type { IdSource } from '../../src/ports/clock.js';

const DAY = 86_400_000;

async function placeOrders(built: Built, count: number) {
  const token = await loginAs(built.app);
  const orders: { orderId: string; outTradeNo: string }[] = [];
  for (let i = 0; i < count; i++) {
    const res = await built.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: i + 1 }] } });
    orders.push(res.json() as { orderId: string; outTradeNo: string });
  }
  return orders;
}

test('a flood of forged notifications adds only the sampled rows, while genuine ones still pay', async (t) => {
  const built = await build(t);
  const { app, gateway } = built;
  const orders = await placeOrders(built, 6);
  const sources = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '198.51.100.7'];
  const forged = Array.from({ length: 400 }, (_, i) => {
    const facts = gateway.pay(orders[i % orders.length]?.outTradeNo ?? '');
    return { body: fakeNotification(facts, { secret: `guess-${i}` }), source: sources[i % sources.length] ?? '' };
  });
  const wrongType = Array.from({ length: 60 }, () => ({ body: 'a=1', source: '203.0.113.9' }));
  // WeChat's genuine deliveries come from the same kind of address as the attackers': nothing may throttle them.
  const genuine = orders.map((o) => ({ body: fakeNotification(gateway.pay(o.outTradeNo)), source: sources[0] ?? '' }));

  const send = (n: { body: string; source: string }, type = 'text/xml') =>
    app.inject({ method: 'POST', url: '/wxpay/notify/payment', remoteAddress: n.source, headers: { 'content-type': type }, payload: n.body });
  const floods = [...forged.map((n) => send(n)), ...wrongType.map((n) => send(n, 'application/x-www-form-urlencoded'))];
  const genuineAnswers = await Promise.all(genuine.map((n, i) => new Promise((r) => setImmediate(r, i)).then(() => send(n))));
  const floodAnswers = await Promise.all(floods);

  assert.deepEqual(genuineAnswers.map((r) => r.statusCode), genuine.map(() => 200), 'every genuine notification accepted');
  for (const o of orders) assert.equal((await app.wx.store.getOrder(o.orderId))?.status, 'PAID');
  assert.ok(floodAnswers.every((r) => r.statusCode === 500), 'every forged one refused');

  const log: NotificationLogEntry[] = await app.wx.store.listNotifications(10_000);
  const refusedRows = log.filter((e) => !e.authentic);
  const keys = sources.length + 1; // four sources with bad_signature, one with the wrong content type
  assert.ok(refusedRows.length <= Math.min(keys * DEFAULT_REFUSAL_SAMPLING.perKey, DEFAULT_REFUSAL_SAMPLING.perMinute), `${refusedRows.length} refused rows`);
  assert.ok(refusedRows.length > 0, 'a sample is kept for the audit trail');
  assert.equal(log.filter((e) => e.authentic).length, genuine.length);

  await app.wx.notifications.flushRefusals();
  const counts = await app.wx.store.listRefusalCounts(0, 1000);
  assert.equal(counts.length, keys, 'one counter row per (minute, source, reason)');
  assert.equal(counts.reduce((sum, c) => sum + c.count, 0), forged.length + wrongType.length, 'every refusal counted');
  assert.deepEqual(counts.find((c) => c.source === '203.0.113.9'), { minute: counts[0]?.minute, kind: 'payment', source: '203.0.113.9', reason: 'unsupported_content_type', count: 60 });
});

test('a refusal costs no row id and no copy of the body: only the kept samples are built', async (t) => {
  const real = cryptoIdsFor({ now: () => Date.UTC(2026, 10, 27) });
  let rowIds = 0;
  const ids: IdSource = { ...real, rowId: () => { rowIds++; return real.rowId(); } };
  const built = await build(t, { deps: { ids } });
  const [order] = await placeOrders(built, 1);
  const facts = built.gateway.pay(order?.outTradeNo ?? '');
  const before = rowIds;
  const sent: string[] = [];
  for (let i = 0; i < 40; i++) {
    sent.push(fakeNotification(facts, { secret: `guess-${i}` }));
    const res = await built.app.inject({ method: 'POST', url: '/wxpay/notify/payment', remoteAddress: '203.0.113.4', headers: { 'content-type': 'text/xml' }, payload: sent[i] });
    assert.equal(res.statusCode, 500);
  }
  assert.equal(rowIds, before, 'forty refusals, no row id made');
  const kept = (await built.app.wx.store.listNotifications(100)).filter((e) => !e.authentic);
  assert.equal(kept.length, DEFAULT_REFUSAL_SAMPLING.perKey, 'the first few are still kept whole');
  assert.deepEqual(kept.map((e) => e.rawBody).sort(), sent.slice(0, kept.length).sort());
  assert.ok(kept.every((e) => e.headers['content-type'] === 'text/xml'));
  // The genuine one is logged with an id of its own.
  const genuine = await built.app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(facts) });
  assert.equal(genuine.statusCode, 200);
  assert.ok(rowIds > before);
});

test('refusal counters add up across flushes and minutes; an oversized body is counted, never stored', async (t) => {
  const { app, clock } = await build(t);
  const forge = () => app.inject({ method: 'POST', url: '/wxpay/notify/payment', remoteAddress: '203.0.113.5', headers: { 'content-type': 'text/xml' }, payload: '{"secret":"no"}' });
  for (let i = 0; i < 7; i++) await forge();
  await app.wx.notifications.flushRefusals();
  for (let i = 0; i < 3; i++) await forge();
  await app.wx.notifications.flushRefusals();
  clock.advance(60_000);
  await forge();
  const big = await app.inject({ method: 'POST', url: '/wxpay/notify/refund', remoteAddress: '203.0.113.5', headers: { 'content-type': 'text/xml' }, payload: `<xml>${'a'.repeat(70 * 1024)}</xml>` });
  assert.equal(big.statusCode, 500);
  await app.wx.notifications.flushRefusals();
  const counts = (await app.wx.store.listRefusalCounts(0, 100)).map((c) => [c.kind, c.reason, c.count]);
  assert.deepEqual(counts, [['payment', 'bad_signature', 10], ['payment', 'bad_signature', 1], ['refund', 'too_large', 1]]);
  assert.equal((await app.wx.store.listNotifications(100)).length, DEFAULT_REFUSAL_SAMPLING.perKey + 1, 'five samples in the first minute, one in the next');
});

test('retention prunes the log by class: authentic after 90 days, refused (and their counters) after 7, recent rows kept', async (t) => {
  const { app, clock } = await build(t);
  const { store } = app.wx;
  const now = clock.now();
  const row = (id: string, authentic: boolean, ageMs: number): NotificationLogEntry => ({
    id, kind: 'payment', apiVersion: 'v2', receivedAt: now - ageMs, headers: {}, rawBody: '<xml/>', authentic,
    outcome: authentic ? 'paid' : 'rejected:bad_signature', eventKey: undefined, outTradeNo: undefined,
  });
  await store.logNotification(row('auth-old', true, 91 * DAY));
  await store.logNotification(row('auth-recent', true, 89 * DAY));
  await store.logNotification(row('refused-old', false, 8 * DAY));
  await store.logNotification(row('refused-recent', false, 6 * DAY));
  await store.addRefusalCounts([
    { minute: now - 8 * DAY, kind: 'payment', source: 's', reason: 'bad_signature', count: 9 },
    { minute: now - 6 * DAY, kind: 'payment', source: 's', reason: 'bad_signature', count: 4 },
  ]);
  const report = await app.wx.jobs.pruneNotifications();
  assert.equal(report.changed, 3);
  assert.deepEqual((await store.listNotifications(100)).map((e) => e.id).sort(), ['auth-recent', 'refused-recent']);
  assert.deepEqual((await store.listRefusalCounts(0, 100)).map((c) => c.count), [4]);
  // Time passes: the recent ones age out too, each by its own rule.
  clock.advance(2 * DAY);
  await app.wx.jobs.runAll();
  assert.deepEqual((await store.listNotifications(100)).map((e) => e.id), []);
  assert.deepEqual(await store.listRefusalCounts(0, 100), []);
});

test('retention periods come from the configuration', async (t) => {
  const { app, clock } = await build(t, { env: { NOTIFICATION_LOG_RETENTION_DAYS: '30', NOTIFICATION_REFUSED_RETENTION_DAYS: '1' } });
  const { store } = app.wx;
  const now = clock.now();
  const base = { kind: 'payment' as const, apiVersion: 'v2', headers: {}, rawBody: '', eventKey: undefined, outTradeNo: undefined };
  await store.logNotification({ ...base, id: 'a31', receivedAt: now - 31 * DAY, authentic: true, outcome: 'paid' });
  await store.logNotification({ ...base, id: 'a29', receivedAt: now - 29 * DAY, authentic: true, outcome: 'paid' });
  await store.logNotification({ ...base, id: 'r2', receivedAt: now - 2 * DAY, authentic: false, outcome: 'rejected:x' });
  await app.wx.jobs.pruneNotifications();
  assert.deepEqual((await store.listNotifications(100)).map((e) => e.id), ['a29']);
});

test('a flood from one source in one minute adds one row: the counter, holding a bounded sample of what was refused', async (t) => {
  const { app, clock } = await build(t);
  const db = (app.wx.store as KyselyStore).database;
  const rows = async () => ({
    counters: await db.selectFrom('notification_refusals').selectAll().execute(),
    log: await db.selectFrom('notification_log').select('id').execute(),
  });
  const before = await rows();
  const long = `<xml><sign>x</sign>${'<a>1</a>'.repeat(1_000)}</xml>`;
  const forge = (i: number) => app.inject({
    method: 'POST', url: '/wxpay/notify/payment', remoteAddress: '203.0.113.77', headers: { 'content-type': 'text/xml' },
    payload: i === 0 ? long : `<xml><sign>guess-${i}</sign></xml>`,
  });
  for (let i = 0; i < 40; i++) assert.equal((await forge(i)).statusCode, 500);
  await app.wx.notifications.flushRefusals();
  const after = await rows();
  assert.equal(after.log.length, before.log.length, 'no log row for a refusal');
  assert.equal(after.counters.length, before.counters.length + 1, 'one row for the source in this minute');
  const row = after.counters[after.counters.length - 1];
  assert.equal(Number(row?.count), 40, 'the row counts every refusal');
  const samples = JSON.parse(row?.samples_json ?? '[]') as RefusalSample[];
  assert.equal(samples.length, DEFAULT_REFUSAL_SAMPLING.perKey, 'and keeps the first few as samples');
  assert.equal(Number(row?.samples), samples.length);
  assert.equal(samples[0]?.rawBody.length, SAMPLE_BODY_MAX, 'a sample body is cut to its bound');
  assert.equal(samples[1]?.rawBody, '<xml><sign>guess-1</sign></xml>');
  assert.equal(samples[0]?.headers['content-type'], 'text/xml');
  // The audit view lists the samples as refused deliveries, newest first.
  const listed = (await app.wx.store.listNotifications(100)).filter((e) => !e.authentic);
  assert.deepEqual(listed.map((e) => e.outcome), samples.map(() => 'rejected:bad_signature'));
  assert.equal(listed[0]?.rawBody, '<xml><sign>guess-4</sign></xml>');
  // The next minute is the next row, with a sample of its own.
  clock.advance(60_000);
  await forge(41);
  await app.wx.notifications.flushRefusals();
  assert.equal((await rows()).counters.length, before.counters.length + 2);
});
