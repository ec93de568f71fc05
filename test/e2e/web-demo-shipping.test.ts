// The web demo after the payment (issue 14), in a real browser: the operator ships the paid order through the admin
// API (the first upload races the sandbox's indexing delay), the page shows it shipped with its tracking number, the
// buyer presses Confirm receipt (the sandbox plays the component, the server re-checks with get_order), and WeChat's
// settlement push completes it. Screenshots land in test-output/web-demo-shipping/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './helpers/browser.js';
import { API_VERSIONS } from './helpers/stack.js';
import { DEMO_ADMIN_TOKEN, startDemoServer } from './web-demo-server.js';
import type { DemoServer } from './web-demo-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(root, 'test-output', 'web-demo-shipping');

/** Runs the outbox until `done` holds (the retry backoff is 100 ms here); bounded, never a timed assertion. */
async function until(server: DemoServer, done: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await server.app.wx.jobs.deliverOutbox();
    if (await done()) return;
    await sleep(100);
  }
  assert.fail(`never: ${what}`);
}

async function advanceSandbox(server: DemoServer, seconds: number): Promise<void> {
  const res = await fetch(`${server.sandboxUrl}/sandbox/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
  assert.equal(res.status, 200, await res.text());
}

for (const version of API_VERSIONS) {
  test(`web demo (${version}): paid → shipped by the operator → Confirm receipt → completed by WeChat's settlement push`, { timeout: 120_000 }, async (t) => {
    mkdirSync(join(SHOTS, version), { recursive: true });
    const server = await startDemoServer(version);
    t.after(() => server.close());
    const { browser } = await launchChromium();
    t.after(() => browser.close());
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'en-US' })).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, version, `${name}.png`), animations: 'disabled' });
    const waitState = (state: string) => page.locator(`[data-testid="status"][data-state="${state}"]`).waitFor({ timeout: 30_000 });
    const shipping = (status: string) => page.locator(`[data-testid="shipping"][data-shipping="${status}"]`);

    await page.goto(server.url);
    await waitState('ready');
    await page.getByTestId('add').first().click();
    await page.getByTestId('checkout').click();
    await page.getByTestId('cashier').waitFor();
    await page.getByTestId('cashier-pay').click();
    await waitState('paid');
    await shipping('NOT_SHIPPED').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('confirm-receipt').count(), 0, 'nothing to confirm before it ships');
    const orderId = await page.getByTestId('order').first().getAttribute('data-order-id');
    assert.ok(orderId !== null);

    // The operator ships seconds after the payment: the first upload meets 10060001 and is retried.
    const shipped = await fetch(`${server.url}/admin/orders/${orderId}/shipments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ logisticsType: 'express', packages: [{ expressCompany: 'YTO', trackingNo: 'YT9876543210' }] }),
    });
    assert.equal(shipped.status, 202);
    await server.app.wx.jobs.deliverOutbox();
    assert.equal((await server.app.wx.shipping.fulfilment(orderId)).uploadStatus, 'PENDING', 'not indexed yet at WeChat');
    await advanceSandbox(server, 10);
    await until(server, async () => (await server.app.wx.shipping.fulfilment(orderId)).uploadStatus === 'UPLOADED', 'uploaded');

    await page.reload();
    await waitState('ready');
    await shipping('SHIPPED').waitFor({ timeout: 30_000 });
    assert.match(await shipping('SHIPPED').innerText(), /Shipped · YTO YT9876543210/);
    await shot('01-shipped');

    await page.getByTestId('confirm-receipt').click();
    await waitState('received');
    await shipping('CONFIRMED').waitFor({ timeout: 30_000 });
    assert.equal((await server.app.wx.shipping.fulfilment(orderId)).status, 'CONFIRMED');
    await shot('02-received');

    // A day later WeChat settles and pushes trade_manage_order_settlement to /wechat/message (safe mode).
    await advanceSandbox(server, 86_400 + 60);
    await until(server, async () => (await server.app.wx.shipping.fulfilment(orderId)).status === 'SETTLED', 'settled by the push');
    await page.reload();
    await waitState('ready');
    await shipping('SETTLED').waitFor({ timeout: 30_000 });
    await shot('03-completed');
    assert.deepEqual(pageErrors, []);
  });
}
