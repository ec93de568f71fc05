/**
 * PostgreSQL goes away and comes back, under a running app: a TCP relay stands between the app and PostgreSQL and is
 * cut and restored. While it is down, /readyz says 503 (the load balancer stops sending traffic), an authentic payment
 * notification is answered with a failure (so WeChat retries it: its retries are our recovery window) and the jobs
 * fail without crashing anything. Once it is back, /readyz is 200 again and WeChat's retry of the same notification
 * pays the order, once. No restart needed: the pool opens new connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Socket } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { openStore } from '../src/store/open.js';
import { build, loginAs } from './helpers/build.js';
import { fakeNotification } from './helpers/fake-gateway.js';
import { requirePostgres, testSchema } from './helpers/postgres.js';

/**
 * A cuttable TCP relay to PostgreSQL. It keeps its (ephemeral) port for the whole test and, while down, resets every
 * connection at once, as a crashed or restarting database does. It never gives the port back in between: closing and
 * listening again on the same number would race other processes for it (a parallel run could take it, and the app
 * would then be talking to someone else's server).
 */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private open = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      if (!this.open) {
        client.resetAndDestroy();
        return;
      }
      const pgSocket = new Socket();
      this.sockets.add(client).add(pgSocket);
      const drop = () => {
        client.destroy();
        pgSocket.destroy();
        this.sockets.delete(client);
        this.sockets.delete(pgSocket);
      };
      client.on('error', drop).on('close', drop);
      pgSocket.on('error', drop).on('close', drop);
      pgSocket.connect(this.target.port, this.target.host, () => {
        client.pipe(pgSocket);
        pgSocket.pipe(client);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.open = true;
  }

  up(): void {
    this.open = true;
  }

  /** Refuse new connections and cut every open one. */
  down(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.down();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('PostgreSQL down: /readyz 503 and notifications answered FAIL; back up: ready again and the retry pays once', async (t) => {
  const url = await requirePostgres(t);
  if (url === undefined) return;
  const schema = await testSchema(t, url, 'outage');
  const target = new URL(url);
  const relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
  await relay.start();
  t.after(() => relay.stop());
  const viaRelay = new URL(url);
  viaRelay.port = String(relay.port);
  const store = await openStore({ kind: 'postgres', url: viaRelay.toString(), schema, poolMax: 3 });
  t.after(() => store.close());
  const { app, gateway } = await build(t, { deps: { store } });

  const token = await loginAs(app);
  const created = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: `Bearer ${token}` }, payload: { items: [{ sku: 'sticker', quantity: 1 }] } });
  const order = created.json() as { orderId: string; outTradeNo: string };
  const notification = fakeNotification(gateway.pay(order.outTradeNo));
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);

  relay.down();
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
  const during = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: notification });
  assert.deepEqual({ status: during.statusCode, body: during.body }, { status: gateway.answer(false).status, body: gateway.answer(false).body }, 'not recorded → failure, WeChat retries');
  const jobs = await app.wx.jobs.deliverOutbox().then(() => 'ran', (error: unknown) => `threw ${(error as Error).name}`);
  assert.match(jobs, /^threw/, 'a job run fails (the scheduler logs it and tries again next tick)');
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process itself is fine');

  relay.up();
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready again without a restart');
  const retry = await app.inject({ method: 'POST', url: '/wxpay/notify/payment', payload: notification });
  assert.deepEqual({ status: retry.statusCode, body: retry.body }, { status: gateway.answer(true).status, body: gateway.answer(true).body });
  assert.equal((await store.getOrder(order.orderId))?.status, 'PAID');
  assert.equal((await store.listEvents(order.orderId)).length, 1);
  const log = await store.listNotifications(10);
  assert.deepEqual(log.map((n) => n.outcome), ['paid'], 'the failed delivery left nothing half-written');
});
