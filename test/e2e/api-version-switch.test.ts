/**
 * WXPAY_API_VERSION changed from v2 to v3 on the same database, against one WeChat (the sandbox): an order whose v2
 * prepay is still live is not re-issued with v3's sign type (the cashier would answer 签名类型错误); its attempt is
 * closed and a v3 one started, and the payer pays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '@wxpay-kit/sandbox';
import { pino } from 'pino';
import { buildApp } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { startSandboxMode } from '../../packages/server/src/sandbox-mode.js';
import { TestClock } from './helpers/stack.js';
import type { PayParams } from './helpers/stack.js';

test('v2 → v3 on the same data: an unpaid order gets v3 pay parameters for a new attempt and is paid', async (t) => {
  const base = Date.now();
  const sandbox = await createSandbox({ now: () => base });
  t.after(() => sandbox.close());
  const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-switch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new TestClock(base);

  async function start(version: 'v2' | 'v3') {
    const config = loadConfig({
      WXPAY_MODE: 'sandbox', WXPAY_API_VERSION: version, WXPAY_API_BASE: sandboxUrl, DATABASE_URL: `sqlite:${join(dir, 'shop.db')}`,
      SESSION_SECRET: 's'.repeat(40), JOBS: 'false',
    });
    const runtime = await startSandboxMode(config, {});
    let url = '';
    const app = await buildApp(runtime.config, {
      clock, logger: pino({ level: 'silent' }), sandboxUrl, publicUrl: () => url, seedDemoProducts: true,
      gatewayExtras: { clientCert: runtime.clientCert, clock: clock.now, sleep: async () => {} },
    });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    return { app, url, post, appid: runtime.merchant.appid };
  }

  const v2 = await start('v2');
  const wx = (await v2.post('/sandbox/wx/login', { appid: v2.appid, user: 'alice' })).body as { code: string; openid: string };
  const { token } = (await v2.post('/api/login', { code: wx.code })).body as { token: string };
  const created = await v2.post('/api/orders', { items: [{ sku: 'tea-oolong', quantity: 1 }] }, token);
  assert.equal(created.status, 201);
  const { orderId, outTradeNo: v2OutTradeNo } = created.body as { orderId: string; outTradeNo: string };
  assert.notEqual((created.body.payParams as PayParams).signType, 'RSA');
  await v2.app.close();

  // The operator switches to v3; the payer comes back to the same unpaid order.
  const v3 = await start('v3');
  t.after(() => v3.app.close());
  const repay = await v3.post(`/api/orders/${orderId}/payment`, {}, token);
  assert.equal(repay.status, 200, JSON.stringify(repay.body));
  const payParams = repay.body.payParams as PayParams;
  assert.equal(payParams.signType, 'RSA');
  assert.notEqual(repay.body.outTradeNo, v2OutTradeNo, 'a new attempt; the v2 one is closed');
  const paid = await v3.post('/sandbox/wx/requestPayment', { ...payParams, openid: wx.openid, action: 'pay' });
  assert.equal(paid.body.errMsg, 'requestPayment:ok');
  await sandbox.clock.advance(0);
  assert.equal((await v3.app.wx.store.getOrder(orderId))?.status, 'PAID');
  assert.equal((await v3.app.wx.store.getAttemptByOutTradeNo(v2OutTradeNo))?.status, 'CLOSED');
});
