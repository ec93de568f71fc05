/**
 * /docs as a person opens it: Swagger UI in Chromium renders the reference from /docs/json, every request the page
 * makes goes to this server (no CDN, no validator badge: it works with no internet), and an operation opens to show
 * its description, its example and its error codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { FakeGateway, FakeLogin } from '../../packages/server/test/helpers/fake-gateway.js';
import { launchChromium } from './helpers/browser.js';

const SHOTS = join(process.cwd(), 'test-output', 'docs');

test('GET /docs renders the API reference in Chromium from this server alone', { timeout: 120_000 }, async (t) => {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', SESSION_SECRET: 'x'.repeat(40), ADMIN_TOKEN: 'admin-token-0123456789' });
  const app = await buildApp(config, { gateway: new FakeGateway(), login: new FakeLogin(), logger: pino({ level: 'silent' }) });
  t.after(() => app.close());
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('[::1]', '127.0.0.1');
  const origin = new URL(base).origin;

  const { browser } = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requested: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });

  await page.goto(`${base}/docs`);
  await page.locator('.opblock-tag-section').first().waitFor({ timeout: 30_000 });
  assert.match(await page.locator('.info .title').innerText(), /wxpay-kit merchant server/);
  for (const tag of ['session', 'catalogue', 'orders', 'admin', 'wechat', 'ops']) {
    assert.ok((await page.locator(`.opblock-tag[data-tag="${tag}"]`).count()) === 1, `tag ${tag} shown`);
  }
  // Open POST /api/orders: its description, request example and error codes are on the page.
  const createOrder = page.locator('.opblock-post', { has: page.locator('[data-path="/api/orders"]') }).first();
  await createOrder.locator('.opblock-summary').click();
  const body = createOrder.locator('.opblock-body');
  await body.waitFor();
  const text = await body.innerText();
  assert.match(text, /Prices the cart from the catalogue/);
  assert.match(text, /tea-oolong/, 'the request example');
  for (const status of ['201', '400', '401', '409', '413', '415', '422', '429', '500', '503']) assert.match(text, new RegExp(`\\b${status}\\b`), `status ${status}`);
  assert.match(text, /idempotency_mismatch/, 'an error example');
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'create-order.png'), fullPage: false });

  assert.deepEqual(problems, []);
  const elsewhere = requested.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'));
  assert.deepEqual(elsewhere, [], 'every request of the page goes to this server');
  assert.ok(requested.some((url) => url.endsWith('/docs/json')), 'the page read /docs/json');
});
