import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createV2Client, type V2ClientOptions, type V2UnifiedOrderRequest } from '../../src/v2/client.js';
import { buildV2Response } from '../../src/v2/testing.js';
import { buildXml } from '../../src/v2/xml.js';
import { verifyV2Sign } from '../../src/v2/sign.js';
import {
  WxPayApiError, WxPayConfigError, WxPayNetworkError, WxPayProtocolError, WxPaySignatureError, WxPayValidationError,
} from '../../src/errors.js';
import { FakeWeChat, fixtures, type Recorded } from './fake-wechat.js';

const apiKey = '192006250b4c09247ec02edce69f6a2d';
const appid = 'wx8888888888888888';
const mchid = '1900000001';
const NOW = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 China time

let wx: FakeWeChat;
let baseUrl: string;
let sleeps: number[] = [];

before(async () => {
  wx = new FakeWeChat(apiKey);
  baseUrl = await wx.listen();
});
after(() => wx.close());
beforeEach(() => {
  wx.requests.length = 0;
  sleeps = [];
});

function client(overrides: Partial<V2ClientOptions> = {}) {
  let n = 0;
  return createV2Client({
    appid,
    mchid,
    apiKey,
    baseUrl,
    clock: () => NOW,
    nonce: () => `nonce${++n}`,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    timeoutMs: 2000,
    ...overrides,
  });
}

/** Answer as WeChat would: signed with the request's algorithm, echoing appid and mch_id. */
function ok(req: Recorded, extra: Record<string, string | number>) {
  const type = req.fields.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
  return {
    body: buildV2Response(
      { return_code: 'SUCCESS', return_msg: 'OK', appid, mch_id: mchid, nonce_str: 'srv', result_code: 'SUCCESS', ...extra },
      apiKey,
      type,
    ),
  };
}
function fail(req: Recorded, errCode: string, des = 'x') {
  return ok(req, { result_code: 'FAIL', err_code: errCode, err_code_des: des });
}

const order: V2UnifiedOrderRequest = {
  body: '测试商品',
  out_trade_no: 'ORDER20240101000001',
  total_fee: 100,
  spbill_create_ip: '203.0.113.7',
  notify_url: 'https://merchant.example.com/wxpay/notify/payment',
  openid: 'orWy35UBNFZyReiUYVZvtPrqht-0',
};

test('unifiedOrder: signed request with every optional field, verified answer, typed result', async () => {
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx201410272009395522657a690389285100' });
  const result = await client().unifiedOrder({
    ...order,
    attach: '0010',
    detail: { goods_detail: [{ goods_id: 'sku1', quantity: 1, price: 100 }] },
    time_start: new Date(NOW),
    time_expire: '20240101123000',
    goods_tag: 'WXG',
    limit_pay: 'no_credit',
    scene_info: { store_info: { id: 'SZ001' } },
    profit_sharing: 'N',
    device_info: 'WEB',
    fee_type: 'CNY',
    receipt: 'Y',
  });
  assert.equal(result.prepay_id, 'wx201410272009395522657a690389285100');
  assert.equal(result.sign_type, 'HMAC-SHA256');
  assert.equal(wx.requests.length, 1);
  const sent = wx.requests[0]!;
  assert.equal(sent.path, '/pay/unifiedorder');
  assert.equal(sent.signOk, true);
  assert.equal(sent.fields.sign?.length, 64);
  assert.deepEqual(
    { ...sent.fields, sign: undefined },
    {
      appid, mch_id: mchid, nonce_str: 'nonce1', sign_type: 'HMAC-SHA256', sign: undefined,
      body: '测试商品', out_trade_no: 'ORDER20240101000001', total_fee: '100', spbill_create_ip: '203.0.113.7',
      notify_url: order.notify_url, trade_type: 'JSAPI', openid: order.openid, device_info: 'WEB', attach: '0010',
      detail: '{"goods_detail":[{"goods_id":"sku1","quantity":1,"price":100}]}', fee_type: 'CNY',
      time_start: '20240101120000', time_expire: '20240101123000', goods_tag: 'WXG', limit_pay: 'no_credit',
      scene_info: '{"store_info":{"id":"SZ001"}}', profit_sharing: 'N', receipt: 'Y',
    },
  );
});

test('unifiedOrder with MD5 (client default or per order)', async () => {
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx1' });
  const viaOption = await client({ signType: 'MD5' }).unifiedOrder(order);
  const viaOrder = await client().unifiedOrder({ ...order, sign_type: 'MD5' });
  assert.equal(viaOption.sign_type, 'MD5');
  assert.equal(viaOrder.sign_type, 'MD5');
  assert.deepEqual(wx.requests.map((r) => [r.fields.sign_type, r.fields.sign?.length, r.signOk]), [['MD5', 32, true], ['MD5', 32, true]]);
});

test('validation: a bad value names the field and nothing is sent', async () => {
  const rows: [Partial<V2UnifiedOrderRequest> & Record<string, unknown>, string][] = [
    [{ out_trade_no: '' }, 'out_trade_no'],
    [{ out_trade_no: 'x'.repeat(33) }, 'out_trade_no'],
    [{ out_trade_no: 'has space' }, 'out_trade_no'],
    [{ out_trade_no: 'at@sign' }, 'out_trade_no'],
    [{ total_fee: 0 }, 'total_fee'],
    [{ total_fee: -1 }, 'total_fee'],
    [{ total_fee: 1.5 }, 'total_fee'],
    [{ total_fee: Number.MAX_SAFE_INTEGER + 1 }, 'total_fee'],
    [{ total_fee: '100' as unknown as number }, 'total_fee'],
    [{ body: '' }, 'body'],
    [{ body: '好'.repeat(43) }, 'body'],
    [{ spbill_create_ip: '1.2.3' }, 'spbill_create_ip'],
    [{ spbill_create_ip: 'localhost' }, 'spbill_create_ip'],
    [{ notify_url: '/relative' }, 'notify_url'],
    [{ notify_url: 'ftp://x.example.com/n' }, 'notify_url'],
    [{ notify_url: 'https://x.example.com/n?a=1' }, 'notify_url'],
    [{ notify_url: 'https://x.example.com/n#f' }, 'notify_url'],
    [{ notify_url: `https://x.example.com/${'a'.repeat(250)}` }, 'notify_url'],
    [{ openid: '' }, 'openid'],
    [{ attach: 'a'.repeat(128) }, 'attach'],
    [{ time_start: '2024-01-01 12:00' }, 'time_start'],
    [{ time_expire: '20240231120000' }, 'time_expire'],
    [{ time_expire: '20240101115959' }, 'time_expire'], // in the past for the injected clock
    [{ time_start: '20240101130000', time_expire: '20240101124000' }, 'time_expire'],
    [{ time_expire: new Date(Number.NaN) }, 'time_expire'],
    [{ limit_pay: 'credit' as 'no_credit' }, 'limit_pay'],
    [{ trade_type: 'NATIVE' as 'JSAPI' }, 'trade_type'],
    [{ fee_type: 'USD' as 'CNY' }, 'fee_type'],
    [{ sign_type: 'SHA1' as 'MD5' }, 'sign_type'],
    [{ detail: 'd'.repeat(6001) }, 'detail'],
  ];
  for (const [patch, field] of rows) {
    await assert.rejects(
      client().unifiedOrder({ ...order, ...patch }),
      (e: unknown) => e instanceof WxPayValidationError && e.field === field,
      `expected ${field} to be refused for ${JSON.stringify(patch)}`,
    );
  }
  assert.equal(wx.requests.length, 0);
  // Accepted edge values.
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx1' });
  await client().unifiedOrder({ ...order, out_trade_no: 'a-b_c|d*E9'.padEnd(32, '0'), body: '好'.repeat(42), spbill_create_ip: '2001:db8::1' });
  assert.equal(wx.requests.length, 1);
});

test('time fields are China time whatever the host zone', async () => {
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx1' });
  // 2024-01-01T16:30:00Z is 2024-01-02 00:30:00 in China.
  await client().unifiedOrder({ ...order, time_start: Date.UTC(2024, 0, 1, 16, 30), time_expire: new Date(Date.UTC(2024, 0, 1, 17, 0)) });
  assert.equal(wx.requests[0]?.fields.time_start, '20240102003000');
  assert.equal(wx.requests[0]?.fields.time_expire, '20240102010000');
});

test('return_code FAIL: typed error with WeChat message, not retried, key never in the message', async () => {
  wx.handler = () => ({ body: buildXml({ return_code: 'FAIL', return_msg: '签名错误' }) });
  await assert.rejects(client().unifiedOrder(order), (e: unknown) => {
    assert.ok(e instanceof WxPayApiError);
    assert.equal(e.code, 'RETURN_FAIL');
    assert.equal(e.description, '签名错误');
    assert.equal(e.retriable, false);
    assert.equal(e.message.includes(apiKey), false);
    return true;
  });
  assert.equal(wx.requests.length, 1);
});

test('answer signature: missing or wrong is refused; checked before result_code', async () => {
  wx.handler = () => ({ body: buildXml({ return_code: 'SUCCESS', result_code: 'SUCCESS', prepay_id: 'wx1', trade_type: 'JSAPI' }) });
  await assert.rejects(client().unifiedOrder(order), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'missing_signature');
  wx.handler = () => ({
    body: buildV2Response({ return_code: 'SUCCESS', result_code: 'SUCCESS', prepay_id: 'wx1', trade_type: 'JSAPI' }, 'another-key', 'HMAC-SHA256'),
  });
  await assert.rejects(client().unifiedOrder(order), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'bad_signature');
  // A forged FAIL answer (ORDERPAID) must not be believed either.
  wx.handler = () => ({ body: buildV2Response({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'ORDERPAID' }, 'another-key', 'HMAC-SHA256') });
  await assert.rejects(client().unifiedOrder(order), WxPaySignatureError);
  // Signed with MD5 while the request used HMAC-SHA256.
  wx.handler = () => ({ body: buildV2Response({ return_code: 'SUCCESS', result_code: 'SUCCESS', prepay_id: 'wx1', trade_type: 'JSAPI' }, apiKey, 'MD5') });
  await assert.rejects(client().unifiedOrder(order), WxPaySignatureError);
});

test('business errors carry err_code and say whether retrying can help', async () => {
  const rows: [string, boolean, number][] = [
    ['ORDERPAID', false, 1],
    ['ORDERCLOSED', false, 1],
    ['OUT_TRADE_NO_USED', false, 1],
    ['NOTENOUGH', false, 1],
    ['FREQUENCY_LIMITED', true, 1],
    ['SYSTEMERROR', true, 3],
    ['BANKERROR', true, 3],
  ];
  for (const [code, retriable, tries] of rows) {
    wx.requests.length = 0;
    wx.handler = (req) => fail(req, code, '说明');
    await assert.rejects(client().unifiedOrder(order), (e: unknown) => {
      assert.ok(e instanceof WxPayApiError, code);
      assert.equal(e.code, code);
      assert.equal(e.description, '说明');
      assert.equal(e.retriable, retriable, code);
      return true;
    });
    assert.equal(wx.requests.length, tries, `${code} tries`);
  }
});

test('SYSTEMERROR is retried with the identical request and backoff, then succeeds', async () => {
  let calls = 0;
  wx.handler = (req) => (++calls < 3 ? fail(req, 'SYSTEMERROR') : ok(req, { trade_type: 'JSAPI', prepay_id: 'wx-third' }));
  // Full jitter: with the injected randomness at its top, the waits are the exponential ceilings.
  const result = await client({ retry: { attempts: 3, backoffMs: 100 }, random: () => 0.999999 }).unifiedOrder(order);
  assert.equal(result.prepay_id, 'wx-third');
  assert.equal(wx.requests.length, 3);
  assert.equal(new Set(wx.requests.map((r) => r.body)).size, 1, 'same bytes, same out_trade_no');
  assert.deepEqual(sleeps, [100, 200]);
});

test('HTTP status: 5xx retried, 4xx not', async () => {
  wx.handler = () => ({ status: 503, body: 'busy' });
  await assert.rejects(client({ retry: { attempts: 2 } }).unifiedOrder(order), (e: unknown) => e instanceof WxPayApiError && e.status === 503 && e.retriable);
  assert.equal(wx.requests.length, 2);
  wx.requests.length = 0;
  wx.handler = () => ({ status: 404, body: 'no' });
  await assert.rejects(client().unifiedOrder(order), (e: unknown) => e instanceof WxPayApiError && e.status === 404 && !e.retriable);
  assert.equal(wx.requests.length, 1);
});

test('malformed, oversized or foreign answers are protocol errors', async () => {
  wx.handler = () => ({ body: '<html>gateway</html>' });
  await assert.rejects(client().unifiedOrder(order), WxPayProtocolError);
  wx.handler = () => ({ body: '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><return_code>&x;</return_code></xml>' });
  await assert.rejects(client().unifiedOrder(order), WxPayProtocolError);
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx1', attach: 'x'.repeat(2000) });
  await assert.rejects(client({ maxResponseBytes: 1000 }).unifiedOrder(order), WxPayProtocolError);
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI', prepay_id: 'wx1', appid: 'wx0000000000000000' });
  await assert.rejects(client().unifiedOrder(order), /another appid/);
  wx.handler = (req) => ok(req, { trade_type: 'JSAPI' });
  await assert.rejects(client().unifiedOrder(order), /prepay_id/);
  wx.handler = () => ({ body: buildXml({ return_msg: 'x' }) });
  await assert.rejects(client().unifiedOrder(order), WxPayProtocolError);
});

test('network faults: timeout and reset may have landed and are not retried; a refused connection did not and is', async () => {
  wx.handler = () => 'hang';
  await assert.rejects(client({ timeoutMs: 1000, retry: { attempts: 2 } }).unifiedOrder(order), (e: unknown) => {
    assert.ok(e instanceof WxPayNetworkError);
    assert.equal(e.outcomeUnknown, true);
    assert.equal(e.code, 'TIMEOUT');
    assert.equal(e.retriable, true, 'the caller may resend the same request');
    return true;
  });
  assert.equal(wx.requests.length, 1, 'a request that may have landed is not resent automatically');
  wx.requests.length = 0;
  wx.handler = () => 'destroy';
  await assert.rejects(client({ retry: { attempts: 1 } }).unifiedOrder(order), (e: unknown) => e instanceof WxPayNetworkError && e.outcomeUnknown);
  // A port nobody listens on.
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await assert.rejects(client({ baseUrl: `http://127.0.0.1:${deadPort}` }).unifiedOrder(order), (e: unknown) => {
    assert.ok(e instanceof WxPayNetworkError);
    assert.equal(e.outcomeUnknown, false);
    assert.equal(e.code, 'ECONNREFUSED');
    return true;
  });
  assert.equal(sleeps.length, 2, 'no backoff after the timeout, two for the refused triple');
});

test('orderQuery: states, amounts as integers, transaction_id preferred', async () => {
  wx.handler = (req) =>
    ok(req, {
      trade_state: 'SUCCESS', out_trade_no: 'ORDER1', transaction_id: '4200000000000000000000000001', total_fee: 100,
      cash_fee: 100, time_end: '20240101120500', openid: 'o1', trade_type: 'JSAPI', bank_type: 'OTHERS', attach: '0010',
    });
  const paid = await client().orderQuery({ out_trade_no: 'ORDER1' });
  assert.equal(paid.trade_state, 'SUCCESS');
  assert.equal(paid.total_fee, 100);
  assert.equal(paid.attach, '0010');
  assert.equal(wx.requests[0]?.path, '/pay/orderquery');
  assert.equal(wx.requests[0]?.fields.out_trade_no, 'ORDER1');
  wx.handler = (req) => ok(req, { trade_state: 'NOTPAY', out_trade_no: 'ORDER1', trade_state_desc: '订单未支付' });
  const unpaid = await client().orderQuery({ transaction_id: '4200000000000000000000000001' });
  assert.equal(unpaid.trade_state, 'NOTPAY');
  assert.equal(unpaid.total_fee, undefined);
  assert.equal(wx.requests[1]?.fields.transaction_id, '4200000000000000000000000001');
  assert.equal(wx.requests[1]?.fields.out_trade_no, undefined);
  wx.handler = (req) => ok(req, { trade_state: 'SUCCESS', out_trade_no: 'ORDER1' });
  await assert.rejects(client().orderQuery({ out_trade_no: 'ORDER1' }), /transaction_id/);
  wx.handler = (req) => ok(req, { trade_state: 'PAID?', out_trade_no: 'ORDER1' });
  await assert.rejects(client().orderQuery({ out_trade_no: 'ORDER1' }), /trade_state/);
  wx.handler = (req) => fail(req, 'ORDERNOTEXIST');
  await assert.rejects(client().orderQuery({ out_trade_no: 'ORDER1' }), (e: unknown) => e instanceof WxPayApiError && e.code === 'ORDERNOTEXIST');
  await assert.rejects(client().orderQuery({ out_trade_no: 'bad no' }), WxPayValidationError);
  await assert.rejects(client().orderQuery({} as { out_trade_no: string }), WxPayValidationError);
});

test('closeOrder: closed, already closed, or paid', async () => {
  wx.handler = (req) => ok(req, { result_msg: 'OK' });
  assert.equal((await client().closeOrder({ out_trade_no: 'ORDER1' })).alreadyClosed, false);
  assert.equal(wx.requests[0]?.path, '/pay/closeorder');
  wx.handler = (req) => fail(req, 'ORDERCLOSED');
  assert.equal((await client().closeOrder({ out_trade_no: 'ORDER1' })).alreadyClosed, true);
  wx.handler = (req) => fail(req, 'ORDERPAID');
  await assert.rejects(client().closeOrder({ out_trade_no: 'ORDER1' }), (e: unknown) => e instanceof WxPayApiError && e.code === 'ORDERPAID');
});

test('refundQuery: per-refund rows typed', async () => {
  wx.handler = (req) =>
    ok(req, {
      transaction_id: '4200000000000000000000000001', out_trade_no: 'ORDER1', total_fee: 100, cash_fee: 100, refund_count: 2,
      out_refund_no_0: 'R1', refund_id_0: '50000000000000000000000000001', refund_fee_0: 30, refund_status_0: 'SUCCESS',
      refund_channel_0: 'ORIGINAL', refund_recv_accout_0: '支付用户的零钱', refund_success_time_0: '2024-01-01 12:10:00',
      out_refund_no_1: 'R2', refund_id_1: '50000000000000000000000000002', refund_fee_1: 20, refund_status_1: 'PROCESSING',
    });
  const result = await client().refundQuery({ out_trade_no: 'ORDER1' });
  assert.equal(result.refund_count, 2);
  assert.deepEqual(result.refunds.map((r) => [r.out_refund_no, r.refund_fee, r.refund_status]), [['R1', 30, 'SUCCESS'], ['R2', 20, 'PROCESSING']]);
  assert.equal(result.refunds[0]?.refund_recv_accout, '支付用户的零钱');
  assert.equal(wx.requests[0]?.path, '/pay/refundquery');
  wx.handler = (req) => ok(req, { refund_count: 1, out_refund_no_0: 'R1', refund_id_0: '5', refund_fee_0: 30, refund_status_0: 'WAT' });
  await assert.rejects(client().refundQuery({ out_refund_no: 'R1' }), /refund_status_0/);
  wx.handler = (req) => fail(req, 'REFUNDNOTEXIST');
  await assert.rejects(client().refundQuery({ refund_id: '5' }), (e: unknown) => e instanceof WxPayApiError && e.code === 'REFUNDNOTEXIST');
  assert.equal(wx.requests.at(-1)?.fields.refund_id, '5');
  await assert.rejects(client().refundQuery({ out_refund_no: 'R1', offset: -1 }), WxPayValidationError);
});

const billText = [
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
  '`2024-01-01 12:05:00,`wx8888888888888888,`1900000001,`0,`,`4200000000000000000000000001,`ORDER1,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`测试商品,`0010,`0.01,`0.60%,`1.00,`0.00,`',
  '`2024-01-01 12:10:00,`wx8888888888888888,`1900000001,`0,`,`4200000000000000000000000001,`ORDER1,`o1,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50000000000000000000000000001,`R1,`0.3,`0.00,`ORIGINAL,`SUCCESS,`测试商品,`0010,`-0.00,`0.60%,`0.00,`0.30,`',
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
  '`2,`1.00,`0.30,`0.00,`0.01,`1.00,`0.30',
  '',
].join('\r\n');

test('downloadBill: plain and gzip, typed rows in fen, summary; failure XML is a typed error', async () => {
  wx.handler = () => ({ body: billText });
  const bill = await client().downloadBill({ bill_date: '20240101' });
  assert.equal(bill.rows.length, 2);
  assert.equal(bill.rows[0]?.settlement_total_fee, 100);
  assert.equal(bill.rows[0]?.service_fee, 1);
  assert.equal(bill.rows[0]?.attach, '0010');
  assert.equal(bill.rows[1]?.refund_fee, 30);
  assert.equal(bill.rows[1]?.apply_refund_fee, 30);
  assert.equal(bill.rows[1]?.out_refund_no, 'R1');
  assert.equal(bill.rows[0]?.device_info, undefined);
  assert.deepEqual(
    { ...bill.summary, raw: undefined },
    { trade_count: 2, settlement_total_fee: 100, refund_fee: 30, coupon_refund_fee: 0, service_fee: 1, total_fee: 100, apply_refund_fee: 30, raw: undefined },
  );
  assert.equal(wx.requests[0]?.fields.bill_type, 'ALL');
  assert.equal(wx.requests[0]?.fields.tar_type, undefined);

  wx.handler = () => ({ body: gzipSync(Buffer.from(billText)) });
  const zipped = await client().downloadBill({ bill_date: '20240101', bill_type: 'ALL', gzip: true });
  assert.deepEqual(zipped, bill);
  assert.equal(wx.requests[1]?.fields.tar_type, 'GZIP');

  wx.handler = () => ({ body: buildXml({ return_code: 'FAIL', return_msg: 'No Bill Exist', error_code: '20002' }) });
  await assert.rejects(client().downloadBill({ bill_date: '20240101' }), (e: unknown) => {
    assert.ok(e instanceof WxPayApiError);
    assert.equal(e.code, '20002');
    assert.equal(e.description, 'No Bill Exist');
    assert.equal(e.retriable, false);
    return true;
  });
  wx.handler = () => ({ body: Buffer.from([0x1f, 0x8b, 0, 1, 2]) });
  await assert.rejects(client().downloadBill({ bill_date: '20240101' }), WxPayProtocolError);
  await assert.rejects(client().downloadBill({ bill_date: '20240230' }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'bill_date');
  await assert.rejects(client().downloadBill({ bill_date: '20240101', bill_type: 'X' as 'ALL' }), WxPayValidationError);
});

test('payParams: the client signs wx.requestPayment parameters with its appid, key and clock', () => {
  const params = client().payParams('wx1', { nonceStr: 'n' });
  assert.equal(params.timeStamp, String(NOW / 1000));
  assert.equal(params.signType, 'HMAC-SHA256');
  assert.equal(
    verifyV2Sign({ appId: appid, timeStamp: params.timeStamp, nonceStr: 'n', package: 'prepay_id=wx1', signType: 'HMAC-SHA256', sign: params.paySign }, apiKey),
    true,
  );
});

test('configuration is checked at construction', () => {
  const base = { appid, mchid, apiKey };
  const rows: [Partial<V2ClientOptions>, string][] = [
    [{ appid: '' }, 'appid'],
    [{ mchid: 'abc' }, 'mchid'],
    [{ apiKey: '' }, 'apiKey'],
    [{ signType: 'SHA1' as 'MD5' }, 'signType'],
    [{ baseUrl: 'ftp://x' }, 'baseUrl'],
    [{ baseUrl: 'not a url' }, 'baseUrl'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ retry: { attempts: 0 } }, 'retry'],
    [{ clientCert: { cert: 'nope', key: 'nope' } }, 'clientCert'],
    [{ clientCert: { cert: fixtures('client.pem'), key: fixtures('server.key') } }, 'clientCert'],
    [{ clientCert: { pfx: fixtures('client.p12'), passphrase: 'wrong' } }, 'clientCert'],
  ];
  for (const [patch, field] of rows) {
    assert.throws(() => createV2Client({ ...base, ...patch }), (e: unknown) => e instanceof WxPayConfigError && e.field === field, field);
  }
});

test('refund: mutual TLS with PEM or p12 (passphrase = mch_id), validated first', async (t) => {
  const secure = new FakeWeChat(apiKey, true);
  const secureUrl = await secure.listen();
  t.after(() => secure.close());
  secure.handler = (req) =>
    ok(req, {
      transaction_id: '4200000000000000000000000001', out_trade_no: 'ORDER1', out_refund_no: req.fields.out_refund_no ?? '',
      refund_id: '50000000000000000000000000001', refund_fee: 30, total_fee: 100, cash_fee: 100, cash_refund_fee: 30,
    });
  const request = { out_trade_no: 'ORDER1', out_refund_no: 'R1', total_fee: 100, refund_fee: 30, refund_desc: '退货', notify_url: 'https://m.example.com/wxpay/notify/refund' };
  const ca = fixtures('ca.pem');
  for (const clientCert of [
    { cert: fixtures('client.pem'), key: fixtures('client.key'), ca },
    { pfx: fixtures('client.p12'), ca },
  ]) {
    const c = client({ baseUrl: secureUrl, clientCert });
    const result = await c.refund(request);
    await c.close();
    assert.equal(result.refund_id, '50000000000000000000000000001');
    assert.equal(result.refund_fee, 30);
    assert.equal(result.cash_refund_fee, 30);
  }
  assert.deepEqual(secure.requests.map((r) => [r.path, r.clientCertCn, r.signOk, r.fields.out_trade_no, r.fields.out_refund_no, r.fields.refund_fee]), [
    ['/secapi/pay/refund', mchid, true, 'ORDER1', 'R1', '30'],
    ['/secapi/pay/refund', mchid, true, 'ORDER1', 'R1', '30'],
  ]);
  // Without a client certificate the TLS handshake fails: never landed.
  await assert.rejects(
    client({ baseUrl: secureUrl, clientCert: { cert: fixtures('client.pem'), key: fixtures('client.key') } }).refund(request),
    WxPayNetworkError,
  );
  // Validation happens before the certificate is even needed.
  const plain = client({ baseUrl: secureUrl });
  const rows: [Record<string, unknown>, string][] = [
    [{ refund_fee: 101 }, 'refund_fee'],
    [{ refund_fee: 0 }, 'refund_fee'],
    [{ total_fee: 1.5 }, 'total_fee'],
    [{ out_refund_no: '' }, 'out_refund_no'],
    [{ out_refund_no: 'r'.repeat(65) }, 'out_refund_no'],
    [{ refund_desc: '长'.repeat(81) }, 'refund_desc'],
    [{ notify_url: 'https://m.example.com/n?x=1' }, 'notify_url'],
    [{ refund_account: 'ELSEWHERE' }, 'refund_account'],
    [{ out_trade_no: undefined }, 'out_trade_no'],
  ];
  for (const [patch, field] of rows) {
    await assert.rejects(plain.refund({ ...request, ...patch } as typeof request), (e: unknown) => e instanceof WxPayValidationError && e.field === field, field);
  }
  await assert.rejects(plain.refund(request), (e: unknown) => e instanceof WxPayConfigError && e.field === 'clientCert');
  assert.equal(secure.requests.length, 2, 'nothing else reached WeChat');
});
