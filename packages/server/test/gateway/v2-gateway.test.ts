/** The v2 gateway's notification checks with real WeChat signing (packages/wechat/testing plays WeChat). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encryptV2RefundReqInfo, signV2Notification } from '@wxpay-kit/wechat/testing';
import { buildXml } from '@wxpay-kit/wechat';
import { V2Gateway } from '../../src/gateway/v2-gateway.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const gateway = new V2Gateway({ appid: 'wx1', mchid: '1001', apiKey: KEY, clock: () => 0 });
const fields = {
  return_code: 'SUCCESS', appid: 'wx1', mch_id: '1001', nonce_str: 'abc', result_code: 'SUCCESS', openid: 'o1', trade_type: 'JSAPI',
  bank_type: 'CMC', total_fee: 4800, cash_fee: 4700, fee_type: 'CNY', transaction_id: '4200000001', out_trade_no: 'OTN1', time_end: '20261126200000',
};
const deliver = (body: string) => ({ headers: { 'content-type': 'text/xml' }, body: Buffer.from(body) });

test('MD5- and HMAC-signed notifications (no sign_type) are authentic; the order total is used, not cash_fee', async () => {
  for (const type of ['MD5', 'HMAC-SHA256'] as const) {
    const verified = await gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, type)));
    assert.ok(verified.authentic, type);
    if (verified.authentic) {
      assert.equal(verified.notice.amountFen, 4800);
      assert.equal(verified.notice.transactionId, '4200000001');
      assert.equal(verified.notice.eventKey, 'v2:pay:4200000001');
      assert.equal(verified.notice.paidAt, Date.UTC(2026, 10, 26, 12, 0, 0), 'time_end is China time');
    }
  }
});

test('forged, tampered, unsigned and hostile notifications are not authentic', async () => {
  const good = signV2Notification(fields, KEY, 'MD5');
  const rows: [string, string][] = [
    ['wrong key', signV2Notification(fields, 'x'.repeat(32), 'MD5')],
    ['tampered amount', good.replace(/<total_fee>(<!\[CDATA\[)?4800(\]\]>)?<\/total_fee>/, '<total_fee>1</total_fee>')],
    ['unsigned', buildXml(fields)],
    ['doctype', `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>${good}`],
    ['not xml', '{"a":1}'],
    ['empty', ''],
  ];
  assert.notEqual(rows[1]?.[1], good, 'the tamper row really changes the body');
  for (const [name, body] of rows) {
    const verified = await gateway.verifyPaymentNotification(deliver(body));
    assert.equal(verified.authentic, false, name);
  }
});

test('the sign type is the attempt\'s: an HMAC-SHA256 order refuses an MD5-signed notification, even one naming sign_type', async () => {
  const hmacAttempt = async () => ({ signType: 'HMAC-SHA256' });
  const md5 = await gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, 'MD5')), hmacAttempt);
  assert.deepEqual(md5, { authentic: false, reason: 'bad_signature' });
  const named = await gateway.verifyPaymentNotification(deliver(signV2Notification({ ...fields, sign_type: 'MD5' }, KEY, 'MD5')), hmacAttempt);
  assert.deepEqual(named, { authentic: false, reason: 'sign_type_mismatch' });
  const hmac = await gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, 'HMAC-SHA256')), hmacAttempt);
  assert.ok(hmac.authentic && hmac.notice.signatureBound);
  // An MD5 order accepts MD5 only.
  const md5Order = await gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, 'HMAC-SHA256')), async () => ({ signType: 'MD5' }));
  assert.equal(md5Order.authentic, false);
  // The prepay answer was lost, so no sign type was recorded: the one this gateway places orders with (HMAC-SHA256).
  const unrecorded = async () => ({ signType: undefined });
  assert.equal((await gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, 'MD5')), unrecorded)).authentic, false);
  assert.ok((await gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, 'HMAC-SHA256')), unrecorded)).authentic);
  // No such attempt: told by length, authentic for the audit trail but not bound (never applied).
  const unknown = await gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, 'MD5')), async () => undefined);
  assert.ok(unknown.authentic && !unknown.notice.signatureBound);
});

test('a forged or malformed notification is refused before the order is looked up (a flood costs no query)', async () => {
  let lookups = 0;
  const counting = async () => {
    lookups++;
    return { signType: 'HMAC-SHA256' };
  };
  const good = signV2Notification(fields, KEY, 'HMAC-SHA256');
  for (const body of [signV2Notification(fields, 'x'.repeat(32), 'HMAC-SHA256'), good.replace('OTN1', 'OTN2'), buildXml(fields), 'not xml']) {
    assert.equal((await gateway.verifyPaymentNotification(deliver(body), counting)).authentic, false);
  }
  assert.equal(lookups, 0);
  assert.ok((await gateway.verifyPaymentNotification(deliver(good), counting)).authentic);
  assert.equal(lookups, 1, 'the genuine one is looked up once, by its out_trade_no');
});

test('a failed attempt lookup (database down) is thrown, never reported as a forgery', async () => {
  const down = async (): Promise<never> => {
    throw new Error('connection refused');
  };
  await assert.rejects(gateway.verifyPaymentNotification(deliver(signV2Notification(fields, KEY, 'HMAC-SHA256')), down), /connection refused/);
});

test('refund notifications: authentic only when req_info decrypts under our key', async () => {
  const inner = buildXml({ transaction_id: '4200000001', out_trade_no: 'OTN1', refund_id: '5001', out_refund_no: 'R1', total_fee: 4800, refund_fee: 800, refund_status: 'SUCCESS', success_time: '2026-11-26 20:00:00' }, { root: 'root' });
  const outer = (key: string) => buildXml({ return_code: 'SUCCESS', appid: 'wx1', mch_id: '1001', nonce_str: 'n', req_info: encryptV2RefundReqInfo(inner, key) });
  const ok = await gateway.verifyRefundNotification(deliver(outer(KEY)));
  assert.ok(ok.authentic);
  if (ok.authentic) assert.deepEqual([ok.notice.status, ok.notice.refundFen, ok.notice.outRefundNo], ['SUCCESS', 800, 'R1']);
  assert.equal((await gateway.verifyRefundNotification(deliver(outer('y'.repeat(32))))).authentic, false);
});

test('answers are the XML WeChat expects', () => {
  assert.match(gateway.answer(true).body, /<return_code><!\[CDATA\[SUCCESS\]\]><\/return_code>/);
  assert.match(gateway.answer(false).body, /FAIL/);
  assert.equal(gateway.answer(false).status, 200);
});

test('a refund without the client certificate is refused before anything is sent, naming the variables', async () => {
  const noCert = new V2Gateway({ appid: 'wx1', mchid: '1001', apiKey: KEY, baseUrl: 'http://127.0.0.1:9' });
  const result = await noCert.refund({ outTradeNo: 'OTN1', outRefundNo: 'R1', totalFen: 100, refundFen: 100, reason: undefined, notifyUrl: 'https://shop.example.com/wxpay/notify/refund' });
  assert.equal(result.kind, 'rejected');
  if (result.kind === 'rejected') {
    assert.equal(result.code, 'NO_CLIENT_CERT');
    assert.match(result.message, /WXPAY_CLIENT_CERT_PATH/);
  }
});
