/**
 * Many merchants on one server and one sandbox (issue 16): the merchant of the environment (the sandbox's demo
 * merchant, on the suite's API version) plus a direct v2 merchant and a direct v3 merchant added through
 * POST /admin/merchants. Each logs its own users in (POST /api/login {appid}), sells from its own catalogue, is paid
 * and notified at its own URL, refunds and reconciles its own bill — independently, at once. Forgeries across
 * merchants change nothing: one merchant's validly signed notification posted to another's URL is refused (not
 * authentic with that merchant's keys), and a notification signed with a merchant's own keys but naming another
 * merchant's order is recorded as wrong_merchant or unknown_order, counted, and applies nothing.
 */
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { REDACT_PATHS } from '../../packages/server/src/app.js';
import assert from 'node:assert/strict';
import { DEMO_MERCHANT } from '@wxpay-kit/sandbox';
import type { SandboxMerchant } from '@wxpay-kit/sandbox';
import { buildV3Notification, generateV3MerchantIdentity, SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, SANDBOX_PUBLIC_KEY_PEM, signV2Notification } from '@wxpay-kit/wechat/testing';
import { chinaDate } from '../../packages/server/src/jobs/bill-reconciliation.js';
import type { KyselyStore } from '../../packages/server/src/store/kysely-store.js';
import { API_VERSIONS, chinaNoon, startStack } from './helpers/stack.js';
import type { CreatedOrder, Stack } from './helpers/stack.js';

const ADMIN = { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' };

const V3_IDENTITY = generateV3MerchantIdentity();
const SHOP_V2: SandboxMerchant = { name: 'shop-v2', appid: 'wx1111111111111111', secret: 'shop-v2-app-secret-0123456789', mchid: '1900000102', apiKey: 'shopv2apikey0123456789abcdefABCD', apiV3Key: 'shopv2apiv3key0123456789abcdefAB' };
const SHOP_V3: SandboxMerchant = {
  name: 'shop-v3',
  appid: 'wx2222222222222222',
  secret: 'shop-v3-app-secret-0123456789',
  mchid: '1900000103',
  apiKey: 'shopv3apikey0123456789abcdefABCD',
  apiV3Key: 'shopv3apiv3key0123456789abcdefAB',
  merchantCertSerial: V3_IDENTITY.serialNo,
  merchantPublicKey: V3_IDENTITY.publicKeyPem,
};

type Shop = { id: string; appid: string; mchid: string; version: 'v2' | 'v3'; sku: string; price: number; subMchid?: string; spAppid?: string; apiV3Key?: string; apiKey?: string };
type Buyer = { token: string; openid: string; shop: Shop };

async function post(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> {
  return fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function addMerchants(s: Stack): Promise<void> {
  // Wrong credentials are refused before anything is saved, and the answer repeats none of them.
  const wrongKey = await post(`${s.url}/admin/merchants`, { id: 'shop-v2', name: 'Shop v2', appid: SHOP_V2.appid, appSecret: SHOP_V2.secret, mchid: SHOP_V2.mchid, apiVersion: 'v2', apiKey: 'x'.repeat(32) }, ADMIN);
  const wrongBody = await wrongKey.text();
  assert.equal(wrongKey.status, 422, wrongBody);
  assert.ok(!wrongBody.includes('x'.repeat(32)) && !wrongBody.includes(SHOP_V2.secret));
  const wrongSecret = await post(`${s.url}/admin/merchants`, { id: 'shop-v2', name: 'Shop v2', appid: SHOP_V2.appid, appSecret: 'not-the-app-secret-0000', mchid: SHOP_V2.mchid, apiVersion: 'v2', apiKey: SHOP_V2.apiKey }, ADMIN);
  assert.equal(wrongSecret.status, 422, await wrongSecret.text());
  const missing = await post(`${s.url}/admin/merchants`, { id: 'shop-v3', name: 'Shop v3', appid: SHOP_V3.appid, appSecret: SHOP_V3.secret, mchid: SHOP_V3.mchid, apiVersion: 'v3', apiV3Key: SHOP_V3.apiV3Key }, ADMIN);
  assert.equal(missing.status, 400, 'v3 without its private key and serial is refused by the schema');

  const v2 = await post(`${s.url}/admin/merchants`, { id: 'shop-v2', name: 'Shop v2', appid: SHOP_V2.appid, appSecret: SHOP_V2.secret, mchid: SHOP_V2.mchid, apiVersion: 'v2', apiKey: SHOP_V2.apiKey }, ADMIN);
  assert.equal(v2.status, 201, await v2.clone().text());
  const v3 = await post(`${s.url}/admin/merchants`, {
    id: 'shop-v3', name: 'Shop v3', appid: SHOP_V3.appid, appSecret: SHOP_V3.secret, mchid: SHOP_V3.mchid, apiVersion: 'v3',
    apiV3Key: SHOP_V3.apiV3Key, privateKeyPem: V3_IDENTITY.privateKeyPem, certSerial: V3_IDENTITY.serialNo, publicKeyId: SANDBOX_PUBLIC_KEY_ID, publicKeyPem: SANDBOX_PUBLIC_KEY_PEM,
  }, ADMIN);
  const v3Body = await v3.text();
  assert.equal(v3.status, 201, v3Body);
  assert.ok(!v3Body.includes('PRIVATE KEY') && !v3Body.includes(SHOP_V3.apiV3Key) && !v3Body.includes(SHOP_V3.secret));
  const again = await post(`${s.url}/admin/merchants`, { id: 'shop-v2', name: 'Again', appid: SHOP_V2.appid, appSecret: SHOP_V2.secret, mchid: SHOP_V2.mchid, apiVersion: 'v2', apiKey: SHOP_V2.apiKey }, ADMIN);
  assert.equal(again.status, 409);

  const listed = await (await fetch(`${s.url}/admin/merchants`, { headers: ADMIN })).text();
  for (const secret of [SHOP_V2.apiKey, SHOP_V2.secret, SHOP_V3.apiV3Key, SHOP_V3.secret, DEMO_MERCHANT.apiKey, DEMO_MERCHANT.secret, 'PRIVATE KEY']) assert.ok(!listed.includes(secret), 'no secret is listed');
  const merchants = (JSON.parse(listed) as { merchants: { id: string; apiVersion: string; notifyPaths: { payment: string } }[] }).merchants;
  assert.deepEqual(merchants.map((m) => [m.id, m.apiVersion, m.notifyPaths.payment]), [
    ['default', s.version, '/wxpay/notify/payment'],
    ['shop-v2', 'v2', '/wxpay/notify/shop-v2/payment'],
    ['shop-v3', 'v3', '/wxpay/notify/shop-v3/payment'],
  ]);
  // Secrets are sealed at rest: the row holds neither the key nor the app secret.
  const rows = JSON.stringify(await (s.app.wx.store as KyselyStore).database.selectFrom('merchants').selectAll().execute());
  for (const secret of [SHOP_V2.apiKey, SHOP_V2.secret, SHOP_V3.apiV3Key, 'PRIVATE KEY']) assert.ok(!rows.includes(secret), 'sealed at rest');

  for (const [merchantId, sku, price] of [['shop-v2', 'v2-bun', 300], ['shop-v3', 'v3-cake', 700]] as const) {
    const res = await post(`${s.url}/admin/products`, { sku, name: sku, price, merchantId }, ADMIN);
    assert.equal(res.status, 201, await res.clone().text());
  }
}

type Listed = { id: string; appid: string; secret: string; mchid: string; apiKey: string; apiV3Key: string; merchantCertSerial: string; merchantPrivateKey: string };

/** A v3 service provider and two sub-merchants in the sandbox (its control API), added to the server as merchants. */
async function addSubMerchants(s: Stack): Promise<Shop[]> {
  const sandboxPost = async (body: unknown) => {
    const res = await post(`${s.sandbox.url}/sandbox/merchants`, body);
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Listed;
  };
  const provider = await sandboxPost({ kind: 'provider', name: 'SaaS provider', apiVersions: ['v3'] });
  const shops: Shop[] = [];
  for (const [i, name] of ['sub-a', 'sub-b'].entries()) {
    const sub = await sandboxPost({ kind: 'sub', name, providerId: provider.id });
    const res = await post(`${s.url}/admin/merchants`, {
      id: name, name, appid: sub.appid, appSecret: sub.secret, mchid: provider.mchid, apiVersion: 'v3', payMode: 'partner', spAppid: provider.appid, subMchid: sub.mchid,
      apiV3Key: provider.apiV3Key, privateKeyPem: provider.merchantPrivateKey, certSerial: provider.merchantCertSerial, publicKeyId: SANDBOX_PUBLIC_KEY_ID, publicKeyPem: SANDBOX_PUBLIC_KEY_PEM,
    }, ADMIN);
    assert.equal(res.status, 201, await res.clone().text());
    const sku = `${name}-tea`;
    const price = 500 + i * 100;
    assert.equal((await post(`${s.url}/admin/products`, { sku, name: sku, price, merchantId: name }, ADMIN)).status, 201);
    shops.push({ id: name, appid: sub.appid, mchid: provider.mchid, subMchid: sub.mchid, spAppid: provider.appid, apiV3Key: provider.apiV3Key, version: 'v3', sku, price });
  }
  return shops;
}

/**
 * A v2 service provider and its sub-merchant (sandbox control API), added as a v2 partner merchant: the provider's
 * appid, mch_id and API key sign everything; the sub-merchant's sub_mch_id and mini program (sub_appid) are sent
 * with every call, and the payer is its sub_openid.
 */
async function addV2SubMerchant(s: Stack): Promise<Shop> {
  const sandboxPost = async (body: unknown) => {
    const res = await post(`${s.sandbox.url}/sandbox/merchants`, body);
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as Listed;
  };
  const provider = await sandboxPost({ kind: 'provider', name: 'v2 provider', apiVersions: ['v2'] });
  const sub = await sandboxPost({ kind: 'sub', name: 'sub-v2', providerId: provider.id });
  const input = { id: 'sub-v2', name: 'sub-v2', appid: sub.appid, appSecret: sub.secret, mchid: provider.mchid, apiVersion: 'v2', payMode: 'partner', spAppid: provider.appid, subMchid: sub.mchid };
  // Another provider's key is refused before anything is saved.
  const wrong = await post(`${s.url}/admin/merchants`, { ...input, apiKey: 'y'.repeat(32) }, ADMIN);
  assert.equal(wrong.status, 422, await wrong.clone().text());
  const res = await post(`${s.url}/admin/merchants`, { ...input, apiKey: provider.apiKey }, ADMIN);
  const body = await res.text();
  assert.equal(res.status, 201, body);
  assert.ok(!body.includes(provider.apiKey) && !body.includes(sub.secret), 'credentials in, never out');
  assert.equal((await post(`${s.url}/admin/products`, { sku: 'sub-v2-rice', name: 'rice', price: 800, merchantId: 'sub-v2' }, ADMIN)).status, 201);
  return { id: 'sub-v2', appid: sub.appid, mchid: provider.mchid, subMchid: sub.mchid, spAppid: provider.appid, version: 'v2', sku: 'sub-v2-rice', price: 800, apiKey: provider.apiKey };
}

for (const version of API_VERSIONS) {
  describe(`many merchants on one server (first merchant ${version})`, () => {
    test('direct v2 and v3 merchants, two sub-merchants of one v3 provider and a v2 sub-merchant pay, are notified, refund and reconcile independently; cross-merchant forgeries change nothing', async (t) => {
      // Everything the server logs, at its most verbose, is kept: no merchant secret may appear in it.
      const logLines: string[] = [];
      const sink = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
      const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
      const s = await startStack(t, version, { startAt: chinaNoon(Date.now()), merchants: [SHOP_V2, SHOP_V3], deps: { logger } });
      await addMerchants(s);
      const shops: Shop[] = [
        { id: 'default', appid: DEMO_MERCHANT.appid, mchid: DEMO_MERCHANT.mchid, version, sku: 'tea-oolong', price: 0 },
        { id: 'shop-v2', appid: SHOP_V2.appid, mchid: SHOP_V2.mchid, version: 'v2', sku: 'v2-bun', price: 300 },
        { id: 'shop-v3', appid: SHOP_V3.appid, mchid: SHOP_V3.mchid, version: 'v3', sku: 'v3-cake', price: 700 },
        ...(await addSubMerchants(s)),
        await addV2SubMerchant(s),
      ];

      const login = async (shop: Shop, user: string): Promise<Buyer> => {
        const wx = (await (await post(`${s.url}/sandbox/wx/login`, { appid: shop.appid, user })).json()) as { code: string; openid: string };
        const res = await post(`${s.url}/api/login`, shop.id === 'default' ? { code: wx.code } : { code: wx.code, appid: shop.appid });
        assert.equal(res.status, 200, await res.clone().text());
        return { token: ((await res.json()) as { token: string }).token, openid: wx.openid, shop };
      };
      const order = async (b: Buyer, sku = b.shop.sku) => {
        const res = await post(`${s.url}/api/orders`, { items: [{ sku, quantity: 1 }] }, { 'content-type': 'application/json', authorization: `Bearer ${b.token}` });
        return { status: res.status, body: (await res.json()) as CreatedOrder & { error?: { code: string } } };
      };
      const statusOf = async (orderId: string) => (await s.app.wx.store.getOrder(orderId))?.status;

      const unknownApp = await post(`${s.url}/api/login`, { code: 'x', appid: 'wx9999999999999999' });
      assert.equal(unknownApp.status, 404);
      const buyers = await Promise.all(shops.map((shop) => login(shop, `buyer-of-${shop.id}`)));
      // Catalogues are per merchant: the same user of shop-v2 cannot buy the default merchant's tea, nor see it.
      const v2Buyer = buyers[1] as Buyer;
      assert.equal((await order(v2Buyer, 'tea-oolong')).status, 400);
      const catalogue = (await (await fetch(`${s.url}/api/products?appid=${SHOP_V3.appid}`)).json()) as { products: { sku: string; price: number }[] };
      assert.deepEqual(catalogue.products, [{ sku: 'v3-cake', name: 'v3-cake', price: 700 }]);

      // Everyone orders and pays at once.
      const placed = await Promise.all(buyers.map(async (b) => {
        const created = await order(b);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        return { buyer: b, created: created.body };
      }));
      await Promise.all(placed.map(async ({ buyer, created }) => {
        assert.equal(await s.pay(buyer, created.payParams, 'pay', buyer.shop.appid), 'requestPayment:ok');
      }));
      for (const { buyer, created } of placed) {
        assert.equal(await statusOf(created.orderId), 'PAID', `${buyer.shop.id}: paid by its own notification`);
        const row = await s.app.wx.store.getOrder(created.orderId);
        assert.equal(row?.merchantId, buyer.shop.id === 'default' ? undefined : buyer.shop.id);
        // A session of one merchant never reads another merchant's order.
        const other = buyers.find((b) => b.shop.id !== buyer.shop.id) as Buyer;
        assert.equal((await fetch(`${s.url}/api/orders/${created.orderId}`, { headers: { authorization: `Bearer ${other.token}` } })).status, 404);
        // The notification came to the merchant's own URL.
        const notes = await s.sandboxNotifications(created.outTradeNo);
        assert.equal(notes.length, 1);
      }
      // The v2 sub-merchant's order went out under the provider with its sub_mch_id, and was paid to it.
      const subV2 = placed.find((p) => p.buyer.shop.id === 'sub-v2');
      assert.ok(subV2 !== undefined);
      const atSandbox = (await (await fetch(`${s.sandbox.url}/sandbox/orders?outTradeNo=${subV2.created.outTradeNo}`)).json()) as { orders: Record<string, unknown>[] };
      assert.equal(atSandbox.orders[0]?.mchid, subV2.buyer.shop.subMchid, JSON.stringify(atSandbox.orders[0]));
      const filtered = (await (await fetch(`${s.url}/admin/orders?merchantId=shop-v3`, { headers: ADMIN })).json()) as { orders: { orderId: string; merchantId: string }[] };
      assert.deepEqual(filtered.orders.map((o) => [o.orderId, o.merchantId]), [[placed[2]?.created.orderId, 'shop-v3']]);

      // Refunds, each through its merchant's keys, each notified at its merchant's refund URL.
      for (const { created } of placed) {
        const res = await post(`${s.url}/admin/orders/${created.orderId}/refunds`, { amount: 1, reason: 'e2e' }, ADMIN);
        assert.equal(res.status, 202, await res.clone().text());
      }
      await s.advance(60);
      for (const { buyer, created } of placed) assert.equal(await statusOf(created.orderId), 'PARTIALLY_REFUNDED', `${buyer.shop.id}: refund settled`);

      // Forgeries. An unpaid order of shop-v2, and one of shop-v3.
      const v2Target = (await order(v2Buyer)).body;
      const v3Buyer = buyers[2] as Buyer;
      const v3Target = (await order(v3Buyer)).body;
      const timeEnd = new Date(s.clock.now() + 8 * 3600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
      const v2Fields = (appid: string, mchid: string, outTradeNo: string, total: number, transactionId: string) => ({
        return_code: 'SUCCESS', result_code: 'SUCCESS', appid, mch_id: mchid, nonce_str: `n${transactionId}`, openid: v2Buyer.openid, is_subscribe: 'N', trade_type: 'JSAPI',
        bank_type: 'OTHERS', total_fee: total, fee_type: 'CNY', cash_fee: total, transaction_id: transactionId, out_trade_no: outTradeNo, time_end: timeEnd,
      });
      const postXml = (path: string, xml: string) => post(`${s.url}${path}`, xml, { 'content-type': 'text/xml' });
      // (1) shop-v2's notification, validly signed with shop-v2's key, at the other merchants' URLs: not authentic there.
      const byShopV2 = signV2Notification(v2Fields(SHOP_V2.appid, SHOP_V2.mchid, v2Target.outTradeNo, v2Target.amount, '4200000000000000000000000001'), SHOP_V2.apiKey, 'HMAC-SHA256');
      for (const path of ['/wxpay/notify/payment', '/wxpay/notify/default/payment', '/wxpay/notify/shop-v3/payment']) {
        const res = await postXml(path, byShopV2);
        assert.notEqual(res.status, 204, path);
        assert.ok(res.status !== 200 || (await res.text()).includes('FAIL'), `${path} refuses shop-v2's notification`);
      }
      assert.equal(await statusOf(v2Target.orderId), 'PAYING');
      // (2) shop-v3's notification (signed by WeChat Pay's key, encrypted with shop-v3's APIv3 key) at the others' URLs.
      const v3Plain = (appid: string, mchid: string, outTradeNo: string, total: number, transactionId = '4200000000000000000000000002') => ({
        appid, mchid, out_trade_no: outTradeNo, transaction_id: transactionId, trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功',
        bank_type: 'OTHERS', attach: '', success_time: new Date(s.clock.now()).toISOString().replace('Z', '+00:00'), payer: { openid: v3Buyer.openid },
        amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
      });
      const v3Note = (apiV3Key: string, plain: object) => buildV3Notification({ eventType: 'TRANSACTION.SUCCESS', plaintext: plain, apiV3Key, platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: s.clock.now });
      const byShopV3 = v3Note(SHOP_V3.apiV3Key, v3Plain(SHOP_V3.appid, SHOP_V3.mchid, v3Target.outTradeNo, v3Target.amount));
      for (const path of ['/wxpay/notify/payment', '/wxpay/notify/shop-v2/payment']) {
        const res = await post(`${s.url}${path}`, byShopV3.body, byShopV3.headers);
        assert.notEqual(res.status, 204, path);
        assert.ok(res.status !== 200 || (await res.text()).includes('FAIL'), `${path} refuses shop-v3's notification`);
      }
      assert.equal(await statusOf(v3Target.orderId), 'PAYING');
      // (3) Signed with the first merchant's own keys, naming another merchant's order: authentic at its own URL,
      // but the order is not its own (recorded, counted, nothing applied).
      if (version === 'v2') {
        const forged = signV2Notification(v2Fields(SHOP_V2.appid, SHOP_V2.mchid, v2Target.outTradeNo, v2Target.amount, '4200000000000000000000000003'), DEMO_MERCHANT.apiKey, 'HMAC-SHA256');
        const res = await postXml('/wxpay/notify/payment', forged);
        assert.ok((await res.text()).includes('SUCCESS'), 'authentic with our key: recorded (and acknowledged)');
        const ours = signV2Notification(v2Fields(DEMO_MERCHANT.appid, DEMO_MERCHANT.mchid, v2Target.outTradeNo, v2Target.amount, '4200000000000000000000000004'), DEMO_MERCHANT.apiKey, 'HMAC-SHA256');
        await (await postXml('/wxpay/notify/payment', ours)).text();
      } else {
        for (const plain of [v3Plain(SHOP_V3.appid, SHOP_V3.mchid, v3Target.outTradeNo, v3Target.amount, '4200000000000000000000000005'), v3Plain(DEMO_MERCHANT.appid, DEMO_MERCHANT.mchid, v3Target.outTradeNo, v3Target.amount, '4200000000000000000000000006')]) {
          const forged = v3Note(DEMO_MERCHANT.apiV3Key, plain);
          const res = await post(`${s.url}/wxpay/notify/payment`, forged.body, forged.headers);
          assert.equal(res.status, 204, 'authentic with our key: recorded (and acknowledged)');
        }
      }
      assert.equal(await statusOf(v2Target.orderId), 'PAYING');
      assert.equal(await statusOf(v3Target.orderId), 'PAYING');
      const log = await s.app.wx.store.listNotifications(1000);
      const verdicts = log.filter((n) => n.authentic && n.outcome !== 'paid' && !n.outcome.startsWith('refund')).map((n) => n.outcome).sort();
      // v2: the order is another merchant's, so the signature binds to no attempt of ours (unknown_order); v3: its
      // order belongs to another merchant (applyPayment's check). Naming another merchant is wrong_merchant in both.
      assert.deepEqual(verdicts, version === 'v2' ? ['unknown_order', 'wrong_merchant'] : ['wrong_merchant', 'wrong_merchant']);
      const refused = log.filter((n) => !n.authentic).length;
      assert.ok(refused >= 1, 'refused deliveries are kept (sampled) in the audit log');
      await s.app.wx.jobs.flushRefusals();
      const counts = await s.app.wx.store.listRefusalCounts(0, 100);
      const total = counts.reduce((sum, c) => sum + c.count, 0);
      assert.equal(total, 5 + (version === 'v3' ? 2 : 1), `every refusal counted: ${JSON.stringify(counts.map((c) => [c.reason, c.count]))}`);
      // Five refused as not authentic at the wrong URL, and the authentic ones naming another merchant's order.
      assert.ok(counts.some((c) => c.reason === 'wrong_merchant'));

      // Sub-merchants of one provider: every notification is validly signed and encrypted with the provider's keys,
      // so only the sub_mchid (and the order's merchant) tell them apart.
      const [subA, subB] = [shops[3] as Shop, shops[4] as Shop];
      const subABuyer = buyers[3] as Buyer;
      const subATarget = (await order(subABuyer)).body;
      const partnerPlain = (sub: Shop, outTradeNo: string, total: number, transactionId: string) => ({
        sp_appid: sub.spAppid, sp_mchid: sub.mchid, sub_appid: sub.appid, sub_mchid: sub.subMchid, out_trade_no: outTradeNo, transaction_id: transactionId, trade_type: 'JSAPI',
        trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '', success_time: new Date(s.clock.now()).toISOString().replace('Z', '+00:00'),
        payer: { sub_openid: subABuyer.openid }, amount: { total, payer_total: total, currency: 'CNY', payer_currency: 'CNY' },
      });
      // sub-a's own notification at sub-b's URL: authentic, but it names sub-a: wrong_merchant, nothing applied.
      const aAtB = v3Note(subA.apiV3Key ?? '', partnerPlain(subA, subATarget.outTradeNo, subATarget.amount, '4200000000000000000000000007'));
      assert.equal((await post(`${s.url}/wxpay/notify/sub-b/payment`, aAtB.body, aAtB.headers)).status, 204);
      // One naming sub-b but sub-a's order, at sub-b's URL: the order is not sub-b's: wrong_merchant.
      const bNamingA = v3Note(subA.apiV3Key ?? '', partnerPlain(subB, subATarget.outTradeNo, subATarget.amount, '4200000000000000000000000008'));
      assert.equal((await post(`${s.url}/wxpay/notify/sub-b/payment`, bNamingA.body, bNamingA.headers)).status, 204);
      // sub-a's notification at a direct merchant's URL: not authentic there (another APIv3 key).
      assert.notEqual((await post(`${s.url}/wxpay/notify/shop-v3/payment`, aAtB.body, aAtB.headers)).status, 204);
      assert.equal(await statusOf(subATarget.orderId), 'PAYING');
      const subBLog = (await s.app.wx.store.listNotifications(1000)).filter((n) => n.authentic && (n.rawBody === aAtB.body || n.rawBody === bNamingA.body));
      assert.deepEqual(subBLog.map((n) => n.outcome).sort(), ['wrong_merchant', 'wrong_merchant']);
      await s.app.wx.jobs.flushRefusals();
      const after = (await s.app.wx.store.listRefusalCounts(0, 100)).reduce((sum, c) => sum + c.count, 0);
      assert.equal(after, total + 3, 'two wrong_merchant verdicts and one refusal, counted');

      // The forged ones aside, each merchant's own notification still pays its own order.
      assert.equal(await s.pay(v2Buyer, v2Target.payParams, 'pay', SHOP_V2.appid), 'requestPayment:ok');
      assert.equal(await statusOf(v2Target.orderId), 'PAID');

      // The v2 sub-merchant: a notification validly signed with the provider's key but naming a sibling sub-merchant
      // (another sub_mch_id) is authentic and recorded as wrong_merchant; nothing is applied. Its own then pays.
      const subV2Shop = shops.find((shop) => shop.id === 'sub-v2') as Shop;
      const subV2Buyer = buyers.find((b) => b.shop.id === 'sub-v2') as Buyer;
      const subV2Target = (await order(subV2Buyer)).body;
      const subV2Fields = (subMchid: string, transactionId: string) => ({
        ...v2Fields(subV2Shop.spAppid ?? '', subV2Shop.mchid, subV2Target.outTradeNo, subV2Target.amount, transactionId),
        openid: 'o-provider-openid', sub_appid: subV2Shop.appid, sub_mch_id: subMchid, sub_openid: subV2Buyer.openid, sub_is_subscribe: 'N',
      });
      const sibling = signV2Notification(subV2Fields('1999999999', '4200000000000000000000000009'), subV2Shop.apiKey ?? '', 'HMAC-SHA256');
      assert.ok((await (await postXml('/wxpay/notify/sub-v2/payment', sibling)).text()).includes('SUCCESS'), 'authentic with the provider key: recorded');
      assert.equal(await statusOf(subV2Target.orderId), 'PAYING');
      const siblingLog = (await s.app.wx.store.listNotifications(1000)).filter((n) => n.rawBody === sibling);
      assert.deepEqual(siblingLog.map((n) => n.outcome), ['wrong_merchant']);
      assert.equal(await s.pay(subV2Buyer, subV2Target.payParams, 'pay', subV2Shop.appid), 'requestPayment:ok');
      assert.equal(await statusOf(subV2Target.orderId), 'PAID');

      // Each merchant's bill holds its own payment and refund, and nothing of the others'.
      const paidAt = (await s.app.wx.store.getOrder(placed[0]?.created.orderId ?? ''))?.paidAt ?? 0;
      const date = chinaDate(paidAt);
      for (const shop of shops) {
        const res = await post(`${s.url}/admin/reconciliations`, shop.id === 'default' ? { date } : { date, merchantId: shop.id }, ADMIN);
        const run = ((await res.json()) as { reconciliation: { status: string; billPayments: number; billRefunds: number; differences: unknown[] } }).reconciliation;
        const payments = shop.id === 'shop-v2' || shop.id === 'sub-v2' ? 2 : 1;
        assert.deepEqual([run.status, run.billPayments, run.billRefunds], ['matched', payments, 1], `${shop.id}: ${JSON.stringify(run.differences)}`);
      }
      const runs = (await (await fetch(`${s.url}/admin/reconciliations?merchantId=shop-v3`, { headers: ADMIN })).json()) as { reconciliations: { date: string }[] };
      assert.deepEqual(runs.reconciliations.map((r) => r.date), [date]);

      const logText = logLines.join('');
      assert.ok(logText.includes('merchant added') && logText.includes('merchant credentials refused'), 'the log says what happened');
      const subSecrets = shops.flatMap((shop) => [shop.apiV3Key, shop.apiKey].filter((k): k is string => k !== undefined));
      for (const secret of [SHOP_V2.apiKey, SHOP_V2.secret, SHOP_V3.apiV3Key, SHOP_V3.secret, 'PRIVATE KEY', 'x'.repeat(32), ...subSecrets]) assert.ok(!logText.includes(secret), 'no merchant secret is logged');
    });
  });
}
