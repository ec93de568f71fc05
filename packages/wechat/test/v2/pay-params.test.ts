import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildV2PayParams } from '../../src/v2/pay-params.js';
import { verifyV2Sign } from '../../src/v2/sign.js';
import { WxPayValidationError } from '../../src/errors.js';

type PayVector = {
  params: { appId: string; nonceStr: string; package: string; signType: 'MD5'; timeStamp: string };
  key: string;
  paySign: string;
};
const vector = JSON.parse(readFileSync(new URL('../vectors/v2-pay-sign.json', import.meta.url), 'utf8')) as PayVector;

test('official mini-program example: paySign', () => {
  const out = buildV2PayParams({
    appid: vector.params.appId,
    prepayId: vector.params.package.slice('prepay_id='.length),
    apiKey: vector.key,
    signType: 'MD5',
    nonceStr: vector.params.nonceStr,
    timeStamp: Number(vector.params.timeStamp),
  });
  assert.deepEqual(out, {
    timeStamp: vector.params.timeStamp,
    nonceStr: vector.params.nonceStr,
    package: vector.params.package,
    signType: 'MD5',
    paySign: vector.paySign,
  });
  assert.equal('appId' in out, false, 'wx.requestPayment does not take appId');
});

test('defaults: fresh 32-char nonce and a seconds timestamp; HMAC-SHA256 verifies', () => {
  const a = buildV2PayParams({ appid: 'wx1', prepayId: 'wx2', apiKey: 'k'.repeat(32), signType: 'HMAC-SHA256' });
  const b = buildV2PayParams({ appid: 'wx1', prepayId: 'wx2', apiKey: 'k'.repeat(32), signType: 'HMAC-SHA256' });
  assert.match(a.nonceStr, /^[0-9a-f]{32}$/);
  assert.notEqual(a.nonceStr, b.nonceStr);
  assert.match(a.timeStamp, /^[0-9]{10}$/);
  assert.equal(a.paySign.length, 64);
  const signed = { appId: 'wx1', nonceStr: a.nonceStr, package: a.package, signType: a.signType, timeStamp: a.timeStamp, sign: a.paySign };
  assert.equal(verifyV2Sign(signed, 'k'.repeat(32), 'HMAC-SHA256'), true);
});

test('bad input is a validation error naming the field', () => {
  const base = { appid: 'wx1', prepayId: 'wx2', apiKey: 'k', signType: 'MD5' as const };
  const rows: [Partial<Parameters<typeof buildV2PayParams>[0]>, string][] = [
    [{ appid: '' }, 'appid'],
    [{ prepayId: '' }, 'prepayId'],
    [{ signType: 'RSA' as 'MD5' }, 'signType'],
    [{ timeStamp: '17e8' }, 'timeStamp'],
    [{ nonceStr: 'x'.repeat(33) }, 'nonceStr'],
  ];
  for (const [patch, field] of rows) {
    assert.throws(() => buildV2PayParams({ ...base, ...patch }), (e: unknown) => e instanceof WxPayValidationError && e.field === field);
  }
});

test('cross-check against the tenpay npm SDK', () => {
  const require = createRequire(import.meta.url);
  const Tenpay = require('tenpay') as new (cfg: Record<string, string>) => {
    getPayParamsByPrepay(p: { prepay_id: string }, signType: string): Record<string, string>;
  };
  const api = new Tenpay({ appid: 'wx8888888888888888', mchid: '1900000001', partnerKey: vector.key });
  for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
    const theirs = api.getPayParamsByPrepay({ prepay_id: 'wx201410272009395522657a690389285100' }, signType);
    const ours = buildV2PayParams({
      appid: 'wx8888888888888888',
      prepayId: 'wx201410272009395522657a690389285100',
      apiKey: vector.key,
      signType,
      nonceStr: theirs.nonceStr,
      timeStamp: theirs.timeStamp,
    });
    assert.equal(ours.paySign, theirs.paySign);
    assert.equal(ours.package, theirs.package);
  }
});
