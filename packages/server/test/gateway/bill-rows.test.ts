import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseV2Bill, parseV3Bill, WxPayProtocolError } from '@wxpay-kit/wechat';
import { parseBillTime, toBillRow } from '../../src/gateway/bill-rows.js';

// The ALL bill layout (v2 downloadbill and v3 tradebill share it): one payment line and one refund line.
const BILL = [
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
  '`2026-11-25 10:00:01,`wxapp0000000001,`1900000001,`0,`,`4200000001,`OTN1,`oUser,`JSAPI,`SUCCESS,`OTHERS,`CNY,`1234567.89,`0.00,`0,`0,`0.00,`0.00,`,`,`Tea, oolong,`,`7407.41,`0.60%,`1234567.89,`0.00,`',
  '`2026-11-25 10:00:01,`wxapp0000000001,`1900000001,`0,`,`4200000001,`OTN1,`oUser,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`5000001,`R1,`0.01,`0.00,`ORIGINAL,`SUCCESS,`Tea,`,`0.00,`0.60%,`1234567.89,`0.01,`',
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
  '`2,`1234567.89,`0.01,`0.00,`7407.41,`1234567.89,`0.01',
].join('\r\n');

const TEN_O_ONE = Date.UTC(2026, 10, 25, 2, 0, 1);

test('v2 and v3 bills give the same rows: exact fen, China time, refund fields', () => {
  const v2 = parseV2Bill(BILL).rows.map((r) => toBillRow(r.raw));
  const v3 = parseV3Bill(BILL).rows.map((r) => toBillRow(r));
  assert.deepEqual(v2, v3);
  assert.deepEqual(v2, [
    { tradeState: 'SUCCESS', appid: 'wxapp0000000001', mchid: '1900000001', outTradeNo: 'OTN1', transactionId: '4200000001', totalFen: 123_456_789, time: TEN_O_ONE },
    {
      tradeState: 'REFUND', appid: 'wxapp0000000001', mchid: '1900000001', outTradeNo: 'OTN1', transactionId: '4200000001', totalFen: 123_456_789, time: TEN_O_ONE,
      refundFen: 1, outRefundNo: 'R1', refundId: '5000001', refundStatus: 'SUCCESS',
    },
  ]);
});

test('without 订单金额 the order total is 应结订单金额 plus the coupon part', () => {
  const row = toBillRow({ 交易时间: '2026-11-25 10:00:01', 交易状态: 'SUCCESS', 商户订单号: 'A', 微信订单号: 'T', 应结订单金额: '9.00', 代金券金额: '1.00' });
  assert.equal(row.totalFen, 1000);
});

test('a line reconciliation cannot use is refused, never shrunk', () => {
  const good = { 交易时间: '2026-11-25 10:00:01', 交易状态: 'SUCCESS', 商户订单号: 'A', 微信订单号: 'T', 订单金额: '1.00' };
  for (const bad of [
    { ...good, 交易时间: '2026-02-30 10:00:00' },
    { ...good, 商户订单号: '' },
    { ...good, 订单金额: '1.001' },
    { ...good, 订单金额: 'abc' },
    { ...good, 交易状态: 'REFUND' }, // a refund line without 退款金额 / 商户退款单号
  ]) {
    assert.throws(() => toBillRow(bad), WxPayProtocolError, JSON.stringify(bad));
  }
});

test('parseBillTime: China time to epoch ms; impossible times refused', () => {
  assert.equal(parseBillTime('2026-11-26 00:00:00'), Date.UTC(2026, 10, 25, 16));
  assert.equal(parseBillTime('2026-11-26 24:00:00'), undefined);
  assert.equal(parseBillTime('20261126000000'), undefined);
});
