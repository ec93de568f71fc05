/**
 * /wechat/message on the real app (fake WeChat Pay, hand-driven clock): off without WECHAT_MESSAGE_TOKEN; plain and
 * safe mode, JSON and XML, each verified before anything changes; reminders counted. The sandbox e2e test
 * (test/e2e/shipping-flow.test.ts) covers the pushes the sandbox itself sends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildXml } from '@wxpay-kit/wechat';
import { decodeEncodingAesKey, encryptPushMessage, pushSignature } from '@wxpay-kit/wechat/miniprogram';
import { build, loginAs } from '../helpers/build.js';
import type { Built } from '../helpers/build.js';
import { fakeNotification } from '../helpers/fake-gateway.js';

const TOKEN = 'pushToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const ADMIN = { authorization: 'Bearer admin-token-0123456789' };

async function shippedOrder(b: Built): Promise<{ orderId: string; outTradeNo: string; token: string }> {
  const token = await loginAs(b.app);
  const created = (await b.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string };
  await b.app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(b.gateway.pay(created.outTradeNo)) });
  const shipped = await b.app.inject({ method: 'POST', url: `/admin/orders/${created.orderId}/shipments`, headers: ADMIN, payload: { logisticsType: 'same_city' } });
  assert.equal(shipped.statusCode, 202, shipped.body);
  return { ...created, token };
}

function settlement(b: Built, outTradeNo: string): Record<string, string | number> {
  const s = Math.floor(b.clock.now() / 1000);
  return {
    ToUserName: 'gh_abcdef123456', FromUserName: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', CreateTime: s, MsgType: 'event', Event: 'trade_manage_order_settlement',
    transaction_id: 'tx', merchant_id: b.gateway.mchid, sub_merchant_id: '', merchant_trade_no: outTradeNo, pay_time: s, shipped_time: s,
    confirm_receive_method: 2, confirm_receive_time: s - 60, settlement_time: s,
  };
}

async function shippingOf(b: Built, order: { orderId: string; token: string }): Promise<{ status: string; confirmedAt?: string; settledAt?: string }> {
  return ((await b.app.inject({ method: 'GET', url: `/api/orders/${order.orderId}`, headers: { authorization: `Bearer ${order.token}` } })).json() as { shipping: { status: string } }).shipping;
}

test('without WECHAT_MESSAGE_TOKEN the route does not exist; a key without a token is a configuration error', async (t) => {
  const b = await build(t);
  assert.equal((await b.app.inject({ method: 'GET', url: '/wechat/message?signature=x&timestamp=1&nonce=1&echostr=e' })).statusCode, 404);
  await assert.rejects(build(t, { env: { WECHAT_MESSAGE_AES_KEY: AES_KEY } }), /WECHAT_MESSAGE_AES_KEY/);
  await assert.rejects(build(t, { env: { WECHAT_MESSAGE_TOKEN: 'bad token!' } }), /WECHAT_MESSAGE_TOKEN/);
});

for (const format of ['json', 'xml'] as const) {
  const encode = (v: Record<string, string | number>) => (format === 'xml' ? buildXml(v) : JSON.stringify(v));
  const type = format === 'xml' ? 'text/xml' : 'application/json';

  test(`plain mode, ${format}: a signed settlement push settles the order; a tampered body changes nothing`, async (t) => {
    const b = await build(t, { env: { WECHAT_MESSAGE_TOKEN: TOKEN } });
    const order = await shippedOrder(b);
    const timestamp = String(Math.floor(b.clock.now() / 1000));
    const nonce = '777';
    const url = `/wechat/message?${new URLSearchParams({ signature: pushSignature([TOKEN, timestamp, nonce]), timestamp, nonce })}`;
    const forged = await b.app.inject({ method: 'POST', url: `/wechat/message?${new URLSearchParams({ signature: pushSignature(['other', timestamp, nonce]), timestamp, nonce })}`, headers: { 'content-type': type }, payload: encode(settlement(b, order.outTradeNo)) });
    assert.equal(forged.statusCode, 401);
    assert.equal((await shippingOf(b, order)).status, 'SHIPPED');
    const ok = await b.app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: encode(settlement(b, order.outTradeNo)) });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'success');
    const after = await shippingOf(b, order);
    assert.equal(after.status, 'SETTLED');
    assert.equal(after.confirmedAt, new Date((Number(timestamp) - 60) * 1000).toISOString(), 'confirmed as the event says');
    // A repeated push (WeChat retries) is answered success and changes nothing more.
    assert.equal((await b.app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: encode(settlement(b, order.outTradeNo)) })).statusCode, 200);
  });

  test(`safe mode, ${format}: only the encrypted push with a valid msg_signature is applied; reminders are counted`, async (t) => {
    const b = await build(t, { env: { WECHAT_MESSAGE_TOKEN: TOKEN, WECHAT_MESSAGE_AES_KEY: AES_KEY } });
    const order = await shippedOrder(b);
    const timestamp = String(Math.floor(b.clock.now() / 1000));
    const nonce = '888';
    const aes = decodeEncodingAesKey(AES_KEY);
    const post = (message: Record<string, string | number>, msgSignatureToken = TOKEN) => {
      const encrypt = encryptPushMessage(aes, b.gateway.appid, encode(message));
      const query = new URLSearchParams({ signature: pushSignature([TOKEN, timestamp, nonce]), timestamp, nonce, encrypt_type: 'aes', msg_signature: pushSignature([msgSignatureToken, timestamp, nonce, encrypt]) });
      return b.app.inject({ method: 'POST', url: `/wechat/message?${query}`, headers: { 'content-type': type }, payload: encode({ ToUserName: 'gh_abcdef123456', Encrypt: encrypt }) });
    };
    // The plaintext, correctly signed, is refused in safe mode; so is a msg_signature under another token.
    const plain = await b.app.inject({ method: 'POST', url: `/wechat/message?${new URLSearchParams({ signature: pushSignature([TOKEN, timestamp, nonce]), timestamp, nonce })}`, headers: { 'content-type': type }, payload: encode(settlement(b, order.outTradeNo)) });
    assert.equal(plain.statusCode, 401);
    assert.equal((await post(settlement(b, order.outTradeNo), 'other')).statusCode, 401);
    assert.equal((await shippingOf(b, order)).status, 'SHIPPED');
    assert.equal((await post(settlement(b, order.outTradeNo))).statusCode, 200);
    assert.equal((await shippingOf(b, order)).status, 'SETTLED');

    const remind = { ...settlement(b, order.outTradeNo), Event: 'trade_manage_remind_shipping', msg: '请尽快发货' };
    assert.equal((await post(remind)).statusCode, 200);
    assert.equal((await post(remind)).statusCode, 200);
    const overview = (await b.app.inject({ method: 'GET', url: '/admin/shipping', headers: ADMIN })).json() as { reminders: { event: string; count: number }[] };
    assert.deepEqual(overview.reminders.map((r) => [r.event, r.count]), [['trade_manage_remind_shipping', 2]]);
  });
}
