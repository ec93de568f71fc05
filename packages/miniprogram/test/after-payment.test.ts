import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, ClientProtocolError, CONFIRM_COMPONENT_APPID, createClient } from '../src/index.js';
import type { ClientOptions, Order, OrderShipping } from '../src/index.js';
import { parseOrder } from '../src/parse.js';
import { FakeShop, virtualClock } from './fake-wx.js';

const MCHID = '1900000109';

function setup(extra: Partial<ClientOptions> = {}) {
  const shop = new FakeShop();
  const clock = virtualClock();
  const client = createClient({ baseUrl: 'https://shop.test/', wx: shop.wx, sleep: clock.sleep, now: clock.now, merchantId: MCHID, ...extra });
  return { shop, client };
}

const SHIPPED: OrderShipping = {
  status: 'SHIPPED',
  packages: [{ expressCompany: 'SF', trackingNo: 'SF1234567890', itemDesc: '绿茶*1' }],
  shippedAt: '2026-11-26T12:00:00.000Z',
};

async function shippedOrder(shop: FakeShop, client: ReturnType<typeof createClient>): Promise<Order> {
  const o = shop.addOrder('PAID');
  o.shipping = { ...SHIPPED };
  return client.order(o.orderId);
}

const orderJson = (shipping: unknown) => ({
  orderId: 'ord_1', outTradeNo: 'T1', amount: 100, status: 'PAID', items: [], createdAt: '2026-11-26T12:00:00.000Z', shipping,
});

test('orders carry the server\'s shipping, parsed strictly; absent from an older server means unknown, not NOT_SHIPPED', async () => {
  const { shop, client } = setup();
  const order = await shippedOrder(shop, client);
  assert.deepEqual(order.shipping, SHIPPED);
  assert.deepEqual(parseOrder(orderJson({ status: 'NOT_SHIPPED', packages: [] })).shipping, { status: 'NOT_SHIPPED', packages: [] });
  // Same-city / pick-up packages have no carrier; extra fields (a contact) are not copied.
  assert.deepEqual(parseOrder(orderJson({ status: 'SHIPPED', packages: [{ itemDesc: '蛋糕*1', contact: '189****1234' }] })).shipping?.packages, [{ itemDesc: '蛋糕*1' }]);
  const older = parseOrder({ ...orderJson(undefined) });
  assert.equal(older.shipping, undefined);
  assert.equal('shipping' in older, false);
  for (const bad of [
    { status: 'LOST', packages: [] },
    { status: 'SHIPPED', packages: 'SF123' },
    { status: 'SHIPPED', packages: [{ trackingNo: 42 }] },
    { status: 'SHIPPED', packages: [], shippedAt: 'yesterday' },
    'SHIPPED',
  ]) {
    assert.throws(() => parseOrder(orderJson(bad)), ClientProtocolError, JSON.stringify(bad));
  }
  // The list parses them too.
  assert.equal((await client.orders())[0]?.shipping?.status, 'SHIPPED');
});

test('confirmReceipt: opens weappOrderConfirm with merchant_id + merchant_trade_no, waits for App.onShow, then the server decides', async () => {
  const { shop, client } = setup();
  const order = await shippedOrder(shop, client);
  const result = await client.confirmReceipt(order);
  assert.equal(result.outcome, 'confirmed');
  assert.equal(result.order.shipping?.status, 'CONFIRMED');
  assert.equal(result.reason, undefined);
  const view = shop.businessViews[0];
  assert.equal(view?.businessType, 'weappOrderConfirm');
  assert.deepEqual(view?.extraData, { merchant_id: MCHID, merchant_trade_no: order.outTradeNo });
  const call = shop.sent.at(-1);
  assert.equal(call?.method, 'POST');
  assert.equal(call?.path, `/api/orders/${order.orderId}/confirm-receipt`);
  assert.equal(call?.header['authorization'], 'Bearer tok-code-1');
  // The App.onShow listener is removed once the answer came.
  assert.equal(shop.appShowListeners.size, 0);
  assert.equal(CONFIRM_COMPONENT_APPID, 'wx1183b055aeec94d1');
});

test('confirmReceipt: the buyer cancels or the component refuses — the server is still asked, its order is returned', async () => {
  const { shop, client } = setup();
  shop.component = { delivery: 'appShow', answer: { status: 'cancel' } };
  const cancelled = await client.confirmReceipt(await shippedOrder(shop, client));
  assert.equal(cancelled.outcome, 'cancelled');
  assert.equal(cancelled.order.shipping?.status, 'SHIPPED');
  assert.equal(shop.sent.filter((r) => r.path.endsWith('/confirm-receipt')).length, 1);

  shop.component = { delivery: 'direct', answer: { status: 'fail', errormsg: 'not the payer' } };
  const refused = await client.confirmReceipt(await shippedOrder(shop, client));
  assert.deepEqual([refused.outcome, refused.reason], ['failed', 'not the payer']);
  assert.equal(shop.appShowListeners.size, 0);

  // A server that answers 200 with the unconfirmed order instead of 409 gives the same outcome.
  shop.notConfirmedStatus = 200;
  const back = await shippedOrder(shop, client);
  const fake = shop.orders.get(back.orderId);
  // The buyer came back to the app some other way: no answer; WeChat shows nothing confirmed.
  shop.component = { delivery: 'otherShow', answer: { status: 'cancel' } };
  const unknown = await client.confirmReceipt(back);
  assert.deepEqual([unknown.outcome, unknown.reason, fake?.shipping?.status], ['failed', 'not_confirmed', 'SHIPPED']);
});

test('confirmReceipt: a confirmation whose answer was lost still counts (the server found it at WeChat)', async () => {
  const { shop, client } = setup();
  const order = await shippedOrder(shop, client);
  // The runtime reports success when the view opens and has no wx.onAppShow: no answer at all.
  const { onAppShow: _on, offAppShow: _off, ...wxWithoutAppShow } = shop.wx;
  const bare = createClient({ baseUrl: 'https://shop.test/', wx: wxWithoutAppShow, merchantId: MCHID });
  shop.component = { delivery: 'none', answer: { status: 'success' } };
  const result = await bare.confirmReceipt(order);
  assert.equal(result.outcome, 'confirmed');
});

test('confirmReceipt refuses what it cannot do: not shipped, shipping unknown, no merchantId, no openBusinessView; a view that fails to open', async () => {
  const { shop, client } = setup();
  const unshipped = shop.addOrder('PAID');
  unshipped.shipping = { status: 'NOT_SHIPPED', packages: [] };
  await assert.rejects(client.confirmReceipt(await client.order(unshipped.orderId)), ClientError);
  await assert.rejects(client.confirmReceipt(await client.order(shop.addOrder('PAID').orderId)), /not reported by the server/);
  const order = await shippedOrder(shop, client);
  await assert.rejects(setup({ merchantId: undefined }).client.confirmReceipt(order), /merchantId/);
  const { openBusinessView: _o, ...noView } = shop.wx;
  await assert.rejects(createClient({ baseUrl: 'https://shop.test/', wx: noView, merchantId: MCHID }).confirmReceipt(order), /openBusinessView is not available/);
  assert.equal(shop.businessViews.length, 0);

  shop.component = { delivery: 'openFails', errMsg: 'openBusinessView:fail not supported' };
  const failed = await client.confirmReceipt(order);
  assert.deepEqual([failed.outcome, failed.reason, failed.order.shipping?.status], ['failed', 'openBusinessView:fail not supported', 'SHIPPED']);
  assert.equal(shop.appShowListeners.size, 0);

  // Already confirmed: nothing is opened, the order is the answer.
  const done = { ...order, shipping: { ...SHIPPED, status: 'SETTLED' as const } };
  assert.deepEqual(await client.confirmReceipt(done), { outcome: 'confirmed', order: done });
  assert.equal(shop.businessViews.length, 1);
});

test('confirmReceipt: other server errors are thrown, not turned into outcomes', async () => {
  const { shop, client } = setup();
  const order = await shippedOrder(shop, client);
  shop.intercept = (req) => (req.path.endsWith('/confirm-receipt') ? { status: 502, body: { error: { code: 'UPSTREAM', message: 'WeChat unreachable' } } } : undefined);
  await assert.rejects(client.confirmReceipt(order), (e: unknown) => e instanceof ClientError && (e as { code?: string }).code === 'UPSTREAM');
});

test('requestSubscribe: typed choices, accepted templates listed; a failure is a result; bad input is refused before wx is called', async () => {
  const { shop, client } = setup();
  shop.subscribeAnswer = { paid_tpl: 'accept', shipped_tpl: 'reject', voice_tpl: 'acceptWithAudio', banned_tpl: 'ban', odd_tpl: 'somethingNew' };
  const result = await client.requestSubscribe(['paid_tpl', 'shipped_tpl', 'voice_tpl', 'banned_tpl', 'odd_tpl']);
  assert.deepEqual(result, {
    accepted: ['paid_tpl', 'voice_tpl'],
    choices: { paid_tpl: 'accept', shipped_tpl: 'reject', voice_tpl: 'acceptWithAudio', banned_tpl: 'ban' },
  });
  assert.deepEqual(shop.subscribeRequests, [['paid_tpl', 'shipped_tpl', 'voice_tpl', 'banned_tpl', 'odd_tpl']]);

  shop.subscribeAnswer = { errCode: 20004, errMsg: 'requestSubscribeMessage:fail The main switch is switched off' };
  assert.deepEqual(await client.requestSubscribe(['paid_tpl']), {
    accepted: [], choices: {}, error: { errCode: 20004, errMsg: 'requestSubscribeMessage:fail The main switch is switched off' },
  });

  for (const bad of [[], ['a', 'b', 'c', 'd', 'e', 'f'], ['a', 'a'], ['']]) {
    await assert.rejects(client.requestSubscribe(bad), ClientError, JSON.stringify(bad));
  }
  const { requestSubscribeMessage: _r, ...old } = shop.wx;
  await assert.rejects(createClient({ baseUrl: 'https://shop.test/', wx: old }).requestSubscribe(['paid_tpl']), /not available/);
  assert.equal(shop.subscribeRequests.length, 2);
});
