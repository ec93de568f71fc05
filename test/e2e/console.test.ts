// The operator console (/admin) in a real browser: the real server in sandbox mode with ADMIN_TOKEN and the built
// console (packages/server/dist/console, written by `npm run build`), data seeded by real payments through the
// sandbox cashier (one notified twice, one forged), then: sign in with the token, the charts render and the dashboard
// shows what the database holds, find an order by its transaction_id, refund part of it with a reason and see the
// refund and the audit in its timeline, ship a paid order (form checks, SHIPPED, the upload, the server's refusal of
// a second re-shipment), add a product in the catalogue and buy it in the web demo, reprice it and take
// it off sale.
// Screenshots land in test-output/console/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { formatFen } from '../../packages/server/src/domain/yuan.js';
import { KyselyStore } from '../../packages/server/src/store/kysely-store.js';
import { KyselyShippingStore } from '../../packages/server/src/store/shipping-store.js';
import { launchChromium } from './helpers/browser.js';
import { startDemoServer } from './web-demo-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(root, 'test-output', 'console');
const CONSOLE_ROOT = join(root, 'packages', 'server', 'dist', 'console');
const TOKEN = 'console-e2e-admin-token-0123456789';

type PayParams = Record<string, string>;
type Created = { orderId: string; outTradeNo: string; amount: number; payParams: PayParams };

test('the console type-checks as browser code', () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'packages', 'server', 'console', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test('console: sign in, charts from real data, find by transaction_id, refund with a reason, ship a paid order, catalogue → buy in the demo', { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(join(CONSOLE_ROOT, 'console.js')), 'the console is built (npm run build writes packages/server/dist/console)');
  mkdirSync(SHOTS, { recursive: true });
  const server = await startDemoServer('v2', { adminToken: TOKEN, consoleRoot: CONSOLE_ROOT });
  t.after(() => server.close());
  const base = server.url;

  // ---- seed: real orders paid at the sandbox cashier ----------------------------------------------------------
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const config = (await (await fetch(`${base}/demo/config`)).json()) as { appid: string };
  const wx = (await (await post('/sandbox/wx/login', { appid: config.appid, user: 'console-buyer' })).json()) as { code: string; openid: string };
  const { token } = (await (await post('/api/login', { code: wx.code })).json()) as { token: string };
  const auth = { authorization: `Bearer ${token}` };
  const products = ((await (await fetch(`${base}/api/products`)).json()) as { products: { sku: string }[] }).products;
  const sku = products[0]?.sku ?? assert.fail('the demo catalogue has products');
  const order = async (quantity: number): Promise<Created> => {
    const res = await post('/api/orders', { items: [{ sku, quantity }] }, auth);
    assert.equal(res.status, 201);
    return (await res.json()) as Created;
  };
  const statusOf = async (orderId: string) => ((await (await fetch(`${base}/api/orders/${orderId}`, { headers: auth })).json()) as { status: string }).status;
  const payAndWait = async (created: Created, want: 'PAID' | 'unpaid') => {
    const res = await post('/sandbox/wx/requestPayment', { ...created.payParams, openid: wx.openid, action: 'pay' });
    assert.equal(((await res.json()) as { errMsg: string }).errMsg, 'requestPayment:ok');
    if (want === 'unpaid') return;
    for (let i = 0; i < 100 && (await statusOf(created.orderId)) !== 'PAID'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await statusOf(created.orderId), 'PAID');
  };
  const first = await order(1);
  await payAndWait(first, 'PAID');
  const second = await order(2);
  assert.equal((await post('/sandbox/faults', { outTradeNo: second.outTradeNo, notify: { duplicates: 1 } })).status, 201);
  await payAndWait(second, 'PAID');
  const forged = await order(1);
  assert.equal((await post('/sandbox/faults', { outTradeNo: forged.outTradeNo, notify: { badSignature: true } })).status, 201);
  await payAndWait(forged, 'unpaid');
  await order(3); // created, never paid

  // What the database holds, read beside the server (not through its API).
  const db = new Database(server.database, { readonly: true, fileMustExist: true });
  t.after(() => db.close());
  const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T;
  const paidAttempt = one<{ transaction_id: string }>('SELECT a.transaction_id FROM payment_attempts a JOIN orders o ON o.paid_attempt_id = a.id WHERE o.id = ?', first.orderId);
  // The forged notification is counted as refused once it arrived (its counter row holds it as a sample: refused
  // deliveries are not notification_log rows); wait for it (the sandbox delivers it at once).
  for (let i = 0; i < 100 && one<{ n: number }>('SELECT count(*) AS n FROM notification_refusals').n === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const stats = (await (await fetch(`${base}/admin/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
    totals: { created: number; paid: number; revenue: number };
    conversion: { created: number; paid: number; rate?: number };
    notifications: { deliveries: number; rejected: number; retried: number; authentic: number };
    byStatus: Record<string, number>;
  };
  const dbTotals = one<{ created: number; paid: number; revenue: number }>('SELECT count(*) AS created, count(paid_at) AS paid, coalesce(sum(CASE WHEN paid_at IS NOT NULL THEN amount_fen END), 0) AS revenue FROM orders');
  assert.deepEqual(stats.totals, { ...dbTotals, refunded: 0 } as typeof stats.totals);
  assert.deepEqual(stats.conversion, { created: 4, paid: 2, rate: 0.5 });
  assert.equal(stats.totals.revenue, first.amount + second.amount);
  const dbLog = one<{ n: number; ok: number }>('SELECT count(*) AS n, sum(authentic) AS ok FROM notification_log');
  assert.equal(stats.notifications.deliveries, dbLog.n);
  assert.equal(stats.notifications.authentic, dbLog.ok);
  assert.ok(stats.notifications.rejected >= 1, 'the forged notification is counted as rejected');
  assert.equal(stats.notifications.retried, 1, 'the duplicated payment notification');
  assert.equal(stats.byStatus.PAID, 2);

  // ---- the browser -----------------------------------------------------------------------------------------------
  const { browser } = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  const requests: string[] = [];
  page.on('request', (req) => requests.push(req.url()));
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
  const ready = (view: string) => page.locator(`[data-testid="view"][data-ready="${view}"]`).waitFor({ timeout: 30_000 });

  await page.goto(`${base}/admin`);
  await page.getByTestId('login').waitFor();
  // A wrong token is refused and nothing is shown.
  await page.getByTestId('login-token').fill('not-the-admin-token-at-all');
  await page.getByTestId('login-submit').click();
  await page.locator('[data-testid="message"]', { hasText: /not this server/ }).waitFor();
  assert.equal(await page.getByTestId('nav').isVisible(), false);
  // The browser reports that refused request (401) as a console error: expected here, and the only one allowed.
  assert.ok(pageErrors.every((e) => /status of 401/.test(e)), pageErrors.join('\n'));
  pageErrors.length = 0;
  await page.getByTestId('login-token').fill(TOKEN);
  await page.getByTestId('login-submit').click();
  await ready('dashboard');
  assert.equal(await page.evaluate('sessionStorage.getItem("wxpay-kit-admin-token")'), TOKEN, 'kept in sessionStorage');

  // Charts: Chart.js drew on both canvases (some pixel is not transparent), and the tiles show the endpoint's numbers.
  for (const id of ['chart-revenue', 'chart-status']) {
    const painted = await page.evaluate(`(() => { const c = document.querySelector('[data-testid="${id}"]'); if (!(c instanceof HTMLCanvasElement) || c.width === 0) return 0;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()`);
    assert.ok(typeof painted === 'number' && painted > 500, `${id} is drawn (${String(painted)} painted pixels)`);
  }
  assert.equal(await page.getByTestId('kpi-revenue-value').innerText(), `¥${formatFen(dbTotals.revenue)}`);
  assert.equal(await page.getByTestId('kpi-orders-value').innerText(), String(dbTotals.created));
  assert.equal(await page.getByTestId('kpi-conversion-value').innerText(), '50.0%');
  assert.equal(await page.getByTestId('nh-deliveries').innerText(), String(dbLog.n));
  assert.equal(await page.getByTestId('kpi-shipping-value').innerText(), '2', 'both paid orders are to ship');
  await shot('01-dashboard');

  // ---- find the first order by its transaction_id; refund part of it with a reason ----------------------------------
  await page.getByTestId('nav-orders').click();
  await ready('orders');
  await page.getByTestId('order-search').fill(paidAttempt.transaction_id);
  await page.getByTestId('order-search-submit').click();
  await page.locator(`[data-testid="order-detail"][data-order-id="${first.orderId}"]`).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('order-row').count(), 1, 'one order has that transaction_id');
  const kinds = await page.getByTestId('timeline-item').evaluateAll((els) => els.map((el) => el.getAttribute('data-kind')));
  for (const kind of ['created', 'prepay', 'notification', 'paid']) assert.ok(kinds.includes(kind), `timeline has ${kind}: ${kinds.join(',')}`);
  await shot('02-order');

  await page.getByTestId('action-refund').click();
  await page.getByTestId('dialog').waitFor();
  assert.equal(await page.getByTestId('dialog-confirm').isDisabled(), true, 'no refund without a reason');
  await page.getByTestId('dialog-amount').fill('0.01');
  await page.getByTestId('dialog-reason').fill('customer returned one item');
  await page.getByTestId('dialog-confirm').click();
  await page.locator('[data-testid="timeline-item"][data-kind="refund"]').waitFor({ timeout: 30_000 });
  const refundItem = await page.locator('[data-testid="timeline-item"][data-kind="refund"]').innerText();
  assert.match(refundItem, /Refund ¥0\.01 requested/);
  assert.match(refundItem, /customer returned one item/);
  // The list's row follows: the order is refunding (or refunded part, once WeChat's notification came).
  await page.locator(`[data-testid="order-row"][data-order-id="${first.orderId}"]:not([data-status="PAID"])`).waitFor();
  const audit = await page.locator('[data-testid="timeline-item"][data-kind="action"]').innerText();
  assert.match(audit, /admin: refund — ok/);
  assert.match(audit, /why: customer returned one item/);
  const refundRow = one<{ amount_fen: number; reason: string }>('SELECT amount_fen, reason FROM refunds WHERE order_id = ?', first.orderId);
  assert.deepEqual({ ...refundRow }, { amount_fen: 1, reason: 'customer returned one item' });
  const auditRow = one<{ actor: string; reason: string; result: string }>("SELECT actor, reason, result FROM admin_actions WHERE order_id = ? AND action = 'refund'", first.orderId);
  assert.deepEqual({ ...auditRow }, { actor: 'admin', reason: 'customer returned one item', result: 'ok' });
  await shot('03-refunded');

  // ---- ship the second (paid) order: the form checks as the server does, the timeline shows SHIPPED, then the upload
  await page.getByTestId('order-search').fill(second.orderId);
  await page.getByTestId('order-search-submit').click();
  await page.locator(`[data-testid="order-detail"][data-order-id="${second.orderId}"]`).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator(`[data-testid="order-row"][data-order-id="${second.orderId}"] [data-testid="order-shipping"]`).innerText(), 'NOT_SHIPPED');
  await page.getByTestId('action-ship').click();
  await page.getByTestId('dialog').waitFor();
  // Client-side: an express shipment needs a tracking number, and SF's contact is masked; nothing is sent.
  await page.getByTestId('ship-expressCompany').fill('SF');
  await page.getByTestId('dialog-confirm').click();
  await page.locator('[data-testid="ship-problem"]', { hasText: /package 1, trackingNo/ }).waitFor();
  await page.getByTestId('ship-trackingNo').fill('SF1234567890');
  await page.getByTestId('ship-contact').fill('18912341234');
  await page.getByTestId('dialog-confirm').click();
  await page.locator('[data-testid="ship-problem"]', { hasText: /contact: a masked phone number/ }).waitFor();
  assert.equal(one<{ n: number }>('SELECT count(*) AS n FROM order_shipping WHERE order_id = ?', second.orderId).n, 0, 'nothing recorded while the form refuses');
  await page.getByTestId('ship-contact').fill('189****1234');
  await page.getByTestId('dialog-confirm').click();
  const shippedItem = page.locator('[data-testid="timeline-item"][data-kind="shipped"]');
  await shippedItem.waitFor({ timeout: 30_000 });
  assert.match(await shippedItem.innerText(), /Shipped \(express\)[\s\S]*SF SF1234567890/);
  assert.match(await page.getByTestId('detail-shipping').innerText(), /SHIPPED/);
  await page.locator(`[data-testid="order-row"][data-order-id="${second.orderId}"] [data-testid="order-shipping"][data-shipping="SHIPPED"]`).waitFor();
  // The answer to the POST: recorded, the upload queued.
  assert.equal(await page.getByTestId('message').innerText(), 'Shipped: SHIPPED, upload to WeChat PENDING');
  // The outbox uploads it to the sandbox's upload_shipping_info (WeChat indexes a payment after a few seconds: the
  // sandbox's clock moves on, so the retried upload is accepted). Opening the order again shows where it stands.
  const uploadStatus = () => one<{ s: string | null }>('SELECT upload_status AS s FROM order_shipping WHERE order_id = ?', second.orderId).s;
  const advanced = await fetch(`${server.sandboxUrl}/sandbox/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: 10 }) });
  assert.equal(advanced.status, 200, await advanced.text());
  for (let i = 0; i < 100 && uploadStatus() !== 'UPLOADED'; i++) {
    await server.app.wx.jobs.deliverOutbox();
    if (uploadStatus() !== 'UPLOADED') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(uploadStatus(), 'UPLOADED');
  await page.locator(`[data-testid="order-row"][data-order-id="${second.orderId}"]`).click();
  await page.locator('[data-testid="timeline-item"][data-kind="shipped"]', { hasText: 'upload to WeChat UPLOADED' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('detail-shipping').innerText(), 'Shipping: SHIPPED');
  await page.locator(`[data-testid="order-row"][data-order-id="${second.orderId}"] [data-testid="order-shipping"][data-upload="UPLOADED"]`).waitFor();
  await shot('03b-shipped');
  // WeChat allows one re-shipment; the second one is refused by the server and the console shows its 409 message.
  for (const tracking of ['YT0000000001', 'YT0000000002']) {
    await page.getByTestId('action-ship').click();
    await page.getByTestId('dialog').waitFor();
    await page.getByTestId('ship-expressCompany').fill('YTO');
    await page.getByTestId('ship-trackingNo').fill(tracking);
    await page.getByTestId('dialog-confirm').click();
    await page.getByTestId('dialog').waitFor({ state: 'detached' });
  }
  await page.locator('[data-testid="message"]', { hasText: 'reship_used: WeChat allows one re-shipment per payment, and it was used' }).waitFor();
  assert.match(await page.locator('[data-testid="timeline-item"][data-kind="shipped"]').innerText(), /YTO YT0000000001/);
  pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !/status of 409/.test(e)));
  // Had WeChat refused the re-shipment's upload for good, the operator would see it with WeChat's error code. (Once the
  // re-shipment is uploaded, so that no upload in flight overwrites the refusal written here.)
  for (let i = 0; i < 100 && uploadStatus() !== 'UPLOADED'; i++) {
    await server.app.wx.jobs.deliverOutbox();
    if (uploadStatus() !== 'UPLOADED') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(uploadStatus(), 'UPLOADED');
  assert.ok(server.app.wx.store instanceof KyselyStore);
  await new KyselyShippingStore(server.app.wx.store.database).setUpload(second.orderId, 2, 'FAILED', '10060003', Date.now());
  await page.locator(`[data-testid="order-row"][data-order-id="${second.orderId}"]`).click();
  await page.locator('[data-testid="timeline-item"][data-kind="shipped"].bad', { hasText: 'YTO YT0000000001 · upload to WeChat FAILED: 10060003' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator(`[data-testid="order-row"][data-order-id="${second.orderId}"] [data-testid="order-shipping"]`).innerText(), 'SHIPPED · upload FAILED (10060003)');
  await shot('03c-upload-failed');

  // ---- the catalogue: add a product in yuan; it is stored in fen and sold in the demo ------------------------------
  await page.getByTestId('nav-catalogue').click();
  await ready('catalogue');
  await page.getByTestId('product-sku').fill('console-mug');
  await page.getByTestId('product-name').fill('Console mug');
  await page.getByTestId('product-price').fill('1.2.3');
  await page.getByTestId('product-add').click();
  await page.locator('[data-testid="message"]', { hasText: /not an amount in yuan/ }).waitFor();
  await page.getByTestId('product-price').fill('12.34');
  await page.getByTestId('product-add').click();
  await page.locator('[data-testid="product-row"][data-sku="console-mug"]').waitFor();
  assert.match(await page.locator('[data-testid="product-row"][data-sku="console-mug"]').innerText(), /Console mug\s+¥12\.34\s+yes/);
  assert.equal(one<{ price_fen: number }>("SELECT price_fen FROM products WHERE sku = 'console-mug'").price_fen, 1234);
  await shot('04-catalogue');

  const shop = await context.newPage();
  shop.on('pageerror', (err) => pageErrors.push(`demo: ${err.message}`));
  await shop.goto(base);
  await shop.locator('[data-testid="status"][data-state="ready"]').waitFor({ timeout: 30_000 });
  await shop.locator('[data-testid="add"][data-sku="console-mug"]').click();
  assert.equal(await shop.getByTestId('cart-total').innerText(), '¥12.34');
  await shop.getByTestId('checkout').click();
  await shop.getByTestId('cashier').waitFor();
  await shop.getByTestId('cashier-pay').click();
  await shop.locator('[data-testid="status"][data-state="paid"]').waitFor({ timeout: 30_000 });
  const mugOrder = one<{ status: string; amount_fen: number }>("SELECT o.status, o.amount_fen FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.sku = 'console-mug'");
  assert.deepEqual({ ...mugOrder }, { status: 'PAID', amount_fen: 1234 });

  // Back in the console: a new price in yuan, then off sale. The demo's catalogue drops it; the paid order keeps its price.
  const mugRow = '[data-testid="product-row"][data-sku="console-mug"]';
  await page.locator(`${mugRow} [data-testid="product-edit"]`).click();
  await page.getByTestId('dialog-price').fill('15');
  await page.getByTestId('dialog-confirm').click();
  await page.locator(mugRow, { hasText: '¥15.00' }).waitFor();
  await page.locator(`${mugRow} [data-testid="product-toggle"]`).click();
  await page.locator(`${mugRow}[data-active="false"]`).waitFor();
  assert.deepEqual({ ...one<{ price_fen: number; active: number }>("SELECT price_fen, active FROM products WHERE sku = 'console-mug'") }, { price_fen: 1500, active: 0 });
  const onSale = ((await (await fetch(`${base}/api/products`)).json()) as { products: { sku: string }[] }).products.map((p) => p.sku);
  assert.ok(!onSale.includes('console-mug'), 'off sale');
  assert.equal(one<{ amount_fen: number }>("SELECT o.amount_fen FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.sku = 'console-mug'").amount_fen, 1234);

  // The dashboard's shipping tile follows: the mug order is to ship; the second order is shipped, its upload done.
  await page.getByTestId('nav-dashboard').click();
  await ready('dashboard');
  assert.equal(await page.getByTestId('kpi-shipping-value').innerText(), '1');
  assert.match(await page.getByTestId('kpi-shipping').innerText(), /shipped 1 · received 0 · settled 0/);

  // Everything the console loaded came from this server (no CDN).
  const foreign = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors, []);
});
