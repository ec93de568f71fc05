/**
 * The operator commands of `wxpay-kit` as processes (packages/server/dist/cli.js) on the database of a running server
 * (packages/server/dist/server.js, sandbox mode against a sandbox on a free port): orders, catalogue, refunds and the
 * sandbox cashier, through the server's own services; what they change is what the server's API then shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bannerUrl } from './helpers/instances.js';
import { createSandbox } from '@wxpay-kit/sandbox';

type Run = { code: number; stdout: string; stderr: string };

function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const bin = join(process.cwd(), 'packages/server/dist/cli.js');
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

test('orders, products, refund and sandbox pay from the command line, on the running server\'s database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await createSandbox();
  t.after(() => sandbox.close());
  const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const env = { WXPAY_MODE: 'sandbox', WXPAY_API_BASE: sandboxUrl, DATABASE_URL: `sqlite:${join(dir, 'data', 'wxpay-kit.db')}`, LOG_LEVEL: 'warn', JOBS: 'false' };

  const server = spawn(process.execPath, [join(process.cwd(), 'packages/server/dist/server.js')], { env: { PATH: process.env.PATH, ...env, PORT: '0' }, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => server.kill('SIGKILL'));
  const url = await bannerUrl(server);
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, unknown>;
  };
  const wx = (await post('/sandbox/wx/login', { appid: 'wx8888888888888888', user: 'cli' })) as { code: string };
  const { token } = (await post('/api/login', { code: wx.code })) as { token: string };
  const created = await post('/api/orders', { items: [{ sku: 'sticker', quantity: 3 }] }, { authorization: `Bearer ${token}`, 'idempotency-key': 'cli-test-1' });
  const orderId = String(created.orderId);
  assert.equal(created.status, 'PAYING');

  const cli = (...args: string[]) => runCli(args, env, dir);

  const list = await cli('orders', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  const listed = (JSON.parse(list.stdout) as { orders: { orderId: string; status: string; amount: number }[] }).orders;
  assert.deepEqual(listed.map((o) => [o.orderId, o.status, o.amount]), [[orderId, 'PAYING', 3]]);
  const human = await cli('orders', 'list', '--status', 'PAYING');
  assert.match(human.stdout, new RegExp(`${orderId}\\s+PAYING\\s+0\\.03 yuan`));

  // Not paid yet: the query asks the sandbox and changes nothing.
  const query = await cli('orders', 'query', orderId, '--json');
  assert.equal(query.code, 0, query.stderr);
  assert.deepEqual(JSON.parse(query.stdout), { orderId, outTradeNo: created.outTradeNo, outcome: 'unpaid', statusBefore: 'PAYING', status: 'PAYING' });

  const pay = await cli('sandbox', 'pay', orderId);
  assert.equal(pay.code, 0, pay.stderr);
  assert.match(pay.stdout, /status PAID/);
  const mine = (await (await fetch(`${url}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string };
  assert.equal(mine.status, 'PAID', 'the server sees what the command did');

  const usage = await cli('refund', orderId, '--amount', '0.01');
  assert.equal(usage.code, 2, 'refund without --reason is a usage error');
  const tooMuch = await cli('refund', orderId, '--amount', '0.04', '--reason', 'too much');
  assert.equal(tooMuch.code, 1);
  assert.match(tooMuch.stderr, /bad_amount/);
  const refund = await cli('refund', orderId, '--amount', '0.01', '--reason', 'one sticker torn', '--json');
  assert.equal(refund.code, 0, refund.stderr);
  assert.equal((JSON.parse(refund.stdout) as { refund: { amount: number } }).refund.amount, 1);
  const shown = await cli('orders', 'show', orderId, '--json');
  const detail = JSON.parse(shown.stdout) as { order: { status: string }; refunds: { amount: number; reason: string }[] };
  assert.equal(detail.order.status, 'REFUNDING', 'a refund under way');
  assert.deepEqual(detail.refunds.map((r) => [r.amount, r.reason]), [[1, 'one sticker torn']]);
  const missing = await cli('orders', 'show', 'ord_NOPE');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not_found/);

  // The catalogue: yuan on the command line, fen in the store, the server's public list follows.
  assert.equal((await cli('products', 'add', 'cup', 'A cup', '12.5')).code, 0);
  assert.equal((await cli('products', 'add', 'cup', 'A cup', '12.50')).code, 1, 'the sku exists');
  assert.equal((await cli('products', 'set-price', 'cup', '1.234')).code, 2, 'three decimals');
  assert.equal((await cli('products', 'set-price', 'cup', '-3')).code, 2);
  assert.equal((await cli('products', 'set-price', 'cup', '13.05')).code, 0);
  const publicList = async () => ((await (await fetch(`${url}/api/products`)).json()) as { products: { sku: string; price: number }[] }).products;
  assert.deepEqual((await publicList()).find((p) => p.sku === 'cup')?.price, 1305);
  const off = await cli('products', 'deactivate', 'cup', '--json');
  assert.deepEqual(JSON.parse(off.stdout), { product: { sku: 'cup', name: 'A cup', price: 1305, active: false, virtual: false } });
  assert.equal((await publicList()).find((p) => p.sku === 'cup'), undefined, 'off sale');
  const products = await cli('products', 'list');
  assert.match(products.stdout, /cup\s+13\.05 yuan\s+inactive\s+A cup/);

  // Reconcile today's bill (the sandbox makes bills on demand): the paid order is in it.
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const reconciled = await cli('reconcile', today, '--json');
  assert.ok([0, 3].includes(reconciled.code), reconciled.stderr);
  const run = (JSON.parse(reconciled.stdout) as { reconciliation: { date: string; status: string; billPayments: number; differenceCount: number } }).reconciliation;
  assert.equal(run.date, today);
  assert.ok(run.billPayments >= 1, JSON.stringify(run));
  assert.equal(reconciled.code, run.status === 'differences' ? 3 : 0, 'exit 3 exactly when differences need review');
  const table = await cli('reconcile', today);
  assert.match(table.stdout, /date\s+status\s+bill payments\s+bill refunds\s+matched/);
  assert.match(table.stdout, new RegExp(`${today}\\s+(matched|differences)`));
  assert.doesNotMatch(table.stderr, /downloading the bill/, 'no progress bar when stderr is not a terminal');
  // On a terminal (script(1) gives the command a pseudo-terminal), a progress bar on stderr before the table.
  const bin = join(process.cwd(), 'packages/server/dist/cli.js');
  const onTty = await new Promise<string>((resolve) => {
    execFile('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} reconcile ${today}`, '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: dir, timeout: 60_000 }, (_error, stdout) => resolve(stdout));
  });
  assert.match(onTty, /(downloading the bill|compared with the database|acting on differences) \[[█░]+\]/, onTty);
  assert.match(onTty, /bill payments/);
  assert.equal((await cli('reconcile', '2026-02-30')).code, 2, 'not a calendar date');
  assert.equal((await cli('reconcile', '2999-01-01')).code, 2, 'a day that has not begun');

  // Replay the payment notification the server received: verified again, recorded as a redelivery, nothing twice.
  const logged = JSON.parse((await cli('orders', 'show', orderId, '--json')).stdout) as { notifications: { id: string; kind: string; authentic: boolean }[]; order: { status: string } };
  const delivery = logged.notifications.find((n) => n.kind === 'payment' && n.authentic);
  assert.ok(delivery !== undefined, JSON.stringify(logged.notifications));
  const replayed = await cli('notifications', 'replay', delivery.id, '--json');
  assert.equal(replayed.code, 0, replayed.stderr);
  const replay = JSON.parse(replayed.stdout) as { authentic: boolean; recorded: boolean; redelivery: boolean; orderId: string; status: string };
  assert.deepEqual([replay.authentic, replay.recorded, replay.redelivery, replay.orderId, replay.status], [true, true, true, orderId, logged.order.status]);
  assert.match((await cli('orders', 'show', orderId)).stdout, new RegExp(`notification ${delivery.id} payment authentic`));
  const noSuch = await cli('notifications', 'replay', 'ntf_nope');
  assert.equal(noSuch.code, 1);
  assert.match(noSuch.stderr, /not_found/);

  // Import a catalogue: all or nothing, yuan in CSV, fen in JSON.
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'sku,name,price\nmug,A mug,8.80\nbad sku!,Broken,1.00\n');
  const refused = await cli('products', 'import', bad);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /line 3: sku/);
  assert.equal((await publicList()).find((p) => p.sku === 'mug'), undefined, 'nothing imported from a file with a bad row');
  const good = join(dir, 'catalogue.csv');
  writeFileSync(good, 'sku,name,price\nmug,A mug,8.80\ncup,A cup again,12\n');
  const imported = await cli('products', 'import', good, '--json');
  assert.equal(imported.code, 0, imported.stderr);
  assert.deepEqual(JSON.parse(imported.stdout), { created: ['mug'], updated: ['cup'], products: [{ sku: 'mug', name: 'A mug', price: 880 }, { sku: 'cup', name: 'A cup again', price: 1200 }] });
  const listedNow = await publicList();
  assert.equal(listedNow.find((p) => p.sku === 'mug')?.price, 880);
  assert.equal(listedNow.find((p) => p.sku === 'cup')?.price, 1200, 'the inactive cup is back on sale at the imported price');
  const json = join(dir, 'catalogue.json');
  writeFileSync(json, JSON.stringify([{ sku: 'mug', name: 'A mug', price: 900 }]));
  assert.match((await cli('products', 'import', json)).stdout, /updated mug\s+9\.00 yuan/);

  const noSandbox = await runCli(['orders', 'list'], { ...env, WXPAY_API_BASE: '' }, dir);
  assert.equal(noSandbox.code, 78, 'sandbox mode needs the running sandbox');
  assert.match(noSandbox.stderr, /WXPAY_API_BASE/);
});
