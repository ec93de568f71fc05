import { test } from 'node:test';
import assert from 'node:assert/strict';
import { json, login, newOutTradeNo, payParams, startMerchant, startSandbox, unifiedOrder, v2 } from './helpers.js';

test('requestPayment: ok pays the order; cancel and fail leave it payable', async (t) => {
  const sandbox = await startSandbox(t);
  const merchant = await startMerchant(t);
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  const order = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo, notify_url: merchant.url });
  const prepayId = order.fields.prepay_id ?? '';
  const request = (action: string, extra: Record<string, unknown> = {}) =>
    json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...payParams(sandbox, prepayId), openid, action, ...extra });

  assert.deepEqual((await request('cancel')).body, { errMsg: 'requestPayment:fail cancel' });
  assert.match(String((await request('fail')).body.errMsg), /^requestPayment:fail /);
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo })).fields.trade_state, 'NOTPAY');
  await sandbox.clock.advance(0);
  assert.equal(merchant.received.length, 0, 'no notification for an unpaid order');

  assert.deepEqual((await request('pay', { appid: sandbox.demoMerchant.appid })).body, { errMsg: 'requestPayment:ok' });
  assert.equal((await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo })).fields.trade_state, 'SUCCESS');
  assert.equal((await request('pay')).body.errMsg, 'requestPayment:fail 该订单已支付');
});

test('requestPayment: paySign, payer, appid and prepay are checked', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox, 'alice');
  const other = await login(sandbox, 'bob');
  const order = await unifiedOrder(sandbox, { openid }, { signType: 'HMAC-SHA256' });
  const prepayId = order.fields.prepay_id ?? '';
  const good = payParams(sandbox, prepayId, 'HMAC-SHA256');
  const rows: [string, Record<string, unknown>, RegExp][] = [
    ['forged paySign', { ...payParams(sandbox, prepayId, 'HMAC-SHA256', 'not-the-key') }, /签名/],
    ['tampered timeStamp', { ...good, timeStamp: '1' }, /签名/],
    ['another payer', { ...good, openid: other.openid }, /不属于/],
    ['another appid', { ...good, appid: 'wx0000000000000000' }, /appid/],
    ['unknown prepay', { ...payParams(sandbox, 'wx000'), }, /prepay_id/],
    ['not a prepay package', { ...good, package: 'prepay=1' }, /package/],
    ['RSA on a v2 order', { ...good, signType: 'RSA' }, /签名类型/],
  ];
  for (const [name, params, errMsg] of rows) {
    const r = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { openid, action: 'pay', ...params });
    assert.equal(r.status, 200, name);
    assert.match(String(r.body.errMsg), /^requestPayment:fail /, name);
    assert.match(String(r.body.errMsg), errMsg, name);
  }
  // An MD5 paySign for an HMAC order is what WeChat's client accepts as well: the signature is what matters.
  const md5 = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...payParams(sandbox, prepayId, 'MD5'), openid, action: 'pay' });
  assert.equal(md5.body.errMsg, 'requestPayment:ok');

  const bad = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...good, openid, action: 'steal' });
  assert.equal(bad.status, 400);
});

test('requestPayment takes what wx.requestPayment takes: unknown keys are ignored, an appId must be the prepay\'s', async (t) => {
  const sandbox = await startSandbox(t);
  const { openid } = await login(sandbox, 'alice');
  const pay = async (extra: Record<string, unknown>) => {
    const outTradeNo = newOutTradeNo();
    const order = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo });
    const prepayId = order.fields.prepay_id ?? '';
    const r = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...payParams(sandbox, prepayId), openid, action: 'pay', ...extra });
    const query = await v2(sandbox, '/pay/orderquery', { out_trade_no: outTradeNo });
    return { status: r.status, errMsg: r.body.errMsg, state: query.fields.trade_state, fee: query.fields.total_fee };
  };
  // appId is part of the signed string and many clients pass it along: accepted when it is the order's.
  assert.deepEqual(await pay({ appId: sandbox.demoMerchant.appid }), { status: 200, errMsg: 'requestPayment:ok', state: 'SUCCESS', fee: '100' });
  assert.deepEqual(await pay({ appId: 'wx0000000000000000' }), { status: 200, errMsg: 'requestPayment:fail appid和订单不匹配', state: 'NOTPAY', fee: '100' });
  assert.deepEqual(await pay({ appid: sandbox.demoMerchant.appid, appId: 'wx0000000000000000' }), { status: 200, errMsg: 'requestPayment:fail appid和订单不匹配', state: 'NOTPAY', fee: '100' });
  // Keys wx.requestPayment does not use (callbacks, extras) are ignored; none of them can change the amount.
  assert.deepEqual(await pay({ total_fee: 1, success: 'fn', complete: null, provider: 'wxpay' }), { status: 200, errMsg: 'requestPayment:ok', state: 'SUCCESS', fee: '100' });
});

test('unknown control routes answer the documented error shape', async (t) => {
  const sandbox = await startSandbox(t);
  for (const [method, path] of [['GET', '/sandbox/nope'], ['POST', '/sandbox/wx/requestPayments'], ['GET', '/v3/nothing-here']] as const) {
    const r = await json(sandbox, method, path, method === 'POST' ? {} : undefined);
    assert.equal(r.status, 404, path);
    const error = r.body.error as { code: string; message: string };
    assert.equal(error.code, 'NOT_FOUND', path);
    assert.match(error.message, new RegExp(`${method} ${path.replaceAll('/', '\\/')}`), path);
  }
});
