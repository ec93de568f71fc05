import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WxPayDecryptError, WxPaySignatureError } from '../../src/errors.js';
import { PlatformCertificateVerifier, verifyV3Response } from '../../src/v3/index.js';
import { decryptAeadAes256Gcm, encryptAeadAes256Gcm } from '../../src/v3/aead.js';
import { SANDBOX_PLATFORM_CERTIFICATE_PEM, SANDBOX_PLATFORM_CERTIFICATE_SERIAL, SANDBOX_PLATFORM_PRIVATE_KEY_PEM, signV3Response } from '../../src/v3/testing.js';
import { API_V3_KEY } from './helpers.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const verifier = new PlatformCertificateVerifier([SANDBOX_PLATFORM_CERTIFICATE_PEM], { clock: () => NOW });
const nonce12 = fc.string({ minLength: 12, maxLength: 12, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') });

test('AEAD: any plaintext round-trips; flipping any ciphertext bit fails', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), nonce12, fc.string({ maxLength: 20 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (plaintext, nonce, aad, at, bit) => {
      const ciphertext = encryptAeadAes256Gcm({ key: API_V3_KEY, nonce, associatedData: aad, plaintext });
      assert.equal(decryptAeadAes256Gcm({ key: API_V3_KEY, nonce, associatedData: aad, ciphertext }), plaintext);
      const raw = Buffer.from(ciphertext, 'base64');
      const i = at % raw.length;
      raw[i] = raw[i]! ^ (1 << bit);
      assert.throws(() => decryptAeadAes256Gcm({ key: API_V3_KEY, nonce, associatedData: aad, ciphertext: raw.toString('base64') }), WxPayDecryptError);
    }),
    { numRuns: 200 },
  );
});

test('signatures: any body verifies as signed; any change to one byte is a bad signature', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 1, max: 255 }), async (bytes, at, xor) => {
      const body = Buffer.from(bytes);
      const headers = signV3Response({ body, platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: () => NOW });
      await verifyV3Response(headers, body, { verifier, clock: () => NOW });
      const changed = Buffer.concat([body, Buffer.from('x')]);
      if (body.length > 0) {
        const i = at % body.length;
        changed.set(body);
        changed[i] = body[i]! ^ xor;
      }
      await assert.rejects(
        verifyV3Response(headers, body.length > 0 ? changed.subarray(0, body.length) : changed, { verifier, clock: () => NOW }),
        (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'bad_signature',
      );
    }),
    { numRuns: 60 },
  );
});
