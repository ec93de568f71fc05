/**
 * @wxpay-kit/miniprogram's confirmReceipt and requestSubscribe against the sandbox playing WeChat's side (the component,
 * get_order, the subscription dialog, subscribeMessage.send), with a few lines standing in for the merchant server's
 * routes: proves the client's wire shapes and the sandbox's answers line up, before any server is involved.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type WxApi, type WxAppShowResult, type WxRequestOption } from '@wxpay-kit/miniprogram';
import { createAccessTokenManager } from '@wxpay-kit/wechat/login';
import { createMiniProgramClient, SubscribeMessageError } from '@wxpay-kit/wechat/miniprogram';
import { json, login, paidOrder, startSandbox } from '../../packages/sandbox/test/helpers.js';

type Delivery = 'direct' | 'appShow';

async function setup(t: TestContext, delivery: Delivery) {
  const sandbox = await startSandbox(t);
  const m = sandbox.demoMerchant;
  const accessTokens = createAccessTokenManager({ appid: m.appid, secret: m.secret, baseUrl: sandbox.base, clock: () => sandbox.clock.now() });
  const wechat = createMiniProgramClient({ appid: m.appid, accessTokens, baseUrl: sandbox.base, clock: () => sandbox.clock.now() });
  const { outTradeNo, openid } = await paidOrder(sandbox, 'http://127.0.0.1:9/notify');
  await sandbox.clock.advance(10);
  let buyer = openid;
  let shipping: Record<string, unknown> = { status: 'NOT_SHIPPED', packages: [] };
  const orderJson = () => ({ orderId: 'ord_1', outTradeNo, amount: 100, status: 'PAID', items: [], createdAt: '2026-11-26T02:00:00.000Z', shipping });

  // The merchant server's routes, as small as they can be: the confirm-receipt route asks WeChat (get_order).
  const serve = async (method: string, path: string): Promise<{ status: number; body: unknown }> => {
    if (path === '/api/login') return { status: 200, body: { token: 'tok' } };
    if (method === 'GET' && path === '/api/orders/ord_1') return { status: 200, body: orderJson() };
    if (method === 'POST' && path === '/api/orders/ord_1/confirm-receipt') {
      const found = await wechat.shipping.getOrder({ merchantId: m.mchid, merchantTradeNo: outTradeNo });
      if (found.orderState !== 3 && found.orderState !== 4) return { status: 409, body: { error: { code: 'NOT_CONFIRMED', message: `order_state ${found.orderState}` } } };
      shipping = { ...shipping, status: 'CONFIRMED', confirmedAt: new Date(sandbox.clock.now()).toISOString() };
      return { status: 200, body: orderJson() };
    }
    return { status: 404, body: { error: { code: 'NOT_FOUND', message: path } } };
  };
  const listeners = new Set<(res: WxAppShowResult) => void>();
  const storage = new Map<string, string>();
  // A `wx` whose phone side is the sandbox's control API.
  const wx: WxApi = {
    request: (opt: WxRequestOption) => {
      void serve(opt.method ?? 'GET', opt.url.replace('https://shop.test', '')).then((r) => opt.success?.({ statusCode: r.status, data: r.body }));
    },
    login: (opt) => queueMicrotask(() => opt.success?.({ code: 'c' })),
    requestPayment: (opt) => queueMicrotask(() => opt.fail?.({ errMsg: 'requestPayment:fail not used here' })),
    getStorageSync: (key) => storage.get(key) ?? '',
    setStorageSync: (key, value) => void storage.set(key, value),
    removeStorageSync: (key) => void storage.delete(key),
    openBusinessView: (opt) => {
      const body = { openid: buyer, outTradeNo: opt.extraData.merchant_trade_no, mchid: opt.extraData.merchant_id };
      void json(sandbox, 'POST', '/sandbox/wx/confirmReceive', body).then(({ body: answer }) => {
        if (delivery === 'direct') return opt.success?.({ errMsg: String(answer.errMsg), extraData: answer.extraData });
        opt.success?.({ errMsg: 'openBusinessView:ok' });
        for (const listener of [...listeners]) listener({ referrerInfo: { appId: 'wx1183b055aeec94d1', extraData: answer.extraData } });
      });
    },
    onAppShow: (listener) => void listeners.add(listener),
    offAppShow: (listener) => void listeners.delete(listener),
    requestSubscribeMessage: (opt) => {
      void json(sandbox, 'POST', '/sandbox/wx/requestSubscribeMessage', { appid: m.appid, openid: buyer, tmplIds: opt.tmplIds, choice: 'accept' })
        .then(({ body }) => opt.success?.(body as Record<string, string>));
    },
  };
  const client = createClient({ baseUrl: 'https://shop.test', wx, merchantId: m.mchid });
  const ship = async () => {
    await wechat.shipping.uploadShippingInfo({
      orderKey: { mchid: m.mchid, outTradeNo }, logisticsType: 'express', deliveryMode: 'unified', payerOpenid: openid,
      packages: [{ expressCompany: 'ZTO', trackingNo: 'ZT100', itemDesc: '绿茶*1' }],
    });
    shipping = { status: 'SHIPPED', packages: [{ expressCompany: 'ZTO', trackingNo: 'ZT100', itemDesc: '绿茶*1' }], shippedAt: new Date(sandbox.clock.now()).toISOString() };
  };
  return { sandbox, client, wechat, ship, listeners, openid, setBuyer: (o: string) => { buyer = o; } };
}

for (const delivery of ['direct', 'appShow'] as const) {
  test(`confirmReceipt against the sandbox's component and get_order (answer ${delivery === 'direct' ? 'in success' : 'on App.onShow'}): another user fails, the payer confirms`, async (t) => {
    const { sandbox, client, ship, listeners, setBuyer, openid } = await setup(t, delivery);
    await ship();
    const order = await client.order('ord_1');
    assert.equal(order.shipping?.status, 'SHIPPED');
    setBuyer((await login(sandbox, 'mallory')).openid);
    const refused = await client.confirmReceipt(order);
    assert.equal(refused.outcome, 'failed');
    assert.match(refused.reason ?? '', /not the payer/);
    assert.equal(refused.order.shipping?.status, 'SHIPPED');

    setBuyer(openid);
    const confirmed = await client.confirmReceipt(order);
    assert.equal(confirmed.outcome, 'confirmed');
    assert.equal(confirmed.order.shipping?.status, 'CONFIRMED');
    assert.equal(listeners.size, 0);
    const view = ((await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${order.outTradeNo}`)).body.orders as Record<string, unknown>[])[0];
    assert.equal(view?.orderState, 3);
  });
}

test('requestSubscribe on the sandbox\'s dialog, then one subscribeMessage.send per acceptance', async (t) => {
  const { client, wechat, openid } = await setup(t, 'direct');
  const result = await client.requestSubscribe(['paid_tpl_01']);
  assert.deepEqual(result, { accepted: ['paid_tpl_01'], choices: { paid_tpl_01: 'accept' } });
  const send = () => wechat.subscribeMessage.send({ toUser: openid, templateId: 'paid_tpl_01', data: { thing1: '绿茶', amount2: '1.00元' } });
  assert.match((await send()).msgId ?? '', /^\d{19}$/);
  await assert.rejects(send(), (e: unknown) => e instanceof SubscribeMessageError && e.failure === 'user_refused');
});
