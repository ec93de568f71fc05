import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encryptV2RefundReqInfo, signV2Notification, buildV2Response } from '../../src/v2/testing.js';
import { decryptRefundReqInfo, refundReqInfoKey } from '../../src/v2/refund-crypto.js';
import { parseXml } from '../../src/v2/xml.js';
import { verifyV2Sign } from '../../src/v2/sign.js';
import { WxPayDecryptError } from '../../src/errors.js';

type RefundVector = { apiKey: string; aesKey: string; reqInfo: string; plaintext: string };
const vector = JSON.parse(
  readFileSync(new URL('../vectors/v2-refund-req-info.json', import.meta.url), 'utf8'),
) as RefundVector;

test('refund req_info vector: key derivation, encryption and decryption', () => {
  assert.equal(refundReqInfoKey(vector.apiKey).toString('ascii'), vector.aesKey);
  assert.equal(encryptV2RefundReqInfo(vector.plaintext, vector.apiKey), vector.reqInfo);
  assert.equal(decryptRefundReqInfo(vector.reqInfo, refundReqInfoKey(vector.apiKey)), vector.plaintext);
});

test('req_info: a wrong key or broken base64 is a decrypt error', () => {
  assert.throws(() => decryptRefundReqInfo(vector.reqInfo, refundReqInfoKey('another key')), WxPayDecryptError);
  assert.throws(() => decryptRefundReqInfo('not base64!', refundReqInfoKey(vector.apiKey)), WxPayDecryptError);
  assert.throws(() => decryptRefundReqInfo('', refundReqInfoKey(vector.apiKey)), WxPayDecryptError);
  assert.throws(() => decryptRefundReqInfo('QUJD', refundReqInfoKey(vector.apiKey)), WxPayDecryptError);
});

test('notification: signed by the given algorithm, no sign_type added', () => {
  for (const type of ['MD5', 'HMAC-SHA256'] as const) {
    const xml = signV2Notification({ return_code: 'SUCCESS', total_fee: 100, out_trade_no: 'A1' }, 'key', type);
    const fields = parseXml(xml);
    assert.equal(fields.sign_type, undefined);
    assert.equal(fields.total_fee, '100');
    assert.equal(verifyV2Sign(fields, 'key', type), true);
  }
});

test('response: signed unless return_code is FAIL', () => {
  const ok = parseXml(buildV2Response({ return_code: 'SUCCESS', result_code: 'SUCCESS', prepay_id: 'wx1' }, 'key', 'MD5'));
  assert.equal(verifyV2Sign(ok, 'key', 'MD5'), true);
  const fail = parseXml(buildV2Response({ return_code: 'FAIL', return_msg: '签名错误' }, 'key', 'MD5'));
  assert.deepEqual(fail, { return_code: 'FAIL', return_msg: '签名错误' });
});
