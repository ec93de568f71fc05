import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { buildXml, signV2 } from '@wxpay-kit/wechat';
import {
  answerVerifies, json, login, newOutTradeNo, paidOrder, pay, postRaw, startMerchant, startSandbox, unifiedOrder, v2,
} from './helpers.js';

test('unifiedorder: a valid JSAPI order gets a signed prepay_id; the same parameters give the same prepay_id', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox);
  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    const outTradeNo = newOutTradeNo();
    const first = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo }, { signType });
    assert.equal(first.status, 200);
    assert.equal(first.fields.return_code, 'SUCCESS', first.text);
    assert.equal(first.fields.result_code, 'SUCCESS', first.text);
    assert.match(first.fields.prepay_id ?? '', /^wx\d{14}[0-9a-f]{20}$/);
    assert.equal(first.fields.trade_type, 'JSAPI');
    assert.equal(first.fields.sign_type, undefined, 'WeChat answers carry no sign_type');
    assert.ok(answerVerifies(first, sandbox.demoMerchant.apiKey, signType), `answer signed with ${signType}`);
    assert.equal((first.fields.sign ?? '').length, signType === 'MD5' ? 32 : 64);
    const again = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo, spbill_create_ip: '10.0.0.2' }, { signType });
    assert.equal(again.fields.prepay_id, first.fields.prepay_id);
  }
});

test('unifiedorder: a prepay_id lives 2 hours; after that the same order gets a new one', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  const first = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo });
  await sandbox.clock.advance(2 * 3600 - 1);
  assert.equal((await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo })).fields.prepay_id, first.fields.prepay_id);
  await sandbox.clock.advance(1);
  const renewed = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo });
  assert.equal(renewed.fields.result_code, 'SUCCESS');
  assert.notEqual(renewed.fields.prepay_id, first.fields.prepay_id);
  // The old prepay can no longer be paid.
  assert.match(await pay(sandbox, first.fields.prepay_id ?? '', openid), /^requestPayment:fail /);
  assert.equal(await pay(sandbox, renewed.fields.prepay_id ?? '', openid), 'requestPayment:ok');
});

test('unifiedorder: OUT_TRADE_NO_USED, ORDERPAID, ORDERCLOSED', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo });
  const changed = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo, total_fee: 101 });
  assert.equal(changed.fields.result_code, 'FAIL');
  assert.equal(changed.fields.err_code, 'OUT_TRADE_NO_USED');
  assert.ok(answerVerifies(changed, sandbox.demoMerchant.apiKey, 'MD5'), 'business failures are signed');

  const paid = await paidOrder(sandbox, merchant.url);
  const again = await unifiedOrder(sandbox, { openid: paid.openid, out_trade_no: paid.outTradeNo, notify_url: merchant.url });
  assert.equal(again.fields.err_code, 'ORDERPAID');

  const closedNo = newOutTradeNo();
  await unifiedOrder(sandbox, { openid, out_trade_no: closedNo });
  assert.equal((await v2(sandbox, '/pay/closeorder', { out_trade_no: closedNo })).fields.result_code, 'SUCCESS');
  assert.equal((await unifiedOrder(sandbox, { openid, out_trade_no: closedNo })).fields.err_code, 'ORDERCLOSED');
});

test('unifiedorder: every required field and format is checked', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox);
  const rows: [string, Record<string, string | number | undefined>, string][] = [
    ['missing body', { body: undefined }, 'LACK_PARAMS'],
    ['missing out_trade_no', { out_trade_no: undefined }, 'LACK_PARAMS'],
    ['bad out_trade_no', { out_trade_no: 'has space' }, 'PARAM_ERROR'],
    ['long out_trade_no', { out_trade_no: 'x'.repeat(33) }, 'PARAM_ERROR'],
    ['missing total_fee', { total_fee: undefined }, 'LACK_PARAMS'],
    ['zero total_fee', { total_fee: 0 }, 'PARAM_ERROR'],
    ['decimal total_fee', { total_fee: '1.5' }, 'PARAM_ERROR'],
    ['negative total_fee', { total_fee: -1 }, 'PARAM_ERROR'],
    ['bad fee_type', { fee_type: 'USD' }, 'PARAM_ERROR'],
    ['missing spbill_create_ip', { spbill_create_ip: undefined }, 'LACK_PARAMS'],
    ['bad spbill_create_ip', { spbill_create_ip: 'localhost' }, 'PARAM_ERROR'],
    ['missing notify_url', { notify_url: undefined }, 'LACK_PARAMS'],
    ['notify_url with query', { notify_url: 'http://127.0.0.1/n?x=1' }, 'PARAM_ERROR'],
    ['relative notify_url', { notify_url: '/notify' }, 'PARAM_ERROR'],
    ['missing trade_type', { trade_type: undefined }, 'LACK_PARAMS'],
    ['unknown trade_type', { trade_type: 'CASH' }, 'PARAM_ERROR'],
    ['missing openid', { openid: undefined }, 'LACK_PARAMS'],
    ['unknown openid', { openid: 'oNotAUserOfThisApp0000000000' }, 'PARAM_ERROR'],
    ['time_expire too soon', { time_expire: '20261126100100' }, 'PARAM_ERROR'],
    ['time_expire malformed', { time_expire: '20261326100100' }, 'PARAM_ERROR'],
    ['attach too long', { attach: 'a'.repeat(128) }, 'PARAM_ERROR'],
    ['bad limit_pay', { limit_pay: 'credit' }, 'PARAM_ERROR'],
    ['missing nonce_str', { nonce_str: undefined }, 'LACK_PARAMS'],
    ['other appid', { appid: 'wx0000000000000000' }, 'APPID_MCHID_NOT_MATCH'],
  ];
  for (const [name, override, code] of rows) {
    const answer = await unifiedOrder(sandbox, { openid, ...override });
    assert.equal(answer.fields.return_code, 'SUCCESS', `${name}: ${answer.text}`);
    assert.equal(answer.fields.result_code, 'FAIL', name);
    assert.equal(answer.fields.err_code, code, `${name}: ${answer.fields.err_code_des ?? ''}`);
    assert.ok(answerVerifies(answer, sandbox.demoMerchant.apiKey, 'MD5'), name);
  }
  const ok = await unifiedOrder(sandbox, { openid, time_expire: '20261126100600', attach: 'a'.repeat(127) });
  assert.equal(ok.fields.result_code, 'SUCCESS', ok.text);
});

test('v2 communication failures: not XML, DOCTYPE, no sign, bad signature, wrong algorithm, unknown merchant', async (t) => {
  const sandbox = await startSandbox(t);
  const m = sandbox.demoMerchant;
  const fields = { appid: m.appid, mch_id: m.mchid, nonce_str: 'n', out_trade_no: 'X1' };
  const rows: [string, string, string][] = [
    ['empty', '', 'post数据为空'],
    ['not XML', 'hello', 'XML格式错误'],
    ['DOCTYPE', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>', 'XML格式错误'],
    ['nested', '<xml><a><b>1</b></a></xml>', 'XML格式错误'],
    ['no sign', buildXml(fields), 'sign参数缺失'],
    ['bad signature', buildXml({ ...fields, sign: signV2(fields, 'not-the-key', 'MD5') }), '签名错误'],
    ['HMAC signature claimed as MD5', buildXml({ ...fields, sign_type: 'MD5', sign: signV2({ ...fields, sign_type: 'MD5' }, m.apiKey, 'HMAC-SHA256') }), '签名错误'],
    ['unknown sign_type', buildXml({ ...fields, sign_type: 'SHA1', sign: 'AB' }), 'sign_type参数错误'],
    ['unknown merchant', buildXml({ ...fields, mch_id: '1999999999', sign: signV2({ ...fields, mch_id: '1999999999' }, m.apiKey, 'MD5') }), 'mch_id参数错误'],
  ];
  for (const [name, body, message] of rows) {
    const answer = await postRaw(sandbox, '/pay/orderquery', body);
    assert.equal(answer.status, 200, name);
    assert.equal(answer.fields.return_code, 'FAIL', `${name}: ${answer.text}`);
    assert.equal(answer.fields.return_msg, message, name);
    assert.equal(answer.fields.sign, undefined, `${name}: communication failures are not signed`);
  }
  const get = await fetch(`${sandbox.base}/pay/unifiedorder`);
  assert.equal(get.status, 200);
  assert.match(await get.text(), /REQUIRE_POST_METHOD/);
  // Without sign_type the request is MD5, WeChat's default.
  const noType = await v2(sandbox, '/pay/orderquery', { out_trade_no: 'NOPE' }, { omitSignType: true });
  assert.equal(noType.fields.err_code, 'ORDERNOTEXIST');
});

test('orderquery: NOTPAY, then SUCCESS with transaction_id, time_end and bank_type; by transaction_id too', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  const order = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo, notify_url: merchant.url, attach: 'cart=7' }, { signType: 'HMAC-SHA256' });
  const before = await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo }, { signType: 'HMAC-SHA256' });
  assert.equal(before.fields.trade_state, 'NOTPAY');
  assert.equal(before.fields.transaction_id, undefined);
  assert.ok(answerVerifies(before, sandbox.demoMerchant.apiKey, 'HMAC-SHA256'));
  assert.equal(await pay(sandbox, order.fields.prepay_id ?? '', openid, 'pay', 'HMAC-SHA256'), 'requestPayment:ok');
  const after = await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo });
  assert.equal(after.fields.trade_state, 'SUCCESS');
  assert.match(after.fields.transaction_id ?? '', /^42000\d{23}$/);
  assert.equal(after.fields.time_end, '20261126100000');
  assert.equal(after.fields.bank_type, 'CMB_DEBIT');
  assert.equal(after.fields.total_fee, '100');
  assert.equal(after.fields.openid, openid);
  assert.equal(after.fields.attach, 'cart=7');
  const byTx = await v2(sandbox, '/pay/orderquery', { transaction_id: after.fields.transaction_id, out_trade_no: 'ignored' });
  assert.equal(byTx.fields.out_trade_no, outTradeNo);
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: 'UNKNOWN1' })).fields.err_code, 'ORDERNOTEXIST');
  assert.equal((await v2(sandbox, '/pay/orderquery', {})).fields.err_code, 'LACK_PARAMS');
});

test('an order past its time_expire is closed and cannot be paid', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  const order = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo, time_expire: '20261126101000' });
  await sandbox.clock.advance(600);
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo })).fields.trade_state, 'CLOSED');
  assert.equal(await pay(sandbox, order.fields.prepay_id ?? '', openid), 'requestPayment:fail 该订单已关闭');
});

test('closeorder: closes an unpaid order; ORDERPAID, ORDERCLOSED, ORDERNOTEXIST', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  const order = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo });
  const closed = await v2(sandbox, '/pay/closeorder', { out_trade_no: outTradeNo });
  assert.equal(closed.fields.result_code, 'SUCCESS');
  assert.equal(closed.fields.result_msg, 'OK');
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo })).fields.trade_state, 'CLOSED');
  assert.equal(await pay(sandbox, order.fields.prepay_id ?? '', openid), 'requestPayment:fail 该订单已关闭');
  assert.equal((await v2(sandbox, '/pay/closeorder', { out_trade_no: outTradeNo })).fields.err_code, 'ORDERCLOSED');
  assert.equal((await v2(sandbox, '/pay/closeorder', { out_trade_no: 'NOSUCH1' })).fields.err_code, 'ORDERNOTEXIST');
  assert.equal((await v2(sandbox, '/pay/closeorder', {})).fields.err_code, 'LACK_PARAMS');
  const paid = await paidOrder(sandbox, merchant.url);
  assert.equal((await v2(sandbox, '/pay/closeorder', { out_trade_no: paid.outTradeNo })).fields.err_code, 'ORDERPAID');
});

test('refund and refundquery: PROCESSING, then SUCCESS after 5 s; idempotent out_refund_no; limits', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const paid = await paidOrder(sandbox, merchant.url, { total_fee: 300 });
  const refund = (p: Record<string, string | number | undefined>) =>
    v2(sandbox, '/secapi/pay/refund', { out_trade_no: paid.outTradeNo, out_refund_no: 'R1', total_fee: 300, refund_fee: 100, ...p });

  const first = await refund({});
  assert.equal(first.fields.result_code, 'SUCCESS', first.text);
  assert.match(first.fields.refund_id ?? '', /^50000\d{24}$/);
  assert.equal(first.fields.refund_fee, '100');
  assert.ok(answerVerifies(first, sandbox.demoMerchant.apiKey, 'MD5'));
  const retry = await refund({});
  assert.equal(retry.fields.refund_id, first.fields.refund_id, 'the same out_refund_no is the same refund');
  assert.equal((await refund({ refund_fee: 50 })).fields.err_code, 'INVALID_REQUEST');

  let q = await v2(sandbox, '/pay/refundquery', { out_refund_no: 'R1' });
  assert.equal(q.fields.refund_status_0, 'PROCESSING');
  assert.equal(q.fields.refund_count, '1');
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: paid.outTradeNo })).fields.trade_state, 'REFUND');
  await sandbox.clock.advance(5);
  q = await v2(sandbox, '/pay/refundquery', { out_trade_no: paid.outTradeNo });
  assert.equal(q.fields.refund_status_0, 'SUCCESS');
  assert.equal(q.fields.refund_success_time_0, '2026-11-26 10:00:05');
  assert.equal(q.fields.refund_recv_accout_0, '支付用户的零钱');
  assert.equal(q.fields.total_fee, '300');

  assert.equal((await refund({ out_refund_no: 'R2' })).fields.err_code, 'FREQUENCY_LIMITED', 'a minute between refunds');
  await sandbox.clock.advance(60);
  assert.equal((await refund({ out_refund_no: 'R2', refund_fee: 201 })).fields.err_code, 'INVALID_REQUEST', 'more than is left');
  assert.equal((await refund({ out_refund_no: 'R2', total_fee: 299 })).fields.err_code, 'INVALID_REQUEST', 'wrong total');
  assert.equal((await refund({ out_refund_no: 'R2', refund_fee: 200 })).fields.result_code, 'SUCCESS');
  q = await v2(sandbox, '/pay/refundquery', { transaction_id: first.fields.transaction_id });
  assert.equal(q.fields.refund_count, '2');
  assert.equal(q.fields.out_refund_no_1, 'R2');
  const byId = await v2(sandbox, '/pay/refundquery', { refund_id: first.fields.refund_id });
  assert.equal(byId.fields.out_refund_no_0, 'R1');

  assert.equal((await v2(sandbox, '/pay/refundquery', { out_refund_no: 'NOPE' })).fields.err_code, 'REFUNDNOTEXIST');
  assert.equal((await v2(sandbox, '/pay/refundquery', {})).fields.err_code, 'LACK_PARAMS');
  const { openid } = await login(sandbox);
  const unpaidNo = newOutTradeNo();
  await unifiedOrder(sandbox, { openid, out_trade_no: unpaidNo });
  assert.equal((await refund({ out_trade_no: unpaidNo, out_refund_no: 'R9' })).fields.err_code, 'ORDERNOTEXIST');
  assert.equal((await refund({ out_trade_no: 'NOSUCHORDER', out_refund_no: 'R9' })).fields.err_code, 'ORDERNOTEXIST');
  assert.equal((await refund({ out_refund_no: undefined })).fields.err_code, 'LACK_PARAMS');
  assert.equal((await refund({ out_refund_no: 'R9', refund_fee: 0 })).fields.err_code, 'PARAM_ERROR');
  assert.equal((await refund({ out_refund_no: 'R9', notify_url: 'ftp://x/y' })).fields.err_code, 'PARAM_ERROR');
});

test('downloadbill: WeChat CSV (backticks, yuan, summary), gzip, and No Bill Exist', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const a = await paidOrder(sandbox, merchant.url, { total_fee: 1234, attach: 'x' });
  await paidOrder(sandbox, merchant.url, { total_fee: 1 });
  await v2(sandbox, '/secapi/pay/refund', { out_trade_no: a.outTradeNo, out_refund_no: 'RB1', total_fee: 1234, refund_fee: 234 });
  await sandbox.clock.advance(5);

  const res = await fetch(`${sandbox.base}/pay/downloadbill`, { method: 'POST', body: signedBill(sandbox, { bill_date: '20261126', bill_type: 'ALL' }) });
  const csv = await res.text();
  const lines = csv.trim().split('\r\n');
  assert.match(lines[0] ?? '', /^交易时间,公众账号ID,商户号,/);
  assert.equal(lines.length, 1 + 3 + 2, 'header, 2 payments + 1 refund, summary header + row');
  assert.ok(lines.slice(1, 4).every((l) => l.startsWith('`') && l.split(',').every((c) => c.startsWith('`'))));
  assert.ok(lines.some((l) => l.includes(`\`${a.outTradeNo}`) && l.includes('`12.34') && l.includes('`SUCCESS')));
  assert.ok(lines.some((l) => l.includes('`REFUND') && l.includes('`RB1') && l.includes('`2.34')));
  assert.match(lines[4] ?? '', /^总交易单数,应结订单总金额,退款总金额/);
  assert.equal((lines[5] ?? '').split(',')[0], '`3');
  assert.equal((lines[5] ?? '').split(',')[1], '`12.35');
  assert.equal((lines[5] ?? '').split(',')[2], '`2.34');

  const gz = await fetch(`${sandbox.base}/pay/downloadbill`, { method: 'POST', body: signedBill(sandbox, { bill_date: '20261126', bill_type: 'SUCCESS', tar_type: 'GZIP' }) });
  const unzipped = gunzipSync(Buffer.from(await gz.arrayBuffer())).toString('utf8');
  assert.equal(unzipped.trim().split('\r\n').length, 1 + 2 + 2);

  for (const [params, message] of [
    [{ bill_date: '20261125' }, 'No Bill Exist'],
    [{ bill_date: '20261127' }, 'No Bill Exist'],
    [{ bill_date: '20261126', bill_type: 'RECHARGE_REFUND' }, 'No Bill Exist'],
    [{ bill_date: '2026-11-26' }, 'data format error'],
    [{ bill_date: '20261126', bill_type: 'SOME' }, 'invalid bill_type'],
    [{}, 'missing parameter'],
  ] as const) {
    const answer = await postRaw(sandbox, '/pay/downloadbill', signedBill(sandbox, params));
    assert.equal(answer.fields.return_code, 'FAIL', answer.text);
    assert.equal(answer.fields.return_msg, message);
  }
});

function signedBill(sandbox: { demoMerchant: { appid: string; mchid: string; apiKey: string } }, params: Record<string, string>): string {
  const m = sandbox.demoMerchant;
  const fields = { appid: m.appid, mch_id: m.mchid, nonce_str: 'b1', ...params };
  return buildXml({ ...fields, sign: signV2(fields, m.apiKey, 'MD5') });
}

test('the control API lists merchants and orders', async (t) => {
  const sandbox = await startSandbox(t);
  const merchants = await json(sandbox, 'GET', '/sandbox/merchants');
  assert.deepEqual((merchants.body.merchants as { mchid: string }[]).map((m) => m.mchid), ['1900000001']);
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo });
  const orders = await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`);
  const list = orders.body.orders as { outTradeNo: string; state: string; totalFee: number }[];
  assert.equal(list.length, 1);
  assert.equal(list[0]?.state, 'NOTPAY');
  assert.equal(list[0]?.totalFee, 100);
  assert.equal((await json(sandbox, 'GET', '/sandbox/orders?bogus=1')).status, 400);
});

test('malformed JSON on the control API is a 400 with the error shape', async (t) => {
  const sandbox = await startSandbox(t);
  const res = await fetch(`${sandbox.base}/sandbox/wx/login`, { method: 'POST', body: '{"appid":', headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(typeof body.error.code, 'string');
});
