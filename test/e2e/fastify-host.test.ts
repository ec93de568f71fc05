/**
 * examples/fastify-host end to end: a shop's own Fastify app with wxpayKit mounted at /pay, configured as `npm start`
 * is (loadConfig over the environment, sandbox mode against a running sandbox), talking real HTTP to the sandbox. A
 * user logs in, orders and pays at the sandbox's cashier; WeChat's notification arrives at the prefixed notify URL,
 * the order is PAID once and the shop's fulfilment hears of it once, through the jobs wxpayKit runs. The shop's own
 * routes keep working with the shop's own error format.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSandbox } from '@wxpay-kit/sandbox';
import { loadConfig } from '@wxpay-kit/server';
import { pino } from 'pino';
import { buildHost } from '../../examples/fastify-host/host.js';
import type { Shipment } from '../../examples/fastify-host/host.js';
import { acknowledged, API_VERSIONS } from './helpers/stack.js';
import type { Attempt, CreatedOrder } from './helpers/stack.js';

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

for (const version of API_VERSIONS) {
  test(`${version}: a shop's Fastify app with wxpayKit at /pay takes a sandbox payment end to end, its own routes untouched`, async (t) => {
    const sandbox = await createSandbox();
    t.after(() => sandbox.close());
    const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
    const config = loadConfig({
      WXPAY_MODE: 'sandbox',
      WXPAY_API_VERSION: version,
      WXPAY_API_BASE: sandboxUrl,
      DATABASE_URL: 'sqlite::memory:',
      SESSION_SECRET: 's'.repeat(40),
      JOBS_INTERVAL_MS: '50',
    });
    let url = '';
    const host = await buildHost(config, { logger: pino({ level: 'silent' }), publicUrl: () => url });
    t.after(() => host.close());
    url = (await host.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    // The shop's own routes, validator and error format.
    assert.equal((await json<{ shop: string }>(await fetch(`${url}/`))).shop, 'Tea & Stickers');
    assert.deepEqual(await json(await post('/newsletter', { email: 'ada@example.com' })), { ok: true, subscribed: 'ada@example.com' });

    // wx.login() at the sandbox (through wxpayKit's prefixed proxy to it), then our login.
    const merchants = await json<{ merchants: { appid: string; mchid: string }[] }>(await fetch(`${url}/pay/sandbox/merchants`));
    const appid = merchants.merchants[0]?.appid ?? '';
    const wx = await json<{ code: string; openid: string }>(await post('/pay/sandbox/wx/login', { appid, user: 'alice' }));
    const login = await post('/pay/api/login', { code: wx.code });
    assert.equal(login.status, 200);
    const auth = { authorization: `Bearer ${(await json<{ token: string }>(login)).token}` };

    const created = await post('/pay/api/orders', { items: [{ sku: 'tea-oolong', quantity: 1 }] }, auth);
    assert.equal(created.status, 201);
    const order = await json<CreatedOrder>(created);

    // The user pays at the sandbox's cashier; the notification it schedules is delivered and answered.
    const paid = await fetch(`${sandboxUrl}/sandbox/wx/requestPayment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...order.payParams, openid: wx.openid, action: 'pay' }),
    });
    assert.equal((await json<{ errMsg: string }>(paid)).errMsg, 'requestPayment:ok');
    await sandbox.clock.advance(0);

    const notifications = (await json<{ notifications: { url: string; kind: string; attempts: Attempt[] }[] }>(await fetch(`${sandboxUrl}/sandbox/notifications?outTradeNo=${order.outTradeNo}`))).notifications;
    assert.equal(notifications.length, 1);
    assert.equal(notifications[0]?.url, `${url}/pay/wxpay/notify/payment`);
    assert.ok(acknowledged(version, notifications[0]?.attempts.at(-1)), JSON.stringify(notifications[0]?.attempts));

    const status = await json<{ status: string }>(await fetch(`${url}/pay/api/orders/${order.orderId}`, { headers: auth }));
    assert.equal(status.status, 'PAID');
    const outcomes = (await host.wxpay.store.listNotifications(100)).map((n) => n.outcome);
    assert.deepEqual(outcomes, ['paid']);

    // The jobs wxpayKit runs for the host deliver the fulfilment event: one shipment, marked as not live.
    let shipments: Shipment[] = [];
    for (let i = 0; i < 200 && shipments.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      shipments = (await json<{ shipments: Shipment[] }>(await fetch(`${url}/shipments`))).shipments;
    }
    assert.deepEqual(shipments, [{ orderId: order.orderId, livemode: false }]);

    // Still the shop's error format and validator on its routes, still ours on /pay.
    const invalid = await post('/newsletter', { mail: 'ada@example.com' });
    assert.equal(invalid.status, 400);
    assert.deepEqual(await json(invalid), { ok: false, reason: "body must have required property 'email'" });
    const ours = await post('/pay/api/orders', { items: [] }, auth);
    assert.equal(ours.status, 400);
    assert.equal((await json<{ error: { code: string } }>(ours)).error.code, 'invalid_request');
  });
}
