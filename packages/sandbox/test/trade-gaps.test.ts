import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHIPPING_ERRCODES, type PaymentShipping } from '@wxpay-kit/wechat/miniprogram';
import { json, login, startMerchant } from './helpers.js';
import { errcodeOf, withMiniProgramClient } from './mini-program-client.js';

/**
 * The shipping APIs the first trade-management round left out (合单 upload, 特殊发货报备, the carrier list) and the
 * rules of the error table not covered by trade.test.ts — each through the SDK's client over real HTTP where the SDK
 * can send the request, raw JSON where its validation (rightly) refuses to.
 */

const parcel = (trackingNo: string): PaymentShipping => ({
  logisticsType: 'express',
  deliveryMode: 'unified',
  packages: [{ trackingNo, expressCompany: 'ZTO', itemDesc: '抱枕*1' }],
});

test('get_delivery_list answers the carriers whose delivery_id upload_shipping_info takes', async (t) => {
  const { client, raw } = await withMiniProgramClient(t);
  const list = await client.shipping.getDeliveryList();
  assert.ok(list.length >= 5);
  assert.deepEqual(list.find((c) => c.deliveryId === 'SF'), { deliveryId: 'SF', deliveryName: '顺丰速运' });
  const answer = await raw('/cgi-bin/express/delivery/open_msg/get_delivery_list', {});
  assert.equal(answer.count, list.length);
  const noToken = await (await fetch(`${(await withMiniProgramClient(t)).sandbox.base}/cgi-bin/express/delivery/open_msg/get_delivery_list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
  assert.equal((noToken as { errcode: number }).errcode, 41001);
});

test('upload_combined_shipping_info ships every sub-order of a 合单 payment, all or none', async (t) => {
  const { sandbox, client, paid, raw, mchid, sandboxOrder } = await withMiniProgramClient(t);
  const [a, b, other] = [await paid(), await paid(), await paid()];
  const declared = await json(sandbox, 'POST', '/sandbox/combinedPayments', { mchid, combineOutTradeNo: 'COMBINE0001', outTradeNos: [a.outTradeNo, b.outTradeNo] });
  assert.equal(declared.status, 201, JSON.stringify(declared.body));
  const combineTransactionId = String(declared.body.combineTransactionId);
  assert.equal((await json(sandbox, 'POST', '/sandbox/combinedPayments', { mchid, combineOutTradeNo: 'COMBINE0002', outTradeNos: [a.outTradeNo, other.outTradeNo] })).status, 409);

  const byKey = { mchid, outTradeNo: 'COMBINE0001' };
  const sub = (o: { outTradeNo: string }, shipping: PaymentShipping) => ({ orderKey: { mchid, outTradeNo: o.outTradeNo }, ...shipping });
  const upload = (subOrders: ReturnType<typeof sub>[], payerOpenid = a.openid, orderKey: { mchid: string; outTradeNo: string } = byKey) =>
    client.shipping.uploadCombinedShippingInfo({ orderKey, subOrders, payerOpenid });

  assert.equal(await errcodeOf(upload([sub(a, parcel('A1'))], a.openid, { mchid, outTradeNo: 'NOSUCHCOMBINE' })), SHIPPING_ERRCODES.PAYMENT_NOT_FOUND);
  const bob = await login(sandbox, 'bob');
  assert.equal(await errcodeOf(upload([sub(a, parcel('A1'))], bob.openid)), SHIPPING_ERRCODES.NOT_THE_PAYER);
  // An order outside this combined payment: 10060001, and nothing of the valid sub-order was applied.
  assert.equal(await errcodeOf(upload([sub(a, parcel('A1')), sub(other, parcel('O1'))])), SHIPPING_ERRCODES.PAYMENT_NOT_FOUND);
  assert.equal((await sandboxOrder(a.outTradeNo)).shipping, null);
  // A sub-order's field rule fails the whole upload (raw: the SDK refuses split mode outside express).
  const bad = await raw('/wxa/sec/order/upload_combined_shipping_info', {
    order_key: { order_number_type: 2, transaction_id: combineTransactionId },
    sub_orders: [
      { order_key: { order_number_type: 2, transaction_id: a.transactionId }, logistics_type: 1, delivery_mode: 1, shipping_list: [{ tracking_no: 'A1', express_company: 'ZTO', item_desc: 'x' }] },
      { order_key: { order_number_type: 2, transaction_id: b.transactionId }, logistics_type: 2, delivery_mode: 2, is_all_delivered: true, shipping_list: [{ item_desc: 'x' }] },
    ],
    upload_time: '2026-11-26T10:01:00+08:00',
    payer: { openid: a.openid },
  });
  assert.equal(bad.errcode, SHIPPING_ERRCODES.SPLIT_NOT_EXPRESS);
  assert.equal((await sandboxOrder(a.outTradeNo)).shipping, null);
  // Sub-order keys of another type than the combined key's: 10060014.
  const mixed = await raw('/wxa/sec/order/upload_combined_shipping_info', {
    order_key: { order_number_type: 1, mchid, out_trade_no: 'COMBINE0001' },
    sub_orders: [{ order_key: { order_number_type: 2, transaction_id: a.transactionId }, logistics_type: 3, delivery_mode: 1, shipping_list: [{ item_desc: 'x' }] }],
    upload_time: '2026-11-26T10:01:00+08:00',
    payer: { openid: a.openid },
  });
  assert.equal(mixed.errcode, SHIPPING_ERRCODES.BAD_PARAMETER);

  await upload([sub(a, parcel('A1')), sub(b, { logisticsType: 'virtual', deliveryMode: 'unified', packages: [{ itemDesc: '会员卡*1' }] })]);
  const shippedA = await client.shipping.getOrder({ transactionId: a.transactionId });
  const shippedB = await client.shipping.getOrder({ merchantId: mchid, merchantTradeNo: b.outTradeNo });
  assert.equal(shippedA.orderState, 2);
  assert.equal(shippedA.shipping?.packages[0]?.trackingNo, 'A1');
  assert.equal(shippedB.orderState, 2);
  assert.equal(shippedB.shipping?.logisticsType, 3);
  assert.equal((await client.shipping.getOrder({ transactionId: other.transactionId })).orderState, 1);
  // The same rules as a single upload afterwards: upload_time must move forward.
  const earlier = new Date(sandbox.clock.now() - 1000);
  assert.equal(
    await errcodeOf(client.shipping.uploadCombinedShippingInfo({ orderKey: { transactionId: combineTransactionId }, subOrders: [{ orderKey: { transactionId: a.transactionId }, ...parcel('A2') }], payerOpenid: a.openid, uploadTime: earlier })),
    SHIPPING_ERRCODES.BAD_UPLOAD_TIME,
  );
});

test('a combined payment is unknown (10060001) until every sub-order is indexed', async (t) => {
  const { sandbox, client, paid, mchid } = await withMiniProgramClient(t, { tradeManagement: { indexDelaySeconds: 30 } });
  const a = await paid(false);
  const b = await paid(false);
  await json(sandbox, 'POST', '/sandbox/combinedPayments', { mchid, combineOutTradeNo: 'COMBINE0003', outTradeNos: [a.outTradeNo, b.outTradeNo] });
  const request = { orderKey: { mchid, outTradeNo: 'COMBINE0003' }, subOrders: [{ orderKey: { mchid, outTradeNo: a.outTradeNo }, ...parcel('A1') }], payerOpenid: a.openid };
  assert.equal(await errcodeOf(client.shipping.uploadCombinedShippingInfo(request)), SHIPPING_ERRCODES.PAYMENT_NOT_FOUND);
  await sandbox.clock.advance(30);
  await client.shipping.uploadCombinedShippingInfo(request);
  assert.equal((await client.shipping.getOrder({ transactionId: a.transactionId })).orderState, 2);
});

test('opspecialorder: type and delay_to checked, only orders awaiting shipment; a test order gets no shipping reminder, a presale one not before delay_to', async (t) => {
  const { sandbox, client, paid, raw, sandboxOrder } = await withMiniProgramClient(t);
  const merchant = await startMerchant(t);
  merchant.answer = () => ({ status: 200, body: 'success' });
  await json(sandbox, 'PUT', '/sandbox/messagePush', { appid: sandbox.demoMerchant.appid, messagePush: { url: merchant.url, token: 'Token123', mode: 'plain', format: 'json' } });
  const testOrder = await paid();
  const presale = await paid();
  const plain = await paid();
  const now = () => Math.floor(sandbox.clock.now() / 1000);

  assert.equal((await raw('/wxa/sec/order/opspecialorder', { order_id: testOrder.transactionId, type: 3 })).errcode, SHIPPING_ERRCODES.BAD_SPECIAL_ORDER_TYPE);
  assert.equal((await raw('/wxa/sec/order/opspecialorder', { order_id: presale.transactionId, type: 1 })).errcode, SHIPPING_ERRCODES.BAD_DELAY_TO);
  assert.equal(await errcodeOf(client.shipping.reportSpecialOrder({ orderId: presale.transactionId, type: 'presale', delayTo: now() - 1 })), SHIPPING_ERRCODES.BAD_DELAY_TO);
  assert.equal(await errcodeOf(client.shipping.reportSpecialOrder({ orderId: 'NOSUCHORDER', type: 'test' })), SHIPPING_ERRCODES.SPECIAL_ORDER_NOT_FOUND);

  await client.shipping.reportSpecialOrder({ orderId: testOrder.outTradeNo, type: 'test' });
  await client.shipping.reportSpecialOrder({ orderId: presale.transactionId, type: 'presale', delayTo: now() + 5 * 86400 });
  assert.deepEqual(((await sandboxOrder(testOrder.outTradeNo)).specialOrder as Record<string, unknown>).type, 'test');
  assert.equal((await sandboxOrder(presale.outTradeNo)).specialOrder !== null, true);

  // 48 virtual hours: only the unreported order is reminded.
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 48 * 3600 });
  const reminded = async () =>
    ((await json(sandbox, 'GET', '/sandbox/notifications')).body.notifications as Record<string, unknown>[])
      .filter((n) => n.kind === 'trade_manage_remind_shipping')
      .map((n) => n.outTradeNo);
  assert.deepEqual(await reminded(), [plain.outTradeNo]);
  // Past delay_to: the presale order too; the test order never.
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 3 * 86400 });
  assert.deepEqual((await reminded()).sort(), [plain.outTradeNo, presale.outTradeNo].sort());

  // A shipped order is no longer awaiting shipment: 268546002.
  await client.shipping.uploadShippingInfo({ orderKey: { transactionId: plain.transactionId }, ...parcel('P1'), payerOpenid: plain.openid });
  assert.equal(await errcodeOf(client.shipping.reportSpecialOrder({ orderId: plain.transactionId, type: 'test' })), SHIPPING_ERRCODES.SPECIAL_ORDER_NOT_FOUND);
});

test('error-table rows trade.test.ts leaves out: another mini program\'s order is 10060001, a system fault is -1 (retriable), a body that is not a JSON object 47001', async (t) => {
  const otherApp = { name: 'other', appid: 'wx00000000000000aa', secret: 's'.repeat(32), mchid: '1900000999', apiKey: 'k'.repeat(32), apiV3Key: 'v'.repeat(32) };
  const { sandbox, client, paid, raw } = await withMiniProgramClient(t, { merchants: [otherApp] });
  const order = await paid();
  // Same order, asked by another mini program's token.
  const token = (await json(sandbox, 'GET', `/cgi-bin/token?grant_type=client_credential&appid=${otherApp.appid}&secret=${otherApp.secret}`)).body.access_token;
  const answer = await (await fetch(`${sandbox.base}/wxa/sec/order/get_order?access_token=${String(token)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transaction_id: order.transactionId }) })).json();
  assert.equal((answer as { errcode: number }).errcode, 10060001);

  await json(sandbox, 'POST', '/sandbox/faults', { api: { path: '/wxa/sec/order/get_order', kind: 'SYSTEMERROR' } });
  await assert.rejects(client.shipping.getOrder({ transactionId: order.transactionId }), (e: unknown) => e instanceof Error && (e as { errcode?: number }).errcode === -1 && (e as { retriable?: boolean }).retriable === true);
  assert.equal((await client.shipping.getOrder({ transactionId: order.transactionId })).orderState, 1);
  assert.equal((await raw('/wxa/sec/order/get_order', [1, 2])).errcode, 47001);
});

test('a token WeChat no longer accepts (40001: another process took a new one, the grace period passed) is refreshed by force and the call resent', async (t) => {
  const { sandbox, client, paid } = await withMiniProgramClient(t);
  const order = await paid();
  assert.equal((await client.shipping.getOrder({ transactionId: order.transactionId })).orderState, 1);
  const m = sandbox.demoMerchant;
  // Another process of the merchant asks cgi-bin/token for itself: the client's token lives 5 more minutes.
  const other = await json(sandbox, 'GET', `/cgi-bin/token?grant_type=client_credential&appid=${m.appid}&secret=${m.secret}`);
  assert.equal(typeof other.body.access_token, 'string');
  await sandbox.clock.advance(301);
  assert.equal(await client.shipping.isTradeManaged(), true);
  assert.equal((await client.shipping.getOrder({ transactionId: order.transactionId })).transactionId, order.transactionId);
  // The client fetched a new token after the advance (the sandbox forgets its first one then, past its grace period).
  const tokens = sandbox.context.store.data.accessTokens[m.appid] ?? [];
  assert.deepEqual(tokens.map((x) => x.token === other.body.access_token), [true, false]);
  assert.equal(tokens[1]?.issuedAt, sandbox.clock.now());
});
