/**
 * kill -9 in the middle of group commits (SQLite). The server answers a notification SUCCESS only after the COMMIT it
 * shares with other notifications returned; if that promise is broken by batching, a SIGKILL between an answer and
 * its commit loses a payment WeChat will never send again. So: a real server process (server.ts, sandbox mode, v2) on
 * a SQLite file holding a few hundred unpaid orders, notifications fired many at a time, SIGKILL while answers are
 * still coming in; then every notification that was answered SUCCESS must have its order PAID, its event recorded and
 * its outbox row on disk. After a restart on the same file, WeChat's retries (the same notifications again) are all
 * answered SUCCESS and every order ends PAID exactly once with one outbox event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DEMO_MERCHANT } from '@wxpay-kit/sandbox';
import { signV2Notification } from '@wxpay-kit/wechat/testing';
import { openStore } from '../../packages/server/src/store/open.js';
import { killInstance, startInstance, stopInstance } from './helpers/instances.js';
import type { Instance } from './helpers/instances.js';

const ORDERS = 400;
const CONCURRENCY = 32;
const KILL_AFTER_SUCCESSES = 120;

type Seeded = { orderId: string; outTradeNo: string; amountFen: number };

async function seedOrders(path: string): Promise<Seeded[]> {
  const store = await openStore({ kind: 'sqlite', path });
  const now = Date.now();
  const seeded: Seeded[] = [];
  try {
    await store.transaction(async (tx) => {
      for (let i = 0; i < ORDERS; i++) {
        const orderId = `ord_kill_${String(i).padStart(4, '0')}`;
        const outTradeNo = `KILL${String(i).padStart(8, '0')}`;
        const amountFen = 100 + i;
        await tx.insertOrder({
          id: orderId, openid: 'o-kill-test', status: 'PAYING', amountFen, description: 'kill test', items: [{ sku: 'sticker', name: 'Sticker', unitPriceFen: amountFen, quantity: 1 }],
          idempotencyKey: undefined, createdAt: now, updatedAt: now, expiresAt: now + 3_600_000, paidAt: undefined, paidAttemptId: undefined, refundedFen: 0, reviewReason: undefined,
        });
        await tx.insertAttempt({
          id: `att_kill_${i}`, orderId, outTradeNo, amountFen, status: 'OPEN', signType: 'HMAC-SHA256', prepayId: `wx_prepay_${i}`, prepayAt: now,
          timeExpire: now + 3_000_000, transactionId: undefined, createdAt: now, lastQueryAt: undefined,
        });
        seeded.push({ orderId, outTradeNo, amountFen });
      }
    });
  } finally {
    await store.close();
  }
  return seeded;
}

function notification(order: Seeded, index: number): string {
  return signV2Notification({
    return_code: 'SUCCESS', return_msg: 'OK', appid: DEMO_MERCHANT.appid, mch_id: DEMO_MERCHANT.mchid,
    nonce_str: `kill${String(index).padStart(28, '0')}`, result_code: 'SUCCESS', openid: 'o-kill-test', is_subscribe: 'N',
    trade_type: 'JSAPI', bank_type: 'CMC', total_fee: String(order.amountFen), fee_type: 'CNY', cash_fee: String(order.amountFen),
    transaction_id: `4200000000202611270${String(index).padStart(9, '0')}`, out_trade_no: order.outTradeNo, time_end: '20261127101500',
  }, DEMO_MERCHANT.apiKey, 'HMAC-SHA256');
}

type Answer = 'success' | 'fail' | 'no answer';

/** Posts every notification, `CONCURRENCY` at a time; calls `onSuccess` after each SUCCESS answer. */
async function deliver(url: string, orders: readonly Seeded[], onSuccess: (count: number) => void = () => {}): Promise<Answer[]> {
  const answers: Answer[] = orders.map(() => 'no answer');
  let next = 0;
  let successes = 0;
  const worker = async () => {
    while (next < orders.length) {
      const i = next++;
      const order = orders[i] as Seeded;
      try {
        const res = await fetch(`${url}/wxpay/notify/payment`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: notification(order, i) });
        const body = await res.text();
        answers[i] = res.status === 200 && body.includes('<return_code><![CDATA[SUCCESS]]></return_code>') ? 'success' : 'fail';
        if (answers[i] === 'success') onSuccess(++successes);
      } catch {
        answers[i] = 'no answer';
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return answers;
}

test('kill -9 during group commits: no notification was answered SUCCESS without being on disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-kill-group-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'shop.db');
  const orders = await seedOrders(path);
  const env = { PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${path}`, WXPAY_API_VERSION: 'v2', JOBS: 'false', LOG_LEVEL: 'fatal' };

  const first: Instance = await startInstance('first', env);
  t.after(() => killInstance(first));
  let killing: Promise<void> | undefined;
  const answers = await deliver(first.url, orders, (successes) => {
    if (successes === KILL_AFTER_SUCCESSES) killing = killInstance(first);
  });
  await killing;
  const answered = orders.filter((_, i) => answers[i] === 'success');
  const unanswered = answers.filter((a) => a === 'no answer').length;
  assert.ok(answered.length >= KILL_AFTER_SUCCESSES, `only ${answered.length} answered SUCCESS before the kill`);
  assert.ok(unanswered > 0, 'the server was killed only after every notification was answered: nothing was in flight');
  assert.equal(answers.filter((a) => a === 'fail').length, 0, 'a notification was refused before the kill');

  // Opening the file recovers the WAL as SQLite would after a crash; what is there now is what was durable.
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    const status = db.prepare('select status from orders where id = ?');
    const outbox = db.prepare("select count(*) as n from outbox where order_id = ? and topic = 'order.paid'");
    const event = db.prepare('select count(*) as n from notification_events where out_trade_no = ?');
    for (const order of answered) {
      assert.equal((status.get(order.orderId) as { status: string }).status, 'PAID', `${order.outTradeNo} was answered SUCCESS but is not PAID on disk`);
      assert.equal((outbox.get(order.orderId) as { n: number }).n, 1, `${order.outTradeNo} was answered SUCCESS but has no outbox row on disk`);
      assert.equal((event.get(order.outTradeNo) as { n: number }).n, 1, `${order.outTradeNo} was answered SUCCESS but its event is not on disk`);
    }
  } finally {
    db.close();
  }

  // WeChat retries whatever it did not get SUCCESS for (and some it did): a restarted server applies each once.
  const second = await startInstance('second', env);
  t.after(() => stopInstance(second));
  const retried = await deliver(second.url, orders);
  assert.deepEqual(retried.filter((a) => a !== 'success'), [], 'a retried notification was not answered SUCCESS after the restart');
  await stopInstance(second);
  const after = new BetterSqlite3(path, { readonly: true });
  try {
    const paid = after.prepare("select count(*) as n from orders where id like 'ord_kill_%' and status = 'PAID'").get() as { n: number };
    const events = after.prepare("select count(*) as n, count(distinct order_id) as orders from outbox where topic = 'order.paid'").get() as { n: number; orders: number };
    assert.equal(paid.n, ORDERS);
    assert.deepEqual(events, { n: ORDERS, orders: ORDERS });
  } finally {
    after.close();
  }
});
