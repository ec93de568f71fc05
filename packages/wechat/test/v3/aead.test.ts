import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WxPayConfigError, WxPayDecryptError } from '../../src/errors.js';
import { decryptV3Resource } from '../../src/v3/index.js';
import { assertApiV3Key, decryptAeadAes256Gcm, encryptAeadAes256Gcm } from '../../src/v3/aead.js';
import { createRequire } from 'node:module';
import { loadVector } from './helpers.js';

type AxiosAesGcm = { encrypt(plain: string, key: string, iv: string, aad?: string): string; decrypt(ct: string, key: string, iv: string, aad?: string): string };
const { Aes } = createRequire(import.meta.url)('wechatpay-axios-plugin') as { Aes: { AesGcm: AxiosAesGcm } };

type AeadVector = { apiV3Key: string; nonce: string; associatedData: string; ciphertext: string; plaintext: string };
const v = loadVector<AeadVector>('v3-aead.json');

test('v3-aead vector decrypts to the expected plaintext', () => {
  const plain = decryptAeadAes256Gcm({ key: v.apiV3Key, nonce: v.nonce, associatedData: v.associatedData, ciphertext: v.ciphertext });
  assert.equal(plain, v.plaintext);
});

test('encrypt reproduces the vector ciphertext (GCM is deterministic for a fixed nonce)', () => {
  assert.equal(encryptAeadAes256Gcm({ key: v.apiV3Key, nonce: v.nonce, associatedData: v.associatedData, plaintext: v.plaintext }), v.ciphertext);
});

test('round trip with empty associated data', () => {
  const ct = encryptAeadAes256Gcm({ key: v.apiV3Key, nonce: 'nonce1234567', plaintext: 'hello 世界' });
  assert.equal(decryptAeadAes256Gcm({ key: v.apiV3Key, nonce: 'nonce1234567', ciphertext: ct }), 'hello 世界');
  assert.equal(decryptAeadAes256Gcm({ key: v.apiV3Key, nonce: 'nonce1234567', associatedData: '', ciphertext: ct }), 'hello 世界');
});

function flipByte(b64: string, index: number): string {
  const raw = Buffer.from(b64, 'base64');
  raw[index] = raw[index]! ^ 0x01;
  return raw.toString('base64');
}

const failures: [string, Partial<{ key: string; nonce: string; associatedData: string; ciphertext: string }>][] = [
  ['tampered ciphertext byte', { ciphertext: flipByte(v.ciphertext, 3) }],
  ['tampered tag byte', { ciphertext: flipByte(v.ciphertext, Buffer.from(v.ciphertext, 'base64').length - 1) }],
  ['wrong associated_data', { associatedData: 'refund' }],
  ['missing associated_data', { associatedData: '' }],
  ['wrong key', { key: 'ABCDEF6789abcdef0123456789abcdef' }],
  ['wrong nonce', { nonce: 'abcdefghijkm' }],
  ['nonce of the wrong length', { nonce: 'abc' }],
  ['truncated to the tag', { ciphertext: Buffer.from(v.ciphertext, 'base64').subarray(-16).toString('base64') }],
  ['not base64', { ciphertext: '!!!not base64!!!' }],
  ['key of the wrong length', { key: 'short' }],
];

for (const [name, change] of failures) {
  test(`decrypt refuses: ${name}`, () => {
    assert.throws(
      () => decryptAeadAes256Gcm({ key: v.apiV3Key, nonce: v.nonce, associatedData: v.associatedData, ciphertext: v.ciphertext, ...change }),
      WxPayDecryptError,
    );
  });
}

test('decryptV3Resource pins the algorithm', () => {
  const resource = { algorithm: 'AEAD_AES_256_GCM', nonce: v.nonce, associated_data: v.associatedData, ciphertext: v.ciphertext };
  assert.equal(decryptV3Resource(resource, v.apiV3Key), v.plaintext);
  for (const algorithm of ['AEAD_AES_128_GCM', 'aead_aes_256_gcm', 'AES_256_CBC', '']) {
    assert.throws(() => decryptV3Resource({ ...resource, algorithm }, v.apiV3Key), WxPayDecryptError);
  }
});

test('assertApiV3Key accepts exactly 32 bytes', () => {
  assert.equal(assertApiV3Key(v.apiV3Key).length, 32);
  for (const bad of ['', 'testMchAPIv3Key0', `${v.apiV3Key}x`]) {
    assert.throws(() => assertApiV3Key(bad), (e: unknown) => e instanceof WxPayConfigError && !e.message.includes(bad || '\u0000'));
  }
});

test('cross-check with wechatpay-axios-plugin AES-GCM in both directions', () => {
  assert.equal(Aes.AesGcm.decrypt(v.ciphertext, v.apiV3Key, v.nonce, v.associatedData), v.plaintext);
  const theirs = Aes.AesGcm.encrypt('{"a":1}', v.apiV3Key, 'zyxwvutsrqpo', 'refund');
  assert.equal(decryptAeadAes256Gcm({ key: v.apiV3Key, nonce: 'zyxwvutsrqpo', associatedData: 'refund', ciphertext: theirs }), '{"a":1}');
});
