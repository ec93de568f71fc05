/** The operator adds a product through the admin API; a user buys it through the normal order flow against the sandbox. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './helpers/stack.js';

const ADMIN = { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' };

test('POST /admin/products → the product is on sale → login, order, requestPayment → PAID at the new price', async (t) => {
  const s = await startStack(t, 'v3');
  const added = await fetch(`${s.url}/admin/products`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ sku: 'tea-puer', name: 'Pu-erh cake, 357 g', price: 12800 }) });
  assert.equal(added.status, 201, await added.clone().text());
  const shop = (await (await fetch(`${s.url}/api/products`)).json()) as unknown;
  assert.ok(JSON.stringify(shop).includes('tea-puer'));

  const user = await s.login();
  const created = await s.createOrder(user, [{ sku: 'tea-puer', quantity: 1 }]);
  assert.equal(created.status, 201);
  assert.equal(created.body.amount, 12800);
  assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
  const order = await s.order(user, created.body.orderId);
  assert.equal(order.status, 'PAID');
  const atWeChat = (await (await fetch(`${s.sandbox.url}/sandbox/orders?outTradeNo=${created.body.outTradeNo}`)).json()) as { orders: { state: string }[] };
  assert.equal(atWeChat.orders[0]?.state, 'SUCCESS');

  // Taken off sale: the paid order stays as it was, a new one is refused.
  const off = await fetch(`${s.url}/admin/products/tea-puer`, { method: 'PATCH', headers: ADMIN, body: JSON.stringify({ active: false }) });
  assert.equal(off.status, 200);
  const refused = await s.createOrder(user, [{ sku: 'tea-puer', quantity: 1 }]);
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error?.code, 'product_inactive');
  assert.equal((await s.order(user, created.body.orderId)).status, 'PAID');
});
