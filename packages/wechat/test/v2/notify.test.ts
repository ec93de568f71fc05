import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkV2PaymentFields, parseV2PaymentNotification, v2NotificationReply, verifyV2PaymentFields } from '../../src/v2/notify.js';
import { createV2NotificationVerifier } from '../../src/v2/refund-notify.js';
import { parseXml } from '../../src/v2/xml.js';
import { signV2Notification } from '../../src/v2/testing.js';
import { buildXml } from '../../src/v2/xml.js';
import { signV2 } from '../../src/v2/sign.js';
import { WxPayError, WxPayProtocolError, WxPaySignatureError } from '../../src/errors.js';

const apiKey = '192006250b4c09247ec02edce69f6a2d';
const fields = {
  return_code: 'SUCCESS',
  appid: 'wx8888888888888888',
  mch_id: '1900000001',
  nonce_str: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
  result_code: 'SUCCESS',
  openid: 'orWy35UBNFZyReiUYVZvtPrqht-0',
  is_subscribe: 'N',
  trade_type: 'JSAPI',
  bank_type: 'OTHERS',
  total_fee: 100,
  fee_type: 'CNY',
  cash_fee: 90,
  coupon_fee: 10,
  transaction_id: '4200000000000000000000000001',
  out_trade_no: 'ORDER20240101000001',
  attach: '0010',
  time_end: '20240101120000',
};

function signatureReason(reason: string) {
  return (e: unknown) => e instanceof WxPaySignatureError && e.reason === reason;
}

test('accepts MD5 and HMAC-SHA256 notifications, telling them apart by length', () => {
  for (const type of ['MD5', 'HMAC-SHA256'] as const) {
    const xml = signV2Notification(fields, apiKey, type);
    for (const body of [xml, Buffer.from(xml)]) {
      const event = parseV2PaymentNotification(body, { apiKey });
      assert.equal(event.signType, type);
      assert.equal(event.total_fee, 100);
      assert.equal(event.cash_fee, 90);
      assert.equal(event.coupon_fee, 10);
      assert.equal(event.attach, '0010', 'values stay strings');
      assert.equal(event.out_trade_no, 'ORDER20240101000001');
      assert.equal(event.transaction_id, '4200000000000000000000000001');
      assert.equal(event.raw.is_subscribe, 'N');
    }
    assert.equal(parseV2PaymentNotification(xml, { apiKey, signType: type }).signType, type);
    assert.throws(
      () => parseV2PaymentNotification(xml, { apiKey, signType: type === 'MD5' ? 'HMAC-SHA256' : 'MD5' }),
      signatureReason('bad_signature'),
    );
  }
});

test('verifyV2PaymentFields on parseXml\'s output is parseV2PaymentNotification, with the same refusals', () => {
  const verifier = createV2NotificationVerifier({ apiKey });
  for (const type of ['MD5', 'HMAC-SHA256'] as const) {
    const xml = signV2Notification(fields, apiKey, type);
    const whole = parseV2PaymentNotification(xml, { apiKey });
    assert.deepEqual(verifyV2PaymentFields(parseXml(xml), { apiKey }), whole);
    assert.deepEqual(verifier.paymentFields(parseXml(xml)), whole);
    assert.deepEqual(verifier.paymentFields(parseXml(xml), { signType: type }), whole);
    assert.throws(() => verifier.paymentFields(parseXml(xml), { signType: type === 'MD5' ? 'HMAC-SHA256' : 'MD5' }), signatureReason('bad_signature'));
    const tampered = parseXml(xml);
    tampered.total_fee = '1';
    assert.throws(() => verifier.paymentFields(tampered), signatureReason('bad_signature'));
  }
});

test('checkV2PaymentFields returns the refusals verifyV2PaymentFields throws, as values, and the same notification', () => {
  const verifier = createV2NotificationVerifier({ apiKey });
  const signed = signV2Notification(fields, apiKey, 'HMAC-SHA256');
  const cases: [string, Record<string, string>, 'HMAC-SHA256' | 'MD5' | undefined][] = [
    ['genuine', parseXml(signed), undefined],
    ['genuine, its algorithm named', parseXml(signed), 'HMAC-SHA256'],
    ['the other algorithm named', parseXml(signed), 'MD5'],
    ['unsigned', parseXml(buildXml(fields)), undefined],
    ['a signature of neither length', parseXml(buildXml({ ...fields, sign: 'ABC' })), undefined],
    ['another key', parseXml(signV2Notification(fields, 'another-key', 'MD5')), undefined],
    ['unsupported sign_type', parseXml(signV2Notification({ ...fields, sign_type: 'SHA1' }, apiKey, 'MD5')), undefined],
    ['tampered', { ...parseXml(signed), total_fee: '1' }, undefined],
  ];
  for (const [name, raw, signType] of cases) {
    const options = signType === undefined ? { apiKey } : { apiKey, signType };
    const checked = checkV2PaymentFields(raw, options);
    const bound = verifier.checkPaymentFields(raw, signType === undefined ? {} : { signType });
    assert.deepEqual(bound, checked, name);
    let thrown: unknown;
    let verified;
    try {
      verified = verifyV2PaymentFields(raw, options);
    } catch (error) {
      thrown = error;
    }
    if (checked.ok) {
      assert.equal(thrown, undefined, name);
      assert.deepEqual(checked.notification, verified, name);
    } else {
      assert.ok(thrown instanceof WxPaySignatureError, name);
      assert.equal(checked.reason, thrown.reason, name);
    }
  }
  assert.deepEqual(cases.map(([, raw, signType]) => {
    const c = checkV2PaymentFields(raw, signType === undefined ? { apiKey } : { apiKey, signType });
    return c.ok ? 'ok' : c.reason;
  }), ['ok', 'ok', 'bad_signature', 'missing_signature', 'bad_signature', 'bad_signature', 'unsupported_sign_type', 'bad_signature']);
  // A signature that verifies over wrong fields is not a forgery to count: it still throws.
  const authenticButWrong = parseXml(signV2Notification({ ...fields, total_fee: 0 }, apiKey, 'MD5'));
  assert.throws(() => checkV2PaymentFields(authenticButWrong, { apiKey }), WxPayProtocolError);
});

test('a sign_type in the notification is honoured (it is signed too)', () => {
  const withType = { ...fields, sign_type: 'HMAC-SHA256' };
  const xml = signV2Notification(withType, apiKey, 'HMAC-SHA256');
  assert.equal(parseV2PaymentNotification(xml, { apiKey }).signType, 'HMAC-SHA256');
  const bogus = { ...fields, sign_type: 'SHA1' };
  assert.throws(
    () => parseV2PaymentNotification(signV2Notification(bogus, apiKey, 'MD5'), { apiKey }),
    signatureReason('unsupported_sign_type'),
  );
});

test('refusals: missing/odd signature, wrong key, not SUCCESS, bad amounts, missing fields, size', () => {
  assert.throws(() => parseV2PaymentNotification(buildXml(fields), { apiKey }), signatureReason('missing_signature'));
  assert.throws(() => parseV2PaymentNotification(buildXml({ ...fields, sign: 'ABC' }), { apiKey }), signatureReason('bad_signature'));
  assert.throws(
    () => parseV2PaymentNotification(signV2Notification(fields, 'another-key', 'MD5'), { apiKey }),
    signatureReason('bad_signature'),
  );
  const rows: [Record<string, string | number | undefined>, RegExp][] = [
    [{ return_code: 'FAIL' }, /return_code/],
    [{ result_code: 'MAYBE' }, /result_code/],
    [{ total_fee: '1.00' }, /total_fee/],
    [{ total_fee: '-1' }, /total_fee/],
    [{ total_fee: 0 }, /total_fee/],
    [{ total_fee: '99999999999999999' }, /total_fee/],
    [{ cash_fee: '1e3' }, /cash_fee/],
    [{ out_trade_no: undefined }, /out_trade_no/],
    [{ appid: undefined }, /appid/],
    [{ transaction_id: undefined }, /transaction_id/],
  ];
  for (const [patch, message] of rows) {
    const xml = signV2Notification({ ...fields, ...patch }, apiKey, 'MD5');
    assert.throws(() => parseV2PaymentNotification(xml, { apiKey }), (e: unknown) => e instanceof WxPayProtocolError && message.test(e.message));
  }
  const big = signV2Notification({ ...fields, attach: 'x'.repeat(70_000) }, apiKey, 'MD5');
  assert.throws(() => parseV2PaymentNotification(big, { apiKey }), WxPayProtocolError);
  assert.equal(parseV2PaymentNotification(big, { apiKey, maxBytes: 100_000 }).attach?.length, 70_000);
  // The XML is refused before any signature work: a DOCTYPE never reaches verification.
  const xxe = `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>${signV2Notification(fields, apiKey, 'MD5')}`;
  assert.throws(() => parseV2PaymentNotification(xxe, { apiKey }), WxPayProtocolError);
});

test('error messages carry neither the key nor the body', () => {
  const xml = signV2Notification({ ...fields, total_fee: 'abc' }, apiKey, 'MD5');
  try {
    parseV2PaymentNotification(xml, { apiKey });
    assert.fail('expected a refusal');
  } catch (e) {
    assert.ok(e instanceof WxPayError);
    assert.equal(e.message.includes(apiKey), false);
    assert.equal(e.message.includes('orWy35UBNFZyReiUYVZvtPrqht-0'), false);
  }
});

test('any one-character change to a signed notification is refused, at every position', () => {
  for (const type of ['MD5', 'HMAC-SHA256'] as const) {
    const xml = signV2Notification(fields, apiKey, type);
    assert.ok(parseV2PaymentNotification(xml, { apiKey }));
    fc.assert(
      fc.property(fc.nat({ max: xml.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), (at, ch) => {
        fc.pre(xml[at] !== ch);
        const tampered = xml.slice(0, at) + ch + xml.slice(at + 1);
        assert.throws(() => parseV2PaymentNotification(tampered, { apiKey }), WxPayError);
      }),
      { numRuns: 2000 },
    );
    // Exhaustively: every position, a handful of replacements that keep the document well-formed where possible.
    for (let at = 0; at < xml.length; at++) {
      for (const ch of ['0', '1', 'A', 'a', 'Z', ' ', '_']) {
        if (xml[at] === ch) continue;
        const tampered = xml.slice(0, at) + ch + xml.slice(at + 1);
        assert.throws(() => parseV2PaymentNotification(tampered, { apiKey }), WxPayError, `position ${at} → ${ch}`);
      }
    }
  }
});

test('a notification for a different order total does not verify with the original signature', () => {
  const sign = signV2(fields, apiKey, 'MD5');
  const forged = buildXml({ ...fields, total_fee: 1, sign });
  assert.throws(() => parseV2PaymentNotification(forged, { apiKey }), signatureReason('bad_signature'));
});

test('reply XML, exactly', () => {
  assert.equal(
    v2NotificationReply({ ok: true }),
    '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>',
  );
  assert.equal(
    v2NotificationReply({ ok: false, message: '签名失败' }),
    '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[签名失败]]></return_msg></xml>',
  );
});
