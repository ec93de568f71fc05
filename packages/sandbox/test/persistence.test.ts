import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '../src/index.js';
import { json, login, newOutTradeNo, payParams, startMerchant, T0, unifiedOrder, v2, V2_FAIL_REPLY } from './helpers.js';

test('with a SQLite file, orders, users, refunds and pending notifications survive a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-sandbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'nested', 'state.sqlite');
  const merchant = await startMerchant(t);
  merchant.answer = () => ({ status: 200, body: V2_FAIL_REPLY });

  const first = Object.assign(await createSandbox({ now: () => T0, dbPath }), { base: '' });
  first.base = await first.listen();
  const { openid } = await login(first, 'carol');
  const paidNo = newOutTradeNo();
  const paid = await unifiedOrder(first, { openid, out_trade_no: paidNo, notify_url: merchant.url, total_fee: 700 });
  const r = await json(first, 'POST', '/sandbox/wx/requestPayment', { ...payParams(first, paid.fields.prepay_id ?? ''), openid, action: 'pay' });
  assert.equal(r.body.errMsg, 'requestPayment:ok');
  const unpaidNo = newOutTradeNo();
  const unpaid = await unifiedOrder(first, { openid, out_trade_no: unpaidNo });
  await first.clock.advance(20); // attempts at 0 and 15 s fail; the next is due at 30 s
  await v2(first, '/secapi/pay/refund', { out_trade_no: paidNo, out_refund_no: 'RP1', total_fee: 700, refund_fee: 100 });
  await first.close();

  const second = Object.assign(await createSandbox({ now: () => T0, dbPath }), { base: '' });
  t.after(() => second.close());
  second.base = await second.listen();
  assert.equal(second.clock.now(), T0 + 20_000, 'virtual time resumes where it stopped');
  assert.equal((await login(second, 'carol')).openid, openid, 'the same user keeps the openid');
  const q = await v2(second, '/pay/orderquery', { out_trade_no: paidNo });
  assert.equal(q.fields.trade_state, 'REFUND');
  assert.equal(q.fields.total_fee, '700');
  // The same unpaid order gives the same prepay_id after the restart.
  assert.equal((await unifiedOrder(second, { openid, out_trade_no: unpaidNo })).fields.prepay_id, unpaid.fields.prepay_id);
  await second.clock.advance(10);
  const n = (await json(second, 'GET', `/sandbox/notifications?outTradeNo=${paidNo}`)).body.notifications as { attempts: { atMs: number }[] }[];
  assert.deepEqual(n[0]?.attempts.map((a) => (a.atMs - T0) / 1000), [0, 15, 30], 'the retry schedule continues');
  const rq = await v2(second, '/pay/refundquery', { out_refund_no: 'RP1' });
  assert.equal(rq.fields.refund_status_0, 'SUCCESS', 'the pending refund settled after the restart');
});

test('without a file, state is memory only', async (t) => {
  const a = Object.assign(await createSandbox({ now: () => T0 }), { base: '' });
  a.base = await a.listen();
  const outTradeNo = newOutTradeNo();
  const { openid } = await login(a);
  await unifiedOrder(a, { openid, out_trade_no: outTradeNo });
  await a.close();
  const b = Object.assign(await createSandbox({ now: () => T0 }), { base: '' });
  t.after(() => b.close());
  b.base = await b.listen();
  assert.equal((await v2(b, '/pay/orderquery', { out_trade_no: outTradeNo })).fields.err_code, 'ORDERNOTEXIST');
});
