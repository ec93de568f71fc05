/**
 * One hanging webhook receiver does not hold every fulfilment event: deliveries run a few at a time, each bounded by
 * its own timeout. A real local receiver hangs on the first event it gets until it has seen all the others (or, if
 * they never come while it hangs, until a cap): the others must arrive while it hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_EVENT_ID_HEADER } from '../src/jobs/webhook.js';
import { build, loginAs } from './helpers/build.js';
import { fakeNotification } from './helpers/fake-gateway.js';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const EVENTS = 7;
const CONCURRENCY = 3;

test('a receiver hanging on one event does not hold the others; at most OUTBOX_CONCURRENCY are in flight', async (t) => {
  const seen: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let held: { id: string; res: ServerResponse; releasedBy?: string } | undefined;
  let releaseCap: NodeJS.Timeout | undefined;
  const release = (why: string) => {
    if (held === undefined || held.releasedBy !== undefined) return;
    held.releasedBy = why;
    clearTimeout(releaseCap);
    inFlight--;
    held.res.writeHead(204).end();
  };
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    req.on('end', () => {
      const id = String(req.headers[WEBHOOK_EVENT_ID_HEADER]);
      seen.push(id);
      if (held === undefined) {
        held = { id, res };
        // If the others cannot come while this one hangs (one delivery at a time), let go eventually.
        releaseCap = setTimeout(() => release('cap'), 5_000);
        return;
      }
      inFlight--;
      res.writeHead(204).end();
      if (seen.length === EVENTS) release('all others arrived');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  const { app, gateway } = await build(t, { env: { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, OUTBOX_CONCURRENCY: String(CONCURRENCY), OUTBOX_TIMEOUT_MS: '30000' } });
  const token = await loginAs(app);
  for (let i = 0; i < EVENTS; i++) {
    const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: i + 1 }] } })).json() as { outTradeNo: string };
    await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(gateway.pay(created.outTradeNo)) });
  }

  const report = await app.wx.jobs.deliverOutbox();
  assert.equal(held?.releasedBy, 'all others arrived', 'the other events were delivered while the first one hung');
  assert.equal(new Set(seen).size, EVENTS);
  assert.deepEqual(report, { examined: EVENTS, changed: EVENTS, failed: 0 });
  assert.ok(maxInFlight <= CONCURRENCY, `${maxInFlight} deliveries at once`);
  assert.ok(maxInFlight > 1, 'deliveries overlap');
});

test('a delivery past its timeout fails and is retried later, without holding the batch', async (t) => {
  const seen: string[] = [];
  let hung: string | undefined;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers[WEBHOOK_EVENT_ID_HEADER]);
      seen.push(id);
      if (hung === undefined) {
        hung = id; // never answered: only the delivery timeout ends it
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const { app, gateway } = await build(t, { env: { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, OUTBOX_TIMEOUT_MS: '300', JOBS_RETRY_BASE_MS: '100' } });
  const token = await loginAs(app);
  const orderIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: i + 1 }] } })).json() as { orderId: string; outTradeNo: string };
    orderIds.push(created.orderId);
    await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(gateway.pay(created.outTradeNo)) });
  }
  const report = await app.wx.jobs.deliverOutbox();
  assert.deepEqual(report, { examined: 3, changed: 2, failed: 1 });
  const events = (await Promise.all(orderIds.map((id) => app.wx.store.listEvents(id)))).flat();
  const failed = events.find((e) => e.id === hung);
  assert.equal(failed?.deliveredAt, undefined, 'the hung delivery is not marked delivered');
  assert.equal(events.filter((e) => e.deliveredAt !== undefined).length, 2);
});
