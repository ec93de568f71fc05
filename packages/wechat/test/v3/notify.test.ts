import { test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { WxPayConfigError, WxPayDecryptError, WxPayProtocolError, WxPaySignatureError } from '../../src/errors.js';
import {
  createV3NotificationHandler,
  PlatformCertificateVerifier,
  v3NotifyFailure,
  v3NotifyReplyForError,
  v3NotifySuccess,
} from '../../src/v3/index.js';
import { encryptAeadAes256Gcm } from '../../src/v3/aead.js';
import {
  buildV3Notification,
  SANDBOX_PLATFORM_CERTIFICATE_PEM,
  SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  signV3Response,
} from '../../src/v3/testing.js';
import { API_V3_KEY, APPID, fixedClock, MCHID } from './helpers.js';

const clock = fixedClock(Date.parse('2026-11-26T12:00:00Z'));
const verifier = new PlatformCertificateVerifier([SANDBOX_PLATFORM_CERTIFICATE_PEM], { clock: clock.now });
const handler = createV3NotificationHandler({ verifier, apiV3Key: API_V3_KEY, clock: clock.now });

const transaction = {
  appid: APPID,
  mchid: MCHID,
  out_trade_no: 'ORDER20261126000001',
  transaction_id: '4200000000202611260000000001',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'OTHERS',
  attach: '',
  success_time: '2026-11-26T20:00:00+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 1999, payer_total: 1899, currency: 'CNY', payer_currency: 'CNY' },
};

function notification(eventType: string, plaintext: object, overrides: { serial?: string; key?: string } = {}) {
  return buildV3Notification({
    eventType,
    plaintext,
    apiV3Key: overrides.key ?? API_V3_KEY,
    platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
    serial: overrides.serial ?? SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
    clock: clock.now,
    id: 'EV-2026112600000001',
  });
}

/** Re-signs a modified body properly, so only the property under test is wrong. */
function resign(body: string) {
  return { headers: signV3Response({ body, platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM, serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL, clock: clock.now }), body };
}

test('TRANSACTION.SUCCESS: verified, decrypted, typed', async () => {
  const n = notification('TRANSACTION.SUCCESS', transaction);
  const event = await handler.parse(n.headers, n.body);
  assert.equal(event.kind, 'transaction');
  assert.ok(event.kind === 'transaction');
  assert.equal(event.id, 'EV-2026112600000001');
  assert.equal(event.createTime, '2026-11-26T20:00:00+08:00');
  assert.equal(event.transaction.out_trade_no, 'ORDER20261126000001');
  assert.equal(event.transaction.amount.total, 1999);
  assert.equal(event.transaction.amount.payer_total, 1899);
  assert.equal(event.signature.serial, SANDBOX_PLATFORM_CERTIFICATE_SERIAL);
});

test('REFUND.* events are typed with refund_status', async () => {
  for (const [eventType, status] of [['REFUND.SUCCESS', 'SUCCESS'], ['REFUND.ABNORMAL', 'ABNORMAL'], ['REFUND.CLOSED', 'CLOSED']] as const) {
    const n = notification(eventType, {
      mchid: MCHID, out_trade_no: 'O1', transaction_id: '4200', out_refund_no: 'R1', refund_id: '5030', refund_status: status,
      success_time: '2026-11-26T20:05:00+08:00', user_received_account: '支付用户零钱', amount: { total: 1999, refund: 500, payer_total: 1999, payer_refund: 500 },
    });
    const event = await handler.parse(n.headers, Buffer.from(n.body));
    assert.ok(event.kind === 'refund');
    assert.equal(event.eventType, eventType);
    assert.equal(event.refund.refund_status, status);
    assert.equal(event.refund.amount.refund, 500);
  }
});

async function refusal(headers: Record<string, string>, body: string, options = { at: clock.now() }) {
  const saved = clock.now();
  clock.set(options.at);
  try {
    await handler.parse(headers, body);
  } catch (e) {
    return e;
  } finally {
    clock.set(saved);
  }
  return assert.fail('notification unexpectedly accepted');
}

test('every verification failure returns nothing usable', async () => {
  const n = notification('TRANSACTION.SUCCESS', transaction);
  const envelope = JSON.parse(n.body) as { resource: Record<string, string> };
  const tamperedCt = Buffer.from(envelope.resource.ciphertext!, 'base64');
  tamperedCt[5] = tamperedCt[5]! ^ 0x80;
  const withResource = (patch: Record<string, string>) => JSON.stringify({ ...envelope, resource: { ...envelope.resource, ...patch } });
  const rows: [string, Record<string, string>, string, number, (e: unknown) => boolean][] = [
    ['bad signature (body changed, headers kept)', n.headers, n.body.replace('EV-', 'EX-'), clock.now(), (e) => e instanceof WxPaySignatureError && e.reason === 'bad_signature'],
    ['SIGNTEST probe', { ...n.headers, 'Wechatpay-Signature': 'WECHATPAY/SIGNTEST/' + n.headers['Wechatpay-Signature'] }, n.body, clock.now(), (e) => e instanceof WxPaySignatureError && e.reason === 'bad_signature'],
    ['stale (6 minutes later)', n.headers, n.body, clock.now() + 360_000, (e) => e instanceof WxPaySignatureError && e.reason === 'stale_timestamp'],
    ['from the future (6 minutes early)', n.headers, n.body, clock.now() - 360_000, (e) => e instanceof WxPaySignatureError && e.reason === 'stale_timestamp'],
    ['unknown serial', { ...n.headers, 'Wechatpay-Serial': '0123456789ABCDEF' }, n.body, clock.now(), (e) => e instanceof WxPaySignatureError && e.reason === 'unknown_serial'],
    ['missing headers', { 'Content-Type': 'application/json' }, n.body, clock.now(), (e) => e instanceof WxPaySignatureError && e.reason === 'missing_header'],
  ];
  for (const [name, body, check] of [
    ['tampered ciphertext (re-signed)', withResource({ ciphertext: tamperedCt.toString('base64') }), (e: unknown) => e instanceof WxPayDecryptError],
    ['wrong associated_data (re-signed)', withResource({ associated_data: 'refund' }), (e: unknown) => e instanceof WxPayDecryptError],
    ['wrong algorithm (re-signed)', withResource({ algorithm: 'AEAD_AES_128_GCM' }), (e: unknown) => e instanceof WxPayDecryptError],
    ['not encrypt-resource', JSON.stringify({ ...envelope, resource_type: 'plain' }), (e: unknown) => e instanceof WxPayProtocolError],
    ['not JSON', '{"id":', (e: unknown) => e instanceof WxPayProtocolError],
    ['array', '[]', (e: unknown) => e instanceof WxPayProtocolError],
  ] as const) {
    const signed = resign(body);
    rows.push([name, signed.headers as unknown as Record<string, string>, signed.body, clock.now(), check]);
  }
  for (const [name, headers, body, at, check] of rows) {
    const e = await refusal(headers, body, { at });
    assert.ok(check(e), `${name}: got ${String(e)}`);
  }
});

test('decrypted resource is checked strictly: amount must be integer fen', async () => {
  for (const bad of [
    { ...transaction, amount: { ...transaction.amount, total: 19.99 } },
    { ...transaction, amount: { ...transaction.amount, total: '1999' } },
    { ...transaction, amount: undefined },
    { ...transaction, out_trade_no: undefined },
    { ...transaction, trade_state: 'PAID' },
    { ...transaction, transaction_id: undefined },
    { ...transaction, trade_state: 'NOTPAY', amount: undefined },
  ]) {
    const n = notification('TRANSACTION.SUCCESS', bad);
    const e = await refusal(n.headers, n.body);
    assert.ok(e instanceof WxPayProtocolError, String(e));
  }
  const refundWithTransaction = notification('REFUND.SUCCESS', transaction);
  assert.ok((await refusal(refundWithTransaction.headers, refundWithTransaction.body)) instanceof WxPayProtocolError);
});

test('encrypted with another APIv3 key: decrypt error, answered 500 so WeChat retries', async () => {
  const n = notification('TRANSACTION.SUCCESS', transaction, { key: 'ffffffffffffffffffffffffffffffff' });
  const e = await refusal(n.headers, n.body);
  assert.ok(e instanceof WxPayDecryptError);
  assert.equal(v3NotifyReplyForError(e).status, 500);
});

test('oversized body is refused before verification', async () => {
  const small = createV3NotificationHandler({ verifier, apiV3Key: API_V3_KEY, clock: clock.now, maxBodyBytes: 100 });
  const n = notification('TRANSACTION.SUCCESS', transaction);
  await assert.rejects(small.parse(n.headers, n.body), (e: unknown) => e instanceof WxPayProtocolError && v3NotifyReplyForError(e).status === 413);
});

test('unknown event types are returned as other with the decrypted object', async () => {
  const n = notification('PAYSCORE.USER_OPEN_SERVICE', { out_contract_code: 'C1' });
  const event = await handler.parse(n.headers, n.body);
  assert.ok(event.kind === 'other');
  assert.deepEqual(event.resource, { out_contract_code: 'C1' });
});

test('construction refuses a key that is not 32 bytes', () => {
  assert.throws(() => createV3NotificationHandler({ verifier, apiV3Key: 'testMchAPIv3Key0' }), WxPayConfigError);
});

test('replies: 204 success; failures carry {code:FAIL}', () => {
  assert.deepEqual(v3NotifySuccess(), { status: 204, headers: {}, body: '' });
  const f = v3NotifyFailure(500, '失败');
  assert.equal(f.status, 500);
  assert.deepEqual(JSON.parse(f.body), { code: 'FAIL', message: '失败' });
  assert.throws(() => v3NotifyFailure(200, 'x'), RangeError);
  assert.equal(v3NotifyReplyForError(new WxPaySignatureError('bad_signature', 'x')).status, 401);
  assert.equal(v3NotifyReplyForError(new WxPayProtocolError('x')).status, 400);
  assert.equal(v3NotifyReplyForError(new Error('db down')).status, 500);
});

test('encryptAeadAes256Gcm output is what buildV3Notification embeds (sanity of the helper)', () => {
  const ct = encryptAeadAes256Gcm({ key: API_V3_KEY, nonce: '123456789012', associatedData: 'transaction', plaintext: '{}' });
  assert.equal(Buffer.from(ct, 'base64').length, 2 + 16);
});

test('over real HTTP: node headers and raw bytes in, 204 or a FAIL body out', async (t) => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handler.parse(req.headers, Buffer.concat(chunks)).then(
        () => v3NotifySuccess(),
        (e: unknown) => v3NotifyReplyForError(e),
      ).then((r) => {
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wxpay/notify/payment`;
  const n = notification('TRANSACTION.SUCCESS', transaction);
  const ok = await fetch(url, { method: 'POST', headers: n.headers, body: n.body });
  assert.equal(ok.status, 204);
  assert.equal(await ok.text(), '');
  const forged = await fetch(url, { method: 'POST', headers: n.headers, body: n.body.replace('EV-', 'EX-') });
  assert.equal(forged.status, 401);
  assert.deepEqual(await forged.json(), { code: 'FAIL', message: 'signature verification failed' });
});
