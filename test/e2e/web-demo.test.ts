// The one-minute demo, in a real browser: the real server in sandbox mode serves the page, the
// page runs @wxpay-kit/miniprogram through the browser wx shim, and the sandbox cashier pays,
// cancels and fails. Screenshots land in test-output/web-demo/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.js';
import { API_VERSIONS } from './helpers/stack.js';
import { startDemoServer } from './web-demo-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(root, 'test-output', 'web-demo');

test('the web demo type-checks as browser code', () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'examples', 'web-demo', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

for (const version of API_VERSIONS) {
  test(`web demo (${version}): log in, pay (paid), cancel (cancelled), pay again resumes the order, fail (failed), order history, pay from history`, { timeout: 120_000 }, async (t) => {
    mkdirSync(join(SHOTS, version), { recursive: true });
    const server = await startDemoServer(version);
    t.after(() => server.close());
    // The system Chromium when installed, else the one from npm (@sparticuz/chromium): never skipped.
    const { browser } = await launchChromium();
    t.after(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'en-US' });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });

    // A phone screen's worth, with transitions finished, so the shots show what a user sees.
    const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, version, `${name}.png`), animations: 'disabled' });
    const status = page.getByTestId('status');
    // String expressions: this file is type-checked without the DOM lib.
    const waitCount = async (selector: string, n: number): Promise<void> => {
      await page.waitForFunction(`document.querySelectorAll(${JSON.stringify(selector)}).length === ${n}`, undefined, { timeout: 30_000 });
    };
    const waitState = async (state: string): Promise<void> => {
      await page.locator(`[data-testid="status"][data-state="${state}"]`).waitFor({ timeout: 30_000 });
    };

    await page.goto(server.url);
    await waitState('ready');
    assert.match(await page.getByTestId('user').innerText(), /^guest-[0-9a-f]{6}$/);
    const productCount = await page.getByTestId('product').count();
    assert.ok(productCount >= 1, 'the catalogue shows products');
    assert.equal(await page.getByTestId('orders-empty').isVisible(), true);
    await shot('01-ready');

    /** Puts one of the first product in the cart and opens the cashier. */
    async function checkout(p: Page): Promise<string> {
      await p.getByTestId('add').first().click();
      const total = await p.getByTestId('cart-total').innerText();
      await p.getByTestId('checkout').click();
      await p.getByTestId('cashier').waitFor();
      // The sheet shows the amount the server set for the order: the same as the cart's display total.
      assert.equal(await p.getByTestId('cashier-amount').innerText(), total);
      return total;
    }

    // 1. Pay → the client confirms with the server → paid.
    const paidTotal = await checkout(page);
    await shot('02-cashier');
    await page.getByTestId('cashier-pay').click();
    await waitState('paid');
    assert.match(await status.innerText(), new RegExp(`Paid ${paidTotal.replace('.', '\\.')}`));
    await page.locator('[data-testid="order"][data-status="PAID"]').first().waitFor();
    assert.equal(await page.getByTestId('cart-total').innerText(), '¥0.00', 'a paid cart is emptied');
    await shot('03-paid');

    // 2. Cancel → cancelled; the order stays payable.
    await checkout(page);
    await page.getByTestId('cashier-cancel').click();
    await waitState('cancelled');
    assert.match(await status.innerText(), /cancelled/i);
    await shot('04-cancelled');

    // 3. Pay again with the kept cart: the same unpaid order is resumed (no second order); fail (insufficient balance
    //    at the sandbox cashier) → failed.
    await page.getByTestId('checkout').click(); // the cart was kept after the cancel
    await page.getByTestId('cashier').waitFor();
    await page.getByTestId('cashier-fail').click();
    await waitState('failed');
    assert.match(await status.innerText(), /Payment failed: insufficient balance/);
    await shot('05-failed');

    // 4. The history: newest first, the paid order and one still payable (cancel and failure were the same order).
    const rows = page.getByTestId('order');
    await waitCount('[data-testid="order"]', 2);
    const statuses = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-status')));
    assert.equal(statuses[1], 'PAID');
    assert.ok(statuses[0] === 'CREATED' || statuses[0] === 'PAYING', `unpaid order shows ${statuses[0]}`);
    assert.equal(await page.getByTestId('repay').count(), 1);

    // 5. Pay the cancelled order from the history → paid; it was the cart's order, so the cart is emptied.
    await page.getByTestId('repay').first().click();
    await page.getByTestId('cashier').waitFor();
    await page.getByTestId('cashier-pay').click();
    await waitState('paid');
    await waitCount('[data-testid="order"][data-status="PAID"]', 2);
    assert.equal(await page.getByTestId('cart-total').innerText(), '¥0.00', 'the cart’s order was paid');
    await page.getByTestId('orders').scrollIntoViewIfNeeded();
    await shot('06-history');

    // 6. A reload keeps the user (localStorage) and shows the same history.
    const user = await page.getByTestId('user').innerText();
    await page.reload();
    await waitState('ready');
    assert.equal(await page.getByTestId('user').innerText(), user);
    await waitCount('[data-testid="order"]', 2);

    assert.deepEqual(pageErrors, []);
  });
}
