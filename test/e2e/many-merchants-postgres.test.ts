/**
 * Many merchants on PostgreSQL with two server processes behind a round-robin balancer and one sandbox (issue 16):
 * the environment's merchant plus a direct v2 merchant and two sub-merchants of one v3 service provider. A merchant
 * added through instance A is served by instance B without a restart (loaded from the merchants table on first use);
 * logins, orders and payments alternate between the instances, notifications reach either through the balancer at
 * each merchant's own URL, and refunds and bills are each merchant's own. A sub-merchant's notification posted to its
 * sibling's URL is authentic (the provider's keys) and still applies nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSandbox } from '@wxpay-kit/sandbox';
import type { Sandbox } from '@wxpay-kit/sandbox';
import { buildV3Notification, SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, SANDBOX_PUBLIC_KEY_PEM } from '@wxpay-kit/wechat/testing';
import pg from 'pg';
import { dropSchema } from '../../packages/server/src/store/postgres.js';
import { chinaDate } from '../../packages/server/src/jobs/bill-reconciliation.js';
import { freshSchema, postgresUrl, REQUIRE_POSTGRES } from '../../packages/server/test/helpers/postgres.js';
import { startBalancer, startInstance, stopInstance, waitFor } from './helpers/instances.js';
import type { Balancer, Instance } from './helpers/instances.js';

const ADMIN_TOKEN = 'pg-merchants-admin-token-0123456789';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
type Listed = { id: string; appid: string; secret: string; mchid: string; apiKey: string; apiV3Key: string; merchantCertSerial: string; merchantPrivateKey: string };
type Shop = { id: string; appid: string; sku: string; sub?: Listed; provider?: Listed };
type PayParams = { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };

const pgUrl = await postgresUrl();
if (pgUrl === undefined && !REQUIRE_POSTGRES) process.stderr.write('\n!!! SKIPPING many merchants on PostgreSQL: not reachable at 127.0.0.1:5432 (CI=true makes this a failure)\n\n');

async function post(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Response> {
  return fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('many merchants on PostgreSQL, two instances', { skip: pgUrl === undefined && !REQUIRE_POSTGRES }, () => {
  let sandbox: Sandbox;
  let balancer: Balancer;
  let instances: Instance[] = [];
  let schema: string;
  let db: pg.Client;
  // The sandbox's virtual time starts at the real time (v2 checks time_expire against it) and is frozen there.
  const t0 = Date.now();

  before(async () => {
    if (pgUrl === undefined) throw new Error('PostgreSQL is not reachable at 127.0.0.1:5432; CI=true requires it');
    schema = freshSchema('merchants');
    // The sandbox's notifications go out when the cashier pays; its refunds settle when the test advances its clock.
    sandbox = await createSandbox({ now: () => t0, wallClock: Date.now });
    const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
    const pool: Instance[] = [];
    balancer = await startBalancer(pool);
    const env = {
      PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: balancer.url, DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema, DATABASE_POOL_MAX: '4',
      WXPAY_MODE: 'sandbox', WXPAY_API_VERSION: 'v3', WXPAY_API_BASE: sandboxUrl, SESSION_SECRET: 'pg-merchants-session-secret-0123456789', ADMIN_TOKEN,
      LOG_LEVEL: 'fatal', JOBS_INTERVAL_MS: '300', JOBS_LEASE_MS: '2000',
    };
    instances = await Promise.all(['a', 'b'].map((name) => startInstance(name, env)));
    pool.push(...instances);
    db = new pg.Client({ connectionString: pgUrl });
    await db.connect();
    await db.query(`set search_path to "${schema}"`);
  });

  after(async () => {
    await Promise.all(instances.map((i) => stopInstance(i)));
    await db?.end().catch(() => {});
    await balancer?.close();
    await sandbox?.close();
    if (pgUrl !== undefined && schema !== undefined) await dropSchema(pgUrl, schema);
  });

  test('each merchant pays, is notified, refunds and reconciles on its own; a sub-merchant forgery applies nothing', async () => {
    const [a, b] = instances as [Instance, Instance];
    const sandboxPost = async (body: unknown) => {
      const res = await post(`${sandbox.url}/sandbox/merchants`, body);
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as Listed;
    };
    // Merchants are added through instance A only.
    const direct = await sandboxPost({ kind: 'direct', name: 'Direct v2', apiVersions: ['v2'] });
    const added = await post(`${a.url}/admin/merchants`, { id: 'shop-v2', name: 'Direct v2', appid: direct.appid, appSecret: direct.secret, mchid: direct.mchid, apiVersion: 'v2', apiKey: direct.apiKey }, ADMIN);
    const addedText = await added.clone().text();
    assert.equal(added.status, 201, addedText);
    const provider = await sandboxPost({ kind: 'provider', name: 'Provider', apiVersions: ['v3'] });
    const shops: Shop[] = [{ id: 'default', appid: sandbox.demoMerchant.appid, sku: 'tea-oolong' }, { id: 'shop-v2', appid: direct.appid, sku: 'v2-bun' }];
    for (const name of ['sub-a', 'sub-b']) {
      const sub = await sandboxPost({ kind: 'sub', name, providerId: provider.id });
      const res = await post(`${a.url}/admin/merchants`, {
        id: name, name, appid: sub.appid, appSecret: sub.secret, mchid: provider.mchid, apiVersion: 'v3', payMode: 'partner', spAppid: provider.appid, subMchid: sub.mchid,
        apiV3Key: provider.apiV3Key, privateKeyPem: provider.merchantPrivateKey, certSerial: provider.merchantCertSerial, publicKeyId: SANDBOX_PUBLIC_KEY_ID, publicKeyPem: SANDBOX_PUBLIC_KEY_PEM,
      }, ADMIN);
      assert.equal(res.status, 201, await res.clone().text());
      shops.push({ id: name, appid: sub.appid, sku: `${name}-tea`, sub, provider });
    }
    for (const shop of shops.slice(1)) assert.equal((await post(`${a.url}/admin/products`, { sku: shop.sku, name: shop.sku, price: 300, merchantId: shop.id }, ADMIN)).status, 201);
    // Instance B never saw a POST /admin/merchants: it lists them from the table.
    const listed = (await (await fetch(`${b.url}/admin/merchants`, { headers: ADMIN })).json()) as { merchants: { id: string }[] };
    assert.deepEqual(listed.merchants.map((m) => m.id), ['default', 'shop-v2', 'sub-a', 'sub-b']);

    // Log in on B, order on A, pay; the notification reaches either instance through the balancer.
    const placed = await Promise.all(shops.map(async (shop, i) => {
      const wx = (await (await post(`${sandbox.url}/sandbox/wx/login`, { appid: shop.appid, user: `u${i}` })).json()) as { code: string; openid: string };
      const login = await post(`${b.url}/api/login`, { code: wx.code, appid: shop.appid });
      assert.equal(login.status, 200, await login.clone().text());
      const token = ((await login.json()) as { token: string }).token;
      const res = await post(`${a.url}/api/orders`, { items: [{ sku: shop.sku, quantity: 1 }] }, { 'content-type': 'application/json', authorization: `Bearer ${token}` });
      const text = await res.text();
      assert.equal(res.status, 201, `${shop.id}: ${text}`);
      const created = JSON.parse(text) as { orderId: string; outTradeNo: string; amount: number; payParams: PayParams };
      const paid = (await (await post(`${sandbox.url}/sandbox/wx/requestPayment`, { ...created.payParams, openid: wx.openid, appid: shop.appid, action: 'pay' })).json()) as { errMsg: string };
      assert.equal(paid.errMsg, 'requestPayment:ok');
      return { shop, token, openid: wx.openid, ...created };
    }));
    const statusOf = async (orderId: string) => (await db.query<{ status: string; merchant_id: string }>('select status, merchant_id from orders where id = $1', [orderId])).rows[0];
    await waitFor(async () => (await Promise.all(placed.map(async (p) => (await statusOf(p.orderId))?.status))).every((s) => s === 'PAID'), 20_000, () => 'every order PAID');
    for (const p of placed) assert.equal((await statusOf(p.orderId))?.merchant_id, p.shop.id);

    // Refunds through alternating instances; the sandbox settles them after its refund delay.
    for (const [i, p] of placed.entries()) {
      const res = await post(`${(i % 2 === 0 ? a : b).url}/admin/orders/${p.orderId}/refunds`, { amount: 1 }, ADMIN);
      assert.equal(res.status, 202, await res.clone().text());
    }
    await sandbox.clock.advance(60);
    await waitFor(async () => (await Promise.all(placed.map(async (p) => (await statusOf(p.orderId))?.status))).every((s) => s === 'PARTIALLY_REFUNDED'), 20_000, () => 'every refund settled');

    // sub-a's notification (the provider's keys) at sub-b's URL, through the balancer: recorded as wrong_merchant.
    const subA = placed[2] as (typeof placed)[number];
    const target = JSON.parse(await (await post(`${a.url}/api/orders`, { items: [{ sku: subA.shop.sku, quantity: 2 }] }, { 'content-type': 'application/json', authorization: `Bearer ${subA.token}` })).text()) as { orderId: string; outTradeNo: string; amount: number };
    const forged = buildV3Notification({
      eventType: 'TRANSACTION.SUCCESS', apiV3Key: provider.apiV3Key, platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: Date.now,
      plaintext: {
        sp_appid: provider.appid, sp_mchid: provider.mchid, sub_appid: subA.shop.appid, sub_mchid: subA.shop.sub?.mchid, out_trade_no: target.outTradeNo, transaction_id: '4200000000000000000000000099',
        trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '', success_time: new Date().toISOString().replace('Z', '+00:00'),
        payer: { sub_openid: subA.openid }, amount: { total: target.amount, payer_total: target.amount, currency: 'CNY', payer_currency: 'CNY' },
      },
    });
    assert.equal((await post(`${balancer.url}/wxpay/notify/sub-b/payment`, forged.body, forged.headers)).status, 204);
    assert.equal((await statusOf(target.orderId))?.status, 'PAYING');
    const verdict = await db.query<{ outcome: string }>('select outcome from notification_log where raw_body = $1', [forged.body]);
    assert.deepEqual(verdict.rows.map((r) => r.outcome), ['wrong_merchant']);

    // Each merchant's bill: its own payment and refund, matched, under its own run row.
    const date = chinaDate(t0);
    for (const [i, p] of placed.entries()) {
      const res = await post(`${(i % 2 === 0 ? b : a).url}/admin/reconciliations`, p.shop.id === 'default' ? { date } : { date, merchantId: p.shop.id }, ADMIN);
      const run = ((await res.json()) as { reconciliation: { status: string; billPayments: number; billRefunds: number; differences: unknown[] } }).reconciliation;
      assert.deepEqual([run.status, run.billPayments, run.billRefunds], ['matched', 1, 1], `${p.shop.id}: ${JSON.stringify(run.differences)}`);
    }
    const runs = await db.query<{ merchant_id: string }>('select merchant_id from reconciliation_runs where bill_date = $1 order by merchant_id', [date]);
    assert.deepEqual(runs.rows.map((r) => r.merchant_id), ['default', 'shop-v2', 'sub-a', 'sub-b']);
  });
});
