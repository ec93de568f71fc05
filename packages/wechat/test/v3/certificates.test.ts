import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WxPayApiError, WxPayDecryptError, WxPayProtocolError, WxPaySignatureError } from '../../src/errors.js';
import { PlatformCertificateManager, verifyV3Response } from '../../src/v3/index.js';
import { parseCertificatesDownload } from '../../src/v3/certificates.js';
import type { V3RawResponse } from '../../src/v3/index.js';
import {
  buildV3CertificatesBody,
  SANDBOX_PLATFORM_CERTIFICATE_PEM,
  SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  signV3Response,
} from '../../src/v3/testing.js';
import { API_V3_KEY, fixedClock } from './helpers.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');

function download(clockMs: () => number, options: { key?: string; serialNo?: string; signSerial?: string; status?: number } = {}): V3RawResponse {
  const body = options.status !== undefined && options.status !== 200
    ? '{"code":"RESOURCE_NOT_EXISTS","message":"无可用的平台证书"}'
    : buildV3CertificatesBody({
      certificates: [{ pem: SANDBOX_PLATFORM_CERTIFICATE_PEM, serial: options.serialNo ?? SANDBOX_PLATFORM_CERTIFICATE_SERIAL, effectiveTime: Date.parse('2020-01-01T00:00:00Z'), expireTime: Date.parse('2046-12-31T00:00:00Z') }],
      apiV3Key: options.key ?? API_V3_KEY,
    });
  const headers = new Headers(signV3Response({ body, platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: options.signSerial ?? SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: clockMs }) as unknown as Record<string, string>);
  headers.set('Request-ID', 'REQ-1');
  return { status: options.status ?? 200, headers, body: Buffer.from(body), requestId: 'REQ-1' };
}

test('parseCertificatesDownload: decrypts, checks the serial and the self-signature', async () => {
  const certs = await parseCertificatesDownload(download(() => NOW), { apiV3Key: API_V3_KEY, clock: () => NOW });
  assert.deepEqual(certs.map((c) => c.serial), [SANDBOX_PLATFORM_CERTIFICATE_SERIAL]);
  await assert.rejects(parseCertificatesDownload(download(() => NOW, { key: 'ffffffffffffffffffffffffffffffff' }), { apiV3Key: API_V3_KEY, clock: () => NOW }), WxPayDecryptError);
  await assert.rejects(parseCertificatesDownload(download(() => NOW, { serialNo: 'ABCDEF' }), { apiV3Key: API_V3_KEY, clock: () => NOW }), WxPayProtocolError);
  await assert.rejects(parseCertificatesDownload(download(() => NOW, { signSerial: 'ABCDEF' }), { apiV3Key: API_V3_KEY, clock: () => NOW }), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'unknown_serial');
  await assert.rejects(parseCertificatesDownload(download(() => NOW - 600_000), { apiV3Key: API_V3_KEY, clock: () => NOW }), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'stale_timestamp');
  await assert.rejects(parseCertificatesDownload(download(() => NOW, { status: 404 }), { apiV3Key: API_V3_KEY, clock: () => NOW }), (e: unknown) => e instanceof WxPayApiError && e.code === 'RESOURCE_NOT_EXISTS' && e.status === 404);
  const empty = download(() => NOW);
  const emptyBody = '{"data":[]}';
  const emptyHeaders = new Headers(signV3Response({ body: emptyBody, platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: () => NOW }) as unknown as Record<string, string>);
  await assert.rejects(parseCertificatesDownload({ ...empty, headers: emptyHeaders, body: Buffer.from(emptyBody) }, { apiV3Key: API_V3_KEY, clock: () => NOW }), WxPayProtocolError);
});

test('manager: single-flight download, cache, proactive refresh after the interval, rate-limited unknown serial', async () => {
  const clock = fixedClock(NOW);
  let downloads = 0;
  let fail = false;
  const manager = new PlatformCertificateManager({
    apiV3Key: API_V3_KEY,
    clock: clock.now,
    download: async () => {
      downloads += 1;
      if (fail) throw new Error('network down');
      return download(clock.now);
    },
  });
  assert.equal(manager.has(SANDBOX_PLATFORM_CERTIFICATE_SERIAL), false);
  await Promise.all([manager.refresh(), manager.refresh(), manager.refresh()]);
  assert.equal(downloads, 1);
  assert.deepEqual(manager.serials(), [SANDBOX_PLATFORM_CERTIFICATE_SERIAL]);
  assert.equal(manager.has(SANDBOX_PLATFORM_CERTIFICATE_SERIAL), true);
  assert.equal(downloads, 1);

  // Unknown serial: within 60 s of the last attempt, no download.
  assert.equal(await manager.onUnknownSerial('ABC'), false);
  assert.equal(downloads, 1);
  clock.advance(61);
  assert.equal(await manager.onUnknownSerial('ABC'), false);
  assert.equal(downloads, 2);

  // 12 h later the next use starts a background refresh; verification keeps working meanwhile.
  clock.advance(12 * 3600);
  const h = signV3Response({ body: 'x', platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: clock.now });
  await verifyV3Response(h, 'x', { verifier: manager, clock: clock.now });
  assert.equal(downloads, 3, 'background refresh started by the use');
  await manager.refresh(); // joins the background download instead of starting another
  assert.equal(downloads, 3);

  // A failing download keeps the cached certificates and reports the error.
  fail = true;
  clock.advance(13 * 3600);
  await assert.rejects(manager.refresh());
  assert.ok(manager.lastError instanceof Error);
  assert.equal(manager.has(SANDBOX_PLATFORM_CERTIFICATE_SERIAL), true);
});

test('manager refreshes early when its newest certificate is about to expire', async () => {
  // The sandbox certificate expires 2046-12-31: seven days before, every use (rate limited) refreshes.
  const clock = fixedClock(Date.parse('2046-12-25T00:00:00Z'));
  let downloads = 0;
  const manager = new PlatformCertificateManager({ apiV3Key: API_V3_KEY, clock: clock.now, download: async () => { downloads += 1; return download(clock.now); } });
  await manager.refresh();
  assert.equal(downloads, 1);
  clock.advance(30);
  manager.has(SANDBOX_PLATFORM_CERTIFICATE_SERIAL);
  assert.equal(downloads, 1, 'rate limited within a minute');
  clock.advance(31);
  manager.has(SANDBOX_PLATFORM_CERTIFICATE_SERIAL);
  await manager.refresh().catch(() => undefined);
  assert.ok(downloads >= 2);
});

test('manager: a download failure on an unknown serial surfaces (wrong APIv3 key, no platform certificates)', async () => {
  const clock = fixedClock(NOW);
  const wrongKey = new PlatformCertificateManager({ apiV3Key: 'ffffffffffffffffffffffffffffffff', clock: clock.now, download: async () => download(clock.now) });
  const h = signV3Response({ body: 'x', platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: clock.now });
  await assert.rejects(verifyV3Response(h, 'x', { verifier: wrongKey, clock: clock.now }), WxPayDecryptError);
  // Rate limited afterwards: a plain unknown_serial, no second download.
  await assert.rejects(verifyV3Response(h, 'x', { verifier: wrongKey, clock: clock.now }), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'unknown_serial');
  const publicKeyOnly = new PlatformCertificateManager({ apiV3Key: API_V3_KEY, clock: clock.now, download: async () => download(clock.now, { status: 404 }) });
  await assert.rejects(verifyV3Response(h, 'x', { verifier: publicKeyOnly, clock: clock.now }), (e: unknown) => e instanceof WxPayApiError && e.code === 'RESOURCE_NOT_EXISTS');
});
