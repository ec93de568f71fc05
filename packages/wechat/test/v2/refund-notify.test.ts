import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { parseV2RefundNotification, decryptV2RefundReqInfo } from '../../src/v2/refund-notify.js';
import { encryptV2RefundReqInfo } from '../../src/v2/testing.js';
import { refundReqInfoKey } from '../../src/v2/refund-crypto.js';
import { buildXml } from '../../src/v2/xml.js';
import { WxPayDecryptError, WxPayError, WxPayProtocolError } from '../../src/errors.js';

const apiKey = '192006250b4c09247ec02edce69f6a2d';
const req = {
  transaction_id: '4200000000000000000000000001',
  out_trade_no: 'ORDER1',
  refund_id: '50000000000000000000000000001',
  out_refund_no: 'R1',
  total_fee: 100,
  refund_fee: 60,
  settlement_refund_fee: 60,
  refund_status: 'SUCCESS',
  success_time: '2024-01-01 12:00:00',
  refund_recv_accout: '支付用户的零钱',
  refund_account: 'REFUND_SOURCE_RECHARGE_FUNDS',
  refund_request_source: 'API',
};

function outer(reqInfo: string, patch: Record<string, string | undefined> = {}): string {
  return buildXml({ return_code: 'SUCCESS', appid: 'wx8888888888888888', mch_id: '1900000001', nonce_str: 'n', req_info: reqInfo, ...patch });
}

test('decrypts and types a refund notification', () => {
  const event = parseV2RefundNotification(outer(encryptV2RefundReqInfo(buildXml(req, { root: 'root' }), apiKey)), { apiKey });
  assert.equal(event.refund_status, 'SUCCESS');
  assert.equal(event.refund_fee, 60);
  assert.equal(event.total_fee, 100);
  assert.equal(event.settlement_total_fee, undefined);
  assert.equal(event.out_refund_no, 'R1');
  assert.equal(event.refund_recv_accout, '支付用户的零钱');
  assert.equal(event.appid, 'wx8888888888888888');
  assert.equal(event.rawReqInfo.refund_request_source, 'API');
});

test('lenient unpadding: a block-aligned plaintext sent without a padding block is accepted', () => {
  let plain = buildXml(req, { root: 'root' });
  while (Buffer.byteLength(plain) % 16 !== 0) plain = plain.replace('<root>', '<root> ');
  const cipher = createCipheriv('aes-256-ecb', refundReqInfoKey(apiKey), null);
  cipher.setAutoPadding(false);
  const reqInfo = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
  assert.equal(decryptV2RefundReqInfo(reqInfo, apiKey), plain);
  assert.equal(parseV2RefundNotification(outer(reqInfo), { apiKey }).refund_id, req.refund_id);
});

test('refusals: wrong key, tampering, missing outer fields, bad status, FAIL', () => {
  const good = encryptV2RefundReqInfo(buildXml(req, { root: 'root' }), apiKey);
  assert.throws(() => parseV2RefundNotification(outer(good), { apiKey: 'another-key' }), WxPayError);
  // Flip one ciphertext block: ECB garbles that block, and the strict parse or the padding check refuses it.
  const bytes = Buffer.from(good, 'base64');
  for (let i = 0; i < bytes.length; i += 7) {
    const copy = Buffer.from(bytes);
    copy[i] = (copy[i] ?? 0) ^ 0x01;
    assert.throws(() => parseV2RefundNotification(outer(copy.toString('base64')), { apiKey }), WxPayError, `byte ${i}`);
  }
  assert.throws(() => parseV2RefundNotification(outer(good, { appid: undefined }), { apiKey }), /appid/);
  assert.throws(() => parseV2RefundNotification(outer(good, { mch_id: undefined }), { apiKey }), /mch_id/);
  assert.throws(() => parseV2RefundNotification(outer(good, { req_info: undefined }), { apiKey }), /req_info/);
  assert.throws(() => parseV2RefundNotification(outer(good, { return_code: 'FAIL' }), { apiKey }), WxPayProtocolError);
  assert.throws(() => parseV2RefundNotification(outer('%%%'), { apiKey }), WxPayDecryptError);
  const badStatus = encryptV2RefundReqInfo(buildXml({ ...req, refund_status: 'DONE' }, { root: 'root' }), apiKey);
  assert.throws(() => parseV2RefundNotification(outer(badStatus), { apiKey }), /refund_status/);
  const badFee = encryptV2RefundReqInfo(buildXml({ ...req, refund_fee: '0.60' }, { root: 'root' }), apiKey);
  assert.throws(() => parseV2RefundNotification(outer(badFee), { apiKey }), /refund_fee/);
  const wrongRoot = encryptV2RefundReqInfo(buildXml(req), apiKey);
  assert.throws(() => parseV2RefundNotification(outer(wrongRoot), { apiKey }), WxPayProtocolError);
});

test('createV2NotificationVerifier: both parsers bound to one key', async () => {
  const { createV2NotificationVerifier } = await import('../../src/v2/refund-notify.js');
  const { signV2Notification } = await import('../../src/v2/testing.js');
  const { WxPayConfigError, WxPaySignatureError } = await import('../../src/errors.js');
  const verifier = createV2NotificationVerifier({ apiKey });
  const refund = verifier.refund(outer(encryptV2RefundReqInfo(buildXml(req, { root: 'root' }), apiKey)));
  assert.equal(refund.out_refund_no, 'R1');
  const paid = signV2Notification(
    { return_code: 'SUCCESS', appid: 'wx1', mch_id: '1', result_code: 'SUCCESS', out_trade_no: 'O1', transaction_id: 'T1', total_fee: 5 },
    apiKey,
    'HMAC-SHA256',
  );
  assert.equal(verifier.payment(paid).total_fee, 5);
  assert.throws(() => verifier.payment(paid, { signType: 'MD5' }), WxPaySignatureError);
  assert.throws(() => createV2NotificationVerifier({ apiKey: '' }), WxPayConfigError);
  assert.throws(() => createV2NotificationVerifier({ apiKey: 'other' }).refund(outer(encryptV2RefundReqInfo(buildXml(req, { root: 'root' }), apiKey))), WxPayError);
});
