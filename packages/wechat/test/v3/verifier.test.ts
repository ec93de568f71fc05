import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { WxPayConfigError, WxPaySignatureError } from '../../src/errors.js';
import {
  CombinedVerifier,
  decryptV3Resource,
  PlatformCertificateVerifier,
  PublicKeyVerifier,
  verifyV3Notification,
  verifyV3Response,
} from '../../src/v3/index.js';
import type { Verifier } from '../../src/v3/index.js';
import {
  SANDBOX_PLATFORM_CERTIFICATE_PEM,
  SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_PEM,
  signV3Response,
} from '../../src/v3/testing.js';
import { fixedClock, loadVector } from './helpers.js';

type GoVector = { headers: Record<string, string>; body: string; apiV3Key: string; plaintext: string; platformCertificate: string };
const go = loadVector<GoVector>('v3-notification-wechatpay-go.json');
const goClock = () => Number(go.headers['Wechatpay-Timestamp']) * 1000;

test('wechatpay-go notification vector: verifies with its certificate and decrypts (AES-128 key)', async () => {
  const verifier = new PlatformCertificateVerifier([go.platformCertificate], { clock: goClock });
  assert.equal(verifier.has('D7CE59D1F522D701'), true);
  const info = await verifyV3Notification(go.headers, go.body, { verifier, clock: goClock });
  assert.deepEqual(info, { serial: 'D7CE59D1F522D701', timestamp: 1624523846, nonce: go.headers['Wechatpay-Nonce'] });
  const envelope = JSON.parse(go.body) as { resource: { algorithm: string; ciphertext: string; nonce: string; associated_data: string } };
  assert.equal(decryptV3Resource(envelope.resource, go.apiV3Key), go.plaintext);
  // Raw bytes as a Buffer and node's lower-case headers work the same.
  const lower = Object.fromEntries(Object.entries(go.headers).map(([k, val]) => [k.toLowerCase(), val]));
  await verifyV3Notification(lower, Buffer.from(go.body), { verifier, clock: goClock });
  await verifyV3Notification(new Headers(go.headers), Buffer.from(go.body), { verifier, clock: goClock });
});

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WxPaySignatureError, `expected WxPaySignatureError, got ${String(e)}`);
    return e.reason;
  }
  assert.fail('verification unexpectedly succeeded');
}

test('wechatpay-go vector: every failure is refused with its reason', async () => {
  const verifier = new PlatformCertificateVerifier([go.platformCertificate], { clock: goClock });
  const t0 = goClock();
  const rows: [string, Record<string, string>, string, number, string][] = [
    ['tampered body', go.headers, go.body.replace('签约成功', '签约失败'), t0, 'bad_signature'],
    ['body with trailing space', go.headers, `${go.body} `, t0, 'bad_signature'],
    ['nonce changed', { ...go.headers, 'Wechatpay-Nonce': 'X' + go.headers['Wechatpay-Nonce']!.slice(1) }, go.body, t0, 'bad_signature'],
    ['timestamp changed by one', { ...go.headers, 'Wechatpay-Timestamp': '1624523847' }, go.body, t0, 'bad_signature'],
    ['SIGNTEST probe', { ...go.headers, 'Wechatpay-Signature': `WECHATPAY/SIGNTEST/${go.headers['Wechatpay-Signature']!}` }, go.body, t0, 'bad_signature'],
    ['garbage signature', { ...go.headers, 'Wechatpay-Signature': 'not base64 at all' }, go.body, t0, 'bad_signature'],
    ['stale: 301 s later', go.headers, go.body, t0 + 301_000, 'stale_timestamp'],
    ['stale: 301 s earlier (from the future)', go.headers, go.body, t0 - 301_000, 'stale_timestamp'],
    ['non-numeric timestamp', { ...go.headers, 'Wechatpay-Timestamp': '1624523846.0' }, go.body, t0, 'stale_timestamp'],
    ['unknown serial', { ...go.headers, 'Wechatpay-Serial': 'ABCDEF' }, go.body, t0, 'unknown_serial'],
    ['public key id serial', { ...go.headers, 'Wechatpay-Serial': SANDBOX_PUBLIC_KEY_ID }, go.body, t0, 'unknown_serial'],
    ['wrong signature type', { ...go.headers, 'Wechatpay-Signature-Type': 'WECHATPAY2-SM2-WITH-SM3' }, go.body, t0, 'unsupported_sign_type'],
  ];
  for (const name of ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial']) {
    const headers = { ...go.headers };
    delete headers[name];
    rows.push([`missing ${name}`, headers, go.body, t0, 'missing_header']);
    rows.push([`empty ${name}`, { ...go.headers, [name]: '' }, go.body, t0, 'missing_header']);
  }
  for (const [name, headers, body, now, expected] of rows) {
    assert.equal(await reason(verifyV3Notification(headers, body, { verifier, clock: () => now })), expected, name);
  }
  // Exactly 300 s either way is still accepted.
  await verifyV3Notification(go.headers, go.body, { verifier, clock: () => t0 + 300_000 });
  await verifyV3Notification(go.headers, go.body, { verifier, clock: () => t0 - 300_000 });
});

test('a repeated security header is refused as missing, not resolved by picking one', async () => {
  const verifier = new PlatformCertificateVerifier([go.platformCertificate], { clock: goClock });
  const headers = { ...go.headers, 'Wechatpay-Signature': [go.headers['Wechatpay-Signature']!, 'other'] };
  assert.equal(await reason(verifyV3Notification(headers, go.body, { verifier, clock: goClock })), 'missing_header');
});

test('platform certificate mode: expired certificate no longer verifies', async () => {
  const afterExpiry = Date.parse('2031-05-01T00:00:00Z');
  const verifier = new PlatformCertificateVerifier([go.platformCertificate], { clock: () => afterExpiry });
  assert.equal(verifier.has('D7CE59D1F522D701'), false);
  const h = signV3Response({ body: '{}', platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: 'D7CE59D1F522D701', clock: () => afterExpiry });
  assert.equal(await reason(verifyV3Response(h, '{}', { verifier, clock: () => afterExpiry })), 'unknown_serial');
});

test('public-key mode verifies PUB_KEY_ID_ signatures, including an empty 204 body', async () => {
  const clock = fixedClock(Date.parse('2026-11-26T12:00:00Z'));
  const verifier = new PublicKeyVerifier(SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM);
  for (const body of ['', '{"prepay_id":"wx1"}']) {
    const h = signV3Response({ body, platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: clock.now });
    assert.equal((await verifyV3Response(h, body, { verifier, clock: clock.now })).serial, SANDBOX_PUBLIC_KEY_ID);
  }
  // Signed by another key under the same id: bad signature.
  const forged = signV3Response({ body: '{}', platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: clock.now });
  assert.equal(await reason(verifyV3Response(forged, '{}', { verifier, clock: clock.now })), 'bad_signature');
});

test('combined verifier chooses by Wechatpay-Serial and never tries the other key', async () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  const cert = new PlatformCertificateVerifier([SANDBOX_PLATFORM_CERTIFICATE_PEM], { clock: () => now });
  const pub = new PublicKeyVerifier(SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM);
  const combined = new CombinedVerifier([cert, pub]);
  const byCert = signV3Response({ body: 'a', platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: () => now });
  const byPub = signV3Response({ body: 'a', platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM, serial: SANDBOX_PUBLIC_KEY_ID, clock: () => now });
  assert.equal((await verifyV3Notification(byCert, 'a', { verifier: combined, clock: () => now })).serial, SANDBOX_PLATFORM_CERTIFICATE_SERIAL);
  assert.equal((await verifyV3Notification(byPub, 'a', { verifier: combined, clock: () => now })).serial, SANDBOX_PUBLIC_KEY_ID);
  // Signed with the platform key but naming the public key id: the public key is used, so it fails.
  const mislabelled = { ...byCert, 'Wechatpay-Serial': SANDBOX_PUBLIC_KEY_ID };
  assert.equal(await reason(verifyV3Notification(mislabelled, 'a', { verifier: combined, clock: () => now })), 'bad_signature');
  // Lower-case serial is normalised to the upper-hex form.
  const lower = { ...byCert, 'Wechatpay-Serial': SANDBOX_PLATFORM_CERTIFICATE_SERIAL.toLowerCase() };
  await verifyV3Notification(lower, 'a', { verifier: combined, clock: () => now });
});

test('bad key material fails at construction with WxPayConfigError', () => {
  assert.throws(() => new PublicKeyVerifier('PUB_KEY_ID_1', 'not a pem'), WxPayConfigError);
  assert.throws(() => new PublicKeyVerifier('SERIAL123', SANDBOX_PUBLIC_KEY_PEM), WxPayConfigError);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.throws(() => new PublicKeyVerifier('PUB_KEY_ID_1', ec), WxPayConfigError);
  assert.throws(() => new PlatformCertificateVerifier(['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n']), WxPayConfigError);
});

test('onUnknownSerial is consulted once for an unknown serial', async () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  let calls = 0;
  const inner = new PlatformCertificateVerifier([SANDBOX_PLATFORM_CERTIFICATE_PEM], { clock: () => now });
  let known = false;
  const lazy: Verifier = {
    has: (s) => known && inner.has(s),
    verify: (s, m, sig) => known && inner.verify(s, m, sig),
    onUnknownSerial: async () => { calls += 1; known = true; return true; },
  };
  const h = signV3Response({ body: 'x', platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: () => now });
  await verifyV3Response(h, 'x', { verifier: lazy, clock: () => now });
  assert.equal(calls, 1);
});
