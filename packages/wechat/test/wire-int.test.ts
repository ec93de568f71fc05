// Issue 12 item 15: one rule for wire integers — `0` or a non-zero digit followed by digits. WeChat never sends
// `0100`; every place the SDK turns wire text into a number refuses it rather than reading 100.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWireInt } from '../src/wire-int.js';
import { parseV2PaymentNotification } from '../src/v2/notify.js';
import { parseV2RefundNotification } from '../src/v2/refund-notify.js';
import { parseV2Bill, yuanToFen } from '../src/v2/bill.js';
import { signV2Notification, encryptV2RefundReqInfo } from '../src/v2/testing.js';
import { buildXml } from '../src/v2/xml.js';
import { buildV3Message, V3_AUTH_SCHEME } from '../src/v3/auth.js';
import { PublicKeyVerifier, verifyV3Notification } from '../src/v3/index.js';
import { SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, SANDBOX_PUBLIC_KEY_PEM, signV3Message } from '../src/v3/testing.js';
import { WxPayProtocolError, WxPaySignatureError } from '../src/errors.js';

const apiKey = '192006250b4c09247ec02edce69f6a2d';

test('the rule: 0 or [1-9][0-9]*, safe integers, a digit limit', () => {
  const rows: [string, number | undefined][] = [
    ['0', 0], ['1', 1], ['100', 100], ['9007199254740991', 9007199254740991],
    ['0100', undefined], ['00', undefined], ['01', undefined], ['', undefined], ['-1', undefined], ['+1', undefined],
    ['1.0', undefined], ['1e3', undefined], [' 1', undefined], ['1 ', undefined], ['９', undefined],
    ['9007199254740992', undefined], ['12345678901234567', undefined],
  ];
  for (const [text, expected] of rows) assert.equal(parseWireInt(text), expected, JSON.stringify(text));
  assert.equal(parseWireInt('1234', 3), undefined);
});

test('v2 payment notification: total_fee and cash_fee with leading zeros are refused', () => {
  const fields = {
    return_code: 'SUCCESS', result_code: 'SUCCESS', appid: 'wx8888888888888888', mch_id: '1900000001', nonce_str: 'n1',
    openid: 'o1', trade_type: 'JSAPI', bank_type: 'OTHERS', total_fee: '100', cash_fee: '100',
    transaction_id: '4200000000000000000000000001', out_trade_no: 'ORDER1', time_end: '20240101120000',
  };
  assert.equal(parseV2PaymentNotification(signV2Notification(fields, apiKey, 'MD5'), { apiKey }).total_fee, 100);
  for (const patch of [{ total_fee: '0100' }, { cash_fee: '0100' }, { total_fee: '00100' }]) {
    const xml = signV2Notification({ ...fields, ...patch }, apiKey, 'MD5');
    assert.throws(() => parseV2PaymentNotification(xml, { apiKey }), WxPayProtocolError, JSON.stringify(patch));
  }
});

test('v2 refund notification: req_info amounts with leading zeros are refused', () => {
  const req = {
    transaction_id: '4200000000000000000000000001', out_trade_no: 'ORDER1', refund_id: '5000', out_refund_no: 'R1',
    total_fee: '100', refund_fee: '60', refund_status: 'SUCCESS',
  };
  const outer = (r: Record<string, string>) => buildXml({
    return_code: 'SUCCESS', appid: 'wx8888888888888888', mch_id: '1900000001', nonce_str: 'n',
    req_info: encryptV2RefundReqInfo(buildXml(r, { root: 'root' }), apiKey),
  });
  assert.equal(parseV2RefundNotification(outer(req), { apiKey }).refund_fee, 60);
  assert.throws(() => parseV2RefundNotification(outer({ ...req, refund_fee: '060' }), { apiKey }), /refund_fee/);
  assert.throws(() => parseV2RefundNotification(outer({ ...req, total_fee: '0100' }), { apiKey }), /total_fee/);
});

test('v2 bill: yuan and the trade count with leading zeros are refused', () => {
  assert.equal(yuanToFen('0.01'), 1);
  assert.equal(yuanToFen('10.00'), 1000);
  for (const bad of ['01.00', '00.01', '-01.00']) assert.throws(() => yuanToFen(bad), WxPayProtocolError, bad);
  const header = '交易时间,公众账号ID,商户号,商户订单号,订单金额';
  const summaryHeader = '总交易单数,应结订单总金额';
  const row = '`2024-01-01 12:05:00,`wx1,`1900000001,`ORDER1,`1.00';
  assert.equal(parseV2Bill([header, row, summaryHeader, '`1,`1.00'].join('\n')).summary.trade_count, 1);
  assert.throws(() => parseV2Bill([header, row, summaryHeader, '`01,`1.00'].join('\n')), /总交易单数/);
});

test('v3 Wechatpay-Timestamp with a leading zero is refused even when signed as sent', async () => {
  const verifier = new PublicKeyVerifier(SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM);
  const now = 1_700_000_000;
  const body = '{"id":"n1"}';
  const headersFor = (timestamp: string) => ({
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': 'nonce1',
    'Wechatpay-Serial': SANDBOX_PUBLIC_KEY_ID,
    'Wechatpay-Signature-Type': V3_AUTH_SCHEME,
    'Wechatpay-Signature': signV3Message(`${buildV3Message(timestamp, 'nonce1')}${body}\n`, SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM),
  });
  const clock = () => now * 1000;
  assert.equal((await verifyV3Notification(headersFor(String(now)), body, { verifier, clock })).timestamp, now);
  await assert.rejects(
    verifyV3Notification(headersFor(`0${now}`), body, { verifier, clock }),
    (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'stale_timestamp',
  );
});
