import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, loginAs } from '../helpers/build.js';
import { fakeNotification, unavailable } from '../helpers/fake-gateway.js';
import { GatewayRequestError } from '../../src/ports/gateway.js';

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

test('GET /api/products lists the seeded catalogue with integer fen prices', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ method: 'GET', url: '/api/products' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { products: { sku: string; price: number }[] };
  assert.ok(body.products.length >= 2);
  for (const p of body.products) assert.ok(Number.isSafeInteger(p.price) && p.price > 0);
});

test('POST /api/orders prices on the server and returns wx.requestPayment parameters', async (t) => {
  const { app } = await build(t);
  const token = await loginAs(app);
  const res = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ sku: 'tea-oolong', quantity: 2 }, { sku: 'sticker', quantity: 3 }] } });
  assert.equal(res.statusCode, 201, res.body);
  const body = res.json() as { orderId: string; outTradeNo: string; amount: number; status: string; payParams: Record<string, string> };
  assert.equal(body.amount, 2 * 4800 + 3 * 1);
  assert.equal(body.status, 'PAYING');
  assert.ok(body.outTradeNo.length <= 32 && /^[0-9A-Za-z]+$/.test(body.outTradeNo));
  assert.deepEqual(Object.keys(body.payParams).sort(), ['nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
});

test('POST /api/orders refuses bad input', async (t) => {
  const { app } = await build(t);
  const token = await loginAs(app);
  const rows: [string, unknown, number, string][] = [
    ['a client-set price', { items: [{ sku: 'tea-oolong', quantity: 1, price: 1 }] }, 400, 'invalid_request'],
    ['a client-set amount', { items: [{ sku: 'tea-oolong', quantity: 1 }], amount: 1 }, 400, 'invalid_request'],
    ['no items', { items: [] }, 400, 'invalid_request'],
    ['zero quantity', { items: [{ sku: 'tea-oolong', quantity: 0 }] }, 400, 'invalid_request'],
    ['fractional quantity', { items: [{ sku: 'tea-oolong', quantity: 1.5 }] }, 400, 'invalid_request'],
    ['huge quantity', { items: [{ sku: 'tea-oolong', quantity: 1e9 }] }, 400, 'invalid_request'],
    ['string quantity', { items: [{ sku: 'tea-oolong', quantity: '1' }] }, 400, 'invalid_request'],
    ['unknown sku', { items: [{ sku: 'nope', quantity: 1 }] }, 400, 'unknown_sku'],
    ['duplicate sku', { items: [{ sku: 'sticker', quantity: 1 }, { sku: 'sticker', quantity: 1 }] }, 400, 'duplicate_sku'],
  ];
  for (const [name, payload, status, code] of rows) {
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: payload as Record<string, unknown> });
    assert.equal(res.statusCode, status, `${name}: ${res.body}`);
    assert.equal((res.json() as { error: { code: string } }).error.code, code, name);
  }
  const invalidJson = await app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(token), 'content-type': 'application/json' }, payload: '{"items":' });
  assert.equal(invalidJson.statusCode, 400);
  assert.equal((invalidJson.json() as { error: { code: string } }).error.code, 'invalid_json');
});

test('POST /api/orders needs a valid bearer token', async (t) => {
  const { app } = await build(t);
  for (const headers of [{}, { authorization: 'Bearer nope-nope-nope-nope' }, { authorization: 'Basic abc' }]) {
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
    assert.equal(res.statusCode, 401);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'unauthorized');
  }
});

test('/api/orders checks the token before the body: a caller without one learns nothing from validation', async (t) => {
  const { app } = await build(t);
  const bodies = [{ payload: { items: 'nope' } }, { payload: '{"items":', headers: { 'content-type': 'application/json' } }];
  for (const { payload, headers } of bodies) {
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { ...headers }, payload });
    assert.equal(res.statusCode, 401, res.body);
  }
  const repay = await app.inject({ method: 'POST', url: '/api/orders/not-an-id/payment', payload: { x: 1 } });
  assert.equal(repay.statusCode, 401, repay.body);
});

test('sessions expire', async (t) => {
  const { app, clock } = await build(t, { env: { SESSION_TTL_SECONDS: '60' } });
  const token = await loginAs(app);
  assert.equal((await app.inject({ method: 'GET', url: '/api/orders', headers: auth(token) })).statusCode, 200);
  clock.advance(61_000);
  assert.equal((await app.inject({ method: 'GET', url: '/api/orders', headers: auth(token) })).statusCode, 401);
});

test('Idempotency-Key returns the same order', async (t) => {
  const { app, gateway } = await build(t);
  const token = await loginAs(app);
  const send = () => app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(token), 'idempotency-key': 'cart-42' }, payload: { items: [{ sku: 'mug-clay', quantity: 1 }] } });
  const [a, b] = await Promise.all([send(), send()]);
  const c = await send();
  const ids = [a, b, c].map((r) => (r.json() as { orderId: string }).orderId);
  assert.equal(new Set(ids).size, 1);
  assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 201]);
  assert.equal(gateway.orders.size, 1);
  const list = await app.inject({ method: 'GET', url: '/api/orders', headers: auth(token) });
  assert.equal((list.json() as { orders: unknown[] }).orders.length, 1);
});

test('only the owner can read an order; others get 404', async (t) => {
  const { app } = await build(t);
  const alice = await loginAs(app, 'alice');
  const bob = await loginAs(app, 'bob');
  const created = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(alice), payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  const { orderId } = created.json() as { orderId: string };
  assert.equal((await app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: auth(alice) })).statusCode, 200);
  const asBob = await app.inject({ method: 'GET', url: `/api/orders/${orderId}`, headers: auth(bob) });
  assert.equal(asBob.statusCode, 404);
  assert.equal((await app.inject({ method: 'POST', url: `/api/orders/${orderId}/payment`, headers: auth(bob) })).statusCode, 404);
  assert.equal((await app.inject({ method: 'GET', url: '/api/orders/ord_missing', headers: auth(alice) })).statusCode, 404);
  assert.equal((await app.inject({ method: 'GET', url: '/api/orders/bad%20id', headers: auth(alice) })).statusCode, 400);
  const bobs = await app.inject({ method: 'GET', url: '/api/orders', headers: auth(bob) });
  assert.deepEqual((bobs.json() as { orders: unknown[] }).orders, []);
});

test('GET /api/orders lists newest first', async (t) => {
  const { app, clock } = await build(t);
  const token = await loginAs(app);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ sku: 'sticker', quantity: i + 1 }] } });
    ids.push((res.json() as { orderId: string }).orderId);
    clock.advance(1000);
  }
  const list = (await app.inject({ method: 'GET', url: '/api/orders', headers: auth(token) })).json() as { orders: { orderId: string }[] };
  assert.deepEqual(list.orders.map((o) => o.orderId), ids.reverse());
});

test('WeChat down on unifiedorder: 503, and the same Idempotency-Key resumes the same order and out_trade_no', async (t) => {
  const { app, gateway } = await build(t);
  const token = await loginAs(app);
  gateway.script.prepay.push(unavailable());
  const send = () => app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(token), 'idempotency-key': 'k1' }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  const first = await send();
  assert.equal(first.statusCode, 503);
  assert.equal((first.json() as { error: { code: string } }).error.code, 'payment_unavailable');
  assert.doesNotMatch(first.body, /SYSTEMERROR|stack/);
  const second = await send();
  assert.equal(second.statusCode, 200, second.body);
  const prepays = gateway.calls.filter((c) => c.op === 'prepay');
  assert.equal(prepays.length, 2);
  assert.equal(prepays[0]?.outTradeNo, prepays[1]?.outTradeNo);
});

test('POST /api/orders/:id/payment reuses a live prepay', async (t) => {
  const { app, gateway } = await build(t);
  const token = await loginAs(app);
  const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ sku: 'sticker', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string; payParams: { package: string } };
  const again = await app.inject({ method: 'POST', url: `/api/orders/${created.orderId}/payment`, headers: auth(token) });
  assert.equal(again.statusCode, 200);
  const body = again.json() as { outTradeNo: string; payParams: { package: string } };
  assert.equal(body.outTradeNo, created.outTradeNo);
  assert.equal(body.payParams.package, created.payParams.package);
  assert.equal(gateway.calls.filter((c) => c.op === 'prepay').length, 1);
});

test('rate limit on login answers 429 in the error format', async (t) => {
  const { app } = await build(t, { deps: { rateLimits: { login: { max: 2, timeWindow: 60_000 } } } });
  const codes: number[] = [];
  for (let i = 0; i < 3; i++) codes.push((await app.inject({ method: 'POST', url: '/api/login', payload: { code: `code-x.${i}` } })).statusCode);
  assert.deepEqual(codes, [200, 200, 429]);
  const res = await app.inject({ method: 'POST', url: '/api/login', payload: { code: 'code-x.9' } });
  assert.equal((res.json() as { error: { code: string } }).error.code, 'rate_limited');
});

test('POST /api/login: bad codes are 401, bad bodies 400, WeChat down 503', async (t) => {
  const { app, login } = await build(t);
  assert.equal((await app.inject({ method: 'POST', url: '/api/login', payload: { code: 'wrong' } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/api/login', payload: {} })).statusCode, 400);
  assert.equal((await app.inject({ method: 'POST', url: '/api/login', payload: { code: 'code-a.1', extra: 1 } })).statusCode, 400);
  const ok = await app.inject({ method: 'POST', url: '/api/login', payload: { code: 'code-a.2' } });
  assert.equal(ok.statusCode, 200);
  assert.doesNotMatch(ok.body, /session/i);
  assert.equal((await app.inject({ method: 'POST', url: '/api/login', payload: { code: 'code-a.2' } })).statusCode, 401, 'a used code');
  login.fail = unavailable();
  assert.equal((await app.inject({ method: 'POST', url: '/api/login', payload: { code: 'code-a.3' } })).statusCode, 503);
});

test('body size limit: 413 in the error format', async (t) => {
  const { app } = await build(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  const res = await app.inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ code: 'x'.repeat(5000) }) });
  assert.equal(res.statusCode, 413);
  assert.equal((res.json() as { error: { code: string } }).error.code, 'payload_too_large');
});

test('health, readiness, docs and unknown routes', async (t) => {
  const { app } = await build(t);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(docs.statusCode, 200);
  const doc = docs.json() as { openapi: string; paths: Record<string, unknown> };
  assert.match(doc.openapi, /^3\./);
  for (const path of ['/api/login', '/api/products', '/api/orders', '/api/orders/{orderId}', '/api/orders/{orderId}/payment', '/wxpay/notify/payment']) {
    assert.ok(path in doc.paths, path);
  }
  assert.match((await app.inject({ method: 'GET', url: '/docs' })).body, /<html/);
  const missing = await app.inject({ method: 'GET', url: '/nope' });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), { error: { code: 'not_found', message: 'no such resource' } });
});

test('unifiedorder answers ORDERPAID: the payment is fetched and applied, the client hears already_paid', async (t) => {
  const { app, gateway, clock } = await build(t, { env: { PAY_EXPIRE_MINUTES: '10' } });
  const token = await loginAs(app);
  const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ sku: 'sticker', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string };
  gateway.pay(created.outTradeNo);
  // The prepay is past its window, so repay closes the attempt: WeChat answers ORDERPAID.
  clock.advance(11 * 60_000);
  const res = await app.inject({ method: 'POST', url: `/api/orders/${created.orderId}/payment`, headers: auth(token) });
  assert.equal(res.statusCode, 409);
  assert.equal((res.json() as { error: { code: string } }).error.code, 'already_paid');
  assert.equal((await app.wx.store.getOrder(created.orderId))?.status, 'PAID');
});

test('unifiedorder answers OUT_TRADE_NO_USED or ORDERCLOSED: the attempt is retired and a new out_trade_no used', async (t) => {
  for (const kind of ['out_trade_no_used', 'closed'] as const) {
    const { app, gateway } = await build(t);
    const token = await loginAs(app);
    gateway.script.prepay.push({ kind });
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
    assert.equal(res.statusCode, 201, `${kind}: ${res.body}`);
    const prepays = gateway.calls.filter((c) => c.op === 'prepay');
    assert.equal(prepays.length, 2);
    assert.notEqual(prepays[0]?.outTradeNo, prepays[1]?.outTradeNo);
    assert.equal((res.json() as { outTradeNo: string }).outTradeNo, prepays[1]?.outTradeNo);
  }
});

test('concurrent repays of an expired prepay start exactly one new attempt', async (t) => {
  const { app, gateway, clock } = await build(t, { env: { PAY_EXPIRE_MINUTES: '10' } });
  const token = await loginAs(app);
  const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ sku: 'sticker', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string };
  clock.advance(11 * 60_000);
  const answers = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: `/api/orders/${created.orderId}/payment`, headers: auth(token) })));
  const numbers = new Set(answers.filter((a) => a.statusCode === 200).map((a) => (a.json() as { outTradeNo: string }).outTradeNo));
  assert.equal(numbers.size, 1, answers.map((a) => a.body).join('\n'));
  assert.ok(!numbers.has(created.outTradeNo));
  const prepaid = new Set(gateway.calls.filter((c) => c.op === 'prepay').map((c) => c.outTradeNo));
  assert.equal(prepaid.size, 2, 'the first attempt and exactly one new one');
});

test('an Idempotency-Key reused for a different cart is refused (422), the original order untouched', async (t) => {
  const { app } = await build(t);
  const token = await loginAs(app);
  const send = (items: unknown) => app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(token), 'idempotency-key': 'k-cart' }, payload: { items } });
  const first = await send([{ sku: 'mug-clay', quantity: 1 }, { sku: 'sticker', quantity: 2 }]);
  assert.equal(first.statusCode, 201);
  assert.equal((await send([{ sku: 'sticker', quantity: 2 }, { sku: 'mug-clay', quantity: 1 }])).statusCode, 200, 'same cart, other order of lines');
  const other = await send([{ sku: 'mug-clay', quantity: 2 }]);
  assert.equal(other.statusCode, 422);
  assert.equal((other.json() as { error: { code: string } }).error.code, 'idempotency_mismatch');
});

test('a paid order: GET shows paidAt, repay is 409 already_paid', async (t) => {
  const { app, gateway } = await build(t);
  const token = await loginAs(app);
  const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: auth(token), payload: { items: [{ sku: 'sticker', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string };
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(gateway.pay(created.outTradeNo)) });
  const order = (await app.inject({ method: 'GET', url: `/api/orders/${created.orderId}`, headers: auth(token) })).json() as Record<string, unknown>;
  assert.equal(order.status, 'PAID');
  assert.equal(typeof order.paidAt, 'string');
  assert.deepEqual(Object.keys(order).sort(), ['amount', 'createdAt', 'items', 'orderId', 'outTradeNo', 'paidAt', 'shipping', 'status']);
  // Fulfilment stands apart from the payment status (issue 14): paid, not shipped yet.
  assert.deepEqual(order.shipping, { status: 'NOT_SHIPPED', packages: [] });
  const repay = await app.inject({ method: 'POST', url: `/api/orders/${created.orderId}/payment`, headers: auth(token) });
  assert.equal(repay.statusCode, 409);
  assert.equal((repay.json() as { error: { code: string } }).error.code, 'already_paid');
});

// ---- abuse limits (issue 12): per user, not per address; each answered 429 naming the limit ----

const limitsFromConfig = { rateLimits: { login: { max: 1000, timeWindow: 60_000 } } };
const cart = { items: [{ sku: 'sticker', quantity: 1 }] };

test('ORDERS_PER_MINUTE: order creation is limited per user (openid), and the 429 names the limit', async (t) => {
  const { app } = await build(t, { env: { ORDERS_PER_MINUTE: '5' }, deps: limitsFromConfig });
  const alice = await loginAs(app, 'alice');
  const bob = await loginAs(app, 'bob');
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) codes.push((await app.inject({ method: 'POST', url: '/api/orders', headers: auth(alice), payload: cart })).statusCode);
  assert.deepEqual(codes, [201, 201, 201, 201, 201, 429, 429, 429]);
  const refused = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(alice), payload: cart });
  const error = (refused.json() as { error: { code: string; message: string } }).error;
  assert.equal(error.code, 'rate_limited');
  assert.match(error.message, /at most 5 per 60 s per user \(ORDERS_PER_MINUTE\)/);
  // Bob, from the same address, has his own budget; Alice's refused attempts created nothing.
  assert.equal((await app.inject({ method: 'POST', url: '/api/orders', headers: auth(bob), payload: cart })).statusCode, 201);
  const list = await app.inject({ method: 'GET', url: '/api/orders', headers: auth(alice) });
  assert.equal((list.json() as { orders: unknown[] }).orders.length, 5);
});

test('OPEN_ORDERS_MAX: a user with that many unpaid orders gets 429 until one is paid; an Idempotency-Key replay still answers', async (t) => {
  const { app, gateway } = await build(t, { env: { OPEN_ORDERS_MAX: '3' } });
  const alice = await loginAs(app, 'alice');
  const bob = await loginAs(app, 'bob');
  const created: { orderId: string; outTradeNo: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(alice), 'idempotency-key': `cart-${i}` }, payload: cart });
    assert.equal(res.statusCode, 201, res.body);
    created.push(res.json() as { orderId: string; outTradeNo: string });
  }
  const prepaysBefore = gateway.calls.filter((c) => c.op === 'prepay').length;
  const fourth = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(alice), payload: cart });
  assert.equal(fourth.statusCode, 429);
  const error = (fourth.json() as { error: { code: string; message: string } }).error;
  assert.equal(error.code, 'too_many_open_orders');
  assert.match(error.message, /at most 3 unpaid orders per user \(OPEN_ORDERS_MAX\)/);
  assert.equal(gateway.calls.filter((c) => c.op === 'prepay').length, prepaysBefore, 'no unifiedorder for a refused order');
  // A network retry of an order that exists is not a new order.
  const replay = await app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(alice), 'idempotency-key': 'cart-0' }, payload: cart });
  assert.equal(replay.statusCode, 200);
  assert.equal((replay.json() as { orderId: string }).orderId, created[0]?.orderId);
  // Other users are not affected.
  assert.equal((await app.inject({ method: 'POST', url: '/api/orders', headers: auth(bob), payload: cart })).statusCode, 201);
  // Paying one frees a place.
  const paid = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(gateway.pay(created[1]?.outTradeNo ?? '')) });
  assert.equal(paid.statusCode, 200);
  assert.equal((await app.inject({ method: 'POST', url: '/api/orders', headers: auth(alice), payload: cart })).statusCode, 201);
  assert.equal((await app.inject({ method: 'POST', url: '/api/orders', headers: auth(alice), payload: cart })).statusCode, 429);
});

test('OPEN_ORDERS_MAX: the unpaid-order count and the catalogue are read together, not one after the other', async (t) => {
  const { app } = await build(t, { env: { OPEN_ORDERS_MAX: '3' } });
  const alice = await loginAs(app, 'alice');
  const store = app.wx.store;
  const original = { countUnpaidOrders: store.countUnpaidOrders.bind(store), productsBySku: store.productsBySku.bind(store) };
  let catalogueAsked!: () => void;
  const catalogueRead = new Promise<void>((resolve) => { catalogueAsked = resolve; });
  let countAnsweredFirst = false;
  // The count answers only once the catalogue has been asked for; were the reads sequential, it would wait for the
  // timer instead and say so.
  Object.assign(store, {
    countUnpaidOrders: async (openid: string, atMost: number) => {
      const timer = new Promise<'timeout'>((resolve) => { setTimeout(() => resolve('timeout'), 1000); });
      if ((await Promise.race([catalogueRead.then(() => 'asked' as const), timer])) === 'timeout') countAnsweredFirst = true;
      return original.countUnpaidOrders(openid, atMost);
    },
    productsBySku: (...args: Parameters<typeof store.productsBySku>) => {
      catalogueAsked();
      return original.productsBySku(...args);
    },
  });
  const res = await app.inject({ method: 'POST', url: '/api/orders', headers: auth(alice), payload: cart });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(countAnsweredFirst, false, 'the catalogue was read only after the count answered');
});

test('ORDER_MISSES_PER_MINUTE: probing unknown order ids is limited per user; the window ends', async (t) => {
  const { app, clock } = await build(t, { env: { ORDER_MISSES_PER_MINUTE: '5' } });
  const alice = await loginAs(app, 'alice');
  const bob = await loginAs(app, 'bob');
  const own = (await app.inject({ method: 'POST', url: '/api/orders', headers: auth(bob), payload: cart })).json() as { orderId: string };
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) {
    codes.push((await app.inject({ method: 'GET', url: `/api/orders/ord_probe${String(i).padStart(20, '0')}`, headers: auth(alice) })).statusCode);
  }
  assert.deepEqual(codes, [404, 404, 404, 404, 404, 429, 429, 429]);
  // Someone else's order is a miss like any other (and stays indistinguishable from a missing one).
  const blocked = await app.inject({ method: 'GET', url: `/api/orders/${own.orderId}`, headers: auth(alice) });
  assert.equal(blocked.statusCode, 429);
  const error = (blocked.json() as { error: { code: string; message: string } }).error;
  assert.equal(error.code, 'rate_limited');
  assert.match(error.message, /at most 5 per 60 s per user \(ORDER_MISSES_PER_MINUTE\)/);
  // Bob is not limited by Alice's misses and reads his order.
  assert.equal((await app.inject({ method: 'GET', url: `/api/orders/${own.orderId}`, headers: auth(bob) })).statusCode, 200);
  clock.advance(60_000);
  assert.equal((await app.inject({ method: 'GET', url: '/api/orders/ord_probe99999999999999999', headers: auth(alice) })).statusCode, 404);
});

test('a repeated Idempotency-Key after payment answers the same order (200) with its current status, not 409', async (t) => {
  const { app, gateway, clock } = await build(t);
  const token = await loginAs(app);
  const send = () => app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(token), 'idempotency-key': 'paid-key' }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  const first = await send();
  assert.equal(first.statusCode, 201);
  const created = first.json() as { orderId: string; outTradeNo: string; amount: number };
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(gateway.pay(created.outTradeNo)) });
  const again = await send();
  assert.equal(again.statusCode, 200, again.body);
  assert.deepEqual(again.json(), { orderId: created.orderId, outTradeNo: created.outTradeNo, amount: created.amount, status: 'PAID' });
  // Long after, past the order's expiry: still the same order, never a second one.
  clock.advance(3 * 24 * 3600_000);
  const later = await send();
  assert.equal(later.statusCode, 200);
  assert.equal((later.json() as { orderId: string }).orderId, created.orderId);
  assert.equal(gateway.calls.filter((c) => c.op === 'prepay').length, 1, 'no new prepay for a paid order');
});

test('a request refused locally (nothing sent to WeChat) is 500 invalid_payment_request, not "unavailable", and does not block the order', async (t) => {
  const { app, gateway } = await build(t);
  const token = await loginAs(app);
  gateway.script.prepay.push(new GatewayRequestError('unifiedorder: body: must be at most 128 bytes', { field: 'body' }));
  const send = () => app.inject({ method: 'POST', url: '/api/orders', headers: { ...auth(token), 'idempotency-key': 'k-local' }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  const first = await send();
  assert.equal(first.statusCode, 500, first.body);
  assert.equal((first.json() as { error: { code: string } }).error.code, 'invalid_payment_request');
  assert.doesNotMatch(first.body, /unavailable/i);
  const [order] = await app.wx.store.listByOpenid('openid-alice', 10);
  assert.ok(order !== undefined);
  assert.equal((await app.wx.store.latestAttempt(order.id))?.status, 'CLOSED', 'the attempt that never reached WeChat is retired');
  const second = await send();
  assert.equal(second.statusCode, 200, second.body);
  const prepays = gateway.calls.filter((c) => c.op === 'prepay').map((c) => c.outTradeNo);
  assert.equal(prepays.length, 2);
  assert.notEqual(prepays[0], prepays[1], 'a new attempt, not the refused one again');
  assert.equal((second.json() as { outTradeNo: string }).outTradeNo, prepays[1]);
});

test('a body that is not sent as JSON gets 415 naming application/json (/api and /admin); notifications keep their formats', async (t) => {
  const { app } = await build(t);
  const token = await loginAs(app);
  const form = 'items=sticker';
  const cases: [string, string, Record<string, string>][] = [
    ['/api/login', 'text/plain', {}],
    ['/api/orders', 'application/x-www-form-urlencoded', auth(token)],
    ['/admin/products', 'application/x-www-form-urlencoded', { authorization: 'Bearer admin-token-0123456789' }],
  ];
  for (const [url, type, headers] of cases) {
    const res = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload: form });
    assert.equal(res.statusCode, 415, `${url}: ${res.body}`);
    assert.equal(res.json().error.code, 'unsupported_media_type');
    assert.match(res.json().error.message, /content-type: application\/json/, url);
  }
  const xml = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: '<xml></xml>' });
  assert.notEqual(xml.statusCode, 415, xml.body);
});
