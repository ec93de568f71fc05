/**
 * The server under the sandbox's faults: what WeChat really does to a merchant backend. For every API version.
 * Each test asserts observable outcomes: the order's status, WeChat's answers, fulfilment events, the audit trail.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createV2Client, createV3Client } from '@wxpay-kit/wechat';
import { generateV3MerchantIdentity, SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM } from '@wxpay-kit/wechat/testing';
import { acknowledged, API_VERSIONS, refusedAsForged, startStack } from './helpers/stack.js';
import type { Stack } from './helpers/stack.js';

const outcomes = (s: Stack, outTradeNo: string): Promise<string[]> => s.outcomes(outTradeNo);

for (const version of API_VERSIONS) {
  describe(`faults (${version})`, () => {
    test('dropped notifications: WeChat retries on its schedule and the order is paid once', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.fault({ outTradeNo: created.body.outTradeNo, notify: { drop: 2 } });
      assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
      // Read the store, not GET /api/orders: that would find the payment by querying WeChat (tested below).
      const status = async () => (await s.app.wx.store.getOrder(created.body.orderId))?.status;
      assert.equal(await status(), 'PAYING', 'first delivery dropped');
      await s.advance(15);
      assert.equal(await status(), 'PAYING', 'second delivery dropped');
      await s.advance(15);
      assert.equal(await status(), 'PAID');
      await s.advance(3600);
      assert.deepEqual(await outcomes(s, created.body.outTradeNo), ['paid']);
    });

    test('20 concurrent duplicate notifications: one transition, one outbox event, every copy answered SUCCESS', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.fault({ outTradeNo: created.body.outTradeNo, notify: { duplicates: 20, concurrent: true } });
      await s.pay(user, created.body.payParams);
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAID');
      const seen = await outcomes(s, created.body.outTradeNo);
      assert.equal(seen.length, 21);
      assert.equal(seen.filter((o) => o === 'paid').length, 1);
      assert.ok(seen.every((o) => o === 'paid' || o === 'redelivery:duplicate'), seen.join());
      const events = await s.app.wx.store.listEvents(created.body.orderId);
      assert.equal(events.length, 1);
      await s.app.wx.jobs.deliverOutbox();
      assert.equal(s.events.length, 1);
      const attempts = (await s.sandboxNotifications(created.body.outTradeNo)).flatMap((n) => n.attempts);
      assert.equal(attempts.length, 21);
      assert.ok(attempts.every((a) => acknowledged(version, a)));
    });

    test('forged notification: answered FAIL, logged, changes nothing; the real payment is found by the active query', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.fault({ outTradeNo: created.body.outTradeNo, notify: { badSignature: true } });
      await s.pay(user, created.body.payParams);
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAYING');
      const attempt = (await s.sandboxNotifications(created.body.outTradeNo))[0]?.attempts[0];
      assert.ok(refusedAsForged(version, attempt), 'a forged notification is refused');
      const seen = await outcomes(s, created.body.outTradeNo);
      assert.ok(seen.length >= 1 && seen.every((o) => o.startsWith('rejected:')), seen.join());
      assert.equal((await s.app.wx.store.listEvents(created.body.orderId)).length, 0);
      s.clock.advance(6_000);
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAID');
    });

    test('authentic notification with the wrong amount: answered SUCCESS, not paid, flagged for review', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.fault({ outTradeNo: created.body.outTradeNo, notify: { amountDelta: -4700 } });
      await s.pay(user, created.body.payParams);
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAYING');
      const attempt = (await s.sandboxNotifications(created.body.outTradeNo))[0]?.attempts[0];
      assert.ok(acknowledged(version, attempt), 'authentic and recorded: WeChat must stop retrying');
      assert.deepEqual(await outcomes(s, created.body.outTradeNo), ['amount_mismatch']);
      const order = await s.app.wx.store.getOrder(created.body.orderId);
      assert.equal(order?.reviewReason, 'amount_mismatch');
      assert.equal((await s.app.wx.store.listEvents(created.body.orderId)).length, 0);
    });

    test('notification for another merchant: recorded as wrong_merchant, our order untouched', async (t) => {
      // Same API keys as ours (v2 key; v3: APIv3 key, and WeChat's platform key is everyone's), so the other
      // merchant's notification is authentic for us: only the business check can catch it.
      const s0Key = 'sandbox0demo0apiv2key00000000001';
      const identity = generateV3MerchantIdentity();
      const base = {
        name: 'other', appid: 'wx7777777777777777', secret: 'other0app0secret0000000000000001', mchid: '1900000002', apiKey: s0Key,
        apiV3Key: 'sandbox0demo0apiv3key00000000001', merchantCertSerial: identity.serialNo, merchantPublicKey: identity.publicKeyPem,
      };
      const s = await startStack(t, version, { merchants: [base] });
      const user = await s.login();
      const created = await s.createOrder(user);
      // The other merchant places an order with our out_trade_no and our notify URL, and its payer pays it.
      const wx = (await (await fetch(`${s.sandbox.url}/sandbox/wx/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appid: base.appid, user: 'alice' }) })).json()) as { openid: string };
      const notifyUrl = `${s.url}/wxpay/notify/payment`;
      let params;
      if (version === 'v2') {
        const other = createV2Client({ appid: base.appid, mchid: base.mchid, apiKey: s0Key, baseUrl: s.sandbox.url, sleep: async () => {} });
        const prepay = await other.unifiedOrder({ body: 'x', out_trade_no: created.body.outTradeNo, total_fee: created.body.amount, spbill_create_ip: '127.0.0.1', notify_url: notifyUrl, openid: wx.openid });
        params = other.payParams(prepay.prepay_id);
      } else {
        const other = createV3Client({
          appid: base.appid, mchid: base.mchid, apiV3Key: base.apiV3Key, serialNo: identity.serialNo, privateKey: identity.privateKeyPem,
          publicKey: { id: SANDBOX_PUBLIC_KEY_ID, key: SANDBOX_PUBLIC_KEY_PEM }, baseUrl: s.sandbox.url, clock: () => s.sandbox.clock.now(), sleep: async () => {},
        });
        const prepay = await other.jsapiPrepay({ description: 'x', out_trade_no: created.body.outTradeNo, amount: { total: created.body.amount }, notify_url: notifyUrl, payer: { openid: wx.openid } });
        params = other.payParams(prepay.prepay_id);
      }
      const answer = await s.pay({ token: user.token, openid: wx.openid }, params, 'pay', base.appid);
      assert.equal(answer, 'requestPayment:ok');
      assert.equal((await s.app.wx.store.getOrder(created.body.orderId))?.status, 'PAYING');
      assert.deepEqual(await outcomes(s, created.body.outTradeNo), ['wrong_merchant']);
    });

    test('a notification that never comes: reading the order queries WeChat and applies the payment', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.fault({ outTradeNo: created.body.outTradeNo, notify: { drop: 1000 } });
      await s.pay(user, created.body.payParams);
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAYING', 'too early to ask WeChat');
      s.clock.advance(6_000);
      assert.equal((await s.order(user, created.body.orderId)).status, 'PAID');
      assert.equal((await s.app.wx.store.listEvents(created.body.orderId)).length, 1);
    });

    test('the reconcile job finds a payment whose notification never came', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const created = await s.createOrder(user);
      await s.fault({ outTradeNo: created.body.outTradeNo, notify: { drop: 1000 } });
      await s.pay(user, created.body.payParams);
      s.clock.advance(61_000);
      const report = await s.app.wx.jobs.reconcile();
      assert.equal(report.changed, 1);
      assert.equal((await s.app.wx.store.getOrder(created.body.orderId))?.status, 'PAID');
    });

    for (const kind of ['5xx', 'SYSTEMERROR'] as const) {
      test(`unifiedorder answers ${kind}: 503 to the client, and a retry with the same Idempotency-Key resumes the order`, async (t) => {
        const s = await startStack(t, version);
        const user = await s.login();
        const path = version === 'v2' ? '/pay/unifiedorder' : '/v3/pay/transactions/jsapi';
        await s.fault({ api: { path, kind, times: 10 } });
        const first = await s.createOrder(user, undefined, { 'idempotency-key': `k-${kind}` });
        assert.equal(first.status, 503);
        assert.equal(first.body.error?.code, 'payment_unavailable');
        await fetch(`${s.sandbox.url}/sandbox/faults`, { method: 'DELETE' });
        const second = await s.createOrder(user, undefined, { 'idempotency-key': `k-${kind}` });
        assert.equal(second.status, 200);
        assert.equal(second.body.status, 'PAYING');
        assert.equal(await s.pay(user, second.body.payParams), 'requestPayment:ok');
        assert.equal((await s.order(user, second.body.orderId)).status, 'PAID');
        const mine = await (await fetch(`${s.url}/api/orders`, { headers: { authorization: `Bearer ${user.token}` } })).json() as { orders: unknown[] };
        assert.equal(mine.orders.length, 1);
      });
    }

    test('unifiedorder lands but the answer is lost: the retry sends identical parameters and gets the same order', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      const path = version === 'v2' ? '/pay/unifiedorder' : '/v3/pay/transactions/jsapi';
      await s.fault({ api: { path, kind: 'timeout', apply: true, holdMs: 20, times: 10 } });
      const first = await s.createOrder(user, undefined, { 'idempotency-key': 'lost-answer' });
      assert.equal(first.status, 503);
      await fetch(`${s.sandbox.url}/sandbox/faults`, { method: 'DELETE' });
      s.clock.advance(60_000);
      const second = await s.createOrder(user, undefined, { 'idempotency-key': 'lost-answer' });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      const atWeChat = (await (await fetch(`${s.sandbox.url}/sandbox/orders`)).json()) as { orders: { outTradeNo: string }[] };
      assert.deepEqual(atWeChat.orders.map((o) => o.outTradeNo), [second.body.outTradeNo], 'one order at WeChat, not two');
      assert.equal(await s.pay(user, second.body.payParams), 'requestPayment:ok');
      assert.equal((await s.app.wx.store.getOrder(second.body.orderId))?.status, 'PAID');
    });

    if (version === 'v3') {
      test('WeChat\'s signature probe (WECHATPAY/SIGNTEST/): refused with 401, the order not paid by it; the genuine retry pays it', async (t) => {
        const s = await startStack(t, version);
        const user = await s.login();
        const created = await s.createOrder(user);
        await s.fault({ outTradeNo: created.body.outTradeNo, notify: { signTest: true } });
        assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
        const store = async () => s.app.wx.store.getOrder(created.body.orderId);
        const probe = (await s.sandboxNotifications(created.body.outTradeNo))[0]?.attempts[0] as { status?: number; tampered?: string } | undefined;
        assert.equal(probe?.status, 401, 'the probe is refused as not authentic');
        assert.match(probe?.tampered ?? '', /WECHATPAY\/SIGNTEST\//);
        assert.equal((await store())?.status, 'PAYING', 'the probe paid nothing');
        assert.deepEqual(await outcomes(s, created.body.outTradeNo), ['rejected:bad_signature']);
        assert.equal((await s.app.wx.store.listEvents(created.body.orderId)).length, 0);
        await s.advance(15);
        const attempts = (await s.sandboxNotifications(created.body.outTradeNo))[0]?.attempts ?? [];
        assert.equal(attempts.length, 2);
        assert.ok(acknowledged(version, attempts[1]), 'the genuine retry is acknowledged');
        assert.equal((await store())?.status, 'PAID');
        assert.deepEqual(await outcomes(s, created.body.outTradeNo), ['paid', 'rejected:bad_signature']);
        await s.app.wx.jobs.deliverOutbox();
        assert.deepEqual(s.events.map((e) => [e.topic, e.livemode]), [['order.paid', false]], 'one fulfilment event, marked not live');
      });
    }

    test('a single SYSTEMERROR on unifiedorder is retried by the SDK with identical bytes: the client sees 201', async (t) => {
      const s = await startStack(t, version);
      const user = await s.login();
      await s.fault({ api: { path: version === 'v2' ? '/pay/unifiedorder' : '/v3/pay/transactions/jsapi', kind: 'SYSTEMERROR', times: 1 } });
      const created = await s.createOrder(user);
      assert.equal(created.status, 201);
    });
  });
}
