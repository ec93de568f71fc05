import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { signV2, verifyV2Sign, signTypeOfSignature } from '../../src/v2/sign.js';

type SignVector = { params: Record<string, string>; key: string; MD5: string; 'HMAC-SHA256': string };
const vector = JSON.parse(readFileSync(new URL('../vectors/v2-sign.json', import.meta.url), 'utf8')) as SignVector;

test('official worked example: MD5 and HMAC-SHA256', () => {
  assert.equal(signV2(vector.params, vector.key, 'MD5'), vector.MD5);
  assert.equal(signV2(vector.params, vector.key, 'HMAC-SHA256'), vector['HMAC-SHA256']);
});

test('sign, empty and undefined values are left out; numbers are their decimal text', () => {
  const withNoise = { ...vector.params, sign: 'ANYTHING', empty: '', missing: undefined };
  assert.equal(signV2(withNoise, vector.key, 'MD5'), vector.MD5);
  assert.equal(signV2({ ...vector.params, device_info: 1000 }, vector.key, 'MD5'), vector.MD5);
  // A non-empty extra field changes the signature (unknown fields are signed too).
  assert.notEqual(signV2({ ...vector.params, extra: 'x' }, vector.key, 'MD5'), vector.MD5);
});

test('an unknown sign type is refused rather than defaulted', () => {
  assert.throws(() => signV2(vector.params, vector.key, 'SHA1' as 'MD5'), TypeError);
});

test('verify: both algorithms, by explicit type or by signature length', () => {
  for (const type of ['MD5', 'HMAC-SHA256'] as const) {
    const signed = { ...vector.params, sign: vector[type] };
    assert.equal(verifyV2Sign(signed, vector.key), true);
    assert.equal(verifyV2Sign(signed, vector.key, type), true);
    assert.equal(verifyV2Sign(signed, vector.key, type === 'MD5' ? 'HMAC-SHA256' : 'MD5'), false);
    assert.equal(verifyV2Sign(signed, 'wrong-key'), false);
    assert.equal(verifyV2Sign({ ...signed, sign: signed.sign.toLowerCase() }, vector.key), false);
  }
  assert.equal(verifyV2Sign(vector.params, vector.key), false, 'missing sign');
  assert.equal(verifyV2Sign({ ...vector.params, sign: '' }, vector.key), false, 'empty sign');
  assert.equal(verifyV2Sign({ ...vector.params, sign: 'ABC' }, vector.key), false, 'odd length');
  assert.equal(signTypeOfSignature('A'.repeat(32)), 'MD5');
  assert.equal(signTypeOfSignature('A'.repeat(64)), 'HMAC-SHA256');
  assert.equal(signTypeOfSignature('A'.repeat(40)), undefined);
});

test('verify accepts exactly what sign produced, for arbitrary parameters', () => {
  const name = fc.stringMatching(/^[a-z_]{1,12}$/);
  fc.assert(
    fc.property(fc.dictionary(name, fc.string()), fc.constantFrom('MD5' as const, 'HMAC-SHA256' as const), (params, type) => {
      const sign = signV2(params, 'k'.repeat(32), type);
      assert.equal(verifyV2Sign({ ...params, sign }, 'k'.repeat(32)), true);
      assert.equal(verifyV2Sign({ ...params, sign }, 'k'.repeat(31) + 'j'), false);
    }),
  );
});

test('cross-check against the tenpay npm SDK', () => {
  const require = createRequire(import.meta.url);
  const Tenpay = require('tenpay') as new (cfg: Record<string, string>) => {
    _getSign(params: Record<string, string>, type: string): string;
  };
  const api = new Tenpay({ appid: 'wx8888888888888888', mchid: '1900000001', partnerKey: vector.key });
  fc.assert(
    fc.property(
      fc.dictionary(fc.stringMatching(/^[a-z][a-z_]{0,10}$/), fc.string({ unit: 'grapheme', maxLength: 20 })),
      fc.constantFrom('MD5' as const, 'HMAC-SHA256' as const),
      (params, type) => {
        assert.equal(signV2(params, vector.key, type), api._getSign({ ...params }, type));
      },
    ),
  );
});
