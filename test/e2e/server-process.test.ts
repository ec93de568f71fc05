/**
 * `npm start` as a process: no configuration but a port and a throw-away data directory. It starts the sandbox
 * in-process, prints how to use it, serves the whole flow, and shuts down cleanly on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { API_VERSIONS } from './helpers/stack.js';

for (const version of API_VERSIONS) {
  test(`npm start (WXPAY_API_VERSION=${version}): sandbox mode out of the box, a paid order, graceful shutdown`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'wxpay-start-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['packages/server/dist/server.js'], {
      env: { PATH: process.env.PATH, PORT: '0', WXPAY_API_VERSION: version, DATABASE_URL: `sqlite:${join(dir, 'data', 'wxpay-kit.db')}`, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${out}`)), 30_000);
      child.stdout.on('data', () => {
        const match = /listening on (http:\/\/[^\s]+)/.exec(out);
        if (match?.[1] !== undefined && out.includes('(README.md walks through')) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on('exit', () => reject(new Error(`exited early:\n${out}`)));
    });
    assert.match(out, /demo merchant: appid wx8888888888888888, mchid 1900000001/);
    assert.match(out, /SANDBOX MODE: NO REAL PAYMENTS/, 'the banner says SANDBOX loudly');
    assert.ok(existsSync(join(dir, 'data', 'session-secret')), 'a session secret is generated in sandbox mode');
    // v3: the demo merchant's API key pair is generated on first start and kept next to the database. v2 signs with
    // the API key alone: no key pair is made (an RSA key is most of a cold start's variance).
    assert.equal(existsSync(join(dir, 'data', 'sandbox-merchant-apiclient_key.pem')), version === 'v3', 'the demo merchant key is kept under ./data for v3 only');

    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const wx = (await post('/sandbox/wx/login', { appid: 'wx8888888888888888', user: 'bob' })).body as { code: string; openid: string };
    const { token } = (await post('/api/login', { code: wx.code })).body as { token: string };
    const order = await post('/api/orders', { items: [{ sku: 'sticker', quantity: 1 }] }, token);
    assert.equal(order.status, 201);
    const pay = await post('/sandbox/wx/requestPayment', { ...(order.body.payParams as object), openid: wx.openid, action: 'pay' });
    assert.equal(pay.body.errMsg, 'requestPayment:ok');
    let status = '';
    for (let i = 0; i < 50 && status !== 'PAID'; i++) {
      // The notification is delivered in real time by the in-process sandbox; poll briefly for it.
      const res = await fetch(`${url}/api/orders/${String(order.body.orderId)}`, { headers: { authorization: `Bearer ${token}` } });
      status = ((await res.json()) as { status: string }).status;
      if (status !== 'PAID') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 'PAID');

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, out);
  });
}

test('npm start with live credentials but no WXPAY_MODE refuses to start in sandbox mode, naming the variables only', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-start-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secrets = { WXPAY_MCHID: '1612345678', WXPAY_KEY: 'LiveApiKey0123456789abcdefABCDEF', WECHAT_SECRET: 'live-app-secret-5f4e3d2c1b' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/server.ts'], {
    env: { PATH: process.env.PATH, PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'data', 'wxpay-kit.db')}`, ...secrets },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 78, out);
  assert.match(out, /configuration error: WXPAY_MODE: .*WECHAT_SECRET, WXPAY_MCHID, WXPAY_KEY/);
  assert.doesNotMatch(out, /listening/);
  for (const value of Object.values(secrets)) assert.ok(!out.includes(value), 'no credential value in the output');
  assert.ok(!existsSync(join(dir, 'data', 'sandbox.db')), 'no sandbox was started');
});
