import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseV2PaymentNotification, parseV2RefundNotification } from '@wxpay-kit/wechat';
import { RETRY_DELAYS_S } from '../src/index.js';
import {
  json, paidOrder, parseXml, startMerchant, startSandbox, T0, V2_FAIL_REPLY, V2_SUCCESS_REPLY, v2,
} from './helpers.js';

type Attempt = { attempt: number; atMs: number; verdict: string; status?: number; answer?: string; copy: number; tampered?: string };
type Notification = { kind: string; status: string; outTradeNo: string; attempts: Attempt[] };

async function notifications(sandbox: { base: string }, outTradeNo: string): Promise<Notification[]> {
  return (await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as Notification[];
}

test('a paid order is notified at once, signed with the order sign type and without sign_type', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    merchant.received.length = 0;
    const order = await paidOrder(sandbox, merchant.url, { total_fee: 888, attach: 'a&b<c>' }, signType);
    await sandbox.clock.advance(0);
    assert.equal(merchant.received.length, 1);
    const body = merchant.received[0]?.body ?? '';
    const fields = parseXml(body);
    assert.equal(fields.sign_type, undefined);
    assert.equal((fields.sign ?? '').length, signType === 'MD5' ? 32 : 64);
    // Our SDK, told nothing about the algorithm, verifies it by the signature's length.
    const n = parseV2PaymentNotification(body, { apiKey: sandbox.demoMerchant.apiKey });
    assert.equal(n.signType, signType);
    assert.equal(n.out_trade_no, order.outTradeNo);
    assert.equal(n.total_fee, 888);
    assert.equal(n.attach, 'a&b<c>');
    assert.equal(n.openid, order.openid);
    assert.equal(n.time_end, '20261126100000');
    assert.match(n.transaction_id ?? '', /^42000\d{23}$/);
    const [job] = await notifications(sandbox, order.outTradeNo);
    assert.equal(job?.status, 'delivered');
    assert.equal(job?.attempts.length, 1);
    assert.equal(job?.attempts[0]?.verdict, 'success');
    assert.equal(job?.attempts[0]?.answer, V2_SUCCESS_REPLY);
  }
});

test('retries follow 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h on the virtual clock, then stop', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  merchant.answer = () => ({ status: 200, body: V2_FAIL_REPLY });
  const order = await paidOrder(sandbox, merchant.url);
  await sandbox.clock.advance(25 * 3600);
  const [job] = await notifications(sandbox, order.outTradeNo);
  assert.ok(job);
  const offsets = job.attempts.map((a) => (a.atMs - T0) / 1000);
  const expected = [0];
  for (const d of RETRY_DELAYS_S) expected.push((expected[expected.length - 1] ?? 0) + d);
  assert.deepEqual(offsets, expected);
  assert.deepEqual(expected.slice(0, 6), [0, 15, 30, 60, 240, 840]);
  assert.equal(expected[expected.length - 1], 24 * 3600 + 4 * 60, '24h4m in all');
  assert.equal(job.status, 'abandoned');
  assert.ok(job.attempts.every((a) => a.verdict === 'failure'));
  assert.equal(merchant.received.length, 16);
  // Every retry carries the same bytes.
  assert.equal(new Set(merchant.received.map((r) => r.body)).size, 1);
});

test('only the exact success answer stops the retries', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const answers = [
    { status: 200, body: 'SUCCESS' },
    { status: 500, body: V2_SUCCESS_REPLY },
    { status: 200, body: '<xml><return_code>success</return_code></xml>' },
    { status: 200, body: V2_SUCCESS_REPLY },
  ];
  let i = 0;
  merchant.answer = () => answers[Math.min(i++, answers.length - 1)] ?? { status: 200, body: '' };
  const order = await paidOrder(sandbox, merchant.url);
  await sandbox.clock.advance(3600);
  const [job] = await notifications(sandbox, order.outTradeNo);
  assert.deepEqual(job?.attempts.map((a) => a.verdict), ['failure', 'failure', 'failure', 'success']);
  assert.deepEqual(job?.attempts.map((a) => (a.atMs - T0) / 1000), [0, 15, 30, 60]);
  assert.equal(job?.status, 'delivered');
});

test('an unreachable notify_url is an error attempt and is retried', async (t) => {
  const sandbox = await startSandbox(t);
  const order = await paidOrder(sandbox, 'http://127.0.0.1:9/notify');
  await sandbox.clock.advance(20);
  const [job] = await notifications(sandbox, order.outTradeNo);
  assert.deepEqual(job?.attempts.map((a) => a.verdict), ['error', 'error']);
  assert.equal(job?.status, 'pending');
});

test('--time-scale: virtual time runs N times faster; due notifications fire without advance()', async (t) => {
  let real = T0;
  const sandbox = await startSandbox(t, { now: () => real, timeScale: 3600 });
  const merchant = await startMerchant(t);
  merchant.answer = () => ({ status: 200, body: V2_FAIL_REPLY });
  const order = await paidOrder(sandbox, merchant.url);
  // The first attempt is due at once: the clock's own timer sends it, nobody calls advance().
  while (merchant.received.length === 0) await new Promise((resolve) => setImmediate(resolve));
  await sandbox.clock.idle();
  // One real second = one virtual hour; step the time source in 5 ms (18 virtual seconds) slices.
  for (let i = 0; i < 200; i++) {
    real += 5;
    await sandbox.clock.runDue();
  }
  assert.equal(sandbox.clock.now(), T0 + 3600_000);
  const [job] = await notifications(sandbox, order.outTradeNo);
  // Attempts due at 0, 15, 30, 60, 240, 840, 2040 s have run (each within one slice of its time); the next is at 3840 s.
  assert.equal(job?.attempts.length, 7);
  const expected = [0, 15, 30, 60, 240, 840, 2040];
  job?.attempts.forEach((a, i) => {
    const late = (a.atMs - T0) / 1000 - (expected[i] ?? 0);
    assert.ok(late >= 0 && late <= 18 * (i + 1), `attempt ${i + 1} is ${late}s late`);
  });
});

test('refund notifications: req_info encrypted with md5(apiKey), no sign, to the refund notify_url', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const order = await paidOrder(sandbox, merchant.url, { total_fee: 500 });
  await sandbox.clock.advance(0);
  merchant.received.length = 0;
  const refundUrl = merchant.url.replace('/notify', '/refund');
  const r = await v2(sandbox, '/secapi/pay/refund', { out_trade_no: order.outTradeNo, out_refund_no: 'RN1', total_fee: 500, refund_fee: 200, notify_url: refundUrl });
  assert.equal(r.fields.result_code, 'SUCCESS');
  await sandbox.clock.advance(4);
  assert.equal(merchant.received.length, 0, 'not before the refund succeeds');
  await sandbox.clock.advance(1);
  assert.equal(merchant.received.length, 1);
  const body = merchant.received[0]?.body ?? '';
  const outer = parseXml(body);
  assert.equal(outer.sign, undefined);
  assert.equal(outer.mch_id, sandbox.demoMerchant.mchid);
  const n = parseV2RefundNotification(body, { apiKey: sandbox.demoMerchant.apiKey });
  assert.equal(n.out_refund_no, 'RN1');
  assert.equal(n.refund_status, 'SUCCESS');
  assert.equal(n.refund_fee, 200);
  assert.equal(n.total_fee, 500);
  assert.equal(n.success_time, '2026-11-26 10:00:05');
  const jobs = await notifications(sandbox, order.outTradeNo);
  assert.deepEqual(jobs.map((j) => [j.kind, j.status]), [['payment', 'delivered'], ['refund', 'delivered']]);
});
