import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseV2PaymentNotification, WxPaySignatureError } from '@wxpay-kit/wechat';
import {
  answerVerifies, json, login, newOutTradeNo, paidOrder, startMerchant, startSandbox, T0, unifiedOrder, v2, V2_FAIL_REPLY,
  V2_SUCCESS_REPLY,
} from './helpers.js';

type Attempt = { attempt: number; atMs: number; verdict: string; copy: number; tampered?: string };
type Notification = { status: string; attempts: Attempt[] };

async function attemptsOf(sandbox: { base: string }, outTradeNo: string): Promise<Attempt[]> {
  const list = (await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as Notification[];
  return list[0]?.attempts ?? [];
}

async function fault(sandbox: { base: string }, body: Record<string, unknown>): Promise<void> {
  const r = await json(sandbox, 'POST', '/sandbox/faults', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

test('faults: body is validated; DELETE clears; GET lists', async (t) => {
  const sandbox = await startSandbox(t);
  for (const body of [{}, { notify: { drop: -1 } }, { api: { path: '/pay/x', kind: 'boom' } }, { notify: { unknown: 1 } }, { api: { path: 'x', kind: '5xx' } }]) {
    assert.equal((await json(sandbox, 'POST', '/sandbox/faults', body)).status, 400, JSON.stringify(body));
  }
  await fault(sandbox, { mchid: '1900000001', notify: { drop: 1 } });
  assert.equal(((await json(sandbox, 'GET', '/sandbox/faults')).body.faults as unknown[]).length, 1);
  await json(sandbox, 'DELETE', '/sandbox/faults');
  assert.equal(((await json(sandbox, 'GET', '/sandbox/faults')).body.faults as unknown[]).length, 0);
});

test('notify.drop: the first N attempts are not sent; the schedule carries on', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  await fault(sandbox, { mchid: sandbox.demoMerchant.mchid, notify: { drop: 2 } });
  const order = await paidOrder(sandbox, merchant.url);
  await sandbox.clock.advance(60);
  const attempts = await attemptsOf(sandbox, order.outTradeNo);
  assert.deepEqual(attempts.map((a) => [a.verdict, (a.atMs - T0) / 1000]), [['dropped', 0], ['dropped', 15], ['success', 30]]);
  assert.equal(merchant.received.length, 1);
});

test('notify.duplicates: extra copies of the first delivery, one after another', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  await fault(sandbox, { notify: { duplicates: 2 } });
  const order = await paidOrder(sandbox, merchant.url);
  await sandbox.clock.advance(0);
  assert.equal(merchant.received.length, 3);
  assert.equal(new Set(merchant.received.map((r) => r.body)).size, 1, 'the same bytes');
  assert.deepEqual((await attemptsOf(sandbox, order.outTradeNo)).map((a) => [a.attempt, a.copy, a.verdict]), [[1, 0, 'success'], [1, 1, 'success'], [1, 2, 'success']]);
});

test('notify.concurrent: the copies arrive at the same time', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  // Answer nobody until all three copies are in: only possible if they were sent concurrently.
  let release: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => { release = resolve; });
  merchant.answer = async () => {
    if (merchant.received.length >= 3) release();
    await allIn;
    return { status: 200, body: V2_SUCCESS_REPLY };
  };
  await fault(sandbox, { outTradeNo: 'unrelated', notify: { duplicates: 5 } });
  await fault(sandbox, { mchid: sandbox.demoMerchant.mchid, notify: { duplicates: 2, concurrent: true } });
  const second = await paidOrder(sandbox, merchant.url);
  await sandbox.clock.advance(0);
  assert.equal(merchant.received.length, 3);
  const attempts = await attemptsOf(sandbox, second.outTradeNo);
  assert.deepEqual(attempts.map((a) => a.verdict), ['success', 'success', 'success']);
});

test('notify.delayMs: the first attempt waits (virtual time)', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  await fault(sandbox, { notify: { delayMs: 90_000 } });
  const order = await paidOrder(sandbox, merchant.url);
  await sandbox.clock.advance(89);
  assert.equal(merchant.received.length, 0);
  await sandbox.clock.advance(1);
  assert.equal(merchant.received.length, 1);
  assert.deepEqual((await attemptsOf(sandbox, order.outTradeNo)).map((a) => (a.atMs - T0) / 1000), [90]);
});

test('notify.badSignature: a forged notification that a verifier refuses; it is retried like any failure', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  merchant.answer = (r) => {
    try {
      parseV2PaymentNotification(r.body, { apiKey: sandbox.demoMerchant.apiKey });
      return { status: 200, body: V2_SUCCESS_REPLY };
    } catch (error) {
      assert.ok(error instanceof WxPaySignatureError);
      return { status: 200, body: V2_FAIL_REPLY };
    }
  };
  const { openid } = await login(sandbox);
  const forged = newOutTradeNo();
  await fault(sandbox, { outTradeNo: forged, notify: { badSignature: true } });
  const order = await unifiedOrder(sandbox, { openid, out_trade_no: forged, notify_url: merchant.url });
  const r = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', {
    ...(await import('./helpers.js')).payParams(sandbox, order.fields.prepay_id ?? ''), openid, action: 'pay',
  });
  assert.equal(r.body.errMsg, 'requestPayment:ok');
  await sandbox.clock.advance(30);
  const attempts = await attemptsOf(sandbox, forged);
  assert.deepEqual(attempts.map((a) => a.verdict), ['failure', 'failure', 'failure']);
  assert.equal(attempts[0]?.tampered, 'signed with a wrong key');
  // Other orders are untouched by an order-scoped fault.
  const fine = await paidOrder(sandbox, merchant.url);
  await sandbox.clock.advance(0);
  assert.deepEqual((await attemptsOf(sandbox, fine.outTradeNo)).map((a) => a.verdict), ['success']);
});

test('notify.amountDelta: an authentic notification with a different total_fee', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  await fault(sandbox, { notify: { amountDelta: -99 } });
  await paidOrder(sandbox, merchant.url, { total_fee: 100 });
  await sandbox.clock.advance(0);
  const n = parseV2PaymentNotification(merchant.received[0]?.body ?? '', { apiKey: sandbox.demoMerchant.apiKey });
  assert.equal(n.total_fee, 1);
  assert.equal(n.cash_fee, 1);
});

test('api 5xx: answered 503 the given number of times, then normally', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox);
  await fault(sandbox, { api: { path: '/pay/unifiedorder', kind: '5xx', times: 2 } });
  const outTradeNo = newOutTradeNo();
  assert.equal((await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo })).status, 503);
  assert.equal((await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo })).status, 503);
  const third = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo });
  assert.equal(third.status, 200);
  assert.equal(third.fields.result_code, 'SUCCESS');
  // Not applied: the 503s created nothing, so only one order exists.
  assert.equal(((await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`)).body.orders as unknown[]).length, 1);
});

test('api apply: the request lands but the answer is lost', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox);
  await fault(sandbox, { api: { path: '/pay/unifiedorder', kind: '5xx', apply: true } });
  const outTradeNo = newOutTradeNo();
  assert.equal((await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo })).status, 503);
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo })).fields.trade_state, 'NOTPAY');
});

test('api SYSTEMERROR: a signed business answer for v2, errcode -1 for login; scoped per merchant', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid, code } = await login(sandbox);
  await fault(sandbox, { mchid: '1234567890', api: { path: '/pay/orderquery', kind: 'SYSTEMERROR' } });
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: 'X' })).fields.err_code, 'ORDERNOTEXIST', 'other merchant');
  await fault(sandbox, { mchid: sandbox.demoMerchant.mchid, api: { path: '/pay/orderquery', kind: 'SYSTEMERROR' } });
  const busy = await v2(sandbox, '/pay/orderquery', { out_trade_no: 'X' }, { signType: 'HMAC-SHA256' });
  assert.equal(busy.fields.result_code, 'FAIL');
  assert.equal(busy.fields.err_code, 'SYSTEMERROR');
  assert.ok(answerVerifies(busy, sandbox.demoMerchant.apiKey, 'HMAC-SHA256'));
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: 'X' })).fields.err_code, 'ORDERNOTEXIST', 'times defaults to 1');

  await fault(sandbox, { api: { path: '/sns/jscode2session', kind: 'SYSTEMERROR' } });
  const m = sandbox.demoMerchant;
  const url = `${sandbox.base}/sns/jscode2session?appid=${m.appid}&secret=${m.secret}&js_code=${code}&grant_type=authorization_code`;
  assert.equal(((await (await fetch(url)).json()) as { errcode: number }).errcode, -1);
  assert.equal(((await (await fetch(url)).json()) as { openid: string }).openid, openid, 'the code was not used up');
});

test('api timeout: no answer; the connection is dropped', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox);
  await fault(sandbox, { api: { path: '/pay/unifiedorder', kind: 'timeout', holdMs: 20 } });
  await assert.rejects(unifiedOrder(sandbox, { openid }));
  // A client that gives up first sees a timeout too, and close() does not wait for held connections.
  await fault(sandbox, { api: { path: '/pay/unifiedorder', kind: 'timeout' } });
  const controller = new AbortController();
  const pending = fetch(`${sandbox.base}/pay/unifiedorder`, { method: 'POST', body: '<xml></xml>', signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(pending);
  assert.equal((await unifiedOrder(sandbox, { openid })).fields.result_code, 'SUCCESS');
});
