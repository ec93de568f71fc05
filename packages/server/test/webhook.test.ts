/**
 * The merchant webhook: the signature scheme (what a merchant's verifier must accept and refuse), delivery over real
 * HTTP, and the outbox driving it with retries when WEBHOOK_URL is configured.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { createWebhookHook, signWebhook, verifyWebhookSignature, WEBHOOK_EVENT_ID_HEADER, WEBHOOK_SIGNATURE_HEADER } from '../src/jobs/webhook.js';
import type { FulfilmentEvent } from '../src/jobs/jobs.js';
import { build, loginAs } from './helpers/build.js';
import { fakeNotification } from './helpers/fake-gateway.js';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const T = 1_800_000_000;

test('signature: t=<seconds>,v1=<hex HMAC-SHA256(secret, "t.body")>, checked by an independent computation', () => {
  const body = '{"id":"e1","orderId":"o1"}';
  const header = signWebhook(body, SECRET, T);
  const expected = createHmac('sha256', SECRET).update(`${T}.${body}`).digest('hex');
  assert.equal(header, `t=${T},v1=${expected}`);
});

test('verification accepts the genuine signature and refuses every alteration', () => {
  const body = Buffer.from('{"id":"e1","orderId":"o1","payload":{"amountFen":4800}}');
  const header = signWebhook(body, SECRET, T);
  const rows: [string, Buffer | string, string | undefined, string, number, boolean][] = [
    ['genuine', body, header, SECRET, T, true],
    ['within tolerance', body, header, SECRET, T + 300, true],
    ['too old (replay)', body, header, SECRET, T + 301, false],
    ['from the future', body, header, SECRET, T - 301, false],
    ['body changed', Buffer.from(body.toString().replace('4800', '1')), header, SECRET, T, false],
    ['other secret', body, header, `${SECRET}x`, T, false],
    ['timestamp changed', body, header.replace(`t=${T}`, `t=${T + 1}`), SECRET, T, false],
    ['no header', body, undefined, SECRET, T, false],
    ['no v1', body, `t=${T}`, SECRET, T, false],
    ['garbage', body, 'nonsense', SECRET, T, false],
    ['rotation: a second v1 with the right key', body, `t=${T},v1=${'0'.repeat(64)},${header.split(',')[1] ?? ''}`, SECRET, T, true],
  ];
  for (const [name, b, h, secret, now, ok] of rows) {
    assert.equal(verifyWebhookSignature(b, h, secret, { nowSeconds: now }), ok, name);
  }
});

type Received = { headers: IncomingMessage['headers']; body: string };

async function receiver(t: TestContext, statuses: number[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses.shift() ?? 204).end('ignored body');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/wxpay`, received };
}

test('the hook POSTs a signed JSON body over HTTP; a non-2xx answer throws (so the outbox retries)', async (t) => {
  const { url, received } = await receiver(t, [204, 500]);
  const hook = createWebhookHook({ url, secret: SECRET, clock: { now: () => T * 1000 } });
  const event: FulfilmentEvent = { id: 'e1', topic: 'order.paid', livemode: true, orderId: 'o1', payload: { amountFen: 4800 }, createdAt: T * 1000, attempts: 1 };
  await hook(event);
  await assert.rejects(hook({ ...event, attempts: 2 }), /HTTP 500/);
  const first = received[0];
  assert.ok(first);
  assert.equal(first.headers[WEBHOOK_EVENT_ID_HEADER], 'e1');
  assert.equal(first.headers['content-type'], 'application/json');
  const signature = first.headers[WEBHOOK_SIGNATURE_HEADER];
  assert.equal(verifyWebhookSignature(first.body, typeof signature === 'string' ? signature : undefined, SECRET, { nowSeconds: T }), true);
  assert.equal(first.headers['x-wxpay-kit-livemode'], 'true');
  assert.deepEqual(JSON.parse(first.body), { id: 'e1', topic: 'order.paid', livemode: true, orderId: 'o1', createdAt: T * 1000, attempt: 1, payload: { amountFen: 4800 } });
});

test('an unreachable webhook throws (no answer is a failure, never a success)', async () => {
  const hook = createWebhookHook({ url: 'http://127.0.0.1:9/x', secret: SECRET, clock: { now: () => T * 1000 } });
  await assert.rejects(hook({ id: 'e1', topic: 'order.paid', livemode: false, orderId: 'o1', payload: {}, createdAt: 0, attempts: 1 }));
});

test('WEBHOOK_URL: a paid order reaches the webhook through the outbox, retried with backoff until a 2xx', async (t) => {
  const { url, received } = await receiver(t, [503, 502]);
  const { app, gateway, clock, events } = await build(t, { env: { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET } });
  const token = await loginAs(app);
  const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 2 }] } });
  const order = res.json() as { orderId: string; outTradeNo: string };
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(gateway.pay(order.outTradeNo)) });

  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 1, changed: 0, failed: 1 }, '503');
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 0, changed: 0, failed: 0 }, 'backing off');
  clock.advance(10_000); // 5 s × 2^1
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 1, changed: 0, failed: 1 }, '502');
  clock.advance(19_999); // 5 s × 2^2, minus 1 ms
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 0, changed: 0, failed: 0 }, 'the backoff grew');
  clock.advance(1);
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 1, changed: 1, failed: 0 });
  clock.advance(3_600_000);
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 0, changed: 0, failed: 0 }, 'delivered: done');

  assert.equal(received.length, 3);
  const ids = new Set(received.map((r) => (JSON.parse(r.body) as { id: string }).id));
  assert.equal(ids.size, 1, 'one event, delivered at least once');
  assert.deepEqual(received.map((r) => (JSON.parse(r.body) as { attempt: number }).attempt), [1, 2, 3]);
  const last = received[2];
  assert.equal((JSON.parse(last?.body ?? '{}') as { orderId: string }).orderId, order.orderId);
  // The in-process hook ran too (before the webhook, on every attempt: both must be idempotent).
  assert.equal(events.length, 3);
  // Sandbox mode (the default): nothing was paid for real, and every event and webhook body says so.
  assert.ok(received.every((r) => (JSON.parse(r.body) as { livemode: unknown }).livemode === false));
  assert.ok(received.every((r) => r.headers['x-wxpay-kit-livemode'] === 'false'));
  assert.ok(events.every((e) => e.livemode === false));
});

const LIVE = { WXPAY_MODE: 'live', WECHAT_APPID: 'wx1', WECHAT_SECRET: 's', WXPAY_MCHID: '1900000001', WXPAY_KEY: 'k'.repeat(32), SESSION_SECRET: 'x'.repeat(40) };

test('livemode: true on the fulfilment event and the webhook of a live-mode server', async (t) => {
  const { url, received } = await receiver(t, []);
  const { app, gateway, events } = await build(t, { env: { ...LIVE, WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET } });
  const token = await loginAs(app);
  const res = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  const order = res.json() as { outTradeNo: string };
  await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: fakeNotification(gateway.pay(order.outTradeNo)) });
  assert.deepEqual(await app.wx.jobs.deliverOutbox(), { examined: 1, changed: 1, failed: 0 });
  assert.deepEqual(events.map((e) => e.livemode), [true]);
  assert.equal((JSON.parse(received[0]?.body ?? '{}') as { livemode: unknown }).livemode, true);
});

test('WEBHOOK_URL without WEBHOOK_SECRET (or a short one) is refused at start-up', async () => {
  const { loadConfig } = await import('../src/config.js');
  assert.throws(() => loadConfig({ WEBHOOK_URL: 'http://127.0.0.1:1/x' }), /WEBHOOK_SECRET/);
  assert.throws(() => loadConfig({ WEBHOOK_URL: 'http://127.0.0.1:1/x', WEBHOOK_SECRET: 'short' }), /WEBHOOK_SECRET/);
  assert.throws(() => loadConfig({ WEBHOOK_SECRET: SECRET }), /WEBHOOK_URL/);
});
