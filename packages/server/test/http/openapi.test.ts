/**
 * The API reference cannot drift from the code: /docs/json is a valid OpenAPI 3.1 document (checked by an OpenAPI
 * validator from npm), every route is described with examples that fit its own schemas, every status a route answers
 * is documented with a response schema (walked over every route with good and bad requests), and a response that
 * does not fit its documented shape never leaves the server. /docs is Swagger UI with its assets served here.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { wxpayKit } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { installErrorHandling } from '../../src/http/errors.js';
import { ROUTE_DOCS } from '../../src/http/openapi.js';
import { installZod } from '../../src/http/zod.js';
import { FakeGateway, FakeLogin, fakeNotification } from '../helpers/fake-gateway.js';
import { TestClock } from '../helpers/build.js';

const ADMIN = 'admin-token-0123456789';
type Answer = { method: string; route: string; status: number; documented: boolean };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown; example?: unknown }> }>;
};

function isZod(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/** The real wxpayKit in a host that records every route and, for every answer, whether its status has a schema. */
async function host(t: TestContext) {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', SESSION_SECRET: 'x'.repeat(40), ADMIN_TOKEN: ADMIN, BODY_LIMIT_BYTES: '4096' });
  const routes: RouteOptions[] = [];
  const answers: Answer[] = [];
  const app = Fastify({ logger: false, bodyLimit: 4096 });
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const response = (request.routeOptions.schema as { response?: Record<string, unknown> } | undefined)?.response ?? {};
    answers.push({ method: request.method, route: request.routeOptions.url ?? '(none)', status: reply.statusCode, documented: String(reply.statusCode) in response });
    return payload;
  });
  installErrorHandling(app);
  const gateway = new FakeGateway();
  await app.register(wxpayKit, { config, gateway, login: new FakeLogin(), clock: new TestClock(), seedDemoProducts: true });
  await app.ready();
  t.after(() => app.close());
  const documented = routes.filter((r) => r.method !== 'HEAD' && (r.schema as { hide?: boolean } | undefined)?.hide !== true);
  return { app, gateway, documented, answers };
}

test('/docs/json is a valid OpenAPI 3.1 document: every operation has a summary, a description, tags, examples and its errors', async (t) => {
  const { app } = await host(t);
  const res = await app.inject('/docs/json');
  assert.equal(res.statusCode, 200);
  const doc = res.json<Doc>();
  assert.equal(doc.openapi, '3.1.0');
  const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));

  let operations = 0;
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      operations++;
      const where = `${method.toUpperCase()} ${path}`;
      assert.ok(op.summary !== undefined && op.summary.length > 0, `${where}: summary`);
      assert.ok(op.description !== undefined && op.description.length > 40, `${where}: description`);
      assert.ok(op.tags !== undefined && op.tags.length > 0, `${where}: tags`);
      if (op.requestBody !== undefined) assert.ok(Object.values(op.requestBody.content).every((m) => m.example !== undefined), `${where}: request example`);
      const statuses = Object.keys(op.responses);
      assert.ok(statuses.some((s) => s.startsWith('2')), `${where}: a success response`);
      assert.ok(statuses.includes('500'), `${where}: 500 documented`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '204') continue;
        const media = Object.values(response.content ?? {});
        assert.ok(media.length > 0 && media.every((m) => m.schema !== undefined && m.example !== undefined), `${where} ${status}: schema and example`);
        if (Number(status) >= 400 && !path.includes('/wxpay/notify/')) {
          const example = media[0]?.example as { error?: { code?: unknown; message?: unknown } };
          assert.equal(typeof example.error?.code, 'string', `${where} ${status}: the error schema's example`);
        }
        assert.notEqual(response.description, 'Default Response', `${where} ${status}: description`);
      }
      if (path.startsWith('/admin/')) assert.ok(['401', '404'].every((s) => statuses.includes(s)), `${where}: 401 and 404 (ADMIN_TOKEN)`);
      if (op.requestBody !== undefined && !path.includes('/wxpay/notify/')) assert.ok(['400', '413', '415'].every((s) => statuses.includes(s)), `${where}: 400, 413, 415`);
    }
  }
  assert.ok(operations >= 18, `${operations} operations`);
});

test('every documented route has its entry in ROUTE_DOCS, and each example parses with the route\'s own zod schema', async (t) => {
  const { documented } = await host(t);
  const keys = new Set<string>();
  for (const route of documented) {
    const key = `${String(route.method)} ${route.url}`;
    keys.add(key);
    const doc = ROUTE_DOCS[key];
    assert.ok(doc !== undefined, `${key} has no entry in http/openapi.ts ROUTE_DOCS`);
    const schema = route.schema as { body?: unknown; response?: Record<string, unknown> };
    if (doc.request !== undefined) {
      assert.ok(isZod(schema.body), `${key}: a request example without a body schema`);
      const parsed = schema.body.safeParse(doc.request);
      assert.ok(parsed.success, `${key}: the request example does not fit: ${parsed.error?.message}`);
    }
    for (const [status, example] of Object.entries(doc.responses ?? {})) {
      const responseSchema = schema.response?.[status];
      assert.ok(isZod(responseSchema), `${key} ${status}: an example for an undocumented status`);
      const parsed = responseSchema.safeParse(example);
      assert.ok(parsed.success, `${key} ${status}: the example does not fit: ${parsed.error?.message}`);
      assert.deepEqual(parsed.data, example, `${key} ${status}: the example has keys the schema drops`);
    }
  }
  for (const key of Object.keys(ROUTE_DOCS)) assert.ok(keys.has(key), `ROUTE_DOCS names ${key}, which is no route`);
});

test('walking every route with good and bad requests: every status answered is documented with a response schema', async (t) => {
  const { app, gateway, documented, answers } = await host(t);
  const login = await app.inject({ method: 'POST', url: '/api/login', payload: { code: 'code-walker.1' } });
  const token = login.json<{ token: string }>().token;
  const created = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'walk-1' }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  assert.equal(created.statusCode, 201);
  const order = created.json<{ orderId: string; outTradeNo: string }>();
  const attempt = gateway.orders.get(order.outTradeNo);
  assert.ok(attempt !== undefined);
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification({ appid: gateway.appid, mchid: gateway.mchid, outTradeNo: order.outTradeNo, transactionId: 'tx-walk-1', amountFen: 1, paidAt: Date.now() }) });

  const params: Record<string, string[]> = { orderId: [order.orderId, 'ord_nope', 'bad id!'], sku: ['sticker', 'nope', 'bad sku!'], date: ['2026-11-25', '2026-02-30', '2099-01-01'] };
  const bodies: unknown[] = [undefined, {}, { unexpected: true }];
  for (const route of documented) {
    const method = String(route.method);
    const doc = ROUTE_DOCS[`${method} ${route.url}`];
    const names = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');
    const urls = (params[names[0] ?? ''] ?? ['']).map((value) => route.url.replace(/:\w+/, encodeURIComponent(value)));
    const auth = route.url.startsWith('/admin') ? ADMIN : token;
    for (const url of urls) {
      for (const authorization of [`Bearer ${auth}`, undefined, 'Bearer wrong-token-0123456789']) {
        const headers = authorization === undefined ? {} : { authorization };
        if (method === 'GET') {
          await app.inject({ method: 'GET', url, headers });
          await app.inject({ method: 'GET', url: `${url}?limit=0&status=NOPE`, headers });
          continue;
        }
        for (const payload of [doc?.request, ...bodies]) {
          await app.inject({ method: method as 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
        }
        await app.inject({ method: method as 'POST', url, headers: { ...headers, 'content-type': 'text/plain' }, payload: 'not json' });
        await app.inject({ method: method as 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: '{"broken": ' });
        await app.inject({ method: method as 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(8000) }) });
      }
    }
  }
  // A refund of the paid order twice (202, then 409 with the refund under way).
  for (let i = 0; i < 2; i++) await app.inject({ method: 'POST', url: `/admin/orders/${order.orderId}/refunds`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { reason: 'walk' } });

  const walked = new Set(answers.map((a) => `${a.method} ${a.route}`));
  for (const route of documented) assert.ok(walked.has(`${String(route.method)} ${route.url}`), `${String(route.method)} ${route.url} was not walked`);
  const statuses = new Set(answers.filter((a) => a.route !== '(none)').map((a) => a.status));
  for (const s of [200, 201, 202, 400, 401, 404, 409, 413, 415]) assert.ok(statuses.has(s), `the walk reached a ${s}`);
  const undocumented = answers.filter((a) => documented.some((r) => r.url === a.route && String(r.method) === a.method) && !a.documented);
  assert.deepEqual([...new Set(undocumented.map((a) => `${a.method} ${a.route} answered ${a.status}`))], [], 'statuses answered without a response schema');
});

test('the serializer enforces the documented shape: keys it does not name are dropped, a wrong shape is a 500', async (t) => {
  const app = Fastify({ logger: false });
  t.after(() => app.close());
  installZod(app);
  installErrorHandling(app);
  const shape = z.object({ sku: z.string(), price: z.number().int() });
  app.get('/extra', { schema: { response: { 200: shape } } }, async () => ({ sku: 'cup', price: 100, secretCost: 42 }));
  app.get('/wrong', { schema: { response: { 200: shape } } }, async () => ({ sku: 'cup', price: '1.00' }));
  const extra = await app.inject('/extra');
  assert.equal(extra.statusCode, 200);
  assert.deepEqual(extra.json(), { sku: 'cup', price: 100 });
  const wrong = await app.inject('/wrong');
  assert.equal(wrong.statusCode, 500);
  assert.deepEqual(wrong.json(), { error: { code: 'internal_error', message: 'something went wrong on our side' } });
});

test('GET /docs is Swagger UI whose scripts and styles are served by this server (no CDN), with a CSP naming no other origin', async (t) => {
  const { app } = await host(t);
  const page = await app.inject('/docs');
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<div id="swagger-ui"><\/div>/);
  assert.match(page.body, /<title>wxpay-kit server API<\/title>/);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /https?:|upgrade-insecure-requests/);
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
  assert.ok(assets.some((a) => a.endsWith('swagger-ui-bundle.js')) && assets.some((a) => a.endsWith('swagger-ui.css')), assets.join(' '));
  for (const asset of assets) {
    assert.match(asset, /^\/docs\/static\//, `${asset} is served here`);
    const res = await app.inject(asset);
    assert.equal(res.statusCode, 200, asset);
    assert.ok(res.rawPayload.length > 0, asset);
  }
  const bundle = await app.inject('/docs/static/swagger-ui-bundle.js');
  assert.match(String(bundle.headers['content-type']), /javascript/);
  assert.ok(bundle.rawPayload.length > 500_000, 'the real Swagger UI bundle');
  const init = await app.inject('/docs/static/swagger-initializer.js');
  assert.match(init.body, /\.\/json/);
  assert.match(init.body, /"validatorUrl":null/);
});
