/**
 * Three real server processes on one PostgreSQL schema, behind a round-robin balancer, with one sandbox (an offline
 * WeChat) whose notifications reach them through the balancer. We aim at them what production does: duplicate and
 * concurrent notifications, dropped ones, ones that never arrive (left to the reconcile job and to readers), concurrent
 * reads from every instance, and fulfilment to a webhook that sometimes fails. Then the same with kill -9 of an
 * instance while notifications are in flight.
 *
 * What must hold, whatever the timing: every order ends in exactly one correct state (paid ones PAID with the
 * sandbox's transaction, cancelled ones unpaid), exactly one fulfilment event per paid order in the outbox and at the
 * webhook (deliveries may repeat — at least once — but distinct events are one per order), nothing flagged for review,
 * nothing lost.
 *
 * The sandbox's clock is frozen: a first delivery goes out as soon as the cashier pays, and WeChat's retries (15 s,
 * 15 s, 30 s, …) happen only when the test advances it, so which retry runs when is exact. The servers run on real
 * time with fast job intervals (JOBS_INTERVAL_MS), short leases (JOBS_LEASE_MS) and a short outbox backoff
 * (JOBS_RETRY_BASE_MS) so the test takes seconds; it waits for outcomes, never for a time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createSandbox } from '@wxpay-kit/sandbox';
import type { Sandbox } from '@wxpay-kit/sandbox';
import { dropSchema } from '../../packages/server/src/store/postgres.js';
import { freshSchema, postgresUrl, REQUIRE_POSTGRES } from '../../packages/server/test/helpers/postgres.js';
import { killInstance, startBalancer, startInstance, startWebhookReceiver, stopInstance, waitFor } from './helpers/instances.js';
import type { Balancer, Instance, WebhookReceiver } from './helpers/instances.js';
import { API_VERSIONS } from './helpers/stack.js';

const WEBHOOK_SECRET = 'whsec-multi-instance-test-0123456789abcdef';
type PayParams = { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };
type User = { token: string; openid: string; home: Instance };
type Placed = { orderId: string; outTradeNo: string; amount: number; user: User; pay: 'pay' | 'cancel' };

const pgUrl = await postgresUrl();
if (pgUrl === undefined && !REQUIRE_POSTGRES) {
  process.stderr.write('\n!!! SKIPPING the multi-instance test: PostgreSQL is not reachable at 127.0.0.1:5432 (CI=true makes this a failure)\n\n');
}

for (const version of API_VERSIONS) {
  describe(`many instances on one PostgreSQL (${version})`, { skip: pgUrl === undefined && !REQUIRE_POSTGRES }, () => {
    let sandbox: Sandbox;
    let sandboxUrl: string;
    let appid: string;
    let balancer: Balancer;
    let webhook: WebhookReceiver;
    let instances: Instance[] = [];
    let db: pg.Client;
    let schema: string;
    let users: User[] = [];

    before(async () => {
      if (pgUrl === undefined) throw new Error('PostgreSQL is not reachable at 127.0.0.1:5432; CI=true requires it');
      schema = freshSchema('multi');
      sandbox = await createSandbox({ now: (() => { const t0 = Date.now(); return () => t0; })() });
      sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
      appid = sandbox.demoMerchant.appid;
      webhook = await startWebhookReceiver(WEBHOOK_SECRET);
      // The balancer needs the instances' URLs, the instances need the balancer's (PUBLIC_URL): it reads the array live.
      const pool: Instance[] = [];
      balancer = await startBalancer(pool);
      const env = {
        PORT: '0',
        HOST: '127.0.0.1',
        PUBLIC_URL: balancer.url,
        DATABASE_URL: pgUrl,
        DATABASE_SCHEMA: schema,
        DATABASE_POOL_MAX: '5',
        WXPAY_MODE: 'sandbox',
        WXPAY_API_VERSION: version,
        WXPAY_API_BASE: sandboxUrl,
        SESSION_SECRET: 'multi-instance-session-secret-0123456789',
        LOG_LEVEL: 'fatal',
        JOBS_INTERVAL_MS: '200',
        JOBS_LEASE_MS: '2000',
        JOBS_RETRY_BASE_MS: '250',
        RECONCILE_AFTER_SECONDS: '1',
        WEBHOOK_URL: webhook.url,
        WEBHOOK_SECRET,
      };
      // All three at once: migrations and the demo catalogue seed race, as in a rolling deploy.
      instances = await Promise.all(['a', 'b', 'c'].map((name) => startInstance(name, env)));
      pool.push(...instances);
      db = new pg.Client({ connectionString: pgUrl });
      await db.connect();
      await db.query(`set search_path to "${schema}"`);
      users = await Promise.all(['ana', 'bo', 'cy', 'di', 'ed', 'fu'].map((name, i) => login(name, instances[i % instances.length] as Instance)));
    });

    after(async () => {
      await Promise.all(instances.map((i) => stopInstance(i)));
      await db?.end().catch(() => {});
      await balancer?.close();
      await webhook?.close();
      await sandbox?.close();
      if (pgUrl !== undefined && schema !== undefined) await dropSchema(pgUrl, schema);
    });

    async function post(base: string, path: string, body: unknown, token?: string): Promise<Response> {
      return fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      });
    }

    async function login(name: string, home: Instance): Promise<User> {
      const wx = (await (await post(sandboxUrl, '/sandbox/wx/login', { appid, user: name })).json()) as { code: string; openid: string };
      const res = await post(home.url, '/api/login', { code: wx.code });
      assert.equal(res.status, 200);
      return { token: ((await res.json()) as { token: string }).token, openid: wx.openid, home };
    }

    async function fault(body: Record<string, unknown>): Promise<void> {
      const res = await post(sandboxUrl, '/sandbox/faults', body);
      assert.equal(res.status, 201, await res.text());
    }

    /**
     * Creates `count` orders spread over users and instances; each gets a notification fault by its index. Not paid
     * yet: the sandbox sends a notification the moment the cashier pays (payOrders).
     */
    async function createOrders(count: number, alive: () => Instance[], failWebhookFirst: (i: number) => boolean = () => false): Promise<(Placed & { payParams: PayParams })[]> {
      const placed: (Placed & { payParams: PayParams })[] = [];
      await Promise.all(Array.from({ length: count }, async (_, i) => {
        const user = users[i % users.length] as User;
        const via = alive()[i % alive().length] as Instance;
        const quantity = 1 + (i % 3);
        const res = await post(via.url, '/api/orders', { items: [{ sku: i % 2 === 0 ? 'tea-oolong' : 'mug-clay', quantity }] }, user.token);
        const text = await res.text();
        assert.equal(res.status, 201, text);
        const body = JSON.parse(text) as { orderId: string; outTradeNo: string; amount: number; payParams: PayParams };
        // Every 7th order is cancelled at the cashier: it must stay unpaid and get no fulfilment.
        const pay = i % 7 === 6 ? 'cancel' : 'pay';
        // Before paying: from then on the jobs may find the payment and deliver its event at any moment.
        if (pay === 'pay' && failWebhookFirst(i)) webhook.failFirst.add(body.orderId);
        if (i % 4 === 0) await fault({ outTradeNo: body.outTradeNo, notify: { duplicates: 6, concurrent: true } });
        else if (i % 4 === 1) await fault({ outTradeNo: body.outTradeNo, notify: { drop: 1, duplicates: 2, concurrent: true } });
        else if (i % 4 === 2) await fault({ outTradeNo: body.outTradeNo, notify: { drop: 100 } }); // never arrives
        placed.push({ orderId: body.orderId, outTradeNo: body.outTradeNo, amount: body.amount, user, pay, payParams: body.payParams });
      }));
      return placed;
    }

    /** The users pay (or cancel) at the sandbox's cashier, all at once; notifications start flying at once. */
    async function payOrders(placed: readonly (Placed & { payParams: PayParams })[]): Promise<Placed[]> {
      await Promise.all(placed.map(async (p) => {
        const answer = (await (await post(sandboxUrl, '/sandbox/wx/requestPayment', { ...p.payParams, openid: p.user.openid, action: p.pay })).json()) as { errMsg: string };
        assert.equal(answer.errMsg, p.pay === 'pay' ? 'requestPayment:ok' : 'requestPayment:fail cancel');
      }));
      return placed.map(({ payParams: _payParams, ...rest }) => rest);
    }

    /** Readers hammering GET /api/orders/:id on every live instance until stopped (the late-payment query path). */
    function startReaders(placed: readonly Placed[], alive: () => Instance[]): () => Promise<number> {
      let stop = false;
      let reads = 0;
      const loops = Array.from({ length: 6 }, async (_, r) => {
        for (let i = r; !stop; i++) {
          const order = placed[i % placed.length] as Placed;
          const via = alive()[i % Math.max(1, alive().length)];
          if (via === undefined) break;
          try {
            const res = await fetch(`${via.url}/api/orders/${order.orderId}`, { headers: { authorization: `Bearer ${order.user.token}` } });
            if (res.status === 200) reads++;
            await res.body?.cancel();
          } catch {
            // The instance may just have been killed; the next read goes elsewhere.
          }
        }
      });
      return async () => {
        stop = true;
        await Promise.all(loops);
        return reads;
      };
    }

    async function advanceSandbox(seconds: number): Promise<void> {
      await sandbox.clock.advance(seconds);
    }

    /** Waits for the end state, then checks every order against the database, the sandbox and the webhook. */
    async function settleAndCheck(placed: readonly Placed[], alive: () => Instance[]): Promise<void> {
      const paid = placed.filter((p) => p.pay === 'pay');
      const statusOf = async (p: Placed) => {
        const via = alive()[0] as Instance;
        const res = await fetch(`${via.url}/api/orders/${p.orderId}`, { headers: { authorization: `Bearer ${p.user.token}` } });
        return ((await res.json()) as { status: string }).status;
      };
      // Payments that never got a notification are found by the reconcile job (or a reader); fulfilment follows.
      await waitFor(async () => (await Promise.all(paid.map(statusOf))).every((s) => s === 'PAID'), 45_000, () => 'every paid order PAID');
      const wanted = new Set(paid.map((p) => p.orderId));
      const distinct = () => new Set(webhook.deliveries.filter((d) => wanted.has(d.orderId)).map((d) => d.id));
      await waitFor(() => distinct().size >= wanted.size, 45_000, () => `webhook events ${distinct().size}/${wanted.size}`);
      // The instance records delivered_at only after the webhook has answered, so the receiver can see an event a
      // moment before the database says it was delivered: wait for the database too.
      const deliveredInDb = async () =>
        Number((await db.query<{ n: string }>('select count(*) as n from outbox where order_id = any($1) and delivered_at is not null', [[...wanted]])).rows[0]?.n ?? 0);
      let recorded = 0;
      await waitFor(async () => (recorded = await deliveredInDb()) >= wanted.size, 45_000, () => `outbox delivered ${recorded}/${wanted.size}`);

      const ids = placed.map((p) => p.orderId);
      const orders = await db.query<{ id: string; status: string; paid_attempt_id: string | null; review_reason: string | null; amount_fen: string }>(
        'select id, status, paid_attempt_id, review_reason, amount_fen from orders where id = any($1)', [ids]);
      const sandboxOrders = ((await (await fetch(`${sandboxUrl}/sandbox/orders`)).json()) as { orders: { outTradeNo: string; tradeState?: string; state?: string; transactionId?: string }[] }).orders;
      const attempts = await db.query<{ order_id: string; out_trade_no: string; status: string; transaction_id: string | null }>(
        'select order_id, out_trade_no, status, transaction_id from payment_attempts where order_id = any($1)', [ids]);
      const outbox = await db.query<{ order_id: string; id: string; delivered_at: string | null }>('select order_id, id, delivered_at from outbox where order_id = any($1)', [ids]);
      for (const p of placed) {
        const row = orders.rows.find((o) => o.id === p.orderId);
        assert.ok(row, `order ${p.orderId} exists`);
        assert.equal(row.review_reason, null, `order ${p.orderId} not flagged`);
        assert.equal(Number(row.amount_fen), p.amount);
        const mine = attempts.rows.filter((a) => a.order_id === p.orderId);
        assert.equal(mine.length, 1, 'one attempt per order (no spurious new attempts)');
        const events = outbox.rows.filter((e) => e.order_id === p.orderId);
        if (p.pay === 'pay') {
          assert.equal(row.status, 'PAID', `order ${p.orderId}`);
          const sandboxOrder = sandboxOrders.find((o) => o.outTradeNo === p.outTradeNo);
          assert.ok(sandboxOrder?.transactionId !== undefined, 'the sandbox has its transaction');
          assert.equal(mine[0]?.transaction_id, sandboxOrder.transactionId, 'the transaction WeChat reported');
          assert.equal(events.length, 1, `exactly one outbox event for ${p.orderId}`);
          assert.notEqual(events[0]?.delivered_at, null, 'delivered');
          const delivered = new Set(webhook.deliveries.filter((d) => d.orderId === p.orderId).map((d) => d.id));
          assert.deepEqual([...delivered], [events[0]?.id], 'the webhook saw exactly that one event');
        } else {
          assert.equal(row.status, 'PAYING', `cancelled order ${p.orderId} stays unpaid`);
          assert.equal(mine[0]?.transaction_id, null);
          assert.equal(events.length, 0, 'no fulfilment for an unpaid order');
          assert.ok(!webhook.deliveries.some((d) => d.orderId === p.orderId));
        }
      }
      assert.equal(webhook.forged, 0, 'every webhook call carried a valid signature');
      // One business event per paid order, however many copies of its notification arrived.
      const events = await db.query<{ out_trade_no: string; outcome: string }>("select out_trade_no, outcome from notification_events where kind = 'payment'");
      for (const e of events.rows.filter((r) => placed.some((p) => p.outTradeNo === r.out_trade_no))) {
        assert.ok(e.outcome === 'paid' || e.outcome === 'duplicate', `${e.out_trade_no}: ${e.outcome}`);
      }
    }

    test('30 orders: duplicate, concurrent, dropped and missing notifications; reads and jobs on every instance', async () => {
      const alive = () => instances.filter((i) => i.alive);
      // Two events fail at the merchant's webhook the first time: the outbox retries them (with backoff).
      const placed = await payOrders(await createOrders(30, alive, (i) => i === 0 || i === 9));
      const stopReaders = startReaders(placed, alive);
      await advanceSandbox(0); // first deliveries, concurrent copies included
      await advanceSandbox(15); // the retries of the dropped first attempts
      await advanceSandbox(15);
      await settleAndCheck(placed, alive);
      assert.ok((await stopReaders()) > 0);
      assert.equal(webhook.failFirst.size, 0, 'the failing webhook calls happened, and were retried to success');
      // Every instance took notifications: the balancer spread them.
      for (const instance of instances) {
        const notified = [...balancer.forwarded].filter(([key]) => key.startsWith(`${instance.name} /wxpay/notify/payment`)).reduce((n, [, v]) => n + v, 0);
        assert.ok(notified > 0, `${instance.name} received notifications`);
      }
    });

    test('kill -9 of an instance while notifications are in flight: nothing lost, nothing doubled', async () => {
      const alive = () => instances.filter((i) => i.alive);
      const created = await createOrders(24, alive);
      const victim = instances[1] as Instance;
      let seenByVictim = 0;
      let killed: Promise<void> | undefined;
      // Kill the victim just after the balancer handed it its third notification: that one is mid-request.
      balancer.onForward = (instance, path) => {
        if (instance !== victim || !path.startsWith('/wxpay/notify/')) return;
        if (++seenByVictim === 3) killed = killInstance(victim);
      };
      const stopReaders = startReaders(created, alive);
      // Paying sends the notifications at once (the sandbox runs due deliveries on a real timer); advance(0) waits for
      // whatever is still due. The victim dies on its third.
      const placed = await payOrders(created);
      await advanceSandbox(0);
      await waitFor(() => killed !== undefined, 10_000, () => `the victim saw ${seenByVictim} notifications`);
      await killed;
      assert.equal(victim.alive, false, 'the victim was killed mid-flight');
      balancer.onForward = undefined;
      // WeChat's retries (15 s, 15 s, 30 s later) land on the survivors.
      await advanceSandbox(15);
      await advanceSandbox(15);
      await advanceSandbox(30);
      await settleAndCheck(placed, alive);
      await stopReaders();
      // Every notification the sandbox sent for these orders was finally answered SUCCESS by someone.
      type Note = { outTradeNo: string; status: string; attempts: { verdict: string }[] };
      const notes = ((await (await fetch(`${sandboxUrl}/sandbox/notifications`)).json()) as { notifications: Note[] }).notifications;
      const mine = notes.filter((n) => placed.some((p) => p.outTradeNo === n.outTradeNo && p.pay === 'pay'));
      const undelivered = mine.filter((n) => n.status !== 'delivered' && n.status !== 'pending');
      assert.deepEqual(undelivered, [], 'no notification abandoned');
      // The kill cost WeChat at least one failed delivery (retried later on a survivor), not just a dropped fault.
      assert.ok(mine.some((n) => n.attempts.some((a) => a.verdict === 'failure' || a.verdict === 'error')), 'a delivery failed at the kill');
    });
  });
}
