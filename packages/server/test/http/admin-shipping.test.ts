/** POST /admin/orders/:orderId/shipments and the shipping in the admin views, on the real app (fake WeChat Pay). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, loginAs } from '../helpers/build.js';
import { fakeNotification } from '../helpers/fake-gateway.js';
import { KyselyShippingStore } from '../../src/store/shipping-store.js';
import { KyselyStore } from '../../src/store/kysely-store.js';

const ADMIN = { authorization: 'Bearer admin-token-0123456789' };

test('shipments: guarded, validated, only for PAID orders; the admin list, detail and page show shipping', async (t) => {
  const { app, gateway } = await build(t);
  const token = await loginAs(app);
  const create = async () => (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string };
  const unpaid = await create();
  const paid = await create();
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(gateway.pay(paid.outTradeNo)) });
  const ship = (orderId: string, payload: unknown, headers: Record<string, string> = ADMIN) => app.inject({ method: 'POST', url: `/admin/orders/${orderId}/shipments`, headers, payload: payload as Record<string, unknown> });
  const express = { logisticsType: 'express', packages: [{ expressCompany: 'SF', trackingNo: 'SF100', contact: '+86-177****1234' }] };

  assert.equal((await ship(paid.orderId, { nonsense: true }, {})).statusCode, 401, 'the guard runs before validation');
  for (const bad of [{}, { logisticsType: 'drone' }, { logisticsType: 'express' }, { logisticsType: 'pickup', packages: express.packages }, { ...express, extra: 1 }]) {
    assert.equal((await ship(paid.orderId, bad)).statusCode, 400, JSON.stringify(bad));
  }
  assert.equal((await ship('no-such-order', express)).statusCode, 404);
  const refused = await ship(unpaid.orderId, express);
  assert.equal(refused.statusCode, 409);
  assert.equal(refused.json().error.code, 'not_paid');

  const accepted = await ship(paid.orderId, express);
  assert.equal(accepted.statusCode, 202, accepted.body);
  assert.deepEqual(accepted.json().shipping.packages, [{ expressCompany: 'SF', trackingNo: 'SF100' }], 'the contact stays with the operator');

  const list = (await app.inject({ method: 'GET', url: '/admin/orders?limit=10', headers: ADMIN })).json() as { orders: { orderId: string; shipping: { status: string } }[] };
  assert.deepEqual(list.orders.map((o) => [o.orderId, o.shipping.status]).sort(), [[paid.orderId, 'SHIPPED'], [unpaid.orderId, 'NOT_SHIPPED']].sort());
  const detail = (await app.inject({ method: 'GET', url: `/admin/orders/${paid.orderId}`, headers: ADMIN })).json() as { order: { shipping: { status: string; upload: string } }; events: { topic: string }[] };
  assert.equal(detail.order.shipping.status, 'SHIPPED');
  assert.equal(detail.order.shipping.upload, 'PENDING');
  assert.ok(detail.events.some((e) => e.topic === 'shipping.upload'), 'the upload waits in the outbox');
  const page = await app.inject({ method: 'GET', url: '/admin' });
  assert.match(page.body, /id="shipForm"/);

  // The console's tile: nothing left to ship (the unpaid order is not), one shipped, its upload waiting.
  const overview = await app.inject({ method: 'GET', url: '/admin/shipping', headers: ADMIN });
  assert.deepEqual(overview.json().counts, { toShip: 0, shipped: 1, confirmed: 0, settled: 0, uploadPending: 1, uploadFailed: 0 });
  // WeChat refused the upload for good: the operator sees its error code, the buyer's order JSON does not carry it.
  assert.ok(app.wx.store instanceof KyselyStore);
  await new KyselyShippingStore(app.wx.store.database).setUpload(paid.orderId, 1, 'FAILED', '10060003', Date.now());
  const failed = (await app.inject({ method: 'GET', url: `/admin/orders/${paid.orderId}`, headers: ADMIN })).json() as { order: { shipping: { upload: string; uploadError?: string } } };
  assert.deepEqual([failed.order.shipping.upload, failed.order.shipping.uploadError], ['FAILED', '10060003']);
  const listed = (await app.inject({ method: 'GET', url: `/admin/orders?q=${paid.orderId}`, headers: ADMIN })).json() as { orders: { shipping: { uploadError?: string } }[] };
  assert.equal(listed.orders[0]?.shipping.uploadError, '10060003');
  const buyers = (await app.inject({ method: 'GET', url: `/api/orders/${paid.orderId}`, headers: { authorization: `Bearer ${token}` } })).json() as { shipping: Record<string, unknown> };
  assert.equal(buyers.shipping.upload, 'FAILED');
  assert.equal('uploadError' in buyers.shipping, false);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/shipping', headers: ADMIN })).json().counts.uploadFailed, 1);
});
