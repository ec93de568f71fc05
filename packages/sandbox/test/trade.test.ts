import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createAccessTokenManager } from '@wxpay-kit/wechat/login';
import { createMiniProgramClient, MiniProgramApiError, SHIPPING_ERRCODES, type MiniProgramClient, type UploadShippingInfoRequest } from '@wxpay-kit/wechat/miniprogram';
import type { SandboxOptions } from '../src/index.js';
import { json, login, paidOrder, startSandbox, T0, v2 } from './helpers.js';

/**
 * 发货信息管理 against the sandbox over real HTTP, with the SDK's own client where the SDK can send the request, and
 * raw JSON where the SDK's validation (rightly) refuses to send it.
 */

async function setup(t: TestContext, options: SandboxOptions = {}) {
  const sandbox = await startSandbox(t, options);
  const m = sandbox.demoMerchant;
  const accessTokens = createAccessTokenManager({ appid: m.appid, secret: m.secret, baseUrl: sandbox.base, clock: () => sandbox.clock.now() });
  const client: MiniProgramClient = createMiniProgramClient({ appid: m.appid, accessTokens, baseUrl: sandbox.base, clock: () => sandbox.clock.now(), sleep: async () => {} });
  /** A paid order, past the index delay unless `indexed` is false. */
  const paid = async (indexed = true) => {
    const { outTradeNo, openid } = await paidOrder(sandbox, 'http://127.0.0.1:9/notify');
    const listed = await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`);
    const transactionId = String((listed.body.orders as Record<string, unknown>[])[0]?.transactionId);
    if (indexed) await sandbox.clock.advance(10);
    return { outTradeNo, openid, transactionId };
  };
  /** Raw POST with a valid token (for bodies the SDK would never send). */
  const raw = async (path: string, body: unknown) => {
    const token = await accessTokens.getToken();
    const res = await fetch(`${sandbox.base}/wxa/sec/order/${path}?access_token=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { errcode: number; errmsg: string } & Record<string, unknown>;
  };
  const sandboxOrder = async (outTradeNo: string) =>
    ((await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`)).body.orders as Record<string, unknown>[])[0] ?? {};
  return { sandbox, client, paid, raw, sandboxOrder, mchid: m.mchid };
}

const express = (transactionId: string, openid: string, extra: Partial<UploadShippingInfoRequest> = {}): UploadShippingInfoRequest => ({
  orderKey: { transactionId },
  logisticsType: 'express',
  deliveryMode: 'unified',
  packages: [{ trackingNo: 'SF1234567890', expressCompany: 'SF', itemDesc: '微信红包抱枕*1个', contact: { receiverContact: '189****1234' } }],
  payerOpenid: openid,
  ...extra,
});

async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MiniProgramApiError) return error.errcode;
    throw error;
  }
  return 0;
}

test('a just-paid order is unknown (10060001) for the index delay, then ships: order_state 1 → 2 in get_order and /sandbox/orders', async (t) => {
  const { sandbox, client, paid, sandboxOrder } = await setup(t, { tradeManagement: { indexDelaySeconds: 30 } });
  const order = await paid(false);
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(order.transactionId, order.openid))), SHIPPING_ERRCODES.PAYMENT_NOT_FOUND);
  assert.equal(await errcodeOf(client.shipping.getOrder({ transactionId: order.transactionId })), SHIPPING_ERRCODES.PAYMENT_NOT_FOUND);
  await sandbox.clock.advance(29);
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(order.transactionId, order.openid))), SHIPPING_ERRCODES.PAYMENT_NOT_FOUND);
  await sandbox.clock.advance(1);

  const before = await client.shipping.getOrder({ merchantId: sandbox.demoMerchant.mchid, merchantTradeNo: order.outTradeNo });
  assert.equal(before.orderState, 1);
  assert.equal(before.shipping, undefined);
  assert.equal(before.openid, order.openid);
  assert.equal((await sandboxOrder(order.outTradeNo)).orderState, 1);
  assert.equal((await sandboxOrder(order.outTradeNo)).shipping, null);

  await client.shipping.uploadShippingInfo(express(order.transactionId, order.openid));
  const after = await client.shipping.getOrder({ transactionId: order.transactionId });
  assert.equal(after.orderState, 2);
  assert.equal(after.shipping?.finishShipping, true);
  assert.equal(after.shipping?.finishShippingCount, 1);
  assert.equal(after.shipping?.logisticsType, 1);
  assert.deepEqual(after.shipping?.packages.map((p) => [p.trackingNo, p.expressCompany, p.goodsDesc, p.uploadTime, p.contact?.receiverContact]), [
    ['SF1234567890', 'SF', '微信红包抱枕*1个', Math.floor(sandbox.clock.now() / 1000), '189****1234'],
  ]);
  const view = await sandboxOrder(order.outTradeNo);
  assert.equal(view.orderState, 2);
  assert.equal((view.shipping as Record<string, unknown>).finishShipping, true);
});

test('upload rules: payer must match, upload_time must move forward, one re-shipment only, same content is 10060023', async (t) => {
  const { sandbox, client, paid } = await setup(t);
  const order = await paid();
  const other = await login(sandbox, 'bob');
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(order.transactionId, other.openid))), SHIPPING_ERRCODES.NOT_THE_PAYER);
  await client.shipping.uploadShippingInfo(express(order.transactionId, order.openid));
  // Not later than the previous upload_time (also the same time): 268485216.
  const earlier = new Date(sandbox.clock.now() - 60_000);
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(order.transactionId, order.openid, { uploadTime: earlier }))), SHIPPING_ERRCODES.BAD_UPLOAD_TIME);
  await sandbox.clock.advance(60);
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(order.transactionId, order.openid))), SHIPPING_ERRCODES.NOTHING_CHANGED);
  await sandbox.clock.advance(60);
  // Re-shipment: a different carrier/tracking number. Allowed once.
  const reship = express(order.transactionId, order.openid, { packages: [{ trackingNo: 'YT99', expressCompany: 'YTO', itemDesc: '抱枕*1' }] });
  await client.shipping.uploadShippingInfo(reship);
  assert.equal((await client.shipping.getOrder({ transactionId: order.transactionId })).shipping?.finishShippingCount, 2);
  await sandbox.clock.advance(60);
  const third = express(order.transactionId, order.openid, { logisticsType: 'same_city', packages: [{ itemDesc: '抱枕*1' }] });
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(third)), SHIPPING_ERRCODES.RESHIP_CHANCE_USED);
});

test('split delivery: parcels add up until is_all_delivered, at most 15 packages; order_state stays 1 until then', async (t) => {
  const { sandbox, client, paid } = await setup(t);
  const order = await paid();
  const parcels = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => ({ trackingNo: `${prefix}${i}`, expressCompany: 'ZTO', itemDesc: `件${i}` }));
  const split = (n: number, prefix: string, isAllDelivered: boolean) =>
    express(order.transactionId, order.openid, { deliveryMode: 'split', isAllDelivered, packages: parcels(n, prefix) });
  await client.shipping.uploadShippingInfo(split(10, 'A', false));
  assert.equal((await client.shipping.getOrder({ transactionId: order.transactionId })).orderState, 1);
  await sandbox.clock.advance(1);
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(split(6, 'B', true))), SHIPPING_ERRCODES.TOO_MANY_PACKAGES);
  await sandbox.clock.advance(1);
  await client.shipping.uploadShippingInfo(split(5, 'C', true));
  const got = await client.shipping.getOrder({ transactionId: order.transactionId });
  assert.equal(got.orderState, 2);
  assert.equal(got.shipping?.packages.length, 15);
  assert.equal(got.shipping?.finishShippingCount, 1);
});

test('every field rule answers its errcode (raw bodies the SDK refuses to send)', async (t) => {
  const { raw, paid, mchid } = await setup(t);
  const order = await paid();
  const item = { tracking_no: 'T1', express_company: 'STO', item_desc: '物品*1' };
  const good = {
    order_key: { order_number_type: 2, transaction_id: order.transactionId },
    logistics_type: 1,
    delivery_mode: 1,
    shipping_list: [item],
    upload_time: '2026-11-26T10:00:30+08:00',
    payer: { openid: order.openid },
  };
  const rows: [string, Record<string, unknown>, number][] = [
    ['order_number_type 3', { ...good, order_key: { order_number_type: 3 } }, 268485194],
    ['no transaction_id', { ...good, order_key: { order_number_type: 2 } }, 268485195],
    ['no mchid', { ...good, order_key: { order_number_type: 1, out_trade_no: order.outTradeNo } }, 268485196],
    ['no out_trade_no', { ...good, order_key: { order_number_type: 1, mchid } }, 268485197],
    ['unknown transaction', { ...good, order_key: { order_number_type: 2, transaction_id: '4200000000000000000000000000' } }, 10060001],
    ['wrong mchid', { ...good, order_key: { order_number_type: 1, mchid: '1900000000', out_trade_no: order.outTradeNo } }, 10060001],
    ['logistics_type 5', { ...good, logistics_type: 5 }, 10060005],
    ['delivery_mode 3', { ...good, delivery_mode: 3 }, 268485224],
    ['split, not express', { ...good, logistics_type: 2, delivery_mode: 2, is_all_delivered: true }, 10060006],
    ['split without is_all_delivered', { ...good, delivery_mode: 2 }, 10060007],
    ['unified with two', { ...good, shipping_list: [item, item] }, 268485228],
    ['16 packages', { ...good, delivery_mode: 2, is_all_delivered: true, shipping_list: Array.from({ length: 16 }, () => item) }, 10060024],
    ['no tracking_no', { ...good, shipping_list: [{ ...item, tracking_no: undefined }] }, 268485226],
    ['no express_company', { ...good, shipping_list: [{ ...item, express_company: undefined }] }, 268485227],
    ['long express_company', { ...good, shipping_list: [{ ...item, express_company: 'X'.repeat(129) }] }, 10060025],
    ['long tracking_no', { ...good, shipping_list: [{ ...item, tracking_no: 'X'.repeat(129) }] }, 10060026],
    ['empty item_desc', { ...good, shipping_list: [{ ...item, item_desc: '' }] }, 10060008],
    ['long item_desc', { ...good, shipping_list: [{ ...item, item_desc: '字'.repeat(121) }] }, 10060009],
    ['upload_time not RFC 3339', { ...good, upload_time: '2026-11-26 10:00:30' }, 268485216],
  ];
  for (const [name, body, errcode] of rows) {
    const answer = await raw('upload_shipping_info', body);
    assert.equal(answer.errcode, errcode, name);
    assert.match(answer.errmsg, / rid: /, name);
  }
  // None of them changed the order; the good body (with `+0800` as observed in the field) ships it.
  assert.equal((await raw('get_order', { transaction_id: order.transactionId })).order !== undefined, true);
  assert.equal((await raw('upload_shipping_info', { ...good, upload_time: '2026-11-26T10:00:30+0800' })).errcode, 0);
  assert.equal((await raw('get_order', { merchant_trade_no: order.outTradeNo })).errcode, 10060014);
});

test('the access_token is checked like the other /wxa paths', async (t) => {
  const { sandbox } = await setup(t);
  const post = async (query: string) =>
    (await (await fetch(`${sandbox.base}/wxa/sec/order/get_order${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { errcode: number };
  assert.equal((await post('')).errcode, 41001);
  assert.equal((await post('?access_token=forged')).errcode, 40001);
});

test('get_order_list pages by last_index and filters by state and openid; a bad last_index is 10060011', async (t) => {
  const { client, paid, raw } = await setup(t);
  const orders = [await paid(), await paid(), await paid()];
  await client.shipping.uploadShippingInfo(express(orders[1]!.transactionId, orders[1]!.openid));
  const first = await client.shipping.getOrderList({ pageSize: 2 });
  assert.equal(first.orders.length, 2);
  assert.equal(first.hasMore, true);
  const second = await client.shipping.getOrderList({ pageSize: 2, lastIndex: first.lastIndex });
  assert.equal(second.hasMore, false);
  assert.deepEqual([...first.orders, ...second.orders].map((o) => o.transactionId), orders.map((o) => o.transactionId));
  const all = [];
  for await (const o of client.shipping.listOrders({ pageSize: 1 })) all.push(o.transactionId);
  assert.deepEqual(all, orders.map((o) => o.transactionId));
  assert.deepEqual((await client.shipping.getOrderList({ orderState: 2 })).orders.map((o) => o.transactionId), [orders[1]!.transactionId]);
  assert.equal((await client.shipping.getOrderList({ openid: 'o-nobody' })).orders.length, 0);
  assert.equal((await raw('get_order_list', { last_index: 'not-an-index' })).errcode, 10060011);
});

test('notify_confirm_receive: once, express only, after shipping, signed-off time checked', async (t) => {
  const { sandbox, client, paid } = await setup(t);
  const order = await paid();
  const ref = { transactionId: order.transactionId };
  const now = () => Math.floor(sandbox.clock.now() / 1000);
  assert.equal(await errcodeOf(client.shipping.notifyConfirmReceive({ ...ref, receivedTime: now() })), SHIPPING_ERRCODES.NOT_SHIPPED);
  await client.shipping.uploadShippingInfo(express(order.transactionId, order.openid));
  await sandbox.clock.advance(3600);
  assert.equal(await errcodeOf(client.shipping.notifyConfirmReceive({ ...ref, receivedTime: now() - 7200 })), SHIPPING_ERRCODES.BAD_RECEIVED_TIME);
  assert.equal(await errcodeOf(client.shipping.notifyConfirmReceive({ ...ref, receivedTime: now() + 3600 })), SHIPPING_ERRCODES.BAD_RECEIVED_TIME);
  await client.shipping.notifyConfirmReceive({ ...ref, receivedTime: now() });
  assert.equal(await errcodeOf(client.shipping.notifyConfirmReceive({ ...ref, receivedTime: now() })), SHIPPING_ERRCODES.REMINDER_USED);

  const virtual = await paid();
  await client.shipping.uploadShippingInfo({ orderKey: { transactionId: virtual.transactionId }, logisticsType: 'virtual', deliveryMode: 'unified', packages: [{ itemDesc: '话费*1' }], payerOpenid: virtual.openid });
  await sandbox.clock.advance(1);
  assert.equal(await errcodeOf(client.shipping.notifyConfirmReceive({ transactionId: virtual.transactionId, receivedTime: now() })), SHIPPING_ERRCODES.REMINDER_EXPRESS_ONLY);
});

test('buyer confirms receipt (3), settlement follows on the clock (4); no upload after; the payer only', async (t) => {
  const { sandbox, client, paid, sandboxOrder } = await setup(t, { tradeManagement: { settleAfterConfirmSeconds: 3600 } });
  const order = await paid();
  const other = await login(sandbox, 'bob');
  const confirm = (body: Record<string, unknown>) => json(sandbox, 'POST', '/sandbox/wx/confirmReceive', body);
  // Not shipped yet: the component cancels.
  const early = await confirm({ openid: order.openid, transactionId: order.transactionId });
  assert.match(String(early.body.errMsg), /^openBusinessView:fail /);
  assert.equal((early.body.extraData as Record<string, unknown>).status, 'cancel');
  await client.shipping.uploadShippingInfo(express(order.transactionId, order.openid));
  const wrongUser = await confirm({ openid: other.openid, outTradeNo: order.outTradeNo });
  assert.equal((wrongUser.body.extraData as Record<string, unknown>).status, 'fail');
  const ok = await confirm({ openid: order.openid, outTradeNo: order.outTradeNo });
  assert.equal(ok.body.errMsg, 'openBusinessView:ok');
  assert.deepEqual(ok.body.extraData, { status: 'success', req_extradata: { merchant_id: sandbox.demoMerchant.mchid, merchant_trade_no: order.outTradeNo } });
  assert.equal((await client.shipping.getOrder({ transactionId: order.transactionId })).orderState, 3);
  assert.equal((await sandboxOrder(order.outTradeNo)).orderState, 3);
  await sandbox.clock.advance(60);
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(order.transactionId, order.openid, { packages: [{ trackingNo: 'Z1', expressCompany: 'ZTO', itemDesc: 'x' }] }))), SHIPPING_ERRCODES.ALREADY_SHIPPED);
  const advanced = await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 3600 });
  assert.equal(advanced.status, 200);
  assert.equal((await sandboxOrder(order.outTradeNo)).orderState, 4);
  assert.equal(((await sandboxOrder(order.outTradeNo)).shipping as Record<string, unknown>).confirmReceiveMethod, 2);
  assert.equal((await client.shipping.getOrder({ transactionId: order.transactionId })).orderState, 4);
  assert.equal(T0 < sandbox.clock.now(), true);
  // 交易完成: 10060004, as observed in the field.
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(order.transactionId, order.openid, { packages: [{ trackingNo: 'Z2', expressCompany: 'ZTO', itemDesc: 'x' }] }))), SHIPPING_ERRCODES.NOT_SHIPPABLE);
});

test('automatic confirmation after the configured days, then settlement; a full refund is order_state 5', async (t) => {
  const { sandbox, client, paid, sandboxOrder } = await setup(t, { tradeManagement: { autoConfirmDays: 7, settleAfterConfirmSeconds: 0 } });
  const order = await paid();
  await client.shipping.uploadShippingInfo(express(order.transactionId, order.openid));
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 7 * 86400 - 1 });
  assert.equal((await sandboxOrder(order.outTradeNo)).orderState, 2);
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 1 });
  const view = await sandboxOrder(order.outTradeNo);
  assert.equal(view.orderState, 4);
  assert.equal((view.shipping as Record<string, unknown>).confirmReceiveMethod, 1);

  const refunded = await paid();
  const answer = await v2(sandbox, '/secapi/pay/refund', { out_trade_no: refunded.outTradeNo, out_refund_no: `R${refunded.outTradeNo}`, total_fee: 100, refund_fee: 100 });
  assert.equal(answer.fields.result_code, 'SUCCESS', answer.text);
  assert.equal((await sandboxOrder(refunded.outTradeNo)).orderState, 5);
  assert.equal(await errcodeOf(client.shipping.uploadShippingInfo(express(refunded.transactionId, refunded.openid))), SHIPPING_ERRCODES.NOT_SHIPPABLE);
});

test('set_msg_jump_path, is_trade_managed and is_trade_management_confirmation_completed', async (t) => {
  const { sandbox, client, raw } = await setup(t);
  await client.shipping.setMsgJumpPath('pages/order/detail');
  assert.equal(sandbox.context.store.data.msgJumpPaths?.[sandbox.demoMerchant.appid], 'pages/order/detail');
  assert.equal((await raw('set_msg_jump_path', {})).errcode, 40097);
  assert.equal(await client.shipping.isTradeManaged(), true);
  assert.equal(await client.shipping.isTradeManagementConfirmationCompleted(), true);
  assert.equal((await raw('is_trade_managed', { appid: 'wx0000000000000000' })).errcode, 40013);
  assert.equal((await raw('is_trade_managed', {})).errcode, 40097);
});

