/**
 * wxpayKit mounted in someone else's Fastify app: its routes under the prefix with their own validation and errors,
 * the host's routes untouched (own validator, own error format, own 404), notify URLs naming the prefix, the jobs
 * following the host's lifecycle and the store closing with it.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { FastifyError } from 'fastify';
import { wxpayKit } from '../../src/app.js';
import type { WxPayKitOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Env } from '../../src/config.js';
import type { FulfilmentEvent } from '../../src/jobs/jobs.js';
import { FakeGateway, FakeLogin, fakeNotification } from '../helpers/fake-gateway.js';
import { TestClock, silentPino } from '../helpers/build.js';

type ErrorJson = { error: { code: string; message: string } };

async function host(t: TestContext, options: { env?: Env; kit?: Partial<WxPayKitOptions> } = {}) {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', SESSION_SECRET: 'x'.repeat(40), PUBLIC_URL: 'https://shop.example.com', ...options.env });
  const gateway = new FakeGateway();
  const events: FulfilmentEvent[] = [];
  // The host: its own server-level limits, its own error format and 404, its own route validated by Fastify's Ajv.
  const app = Fastify({ loggerInstance: silentPino(), bodyLimit: 10 * 1024 * 1024 });
  app.setErrorHandler((error: FastifyError, _request, reply) => reply.status(error.statusCode ?? 500).send({ hostError: error.message }));
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ hostNotFound: true }));
  app.post('/greet', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }, async (request) => ({
    hello: (request.body as { name: string }).name,
  }));
  await app.register(wxpayKit, {
    config,
    prefix: '/pay',
    gateway,
    login: new FakeLogin(),
    clock: new TestClock(),
    seedDemoProducts: true,
    onEvent: (event) => {
      events.push(event);
    },
    ...options.kit,
  });
  t.after(() => app.close());
  await app.ready();
  return { app, gateway, events };
}

async function paidNotification(built: Awaited<ReturnType<typeof host>>) {
  const { app, gateway } = built;
  const login = await app.inject({ method: 'POST', url: '/pay/api/login', payload: { code: 'code-alice.1' } });
  assert.equal(login.statusCode, 200, login.body);
  const token = (login.json() as { token: string }).token;
  const created = await app.inject({ method: 'POST', url: '/pay/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
  assert.equal(created.statusCode, 201, created.body);
  const order = created.json() as { orderId: string; outTradeNo: string };
  return { order, notification: fakeNotification(gateway.pay(order.outTradeNo)) };
}

test('the routes live under the prefix; notify URLs sent to WeChat name it; a notification there marks the order PAID', async (t) => {
  const built = await host(t);
  const { app, gateway } = built;
  const { order, notification } = await paidNotification(built);
  assert.equal(gateway.orders.get(order.outTradeNo)?.request.notifyUrl, 'https://shop.example.com/pay/wxpay/notify/payment');
  const res = await app.inject({ method: 'POST', url: '/pay/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: notification });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /SUCCESS/);
  assert.equal((await app.wxpay.store.getOrder(order.orderId))?.status, 'PAID');
  // Nothing of ours at the root.
  assert.equal((await app.inject({ method: 'GET', url: '/api/products' })).statusCode, 404);
  // The OpenAPI document lists the prefixed paths; the page's assets are named under the prefix and served there.
  const doc = (await app.inject({ method: 'GET', url: '/pay/docs/json' })).json() as { paths: Record<string, unknown> };
  assert.ok('/pay/api/orders' in doc.paths, Object.keys(doc.paths).join(' '));
  const page = (await app.inject({ method: 'GET', url: '/pay/docs' })).body;
  assert.match(page, /src="\/pay\/docs\/static\/swagger-ui-bundle\.js"/);
  assert.equal((await app.inject({ method: 'GET', url: '/pay/docs/static/swagger-ui-bundle.js' })).statusCode, 200);
});

test("the host's routes keep the host's validator, error handler and 404; ours keep theirs", async (t) => {
  const { app } = await host(t);
  assert.deepEqual((await app.inject({ method: 'POST', url: '/greet', payload: { name: 'Ada' } })).json(), { hello: 'Ada' });

  // The host's Ajv message in the host's format: neither zod nor {error:{code,message}} reached it.
  const invalid = await app.inject({ method: 'POST', url: '/greet', payload: { nom: 'Ada' } });
  assert.equal(invalid.statusCode, 400);
  assert.deepEqual(invalid.json(), { hostError: "body must have required property 'name'" });
  const broken = await app.inject({ method: 'POST', url: '/greet', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
  assert.equal(broken.statusCode, 400);
  assert.ok('hostError' in (broken.json() as object));
  assert.deepEqual((await app.inject({ method: 'GET', url: '/nowhere' })).json(), { hostNotFound: true });

  // Ours: zod validation and the {error:{code,message}} format, our 404 under the prefix.
  const bad = await app.inject({ method: 'POST', url: '/pay/api/login', payload: { code: 42 } });
  assert.equal(bad.statusCode, 400);
  assert.equal((bad.json() as ErrorJson).error.code, 'invalid_request');
  const unauthorized = await app.inject({ method: 'POST', url: '/pay/api/orders', payload: { items: [] } });
  assert.equal((unauthorized.json() as ErrorJson).error.code, 'unauthorized');
  assert.equal(((await app.inject({ method: 'GET', url: '/pay/nowhere' })).json() as ErrorJson).error.code, 'not_found');
});

test('body limits hold per route whatever the host allows: BODY_LIMIT_BYTES for the API, 64 KiB for notifications', async (t) => {
  const { app } = await host(t, { env: { BODY_LIMIT_BYTES: String(128 * 1024) } });
  const big = JSON.stringify({ code: 'c'.repeat(200 * 1024) });
  const api = await app.inject({ method: 'POST', url: '/pay/api/login', headers: { 'content-type': 'application/json' }, payload: big });
  assert.equal(api.statusCode, 413);
  assert.equal((api.json() as ErrorJson).error.code, 'payload_too_large');
  const notify = await app.inject({ method: 'POST', url: '/pay/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: `<xml>${'a'.repeat(100 * 1024)}</xml>` });
  assert.notEqual(notify.statusCode, 200);
  assert.match(notify.body, /FAIL/);
  // The host's own route still takes what the host allows.
  const greet = await app.inject({ method: 'POST', url: '/greet', payload: { name: 'n'.repeat(1024 * 1024) } });
  assert.equal(greet.statusCode, 200);
});

test('jobs: true runs the background jobs while the host is up (the outbox delivers without anyone calling runAll)', async (t) => {
  const built = await host(t, { env: { JOBS_INTERVAL_MS: '50' }, kit: { jobs: true } });
  const { app, events } = built;
  const { order, notification } = await paidNotification(built);
  await app.inject({ method: 'POST', url: '/pay/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: notification });
  // Wait for the scheduled run (bounded, so a broken scheduler fails the test instead of hanging it).
  for (let i = 0; i < 200 && events.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.deepEqual(
    events.map((e) => [e.topic, e.orderId]),
    [['order.paid', order.orderId]],
  );
});

test('without jobs: true nothing runs by itself; the store wxpayKit opened closes with the host', async (t) => {
  const built = await host(t, { env: { JOBS_INTERVAL_MS: '50' } });
  const { app, events } = built;
  const { order, notification } = await paidNotification(built);
  await app.inject({ method: 'POST', url: '/pay/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: notification });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(events.length, 0);
  await app.wxpay.jobs.runAll();
  assert.equal(events.length, 1);
  const store = app.wxpay.store;
  await app.close();
  await assert.rejects(store.getOrder(order.orderId));
});

test("registered inside a prefixed context of the host, wxpayKit's URLs (and the notify URL) carry both prefixes", async (t) => {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', SESSION_SECRET: 'x'.repeat(40), PUBLIC_URL: 'https://shop.example.com' });
  const gateway = new FakeGateway();
  const app = Fastify({ loggerInstance: silentPino() });
  await app.register(
    async (shop) => {
      await shop.register(wxpayKit, { config, prefix: 'pay/', gateway, login: new FakeLogin(), clock: new TestClock(), seedDemoProducts: true });
    },
    { prefix: '/shop' },
  );
  t.after(() => app.close());
  const login = await app.inject({ method: 'POST', url: '/shop/pay/api/login', payload: { code: 'code-bob.1' } });
  assert.equal(login.statusCode, 200, login.body);
  const token = (login.json() as { token: string }).token;
  const created = await app.inject({ method: 'POST', url: '/shop/pay/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  assert.equal(created.statusCode, 201, created.body);
  const { outTradeNo } = created.json() as { outTradeNo: string };
  assert.equal(gateway.orders.get(outTradeNo)?.request.notifyUrl, 'https://shop.example.com/shop/pay/wxpay/notify/payment');
});
