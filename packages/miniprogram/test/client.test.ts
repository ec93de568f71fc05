import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../src/index.js';
import type { ClientOptions, PayProgress, PayStage } from '../src/index.js';
import { ClientApiError, ClientLoginError, ClientNetworkError, ClientProtocolError } from '../src/errors.js';
import { FakeShop, virtualClock } from './fake-wx.js';

function setup(extra: Partial<ClientOptions> = {}) {
  const shop = new FakeShop();
  const clock = virtualClock();
  const client = createClient({ baseUrl: 'https://shop.test/', wx: shop.wx, sleep: clock.sleep, now: clock.now, ...extra });
  return { shop, clock, client };
}

const TEA = [{ sku: 'tea', quantity: 1 }];

test('login exchanges a wx.login code for a token kept in wx storage', async () => {
  const { shop, client } = setup();
  await client.login();
  assert.equal(shop.logins, 1);
  assert.deepEqual(shop.sent[0], { method: 'POST', path: '/api/login', header: { 'content-type': 'application/json' }, data: { code: 'code-1' } });
  assert.equal(shop.storage.get('wxpay-kit:token'), 'tok-code-1');
});

test('the first call logs in by itself, later calls reuse the stored token', async () => {
  const { shop, client } = setup({ storageKey: 'my-token' });
  assert.deepEqual(await client.products(), [{ sku: 'tea', name: 'Green tea', price: 1990 }]);
  await client.products();
  assert.equal(shop.logins, 1);
  assert.equal(shop.storage.get('my-token'), 'tok-code-1');
  const productCalls = shop.sent.filter((r) => r.path === '/api/products');
  assert.equal(productCalls.length, 2);
  for (const r of productCalls) assert.equal(r.header['authorization'], 'Bearer tok-code-1');
});

test('paid: requestPayment gets exactly the payParams, then the server is polled with backoff until PAID', async () => {
  const { shop, clock, client } = setup();
  shop.onRead = (order, n) => {
    if (n === 3) order.status = 'PAID';
  };
  const stages: Array<[PayStage, PayProgress]> = [];
  const result = await client.pay(TEA, { onProgress: (s, p) => stages.push([s, p]) });
  assert.equal(result.outcome, 'paid');
  assert.equal(result.orderId, 'ord_1');
  assert.equal(result.order?.status, 'PAID');
  assert.equal(result.reason, undefined);
  assert.equal(shop.payments.length, 1);
  assert.deepEqual(Object.keys(shop.payments[0] ?? {}).filter((k) => k !== 'success' && k !== 'fail').sort(), [
    'nonceStr', 'package', 'paySign', 'signType', 'timeStamp',
  ]);
  const { success: _s, fail: _f, ...sentParams } = shop.payments[0] ?? {};
  assert.deepEqual(sentParams, shop.params('wx_prepay_1'));
  assert.deepEqual(clock.sleeps, [500, 1000]);
  assert.deepEqual(stages, [
    ['creating', {}],
    ['paying', { orderId: 'ord_1', amount: 1990 }],
    ['confirming', { orderId: 'ord_1', amount: 1990 }],
  ]);
  const create = shop.sent.find((r) => r.path === '/api/orders');
  assert.deepEqual(create?.data, { items: TEA });
});

test('a requestPayment "ok" is never proof: no confirmation within the limit gives pending', async () => {
  const { shop, clock, client } = setup({ confirm: { timeoutMs: 30_000, initialDelayMs: 500, maxDelayMs: 4_000 } });
  const result = await client.pay(TEA);
  assert.equal(result.outcome, 'pending');
  assert.equal(result.reason, 'confirmation_timeout');
  assert.equal(result.order?.status, 'CREATED');
  // Doubling from 500 ms, capped at 4 s, the last wait cut to land on the deadline.
  assert.deepEqual(clock.sleeps.slice(0, 5), [500, 1000, 2000, 4000, 4000]);
  assert.ok(clock.sleeps.every((ms) => ms > 0 && ms <= 4000));
  assert.equal(clock.sleeps.reduce((a, b) => a + b, 0), 30_000);
  assert.equal(shop.readsOf('ord_1'), clock.sleeps.length + 1);
});

test('ok, then the server closes the order: failed with order_closed', async () => {
  const { shop, client } = setup();
  shop.onRead = (order) => {
    order.status = 'CLOSED';
  };
  const result = await client.pay(TEA);
  assert.deepEqual([result.outcome, result.reason, result.order?.status], ['failed', 'order_closed', 'CLOSED']);
});

test('cancelled: the server is asked exactly once, without waiting', async () => {
  const { shop, clock, client } = setup();
  shop.cashier = 'cancel';
  const result = await client.pay(TEA);
  assert.equal(result.outcome, 'cancelled');
  assert.equal(result.reason, 'requestPayment:fail cancel');
  assert.equal(result.order?.status, 'CREATED');
  assert.equal(shop.readsOf('ord_1'), 1);
  assert.deepEqual(clock.sleeps, []);
});

test('a cancel after the money moved is reported as paid', async () => {
  const { shop, client } = setup();
  shop.cashier = 'cancel';
  shop.onCashier = (order) => {
    if (order) order.status = 'PAID';
  };
  const result = await client.pay(TEA);
  assert.equal(result.outcome, 'paid');
  assert.equal(result.order?.status, 'PAID');
});

test('failed: the cashier error is the reason; an unreadable order still gives the outcome', async () => {
  const { shop, client } = setup();
  shop.cashier = 'fail';
  shop.failErrMsg = 'requestPayment:fail insufficient balance';
  const first = await client.pay(TEA);
  assert.deepEqual([first.outcome, first.reason, first.order?.status], ['failed', 'requestPayment:fail insufficient balance', 'CREATED']);

  shop.intercept = (req) => (req.method === 'GET' && req.path.startsWith('/api/orders/') ? { networkError: 'request:fail timeout' } : undefined);
  const second = await client.pay(TEA);
  assert.equal(second.outcome, 'failed');
  assert.equal(second.order, undefined);
});

test('polling rides out transient errors until the order is paid', async () => {
  const { shop, client } = setup();
  let calls = 0;
  shop.intercept = (req) => {
    if (req.method !== 'GET' || !req.path.startsWith('/api/orders/')) return undefined;
    calls += 1;
    if (calls === 1) return { networkError: 'request:fail timeout' };
    if (calls === 2) return { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'busy' } } };
    return undefined;
  };
  shop.onRead = (order) => {
    order.status = 'PAID';
  };
  const result = await client.pay(TEA);
  assert.equal(result.outcome, 'paid');
  assert.equal(calls, 3);
});

test('refunded orders count as paid (the payment did go through)', async () => {
  const { shop, client } = setup();
  shop.onRead = (order) => {
    order.status = 'PARTIALLY_REFUNDED';
  };
  assert.equal((await client.pay(TEA)).outcome, 'paid');
});

test('an expired token is renewed by one fresh login and the call retried once', async () => {
  const { shop, client } = setup();
  shop.storage.set('wxpay-kit:token', 'tok-stale');
  const products = await client.products();
  assert.equal(products.length, 1);
  assert.equal(shop.logins, 1);
  assert.deepEqual(shop.sent.map((r) => `${r.method} ${r.path} ${r.header['authorization'] ?? '-'}`), [
    'GET /api/products Bearer tok-stale',
    'POST /api/login -',
    'GET /api/products Bearer tok-code-1',
  ]);
  assert.equal(shop.storage.get('wxpay-kit:token'), 'tok-code-1');
});

test('a second 401 is an error, not a login loop', async () => {
  const { shop, client } = setup();
  shop.intercept = (req) => (req.path === '/api/products' ? { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'no' } } } : undefined);
  await assert.rejects(client.products(), (e: unknown) => e instanceof ClientApiError && e.status === 401 && e.code === 'UNAUTHORIZED');
  assert.equal(shop.logins, 2); // the initial login, then exactly one renewal
  assert.equal(shop.sent.filter((r) => r.path === '/api/products').length, 2);
});

test('concurrent calls that hit 401 share a single renewal', async () => {
  const { shop, client } = setup();
  shop.storage.set('wxpay-kit:token', 'tok-stale');
  const [a, b, c] = await Promise.all([client.products(), client.orders(), client.products()]);
  assert.equal(a.length, 1);
  assert.deepEqual(b, []);
  assert.equal(c.length, 1);
  assert.equal(shop.logins, 1);
});

test('errors: server error envelope, network failure, login failures, bad shapes', async () => {
  {
    const { shop, client } = setup();
    shop.intercept = (req) => (req.path === '/api/orders' ? { status: 400, body: { error: { code: 'INVALID_ITEMS', message: 'unknown sku' } } } : undefined);
    await assert.rejects(client.pay([{ sku: 'nope', quantity: 1 }]), (e: unknown) =>
      e instanceof ClientApiError && e.status === 400 && e.code === 'INVALID_ITEMS' && e.message === 'unknown sku');
    assert.equal(shop.payments.length, 0);
  }
  {
    const { shop, client } = setup();
    shop.intercept = (req) => (req.path === '/api/products' ? { status: 502, body: '<html>bad gateway</html>' } : undefined);
    await assert.rejects(client.products(), (e: unknown) => e instanceof ClientApiError && e.status === 502 && e.code === 'HTTP_502');
  }
  {
    const { shop, client } = setup();
    shop.intercept = () => ({ networkError: 'request:fail url not in domain list' });
    await assert.rejects(client.products(), (e: unknown) => e instanceof ClientNetworkError && e.errMsg === 'request:fail url not in domain list');
  }
  {
    const { shop, client } = setup();
    shop.wxLoginFails = true;
    await assert.rejects(client.login(), (e: unknown) => e instanceof ClientLoginError && e.errMsg === 'login:fail auth deny');
  }
  {
    const { shop, client } = setup();
    shop.loginCodesRejected = true;
    await assert.rejects(client.products(), (e: unknown) => e instanceof ClientLoginError && /INVALID_CODE/.test(e.message));
    assert.equal(shop.storage.has('wxpay-kit:token'), false);
  }
  {
    const { shop, client } = setup();
    shop.intercept = (req) => (req.path === '/api/products' ? { status: 200, body: { products: [{ sku: 'x', name: 'X', price: 9.5 }] } } : undefined);
    await assert.rejects(client.products(), ClientProtocolError);
  }
  {
    const { shop, client } = setup();
    shop.intercept = (req) =>
      req.path === '/api/orders'
        ? { status: 201, body: { orderId: 'o', outTradeNo: 'T', amount: 1, status: 'CREATED', payParams: { ...shop.params('p'), signType: 'SHA1' } } }
        : undefined;
    await assert.rejects(client.pay(TEA), ClientProtocolError);
    assert.equal(shop.payments.length, 0);
  }
});

test('Idempotency-Key: the caller\'s, else random from wx.getRandomValues, else none', async () => {
  {
    const { shop, client } = setup();
    shop.cashier = 'cancel';
    const a = await client.pay(TEA, { idempotencyKey: 'cart-42' });
    const b = await client.pay(TEA, { idempotencyKey: 'cart-42' });
    assert.equal(a.orderId, b.orderId);
    assert.equal(shop.sent.find((r) => r.path === '/api/orders')?.header['idempotency-key'], 'cart-42');
  }
  {
    const { shop, client } = setup();
    shop.cashier = 'cancel';
    await client.pay(TEA);
    assert.match(shop.sent.find((r) => r.path === '/api/orders')?.header['idempotency-key'] ?? '', /^[0-9a-f]{32}$/);
  }
  {
    const { shop, client } = setup();
    shop.cashier = 'cancel';
    shop.randomValues = false;
    await client.pay(TEA);
    assert.equal(shop.sent.find((r) => r.path === '/api/orders')?.header['idempotency-key'], undefined);
  }
});

test('a replayed Idempotency-Key for an already paid order does not open the cashier again', async () => {
  const { shop, client } = setup();
  shop.onRead = (order) => {
    order.status = 'PAID';
  };
  const first = await client.pay(TEA, { idempotencyKey: 'k1' });
  const again = await client.pay(TEA, { idempotencyKey: 'k1' });
  assert.equal(first.outcome, 'paid');
  assert.deepEqual([again.outcome, again.orderId], ['paid', first.orderId]);
  assert.equal(shop.payments.length, 1);
});

test('repay: fresh payParams from the server go to the cashier, then confirmation', async () => {
  const { shop, client } = setup();
  shop.cashier = 'cancel';
  const first = await client.pay(TEA);
  assert.equal(first.outcome, 'cancelled');
  shop.cashier = 'ok';
  shop.onRead = (order, n) => {
    if (n >= 3) order.status = 'PAID';
  };
  const stages: Array<[PayStage, PayProgress]> = [];
  const second = await client.repay(first.orderId, { onProgress: (s, p) => stages.push([s, p]) });
  assert.equal(second.outcome, 'paid');
  assert.equal(shop.payments[1]?.['package'], `prepay_id=wx_prepay_again_${first.orderId}`);
  const repayCalls = shop.sent.filter((r) => r.path === `/api/orders/${first.orderId}/payment`);
  assert.equal(repayCalls.length, 1);
  assert.deepEqual(repayCalls[0]?.data, {}, 'a body-less POST still sends a JSON body');
  const id = first.orderId;
  assert.deepEqual(stages, [['creating', { orderId: id }], ['paying', { orderId: id }], ['confirming', { orderId: id }]]);
});

test('repay of an order that got paid meanwhile answers paid without a cashier', async () => {
  const { shop, client } = setup();
  const order = shop.addOrder('PAID');
  await client.login();
  const result = await client.repay(order.orderId);
  assert.deepEqual([result.outcome, result.order?.status], ['paid', 'PAID']);
  assert.equal(shop.payments.length, 0);
});

test('repay of an unknown order throws the server\'s 404', async () => {
  const { client } = setup();
  await assert.rejects(client.repay('ord_missing'), (e: unknown) => e instanceof ClientApiError && e.status === 404);
});

test('order() and orders() read the caller\'s orders; ids are URL-encoded', async () => {
  const { shop, client } = setup();
  shop.addOrder('PAID');
  shop.addOrder('CLOSED');
  const list = await client.orders();
  assert.deepEqual(list.map((o) => [o.orderId, o.status, o.amount]), [['ord_2', 'CLOSED', 1990], ['ord_1', 'PAID', 1990]]);
  assert.deepEqual(list[0]?.items, [{ sku: 'tea', quantity: 1 }]);
  const one = await client.order('ord_1');
  assert.equal(one.status, 'PAID');
  await assert.rejects(client.order('a/b?c'), (e: unknown) => e instanceof ClientApiError && e.status === 404);
  assert.ok(shop.sent.some((r) => r.path === '/api/orders/a%2Fb%3Fc'));
});
