/** The catalogue API (GET/POST/PATCH /admin/products) against the real app: guard, validation, and what a change does to orders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { REDACT_PATHS } from '../../src/app.js';
import { build, loginAs } from '../helpers/build.js';

const ADMIN = { authorization: 'Bearer admin-token-0123456789' };

test('/admin/products: 401 before validation without the token, 404 when ADMIN_TOKEN is not set', async (t) => {
  const built = await build(t);
  const off = await build(t, { env: { ADMIN_TOKEN: '' } });
  const routes: [string, string, unknown][] = [
    ['GET', '/admin/products', undefined],
    ['POST', '/admin/products', { sku: 'x', name: 'X', price: 1 }],
    ['POST', '/admin/products', { sku: 'bad sku!', price: -1 }],
    ['PATCH', '/admin/products/tea-oolong', { price: 1 }],
    ['PATCH', '/admin/products/tea-oolong', { price: 'free' }],
  ];
  for (const [method, url, payload] of routes) {
    const options = { method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) };
    const none = await built.app.inject(options);
    assert.equal(none.statusCode, 401, `${method} ${url}`);
    assert.equal(none.json().error.code, 'unauthorized');
    assert.equal((await built.app.inject({ ...options, headers: { authorization: 'Bearer not-the-admin-token' } })).statusCode, 401);
    assert.equal((await off.app.inject({ ...options, headers: ADMIN })).statusCode, 404, `${method} ${url} without ADMIN_TOKEN`);
  }
  const after = await built.app.inject({ method: 'GET', url: '/admin/products', headers: ADMIN });
  assert.deepEqual(after.json().products.map((p: { sku: string; price: number }) => [p.sku, p.price]), [['mug-clay', 3900], ['sticker', 1], ['tea-oolong', 4800]], 'nothing changed');
});

test('POST /admin/products: bad bodies are 400 with nothing changed; a duplicate sku is 409', async (t) => {
  const { app } = await build(t);
  const bad: [string, unknown][] = [
    ['price 0', { sku: 'p1', name: 'P', price: 0 }],
    ['negative price', { sku: 'p1', name: 'P', price: -5 }],
    ['fractional price', { sku: 'p1', name: 'P', price: 12.5 }],
    ['price as text', { sku: 'p1', name: 'P', price: '100' }],
    ['unsafe price', { sku: 'p1', name: 'P', price: 2 ** 53 }],
    ['sku with a space', { sku: 'p 1', name: 'P', price: 1 }],
    ['empty sku', { sku: '', name: 'P', price: 1 }],
    ['long sku', { sku: 'x'.repeat(65), name: 'P', price: 1 }],
    ['empty name', { sku: 'p1', name: '  ', price: 1 }],
    ['no name', { sku: 'p1', price: 1 }],
    ['unknown key', { sku: 'p1', name: 'P', price: 1, active: false }],
  ];
  for (const [what, payload] of bad) {
    const res = await app.inject({ method: 'POST', url: '/admin/products', headers: ADMIN, payload: payload as Record<string, unknown> });
    assert.equal(res.statusCode, 400, what);
    assert.equal(typeof res.json().error.message, 'string', what);
  }
  assert.equal((await app.inject({ method: 'GET', url: '/admin/products', headers: ADMIN })).json().products.length, 3);

  const created = await app.inject({ method: 'POST', url: '/admin/products', headers: ADMIN, payload: { sku: 'tea-green', name: 'Green tea, 100 g', price: 2600 } });
  assert.equal(created.statusCode, 201, created.body);
  assert.deepEqual(created.json(), { product: { sku: 'tea-green', name: 'Green tea, 100 g', price: 2600, active: true, virtual: false } });
  const again = await app.inject({ method: 'POST', url: '/admin/products', headers: ADMIN, payload: { sku: 'tea-green', name: 'Other', price: 1 } });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().error.code, 'product_exists');
  const list = (await app.inject({ method: 'GET', url: '/admin/products', headers: ADMIN })).json().products;
  assert.deepEqual(list.find((p: { sku: string }) => p.sku === 'tea-green'), { sku: 'tea-green', name: 'Green tea, 100 g', price: 2600, active: true, virtual: false }, 'the first one stands');
  const shop = (await app.inject({ method: 'GET', url: '/api/products' })).json();
  assert.ok(JSON.stringify(shop).includes('tea-green'), 'on sale at once');
});

test('PATCH /admin/products/:sku: 404 for an unknown sku, 400 for a bad or empty body', async (t) => {
  const { app } = await build(t);
  assert.equal((await app.inject({ method: 'PATCH', url: '/admin/products/nope', headers: ADMIN, payload: { price: 10 } })).statusCode, 404);
  for (const payload of [{}, { price: 0 }, { price: 1.5 }, { active: 'no' }, { sku: 'other' }, { name: '' }]) {
    const res = await app.inject({ method: 'PATCH', url: '/admin/products/tea-oolong', headers: ADMIN, payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
  }
  assert.equal((await app.inject({ method: 'PATCH', url: '/admin/products/bad%20sku', headers: ADMIN, payload: { price: 1 } })).statusCode, 400);
});

test('a price change reaches new orders only; a deactivated product is hidden, refused, and its orders keep name and price', async (t) => {
  const built = await build(t);
  const { app } = built;
  const token = await loginAs(app);
  const user = { authorization: `Bearer ${token}` };
  const first = await app.inject({ method: 'POST', url: '/api/orders', headers: user, payload: { items: [{ sku: 'tea-oolong', quantity: 2 }] } });
  assert.equal(first.statusCode, 201, first.body);
  const orderId = first.json().orderId as string;

  const renamed = await app.inject({ method: 'PATCH', url: '/admin/products/tea-oolong', headers: ADMIN, payload: { name: 'Oolong tea, 500 g', price: 9000 } });
  assert.equal(renamed.statusCode, 200, renamed.body);
  assert.deepEqual(renamed.json(), { product: { sku: 'tea-oolong', name: 'Oolong tea, 500 g', price: 9000, active: true, virtual: false } });
  const second = await app.inject({ method: 'POST', url: '/api/orders', headers: user, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
  assert.equal(second.statusCode, 201, second.body);
  assert.equal(second.json().amount, 9000);

  const off = await app.inject({ method: 'PATCH', url: '/admin/products/tea-oolong', headers: ADMIN, payload: { active: false } });
  assert.equal(off.statusCode, 200);
  assert.equal(off.json().product.active, false);
  const shop = (await app.inject({ method: 'GET', url: '/api/products' })).json();
  assert.ok(!JSON.stringify(shop).includes('tea-oolong'), 'hidden from the shop');
  const admin = (await app.inject({ method: 'GET', url: '/admin/products', headers: ADMIN })).json().products;
  assert.deepEqual(admin.find((p: { sku: string }) => p.sku === 'tea-oolong'), { sku: 'tea-oolong', name: 'Oolong tea, 500 g', price: 9000, active: false, virtual: false }, 'still in the catalogue');

  const refused = await app.inject({ method: 'POST', url: '/api/orders', headers: user, payload: { items: [{ sku: 'tea-oolong', quantity: 1 }] } });
  assert.equal(refused.statusCode, 400);
  assert.equal(refused.json().error.code, 'product_inactive');
  assert.match(refused.json().error.message, /no longer sold: tea-oolong/);

  const kept = (await app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: user })).json();
  assert.equal(kept.amount, 9600);
  assert.deepEqual(kept.items, [{ sku: 'tea-oolong', name: 'Oolong tea, 250 g', price: 4800, quantity: 2 }]);

  const back = await app.inject({ method: 'PATCH', url: '/admin/products/tea-oolong', headers: ADMIN, payload: { active: true } });
  assert.equal(back.json().product.active, true);
  assert.equal((await app.inject({ method: 'POST', url: '/api/orders', headers: user, payload: { items: [{ sku: 'tea-oolong', quantity: 3 }] } })).statusCode, 201);
});

test('each catalogue change is one audit log line (who: admin, what), without the token', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const { app } = await build(t, { deps: { logger } });
  await app.inject({ method: 'POST', url: '/admin/products', headers: ADMIN, payload: { sku: 'cup', name: 'Cup', price: 500 } });
  await app.inject({ method: 'PATCH', url: '/admin/products/cup', headers: ADMIN, payload: { active: false } });
  await app.inject({ method: 'POST', url: '/admin/products', headers: ADMIN, payload: { sku: 'cup', name: 'Cup', price: 500 } }); // 409: no change, no line
  const audit = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.who === 'admin');
  assert.deepEqual(audit.map((l) => [l.what, l.sku]), [['product.created', 'cup'], ['product.updated', 'cup']]);
  assert.deepEqual((audit[1] as { changes: unknown }).changes, { active: false });
  assert.ok(!lines.join('').includes('admin-token-0123456789'));
});

test('a product can be marked virtual and back (PATCH virtual); the flag is stored and shown', async (t) => {
  const { app } = await build(t);
  const on = await app.inject({ method: 'PATCH', url: '/admin/products/sticker', headers: ADMIN, payload: { virtual: true } });
  assert.equal(on.statusCode, 200, on.body);
  assert.equal(on.json().product.virtual, true);
  const listed = (await app.inject({ method: 'GET', url: '/admin/products', headers: ADMIN })).json().products as { sku: string; virtual: boolean }[];
  assert.deepEqual(listed.filter((p) => p.virtual).map((p) => p.sku), ['sticker']);
  const bad = await app.inject({ method: 'PATCH', url: '/admin/products/sticker', headers: ADMIN, payload: { virtual: 'yes' } });
  assert.equal(bad.statusCode, 400);
  const off = await app.inject({ method: 'PATCH', url: '/admin/products/sticker', headers: ADMIN, payload: { virtual: false } });
  assert.equal(off.json().product.virtual, false);
});
