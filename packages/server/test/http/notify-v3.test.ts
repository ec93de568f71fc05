/**
 * v3 notifications through the real app and the real V3Gateway (packages/wechat verification): every verification
 * failure changes nothing, is stored raw in the audit trail, and is answered as DESIGN.md says (401 not authentic,
 * 500 authentic but not recorded / not decryptable with our key, 204 authentic and recorded whatever the verdict).
 * WeChat's side is played with @wxpay-kit/wechat/testing and the sandbox's committed test keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildV3Notification,
  generateV3MerchantIdentity,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_PEM,
  signV3Response,
} from '@wxpay-kit/wechat/testing';
import { formatRfc3339Beijing } from '@wxpay-kit/wechat';
import { V3Gateway } from '../../src/gateway/v3-gateway.js';
import type { PaymentFacts, PaymentGateway } from '../../src/ports/gateway.js';
import { build, failNotificationWrites, loginAs, TestClock } from '../helpers/build.js';
import { FakeGateway } from '../helpers/fake-gateway.js';

const API_V3_KEY = 'server0test0apiv3key000000000001';
const merchantKey = generateV3MerchantIdentity();

/** The fake WeChat for prepay/query (no network), the real v3 verification and answers for notifications. */
function v3NotificationGateway(fake: FakeGateway, clock: TestClock): PaymentGateway {
  const real = new V3Gateway({
    appid: fake.appid,
    mchid: fake.mchid,
    apiV3Key: API_V3_KEY,
    privateKey: merchantKey.privateKeyPem,
    certSerial: merchantKey.serialNo,
    publicKey: { id: SANDBOX_PUBLIC_KEY_ID, key: SANDBOX_PUBLIC_KEY_PEM },
    baseUrl: 'http://127.0.0.1:9',
    clock: clock.now,
  });
  return Object.assign(Object.create(fake) as FakeGateway, {
    apiVersion: 'v3' as const,
    verifyPaymentNotification: real.verifyPaymentNotification.bind(real),
    verifyRefundNotification: real.verifyRefundNotification.bind(real),
    answer: real.answer.bind(real),
  });
}

async function setup(t: Parameters<typeof build>[0]) {
  const fake = new FakeGateway();
  const clock = new TestClock();
  const built = await build(t, { deps: { gateway: v3NotificationGateway(fake, clock), clock } });
  const token = await loginAs(built.app);
  const res = await built.app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
  const order = res.json() as { orderId: string; outTradeNo: string };
  const facts = fake.pay(order.outTradeNo);
  return { ...built, clock, order, facts };
}

/** The decrypted resource of a TRANSACTION.SUCCESS notification for these facts. */
function transaction(facts: PaymentFacts, amountFen = facts.amountFen) {
  return {
    appid: facts.appid, mchid: facts.mchid, out_trade_no: facts.outTradeNo, transaction_id: facts.transactionId,
    trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'CMB_DEBIT',
    success_time: formatRfc3339Beijing(facts.paidAt), payer: { openid: 'o-alice' },
    amount: { total: amountFen, payer_total: amountFen, currency: 'CNY', payer_currency: 'CNY' },
  };
}

type Wire = { headers: Record<string, string>; body: string };

function notification(clock: TestClock, facts: PaymentFacts, amountFen?: number): Wire {
  return buildV3Notification({
    eventType: 'TRANSACTION.SUCCESS', plaintext: transaction(facts, amountFen), apiV3Key: API_V3_KEY,
    platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: clock.now,
  });
}

/** Re-sign a changed body with WeChat's real key: authentic bytes whose content is broken. */
function resigned(clock: TestClock, body: string): Wire {
  return { headers: { 'Content-Type': 'application/json', ...signV3Response({ body, platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: clock.now }) }, body };
}

function editResource(body: string, change: (resource: Record<string, string>) => void): string {
  const envelope = JSON.parse(body) as { resource: Record<string, string> };
  change(envelope.resource);
  return JSON.stringify(envelope);
}

const post = (app: Awaited<ReturnType<typeof build>>['app'], wire: Wire, url = '/wxpay/notify/payment') =>
  app.inject({ method: 'POST', url, headers: wire.headers, payload: wire.body });

test('v3: an authentic notification pays the order, is answered 204 with no body, and logged with its headers', async (t) => {
  const { app, clock, order, facts } = await setup(t);
  const wire = notification(clock, facts);
  const res = await post(app, wire);
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAID');
  const [entry] = await app.wx.store.listNotifications(1);
  assert.equal(entry?.outcome, 'paid');
  assert.equal(entry?.apiVersion, 'v3');
  assert.equal(entry?.rawBody, wire.body);
  assert.equal(entry?.headers['wechatpay-serial'], SANDBOX_PUBLIC_KEY_ID);
  // WeChat resends the same bytes (re-signed): recorded as a redelivery, answered 204 again, nothing changes twice.
  clock.advance(15_000);
  const again = await post(app, resigned(clock, wire.body));
  assert.equal(again.statusCode, 204);
  assert.equal((await app.wx.store.listNotifications(1))[0]?.outcome, 'redelivery:duplicate');
  assert.equal((await app.wx.store.listEvents(order.orderId)).length, 1);
});

test('v3: every verification failure changes nothing, is stored raw, and is answered as DESIGN.md says', async (t) => {
  const { app, clock, order, facts } = await setup(t);
  const good = notification(clock, facts);
  const rows: { name: string; wire: () => Wire; status: number; outcome: string }[] = [
    {
      name: 'bad signature (another key under the named serial)',
      wire: () => ({ ...good, headers: { ...good.headers, ...signV3Response({ body: good.body, platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: clock.now }) } }),
      status: 401, outcome: 'rejected:bad_signature',
    },
    {
      name: 'WECHATPAY/SIGNTEST/ probe',
      wire: () => ({ ...good, headers: { ...good.headers, 'Wechatpay-Signature': 'WECHATPAY/SIGNTEST/abc' } }),
      status: 401, outcome: 'rejected:bad_signature',
    },
    {
      name: 'body changed after signing',
      wire: () => ({ ...good, body: good.body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ') }),
      status: 401, outcome: 'rejected:bad_signature',
    },
    {
      name: 'timestamp 6 minutes old',
      wire: () => ({ ...good, headers: { ...good.headers, ...signV3Response({ body: good.body, platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, timestamp: Math.floor(clock.now() / 1000) - 360 }) } }),
      status: 401, outcome: 'rejected:stale_timestamp',
    },
    {
      name: 'timestamp 6 minutes ahead',
      wire: () => ({ ...good, headers: { ...good.headers, ...signV3Response({ body: good.body, platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, timestamp: Math.floor(clock.now() / 1000) + 360 }) } }),
      status: 401, outcome: 'rejected:stale_timestamp',
    },
    {
      name: 'unknown serial (correctly signed)',
      wire: () => ({ ...good, headers: { ...good.headers, ...signV3Response({ body: good.body, platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: 'PUB_KEY_ID_0199999999999999999999999999999999', clock: clock.now }) } }),
      status: 401, outcome: 'rejected:unknown_serial',
    },
    {
      name: 'missing Wechatpay-Signature',
      wire: () => {
        const headers = { ...good.headers } as Record<string, string>;
        delete headers['Wechatpay-Signature'];
        return { ...good, headers };
      },
      status: 401, outcome: 'rejected:missing_header',
    },
    {
      // Signed by WeChat, but the GCM tag does not hold: not decryptable with our key → ask WeChat to retry.
      name: 'tampered ciphertext (re-signed)',
      wire: () => resigned(clock, editResource(good.body, (r) => {
        const bytes = Buffer.from(r.ciphertext ?? '', 'base64');
        bytes[0] = (bytes[0] ?? 0) ^ 1;
        r.ciphertext = bytes.toString('base64');
      })),
      status: 500, outcome: 'rejected:undecryptable',
    },
    {
      name: 'wrong associated_data (re-signed)',
      wire: () => resigned(clock, editResource(good.body, (r) => { r.associated_data = 'refund'; })),
      status: 500, outcome: 'rejected:undecryptable',
    },
    {
      name: 'algorithm not pinned AEAD_AES_256_GCM (re-signed)',
      wire: () => resigned(clock, editResource(good.body, (r) => { r.algorithm = 'AEAD_AES_128_GCM'; })),
      status: 500, outcome: 'rejected:undecryptable',
    },
  ];
  for (const row of rows) {
    const wire = row.wire();
    const res = await post(app, wire);
    assert.equal(res.statusCode, row.status, row.name);
    assert.equal((res.json() as { code: string }).code, 'FAIL', row.name);
    const [entry] = await app.wx.store.listNotifications(1);
    assert.equal(entry?.authentic, false, row.name);
    assert.equal(entry?.outcome, row.outcome, row.name);
    assert.equal(entry?.rawBody, wire.body, row.name);
    assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAYING', row.name);
  }
  assert.equal((await app.wx.store.listNotifications(100)).length, rows.length);
  assert.equal((await app.wx.store.listEvents(order.orderId)).length, 0);
});

test('v3: an authentic notification with the wrong amount is recorded (204), not paid, flagged for review', async (t) => {
  const { app, clock, order, facts } = await setup(t);
  const res = await post(app, notification(clock, facts, facts.amountFen - 1));
  assert.equal(res.statusCode, 204);
  const stored = await app.wx.store.getOrder(order.orderId);
  assert.equal(stored?.status, 'PAYING');
  assert.equal(stored?.reviewReason, 'amount_mismatch');
  assert.equal((await app.wx.store.listNotifications(1))[0]?.outcome, 'amount_mismatch');
});

test('v3: authentic but not recorded (database failure) is 500 with {code: FAIL}, so WeChat retries', async (t) => {
  const { app, clock, order, facts } = await setup(t);
  const store = app.wx.store;
  const restore = failNotificationWrites(store);
  const res = await post(app, notification(clock, facts));
  assert.equal(res.statusCode, 500);
  assert.equal((res.json() as { code: string }).code, 'FAIL');
  restore();
  assert.equal((await post(app, notification(clock, facts))).statusCode, 204);
  assert.equal((await store.getOrder(order.orderId))?.status, 'PAID');
});

test('v3: malformed or oversized bodies are refused before anything is trusted', async (t) => {
  const { app, order } = await setup(t);
  const big = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'application/json' }, payload: `{"a":"${'x'.repeat(70 * 1024)}"}` });
  assert.ok(big.statusCode >= 400 && big.statusCode < 600);
  assert.equal((big.json() as { code: string }).code, 'FAIL');
  const unsigned = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'application/json' }, payload: '{}' });
  assert.equal(unsigned.statusCode, 401);
  assert.equal((await app.wx.store.getOrder(order.orderId))?.status, 'PAYING');
});
