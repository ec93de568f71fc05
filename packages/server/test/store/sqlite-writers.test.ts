/**
 * SQLite with another writer on the same file (an operator's sqlite3 shell editing products, another process): our
 * write transactions wait for its lock (busy_timeout) instead of failing at once. The other writer is a second real
 * connection in a worker thread, so it can let go while our connection waits (better-sqlite3 waits synchronously).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build, loginAs } from '../helpers/build.js';
import { fakeNotification } from '../helpers/fake-gateway.js';

const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.exec('BEGIN IMMEDIATE');
db.prepare("UPDATE products SET name = name || '' WHERE sku = 'sticker'").run();
parentPort.postMessage('locked');
setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, workerData.holdMs);
`;

test('a notification arriving while another connection holds the write lock waits for it and is recorded', async (t) => {
  if (process.env.TEST_DATABASE === 'postgres') return;
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-writers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'shop.db');
  const { app, gateway } = await build(t, { env: { DATABASE_URL: `sqlite:${path}` } });
  const token = await loginAs(app);
  const created = (await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } })).json() as { orderId: string; outTradeNo: string };
  const facts = gateway.pay(created.outTradeNo);

  const events: string[] = [];
  const worker = new Worker(WRITER, { eval: true, workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), path, holdMs: 300 } });
  t.after(() => worker.terminate());
  const released = new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m: string) => {
      events.push(m);
      if (m === 'released') resolve();
    });
  });
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  assert.deepEqual(events, ['locked']);

  const res = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', headers: { 'content-type': 'text/xml' }, payload: fakeNotification(facts) });
  events.push('answered');
  await released;
  assert.equal(res.statusCode, 200, `the notification failed instead of waiting: ${res.body}`);
  assert.equal((await app.wx.store.getOrder(created.orderId))?.status, 'PAID');
  assert.equal(events.indexOf('answered') > events.indexOf('locked'), true);
});
