/**
 * Shipping per merchant (issue 16 × issue 14), end to end through the real server and the sandbox: the first
 * merchant and a second, direct v3 merchant added through POST /admin/merchants each ship their own order under
 * their own mini program (their own access token; the sandbox answers 10060001 for an order of another appid), the
 * second's buyer confirms receipt (re-checked with its mini program's get_order), and WeChat's settlement push for the
 * second arrives at /wechat/message/shop-v3 and settles it. A push verified for the first merchant that names the
 * second's order changes nothing; the daily get_order_list comparison runs per merchant and finds no difference.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_MERCHANT } from '@wxpay-kit/sandbox';
import type { SandboxMerchant } from '@wxpay-kit/sandbox';
import { decodeEncodingAesKey, encryptPushMessage, pushSignature } from '@wxpay-kit/wechat/miniprogram';
import { SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM, generateV3MerchantIdentity } from '@wxpay-kit/wechat/testing';
import { API_VERSIONS, startStack } from './helpers/stack.js';
import type { CreatedOrder, Stack } from './helpers/stack.js';

const ADMIN = { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' };
const IDENTITY = generateV3MerchantIdentity();
const SHOP: SandboxMerchant = {
  name: 'shop-v3',
  appid: 'wx2222222222222222',
  secret: 'shop-v3-app-secret-0123456789',
  mchid: '1900000103',
  apiKey: 'shopv3apikey0123456789abcdefABCD',
  apiV3Key: 'shopv3apiv3key0123456789abcdefAB',
  merchantCertSerial: IDENTITY.serialNo,
  merchantPublicKey: IDENTITY.publicKeyPem,
};

type Buyer = { token: string; openid: string };
type ShippingJson = { status: string; upload?: string; settledAt?: string };

const post = (url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });

async function login(s: Stack, appid: string, user: string, named: boolean): Promise<Buyer> {
  const wx = (await (await post(`${s.url}/sandbox/wx/login`, { appid, user })).json()) as { code: string; openid: string };
  const res = await post(`${s.url}/api/login`, named ? { code: wx.code, appid } : { code: wx.code });
  assert.equal(res.status, 200, await res.clone().text());
  return { token: ((await res.json()) as { token: string }).token, openid: wx.openid };
}

async function paidOrder(s: Stack, buyer: Buyer, sku: string, appid: string): Promise<CreatedOrder> {
  const res = await post(`${s.url}/api/orders`, { items: [{ sku, quantity: 1 }] }, { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` });
  const created = (await res.json()) as CreatedOrder;
  assert.equal(res.status, 201, JSON.stringify(created));
  assert.equal(await s.pay(buyer, created.payParams, 'pay', appid), 'requestPayment:ok');
  return created;
}

async function shippingOf(s: Stack, buyer: Buyer, orderId: string): Promise<ShippingJson> {
  const res = await fetch(`${s.url}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${buyer.token}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { shipping: ShippingJson }).shipping;
}

async function orderStateAtWechat(s: Stack, outTradeNo: string): Promise<number | undefined> {
  const body = (await (await fetch(`${s.sandbox.url}/sandbox/orders?outTradeNo=${outTradeNo}`)).json()) as { orders: { orderState?: number }[] };
  return body.orders[0]?.orderState;
}

for (const version of API_VERSIONS) {
  describe(`shipping per merchant (first merchant ${version})`, () => {
    test('a second merchant ships under its own mini program, is confirmed and settles; a push for one merchant never touches another’s order', async (t) => {
      const s = await startStack(t, version, { merchants: [SHOP] });
      const push = s.app.wx.config.messagePush;
      assert.ok(push !== undefined && push.aesKey !== undefined, 'sandbox mode generated a Token and an EncodingAESKey');

      const added = await post(`${s.url}/admin/merchants`, {
        id: 'shop-v3', name: 'Shop v3', appid: SHOP.appid, appSecret: SHOP.secret, mchid: SHOP.mchid, apiVersion: 'v3',
        apiV3Key: SHOP.apiV3Key, privateKeyPem: IDENTITY.privateKeyPem, certSerial: IDENTITY.serialNo, publicKeyId: SANDBOX_PUBLIC_KEY_ID, publicKeyPem: SANDBOX_PUBLIC_KEY_PEM,
      }, ADMIN);
      assert.equal(added.status, 201, await added.clone().text());
      assert.equal((await post(`${s.url}/admin/products`, { sku: 'v3-cake', name: 'cake', price: 700, merchantId: 'shop-v3' }, ADMIN)).status, 201);
      // The operator points shop-v3's mini program (its own console) at its own message URL.
      const configured = await fetch(`${s.sandbox.url}/sandbox/messagePush`, {
        method: 'PUT', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid: SHOP.appid, messagePush: { url: `${s.url}/wechat/message/shop-v3`, token: push.token, mode: 'safe', format: 'json', encodingAesKey: push.aesKey } }),
      });
      assert.equal(configured.status, 200, await configured.text());

      const firstBuyer = await login(s, DEMO_MERCHANT.appid, 'buyer-a', false);
      const shopBuyer = await login(s, SHOP.appid, 'buyer-b', true);
      const a = await paidOrder(s, firstBuyer, 'tea-oolong', DEMO_MERCHANT.appid);
      const b = await paidOrder(s, shopBuyer, 'v3-cake', SHOP.appid);

      // Both ship; each upload goes out under its own mini program once WeChat has indexed the payment.
      for (const created of [a, b]) {
        const res = await post(`${s.url}/admin/orders/${created.orderId}/shipments`, { logisticsType: 'express', packages: [{ expressCompany: 'YTO', trackingNo: `YT${created.outTradeNo.slice(-8)}` }] }, ADMIN);
        assert.equal(res.status, 202, await res.clone().text());
      }
      await s.app.wx.jobs.deliverOutbox();
      await s.advance(30);
      const delivered = await s.app.wx.jobs.deliverOutbox();
      assert.equal(delivered.failed, 0);
      assert.equal((await shippingOf(s, firstBuyer, a.orderId)).upload, 'UPLOADED');
      assert.equal((await shippingOf(s, shopBuyer, b.orderId)).upload, 'UPLOADED');
      assert.equal(await orderStateAtWechat(s, a.outTradeNo), 2);
      assert.equal(await orderStateAtWechat(s, b.outTradeNo), 2, 'shop-v3’s order shipped at WeChat, through shop-v3’s own mini program');

      // A settlement push verified for the first merchant's mini program, naming shop-v3's order: accepted as a push,
      // but it is not the first merchant's order, so nothing changes. The same push at shop-v3's URL is refused
      // (encrypted for another appid).
      const timestamp = String(Math.floor(s.clock.now() / 1000));
      const nonce = '424242';
      const event = {
        ToUserName: 'gh_0123456789ab', FromUserName: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', CreateTime: Number(timestamp), MsgType: 'event', Event: 'trade_manage_order_settlement',
        transaction_id: 'x', merchant_id: '', sub_merchant_id: '', merchant_trade_no: b.outTradeNo, pay_time: Number(timestamp), shipped_time: Number(timestamp),
        confirm_receive_method: 1, confirm_receive_time: Number(timestamp), settlement_time: Number(timestamp),
      };
      const encrypt = encryptPushMessage(decodeEncodingAesKey(push.aesKey), DEMO_MERCHANT.appid, JSON.stringify(event));
      const query = new URLSearchParams({ signature: pushSignature([push.token, timestamp, nonce]), timestamp, nonce, encrypt_type: 'aes', msg_signature: pushSignature([push.token, timestamp, nonce, encrypt]) });
      const sendPush = (path: string) => fetch(`${s.url}${path}?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ToUserName: event.ToUserName, Encrypt: encrypt }) });
      assert.equal((await sendPush('/wechat/message')).status, 200, 'a verified push for the first merchant');
      assert.equal((await sendPush('/wechat/message/shop-v3')).status >= 400, true, 'encrypted for another mini program');
      assert.equal((await sendPush('/wechat/message/no-such-shop')).status, 404);
      const untouched = await shippingOf(s, shopBuyer, b.orderId);
      assert.equal(untouched.status, 'SHIPPED');
      assert.equal(untouched.settledAt, undefined);

      // shop-v3's buyer confirms; the server believes it after asking WeChat through shop-v3's mini program.
      const component = await post(`${s.url}/sandbox/wx/confirmReceive`, { openid: shopBuyer.openid, outTradeNo: b.outTradeNo });
      assert.equal(((await component.json()) as { errMsg: string }).errMsg, 'openBusinessView:ok');
      const confirmed = await fetch(`${s.url}/api/orders/${b.orderId}/confirm-receipt`, { method: 'POST', headers: { authorization: `Bearer ${shopBuyer.token}` } });
      assert.equal(confirmed.status, 200, await confirmed.clone().text());
      assert.equal(((await confirmed.json()) as { shipping: ShippingJson }).shipping.status, 'CONFIRMED');

      // WeChat settles a day later and pushes to shop-v3's URL; the first merchant's order (never confirmed) stays shipped.
      await s.advance(86_400 + 60);
      assert.equal((await shippingOf(s, shopBuyer, b.orderId)).status, 'SETTLED');
      assert.equal((await shippingOf(s, firstBuyer, a.orderId)).status, 'SHIPPED');
      const pushes = (await (await fetch(`${s.sandbox.url}/sandbox/notifications?outTradeNo=${b.outTradeNo}`)).json()) as { notifications: { kind: string; status: string }[] };
      assert.ok(pushes.notifications.some((n) => n.kind === 'trade_manage_order_settlement' && n.status === 'delivered'), 'shop-v3’s push was answered success');

      // The get_order_list comparison asks each mini program about its own orders: no difference, both examined.
      const check = await s.app.wx.shippingCheck.run();
      assert.equal(check.failed, 0);
      assert.equal(check.differences, 0);
      assert.ok(check.examined >= 2, `both merchants' orders examined (${check.examined})`);
      assert.equal((await s.app.wx.store.getOrder(b.orderId))?.reviewReason, undefined);
      assert.equal((await s.app.wx.store.getOrder(a.orderId))?.reviewReason, undefined);
    });
  });
}
