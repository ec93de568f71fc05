/**
 * API v2: a notification is verified with the sign type its order was placed with. The server places orders with
 * HMAC-SHA256; a notification signed with MD5 (with the right key) for that order is refused and changes nothing,
 * while WeChat's own HMAC-SHA256 notification pays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signV2Notification } from '@wxpay-kit/wechat/testing';
import { startStack } from './helpers/stack.js';

test('v2: an MD5-signed notification for an HMAC-SHA256 order is refused; the genuine one pays', async (t) => {
  const s = await startStack(t, 'v2');
  const user = await s.login();
  const created = await s.createOrder(user);
  assert.equal(created.status, 201);
  assert.equal(created.body.payParams.signType, 'HMAC-SHA256');
  const fields = {
    return_code: 'SUCCESS', appid: s.merchant.appid, mch_id: s.merchant.mchid, nonce_str: 'n0nce', result_code: 'SUCCESS', openid: user.openid,
    trade_type: 'JSAPI', bank_type: 'CMC', total_fee: created.body.amount, cash_fee: created.body.amount, fee_type: 'CNY',
    transaction_id: '4200009999202611270000000001', out_trade_no: created.body.outTradeNo, time_end: '20261127120000',
  };
  const md5 = await fetch(`${s.url}/wxpay/notify/payment`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: signV2Notification(fields, s.merchant.apiKey, 'MD5') });
  assert.match(await md5.text(), /FAIL/);
  assert.equal((await s.order(user, created.body.orderId)).status, 'PAYING');
  assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
  assert.equal((await s.order(user, created.body.orderId)).status, 'PAID');
  assert.deepEqual(await s.outcomes(created.body.outTradeNo), ['paid', 'rejected:bad_signature']);
});
