/** The v3 gateway's mapping of WeChat's answers to domain results, and its construction from configuration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WxPayApiError, WxPayNetworkError } from '@wxpay-kit/wechat';
import type { V3Client } from '@wxpay-kit/wechat';
import { generateV3MerchantIdentity, SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM } from '@wxpay-kit/wechat/testing';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createGateways } from '../../src/gateway/create.js';
import { V3Gateway } from '../../src/gateway/v3-gateway.js';
import { GatewayError } from '../../src/ports/gateway.js';

const identity = generateV3MerchantIdentity();
const apiError = (status: number, code: string, description = code) => new WxPayApiError(`${status} ${code}`, { status, code, description, retriable: status >= 500 || status === 429 });

/** A V3Gateway over a scripted client: each operation throws or answers what the test says. */
function gatewayAnswering(script: Partial<Record<keyof V3Client, () => unknown>>): V3Gateway {
  const client = {
    verifier: { has: () => false, verify: () => false },
    payParams: () => ({ timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'sig' }),
    ...Object.fromEntries(Object.entries(script).map(([name, fn]) => [name, async () => fn()])),
  } as unknown as V3Client;
  return new V3Gateway({ appid: 'wx1', mchid: '1001', apiV3Key: 'k'.repeat(32), privateKey: identity.privateKeyPem, certSerial: identity.serialNo, publicKey: { id: SANDBOX_PUBLIC_KEY_ID, key: SANDBOX_PUBLIC_KEY_PEM }, client, clock: () => 0 });
}

const prepayRequest = { outTradeNo: 'OTN000001', description: 'tea', amountFen: 100, openid: 'o1', notifyUrl: 'https://m.example/n', timeExpire: 0, clientIp: '127.0.0.1' };

test('prepay: WeChat business answers become domain results; infrastructure becomes a GatewayError', async () => {
  const rows: [unknown, string][] = [
    [apiError(400, 'ORDERPAID'), 'already_paid'],
    [apiError(400, 'ORDER_CLOSED'), 'closed'],
    [apiError(403, 'OUT_TRADE_NO_USED'), 'out_trade_no_used'],
    [apiError(400, 'INVALID_REQUEST', '201 商户订单号重复'), 'out_trade_no_used'],
  ];
  for (const [error, kind] of rows) {
    const result = await gatewayAnswering({ jsapiPrepay: () => { throw error; } }).createPrepay(prepayRequest);
    assert.equal(result.kind, kind);
  }
  const ok = await gatewayAnswering({ jsapiPrepay: () => ({ prepay_id: 'wx123' }) }).createPrepay(prepayRequest);
  assert.deepEqual(ok, { kind: 'prepay', prepayId: 'wx123', signType: 'RSA' });
  await assert.rejects(gatewayAnswering({ jsapiPrepay: () => { throw apiError(500, 'SYSTEM_ERROR'); } }).createPrepay(prepayRequest), (e: unknown) => e instanceof GatewayError && e.retriable);
  await assert.rejects(
    gatewayAnswering({ jsapiPrepay: () => { throw new WxPayNetworkError('timeout', { outcomeUnknown: true }); } }).createPrepay(prepayRequest),
    (e: unknown) => e instanceof GatewayError && e.outcomeUnknown,
  );
});

test('query, close and refund answers', async () => {
  assert.deepEqual(await gatewayAnswering({ queryByOutTradeNo: () => { throw apiError(404, 'ORDER_NOT_EXIST'); } }).queryPayment('X'), { state: 'NOT_FOUND' });
  const paid = await gatewayAnswering({
    queryByOutTradeNo: () => ({ appid: 'wx1', mchid: '1001', out_trade_no: 'X', transaction_id: '42', trade_state: 'SUCCESS', success_time: '2026-11-26T20:00:00+08:00', amount: { total: 4800, payer_total: 4700 } }),
  }).queryPayment('X');
  assert.deepEqual(paid, { state: 'SUCCESS', payment: { appid: 'wx1', mchid: '1001', outTradeNo: 'X', transactionId: '42', amountFen: 4800, paidAt: Date.UTC(2026, 10, 26, 12, 0, 0) } });
  assert.deepEqual(await gatewayAnswering({ queryByOutTradeNo: () => ({ appid: 'wx1', mchid: '1001', out_trade_no: 'X', trade_state: 'NOTPAY' }) }).queryPayment('X'), { state: 'NOTPAY' });

  assert.equal(await gatewayAnswering({ close: () => undefined }).closePayment('X'), 'closed');
  assert.equal(await gatewayAnswering({ close: () => { throw apiError(400, 'ORDERPAID'); } }).closePayment('X'), 'already_paid');
  assert.equal(await gatewayAnswering({ close: () => { throw apiError(400, 'ORDER_CLOSED'); } }).closePayment('X'), 'closed');
  await assert.rejects(gatewayAnswering({ close: () => { throw apiError(503, 'HTTP_503'); } }).closePayment('X'), GatewayError);

  const refund = { outTradeNo: 'X', outRefundNo: 'R1', totalFen: 100, refundFen: 10, reason: undefined, notifyUrl: 'https://m.example/r' };
  assert.deepEqual(await gatewayAnswering({ refund: () => ({ refund_id: '50', status: 'PROCESSING' }) }).refund(refund), { kind: 'accepted', refundId: '50', status: 'PROCESSING' });
  assert.deepEqual(await gatewayAnswering({ refund: () => { throw apiError(400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额'); } }).refund(refund), { kind: 'rejected', code: 'INVALID_REQUEST', message: '申请退款金额超过订单可退金额' });
  await assert.rejects(gatewayAnswering({ refund: () => { throw apiError(429, 'FREQUENCY_LIMITED'); } }).refund(refund), GatewayError);
});

test('answers: 204 success; 401 not authentic; 500 not recorded or undecryptable; 400 malformed; 413 too large', () => {
  const g = gatewayAnswering({});
  assert.deepEqual(g.answer(true), { status: 204, contentType: 'application/json', body: '' });
  for (const [reason, status] of [['bad_signature', 401], ['stale_timestamp', 401], ['unknown_serial', 401], ['missing_header', 401], ['not_recorded', 500], ['undecryptable', 500], ['malformed', 400], ['too_large', 413], ['verify_error:WxPayNetworkError', 500]] as const) {
    const a = g.answer(false, reason);
    assert.equal(a.status, status, reason);
    assert.equal((JSON.parse(a.body) as { code: string }).code, 'FAIL');
  }
});

test('live v3 configuration: key files are read at start-up and a bad one is named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-v3-config-'));
  try {
    const keyPath = join(dir, 'apiclient_key.pem');
    const pubPath = join(dir, 'pub_key.pem');
    writeFileSync(keyPath, identity.privateKeyPem);
    writeFileSync(pubPath, SANDBOX_PUBLIC_KEY_PEM);
    const env = {
      WXPAY_MODE: 'live', WXPAY_API_VERSION: 'v3', SESSION_SECRET: 's'.repeat(40), DATABASE_URL: 'sqlite::memory:',
      WECHAT_APPID: 'wx1', WECHAT_SECRET: 'secret', WXPAY_MCHID: '1001', WXPAY_APIV3_KEY: 'k'.repeat(32),
      WXPAY_PRIVATE_KEY_PATH: keyPath, WXPAY_CERT_SERIAL: identity.serialNo,
    };
    // Public-key mode, platform-certificate mode (the default without a public key), and both (migration).
    for (const extra of [
      { WXPAY_PUBLIC_KEY_PATH: pubPath, WXPAY_PUBLIC_KEY_ID: SANDBOX_PUBLIC_KEY_ID },
      {},
      { WXPAY_PUBLIC_KEY_PATH: pubPath, WXPAY_PUBLIC_KEY_ID: SANDBOX_PUBLIC_KEY_ID, WXPAY_PLATFORM_CERTIFICATES: 'true' },
    ]) {
      const config = loadConfig({ ...env, ...extra });
      assert.equal(createGateways(config, config.merchant!).gateway.apiVersion, 'v3');
    }
    const missing = loadConfig({ ...env, WXPAY_PRIVATE_KEY_PATH: join(dir, 'nope.pem') });
    assert.throws(() => createGateways(missing, missing.merchant!), (e: unknown) => e instanceof ConfigError && e.variable === 'WXPAY_PRIVATE_KEY_PATH');
    writeFileSync(join(dir, 'bad.pem'), 'not a key');
    const bad = loadConfig({ ...env, WXPAY_PRIVATE_KEY_PATH: join(dir, 'bad.pem') });
    assert.throws(() => createGateways(bad, bad.merchant!), (e: unknown) => e instanceof ConfigError && e.variable === 'WXPAY_PRIVATE_KEY_PATH' && !e.message.includes('not a key'));
    assert.throws(() => loadConfig({ ...env, WXPAY_PLATFORM_CERTIFICATES: 'false' }), (e: unknown) => e instanceof ConfigError && e.variable === 'WXPAY_PUBLIC_KEY_PATH');
    assert.throws(() => loadConfig({ ...env, WXPAY_CERT_SERIAL: 'serial!' }), (e: unknown) => e instanceof ConfigError && e.variable === 'WXPAY_CERT_SERIAL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
