import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createV2Client, type V2ClientOptions, type V2UnifiedOrderRequest } from '../../src/v2/client.js';
import { buildV2Response, signV2Notification } from '../../src/v2/testing.js';
import { verifyV2Sign } from '../../src/v2/sign.js';
import { parseV2PaymentNotification } from '../../src/v2/notify.js';
import { WxPayConfigError, WxPayProtocolError, WxPayValidationError } from '../../src/errors.js';
import { FakeWeChat, type Recorded } from './fake-wechat.js';

// Partner (服务商) mode: the provider's appid, mch_id and key; the sub-merchant named by sub_mch_id.
const apiKey = '192006250b4c09247ec02edce69f6a2d';
const appid = 'wxprovider00000001';
const mchid = '1900000100';
const subMchId = '1900000109';
const subAppid = 'wxshop000000000001';
const NOW = Date.UTC(2024, 0, 1, 4, 0, 0);

let wx: FakeWeChat;
let baseUrl: string;

before(async () => {
  wx = new FakeWeChat(apiKey);
  baseUrl = await wx.listen();
});
after(() => wx.close());
beforeEach(() => {
  wx.requests.length = 0;
});

function client(overrides: Partial<V2ClientOptions> = {}) {
  return createV2Client({ appid, mchid, apiKey, baseUrl, clock: () => NOW, sleep: async () => {}, subMchId, subAppid, ...overrides });
}

/** WeChat's partner answer: the provider's appid/mch_id and the request's sub_mch_id. */
function ok(req: Recorded, extra: Record<string, string | number> = {}) {
  const type = req.fields.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
  return {
    body: buildV2Response(
      { return_code: 'SUCCESS', return_msg: 'OK', appid, mch_id: mchid, sub_mch_id: req.fields.sub_mch_id, nonce_str: 'srv', result_code: 'SUCCESS', ...extra },
      apiKey,
      type,
    ),
  };
}

const order: V2UnifiedOrderRequest = {
  body: 'Tea', out_trade_no: 'P0001', total_fee: 100, spbill_create_ip: '203.0.113.7', notify_url: 'https://shop.example/notify',
  sub_openid: 'oSubOpenid000000000000000001',
};

test('partner unifiedorder sends sub_mch_id, sub_appid and sub_openid, signed; pay_appid and payParamsFor use sub_appid', async () => {
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx1' });
  const c = client();
  const placed = await c.unifiedOrder(order);
  const sent = wx.requests[0]!;
  assert.ok(sent.signOk);
  assert.equal(sent.fields.sub_mch_id, subMchId);
  assert.equal(sent.fields.sub_appid, subAppid);
  assert.equal(sent.fields.sub_openid, order.sub_openid);
  assert.equal(sent.fields.openid, undefined);
  assert.equal(placed.sub_mch_id, subMchId);
  assert.equal(placed.pay_appid, subAppid);
  const { appid: payAppid, payParams } = c.payParamsFor(placed, { nonceStr: 'n', timeStamp: 1700000000 });
  assert.equal(payAppid, subAppid);
  // paySign is over appId = sub_appid, with the provider's key (wx.requestPayment runs in the sub-merchant's mini program).
  const signed = { appId: subAppid, nonceStr: 'n', package: 'prepay_id=wx1', signType: payParams.signType, timeStamp: '1700000000', sign: payParams.paySign };
  assert.ok(verifyV2Sign(signed, apiKey, payParams.signType));
  assert.ok(!verifyV2Sign({ ...signed, appId: appid }, apiKey, payParams.signType));
});

test('a call naming another sub_mch_id does not carry the client\'s sub_appid; without sub_appid, paySign is for the provider appid', async () => {
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx2' });
  const placed = await client().unifiedOrder({ ...order, sub_openid: undefined, openid: 'oSpOpenid', sub_mch_id: '1900000110' });
  assert.equal(wx.requests[0]!.fields.sub_mch_id, '1900000110');
  assert.equal(wx.requests[0]!.fields.sub_appid, undefined);
  assert.equal(placed.pay_appid, appid);
  await client().orderQuery({ out_trade_no: 'P0001', sub_mch_id: '1900000110' }).catch(() => undefined);
  assert.equal(wx.requests[1]!.fields.sub_mch_id, '1900000110');
});

test('partner requests are checked before anything is sent', async () => {
  const c = client();
  await assert.rejects(c.unifiedOrder({ ...order, sub_openid: undefined }), WxPayValidationError);
  await assert.rejects(c.unifiedOrder({ ...order, sub_mch_id: '1900000110' }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sub_openid');
  await assert.rejects(c.unifiedOrder({ ...order, sub_mch_id: 'abc' }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sub_mch_id');
  const direct = client({ subMchId: undefined, subAppid: undefined });
  await assert.rejects(direct.unifiedOrder(order), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sub_openid');
  await assert.rejects(direct.orderQuery({ out_trade_no: 'P1', sub_appid: subAppid }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sub_appid');
  assert.equal(wx.requests.length, 0);
  assert.throws(() => client({ subMchId: undefined }), WxPayConfigError);
  assert.throws(() => client({ subMchId: '12a' }), WxPayConfigError);
});

test('an answer about another sub-merchant is refused', async () => {
  wx.handler = (req) => ok({ ...req, fields: { ...req.fields, sub_mch_id: '1900000999' } }, { trade_state: 'NOTPAY', out_trade_no: 'P0001' });
  await assert.rejects(client().orderQuery({ out_trade_no: 'P0001' }), WxPayProtocolError);
});

test('partner query, close and bill carry sub_mch_id; query results type the partner fields', async () => {
  wx.handler = (req) => req.path === '/pay/downloadbill'
    ? { body: '交易时间,公众账号ID\n总交易单数\n`0\n' }
    : ok(req, { trade_state: 'SUCCESS', out_trade_no: 'P0001', transaction_id: '4200', total_fee: 100, sub_openid: 'oSub', sub_appid: subAppid, result_msg: 'OK' });
  const c = client();
  const q = await c.orderQuery({ out_trade_no: 'P0001' });
  assert.equal(q.sub_mch_id, subMchId);
  assert.equal(q.sub_openid, 'oSub');
  await c.closeOrder({ out_trade_no: 'P0001' });
  await c.downloadBill({ bill_date: '20231231' }).catch(() => undefined);
  assert.deepEqual(wx.requests.map((r) => r.fields.sub_mch_id), [subMchId, subMchId, subMchId]);
});

test('v2 partner payment notifications are typed with sub_mch_id, sub_appid and sub_openid', () => {
  const body = signV2Notification({
    return_code: 'SUCCESS', result_code: 'SUCCESS', appid, mch_id: mchid, sub_mch_id: subMchId, sub_appid: subAppid, sub_openid: 'oSub',
    sub_is_subscribe: 'N', nonce_str: 'n', out_trade_no: 'P0001', transaction_id: '4200', total_fee: 100, trade_type: 'JSAPI',
  }, apiKey, 'HMAC-SHA256');
  const n = parseV2PaymentNotification(body, { apiKey });
  assert.equal(n.sub_mch_id, subMchId);
  assert.equal(n.sub_appid, subAppid);
  assert.equal(n.sub_openid, 'oSub');
  assert.equal(n.openid, undefined);
});
