/**
 * ShippingService on a real store (SQLite in memory) with a scripted ShippingGateway: what is uploaded when, what is
 * retried, what is refused and flagged, and the daily comparison with get_order_list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Shipment } from '../../src/domain/fulfilment.js';
import { RetryLater, ShippingService, UPLOAD_TOPIC } from '../../src/domain/shipping-service.js';
import { ShippingCheck } from '../../src/jobs/shipping-check.js';
import { cryptoIds } from '../../src/ids.js';
import type { ShippingCallFailure, ShippingGateway, UploadShipmentInput, WechatTradeOrder } from '../../src/ports/shipping-gateway.js';
import type { OutboxEvent, Store } from '../../src/ports/store.js';
import { KyselyShippingStore } from '../../src/store/shipping-store.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { openStore } from '../../src/store/open.js';
import { NOW, attempt, order } from '../store/sample-rows.js';

type Answer = { ok: true } | ShippingCallFailure;
const fail = (code: string, retry: boolean): ShippingCallFailure => ({ ok: false, retry, code, message: `errcode ${code}` });

class ScriptedGateway implements ShippingGateway {
  uploads: UploadShipmentInput[] = [];
  answers: Answer[] = [];
  states = new Map<string, number>();
  async upload(input: UploadShipmentInput): Promise<Answer> {
    this.uploads.push(input);
    return this.answers.shift() ?? { ok: true };
  }
  async getOrder(payment: { outTradeNo: string }) {
    return { ok: true as const, order: { outTradeNo: payment.outTradeNo, transactionId: 't', orderState: this.states.get(payment.outTradeNo) ?? 1 } };
  }
  async *listOrders(): AsyncIterable<WechatTradeOrder> {
    for (const [outTradeNo, orderState] of this.states) yield { outTradeNo, transactionId: 't', orderState };
  }
}

const EXPRESS: Shipment = { logisticsType: 'express', packages: [{ expressCompany: 'YTO', trackingNo: 'YT1' }], allDelivered: true };
const SECOND: Shipment = { logisticsType: 'express', packages: [{ expressCompany: 'ZTO', trackingNo: 'ZT2' }], allDelivered: true };

async function setup(t: TestContext) {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  t.after(() => store.close());
  assert.ok(store instanceof KyselyStore);
  const clock = { ms: NOW, now() { return this.ms; } };
  const warnings: Record<string, unknown>[] = [];
  const logger = { info: () => {}, warn: (obj: Record<string, unknown>) => warnings.push(obj), error: () => {} };
  const gateway = new ScriptedGateway();
  const shippingStore = new KyselyShippingStore(store.database);
  const service = new ShippingService({ store, shipping: shippingStore, gateway, clock, ids: cryptoIds, logger, mchid: '1900000001' });
  return { store, clock, gateway, service, shippingStore, warnings };
}

async function paid(store: Store, id: string, paidAt = NOW): Promise<void> {
  await store.insertOrder(order(id, { status: 'PAID', paidAt, paidAttemptId: `a${id}`, description: '乌龙茶 x1' }));
  await store.insertAttempt(attempt(`a${id}`, id, { status: 'PAID', transactionId: `tx${id}` }));
}

/** The upload events of an order, as the outbox would hand them over (attempts counted). */
async function uploadEvents(store: Store, orderId: string, attempts = 1): Promise<OutboxEvent[]> {
  return (await store.listEvents(orderId)).filter((e) => e.topic.startsWith(UPLOAD_TOPIC)).map((e) => ({ ...e, attempts }));
}

test('ship: refused unless PAID; the same shipment twice is one event; one re-shipment, then refused', async (t) => {
  const { store, service } = await setup(t);
  await store.insertOrder(order('unpaid'));
  assert.deepEqual(await service.ship('unpaid', EXPRESS).then((r) => !r.ok && r.reason), 'not_paid');
  assert.deepEqual(await service.ship('nope', EXPRESS).then((r) => !r.ok && r.reason), 'not_found');
  await paid(store, 'o1');
  assert.deepEqual(await service.ship('o1', { ...EXPRESS, packages: [] }).then((r) => !r.ok && r.reason), 'bad_shipment');
  const first = await service.ship('o1', EXPRESS);
  assert.ok(first.ok && !first.duplicate);
  const again = await service.ship('o1', EXPRESS);
  assert.ok(again.ok && again.duplicate);
  assert.equal((await uploadEvents(store, 'o1')).length, 1);
  const reship = await service.ship('o1', SECOND);
  assert.ok(reship.ok && reship.fulfilment.revision === 2);
  assert.equal((await uploadEvents(store, 'o1')).length, 2);
  assert.deepEqual(await service.ship('o1', EXPRESS).then((r) => !r.ok && r.reason), 'reship_used');
});

test('upload: 10060001 soon after payment is RetryLater; later it is a refusal, flagged; a stale revision is skipped', async (t) => {
  const { store, service, gateway, clock, shippingStore, warnings } = await setup(t);
  await paid(store, 'o1');
  await service.ship('o1', EXPRESS);
  const [event] = await uploadEvents(store, 'o1');
  assert.ok(event !== undefined);
  gateway.answers.push(fail('10060001', true));
  await assert.rejects(service.deliverUpload(event), RetryLater);
  assert.equal((await shippingStore.getFulfilment('o1', NOW)).uploadStatus, 'PENDING');
  assert.equal(warnings.length, 0, 'not a failure');
  clock.ms = NOW + 2 * 3600_000;
  gateway.answers.push(fail('10060001', true));
  await service.deliverUpload({ ...event, attempts: 2 });
  const f = await shippingStore.getFulfilment('o1', NOW);
  assert.deepEqual([f.uploadStatus, f.uploadError], ['FAILED', '10060001']);
  assert.match((await store.getOrder('o1'))?.reviewReason ?? '', /shipping upload refused by WeChat \(10060001\)/);
  const uploads = gateway.uploads.length;
  await service.deliverUpload(event);
  assert.equal(gateway.uploads.length, uploads, 'a FAILED upload is not sent again by the same event');
});

test('upload: the payer openid, transaction id and the order description as item_desc; a retry first asks get_order', async (t) => {
  const { store, service, gateway, shippingStore } = await setup(t);
  await paid(store, 'o1');
  await service.ship('o1', { logisticsType: 'same_city', packages: [], allDelivered: true });
  const [event] = await uploadEvents(store, 'o1');
  assert.ok(event !== undefined);
  gateway.answers.push(fail('NETWORK_ERROR', true));
  await assert.rejects(service.deliverUpload(event), RetryLater);
  assert.deepEqual(gateway.uploads[0]?.payment, { transactionId: 'txo1', mchid: '1900000001', outTradeNo: 'OTNao1' });
  assert.equal(gateway.uploads[0]?.payerOpenid, 'u1');
  assert.equal(gateway.uploads[0]?.itemDesc, '乌龙茶 x1');
  // The lost answer was a landed upload: WeChat shows it shipped, so it is not uploaded (a re-shipment) again.
  gateway.states.set('OTNao1', 2);
  await service.deliverUpload({ ...event, attempts: 2 });
  assert.equal(gateway.uploads.length, 1);
  assert.equal((await shippingStore.getFulfilment('o1', NOW)).uploadStatus, 'UPLOADED');
});

test('a permanent refusal (10060031 not the payer) is FAILED and flagged at once', async (t) => {
  const { store, service, gateway, shippingStore, warnings } = await setup(t);
  await paid(store, 'o1');
  await service.ship('o1', EXPRESS);
  const [event] = await uploadEvents(store, 'o1');
  assert.ok(event !== undefined);
  gateway.answers.push(fail('10060031', false));
  await service.deliverUpload(event);
  assert.equal((await shippingStore.getFulfilment('o1', NOW)).uploadStatus, 'FAILED');
  assert.equal(warnings.length, 1);
});

test('confirmReceipt: only when get_order says 3 or 4; settlement push: applied once, flagged when never shipped here', async (t) => {
  const { store, service, gateway } = await setup(t);
  await paid(store, 'o1');
  await paid(store, 'o2');
  const o1 = await store.getOrder('o1');
  assert.ok(o1 !== undefined);
  assert.deepEqual(await service.confirmReceipt(o1).then((r) => !r.ok && r.reason), 'not_shipped');
  await service.ship('o1', EXPRESS);
  gateway.states.set('OTNao1', 2);
  assert.deepEqual(await service.confirmReceipt(o1).then((r) => !r.ok && r.reason), 'not_confirmed');
  gateway.states.set('OTNao1', 3);
  assert.equal(await service.confirmReceipt(o1).then((r) => r.ok && r.fulfilment.status), 'CONFIRMED');

  const push = { merchantId: '1900000001', outTradeNo: 'OTNao1', transactionId: 'txo1', confirmReceiveTime: NOW + 1000, settlementTime: NOW + 2000 };
  assert.equal(await service.applySettlement({ ...push, settlementTime: undefined }), 'not_settled_yet');
  assert.equal(await service.applySettlement(push), 'settled');
  assert.equal(await service.applySettlement(push), 'duplicate');
  assert.equal(await service.applySettlement({ ...push, outTradeNo: 'unknown' }), 'unknown_order');
  assert.equal(await service.applySettlement({ ...push, outTradeNo: 'OTNao2', merchantId: '1900000999' }), 'unknown_order', 'another merchant number’s order');
  assert.equal(await service.applySettlement({ ...push, outTradeNo: 'OTNao2' }), 'settled');
  assert.match((await store.getOrder('o2'))?.reviewReason ?? '', /without a shipment/);
  assert.equal((await store.getOrder('o1'))?.reviewReason, undefined);
});

test('the daily check flags orders whose WeChat order_state differs, once per China day', async (t) => {
  const { store, service, gateway, clock, shippingStore } = await setup(t);
  await paid(store, 'same');
  await paid(store, 'differs');
  await paid(store, 'queued');
  await service.ship('queued', EXPRESS);
  gateway.states.set('OTNasame', 1);
  gateway.states.set('OTNadiffers', 2); // shipped by hand in WeChat's console, unknown here
  gateway.states.set('OTNaqueued', 1); // our upload still waits in the outbox: not a difference
  const check = new ShippingCheck({ service, store: shippingStore, clock, logger: { info() {}, warn() {}, error() {} } });
  const report = await check.runDaily();
  assert.deepEqual([report.examined, report.changed], [3, 1]);
  assert.match((await store.getOrder('differs'))?.reviewReason ?? '', /ours NOT_SHIPPED, WeChat order_state 2/);
  assert.equal((await store.getOrder('same'))?.reviewReason, undefined);
  assert.equal((await store.getOrder('queued'))?.reviewReason, undefined);
  assert.deepEqual(await check.runDaily(), { examined: 0, changed: 0, failed: 0 }, 'done for today');
  clock.ms += 86_400_000;
  assert.equal((await check.runDaily()).examined, 3, 'the next day runs again');
});

test('a shipment recorded without its outbox event (a crash between the writes) is re-queued by the jobs, once', async (t) => {
  const { store, service, shippingStore, clock } = await setup(t);
  await paid(store, 'o1');
  // As if the process stopped right after recording: the row, but no event.
  assert.ok(await shippingStore.recordShipment('o1', 'shipped', EXPRESS, 0, NOW));
  assert.equal((await uploadEvents(store, 'o1')).length, 0);
  assert.equal(await service.requeueStalled(), 0, 'not before it is a minute old');
  clock.ms = NOW + 120_000;
  assert.equal(await service.requeueStalled(), 1);
  await service.requeueStalled();
  assert.equal((await uploadEvents(store, 'o1')).length, 1, 'one event, however often the sweep runs');
});

test('an order of another merchant is not shipped under the first merchant’s account', async (t) => {
  const { store, service } = await setup(t);
  await store.insertOrder(order('m2', { status: 'PAID', paidAt: NOW, paidAttemptId: 'am2', merchantId: 'shop-two' }));
  assert.deepEqual(await service.ship('m2', EXPRESS).then((r) => !r.ok && r.reason), 'merchant_not_supported');
  assert.equal((await uploadEvents(store, 'm2')).length, 0);
});
