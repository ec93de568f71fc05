import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createVerify } from 'node:crypto';
import { WxPayConfigError, WxPayValidationError } from '../../src/errors.js';
import { buildV3PayParams, createV3Signer } from '../../src/v3/index.js';
import { canonicalUrl } from '../../src/v3/auth.js';
import { parseV3Authorization, verifyV3Authorization, verifyV3PaySign } from '../../src/v3/testing.js';
import { APPID, MERCHANT_KEY_PEM, MERCHANT_PUBLIC_KEY_PEM, MERCHANT_SERIAL } from './helpers.js';

const require = createRequire(import.meta.url);

// Independent implementations installed at the root, used only as a cross-check.
type AxiosPluginFormatter = {
  request(method: string, uri: string, timestamp: string | number, nonce: string, body?: string): string;
  authorization(mchid: string, nonce: string, signature: string, timestamp: string | number, serial: string): string;
  joinedByLineFeed(...lines: string[]): string;
};
type AxiosPluginRsa = { sign(message: string, key: string): string };
const { Formatter, Rsa } = require('wechatpay-axios-plugin') as { Formatter: AxiosPluginFormatter; Rsa: AxiosPluginRsa };
type NodeV3Pay = { getSignature(method: string, nonce: string, timestamp: string | number, url: string, body?: object | string): string; sign(s: string): string };
const NodeV3 = require('wechatpay-node-v3') as new (options: Record<string, unknown>) => NodeV3Pay;

const signer = createV3Signer({ mchid: '1900009191', serialNo: MERCHANT_SERIAL, privateKey: MERCHANT_KEY_PEM });

test('Authorization header for the official GET /v3/certificates example is pinned', () => {
  // RSASSA-PKCS1-v1_5 is deterministic, so a fixed key, nonce and timestamp give one exact header.
  const header = signer.authorization({ method: 'GET', url: 'https://api.mch.weixin.qq.com/v3/certificates', timestamp: 1554208460, nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' });
  assert.equal(
    header,
    'WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",signature="d+IQPBIr+qqrATG4j3HW4FaLK3PirmWxGrWfLIGVv6TYhYGJwn34WxTzwOC26pF5vx7+D6yJ1lJJxwrgrtmDT6DpesRdOj8V31KgxdcswWvHugm5W4+V+LUuLHnzWF+gFwmHlQZD8f/ughEi7Mpsq/xaeEEuu3aF3OhrgKPhJGwr/EpPOvAK+EtaKlp9oJ18t5hi1qU6VCyEo2O4ZSau4wKZ+b8H8Yp+QjJjBwwBAXj4rR1nk1rxljLqLt0YnDrZxM2q7xv8HrPT154TRxM3JVdSV1bFySE6fuPtyZbkPfoBJeTT4ZBOiXhsSXRxqq3BfgH7JRFEOltwyvvfTpQDPQ=="',
  );
  // And it verifies against the official message layout.
  const signature = /signature="([^"]+)"/.exec(header)![1]!;
  const message = 'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n';
  assert.equal(createVerify('RSA-SHA256').update(message).verify(MERCHANT_PUBLIC_KEY_PEM, signature, 'base64'), true);
});

test('signature matches wechatpay-axios-plugin and wechatpay-node-v3 for GET and POST', () => {
  const body = JSON.stringify({ appid: APPID, mchid: '1900009191', description: '测试商品', out_trade_no: 'T1', amount: { total: 1 } });
  const cases = [
    { method: 'GET', url: 'https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/T1?mchid=1900009191', body: '' },
    { method: 'POST', url: 'https://api.mch.weixin.qq.com/v3/pay/transactions/jsapi', body },
  ];
  const nodeV3 = new NodeV3({ appid: APPID, mchid: '1900009191', serial_no: MERCHANT_SERIAL, publicKey: Buffer.from('unused'), privateKey: Buffer.from(MERCHANT_KEY_PEM) });
  for (const c of cases) {
    const header = signer.authorization({ method: c.method, url: c.url, body: c.body, timestamp: 1700000000, nonce: 'N0NCE' });
    const ours = /signature="([^"]+)"/.exec(header)![1]!;
    const uri = canonicalUrl(c.url);
    const axios = Rsa.sign(Formatter.request(c.method, uri, 1700000000, 'N0NCE', c.body), MERCHANT_KEY_PEM);
    assert.equal(ours, axios, `${c.method} vs wechatpay-axios-plugin`);
    assert.equal(header, Formatter.authorization('1900009191', 'N0NCE', axios, 1700000000, MERCHANT_SERIAL).replace(
      /^(\S+) mchid="([^"]+)",serial_no="([^"]+)",timestamp="([^"]+)",nonce_str="([^"]+)",signature="([^"]+)"$/,
      '$1 mchid="$2",nonce_str="$5",timestamp="$4",serial_no="$3",signature="$6"',
    ));
    const nodeSig = nodeV3.getSignature(c.method, 'N0NCE', 1700000000, uri, c.body === '' ? undefined : c.body);
    assert.equal(ours, nodeSig, `${c.method} vs wechatpay-node-v3`);
  }
});

test('paySign: pinned for the documented example, and equal to both npm SDKs', () => {
  const params = buildV3PayParams({ appid: 'wx8888888888888888', prepayId: 'wx201410272009395522657a690389285100', signer, timeStamp: '1414561699', nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS' });
  assert.deepEqual(Object.keys(params).sort(), ['nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
  assert.equal(params.package, 'prepay_id=wx201410272009395522657a690389285100');
  assert.equal(params.signType, 'RSA');
  assert.equal(params.paySign, 'rnQhtWoSkbu0xu1Om99ZY5v0adhbxJ8TL/OYnSE3iwF8DYM510SoCVePiA8bhUkebeonMAzBJodTTA9S9ZTBF01tRL2G1JptKPT3pbnOevV4uH/vxKc5rcp2J2F6sD0cF7xARofRnmMrJKmm+yibGZlRPnGBM7ikWGf0+D1fbPdF4xId+9vxi/0p9XjooK2edw/aJgDmAnkzUx/derCm34Gj54bR00tEnruUTSe4pX+/grKiFVlenBe1akzCbY5zfUp0ww0Zi9oex+eCxmVKkr3x5T/ELcNKd1ign6+ZlndJAbYYMjeTFAJtpGAxzOGUTc5V7kPZdI8zXculGTVR2w==');
  const message = 'wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n';
  assert.equal(params.paySign, Rsa.sign(Formatter.joinedByLineFeed('wx8888888888888888', '1414561699', '5K8264ILTKCH16CQ2502SI8ZNMTM67VS', 'prepay_id=wx201410272009395522657a690389285100'), MERCHANT_KEY_PEM));
  const nodeV3 = new NodeV3({ appid: APPID, mchid: '1', serial_no: MERCHANT_SERIAL, publicKey: Buffer.from('unused'), privateKey: Buffer.from(MERCHANT_KEY_PEM) });
  assert.equal(params.paySign, nodeV3.sign(message));
  // The private key path (no signer) gives the same result.
  assert.equal(buildV3PayParams({ appid: 'wx8888888888888888', prepayId: 'wx201410272009395522657a690389285100', privateKey: MERCHANT_KEY_PEM, timeStamp: '1414561699', nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS' }).paySign, params.paySign);
});

test('pay params default timeStamp from the injected clock and nonce from the nonce source', () => {
  const p = buildV3PayParams({ appid: APPID, prepayId: 'wx1', signer, clock: () => 1_700_000_000_999, nonce: () => 'ABC' });
  assert.equal(p.timeStamp, '1700000000');
  assert.equal(p.nonceStr, 'ABC');
  assert.throws(() => buildV3PayParams({ appid: APPID, prepayId: '', signer }), WxPayValidationError);
  assert.equal(verifyV3PaySign({ appid: APPID, ...p }, MERCHANT_PUBLIC_KEY_PEM), true);
  assert.equal(verifyV3PaySign({ appid: 'wx0000000000000000', ...p }, MERCHANT_PUBLIC_KEY_PEM), false);
  assert.equal(verifyV3PaySign({ appid: APPID, ...p, package: 'prepay_id=wx2' }, MERCHANT_PUBLIC_KEY_PEM), false);
  assert.equal(verifyV3PaySign({ appid: APPID, ...p, signType: 'MD5' }, MERCHANT_PUBLIC_KEY_PEM), false);
  assert.throws(() => buildV3PayParams({ appid: APPID, prepayId: 'wx1' }), WxPayValidationError);
});

test('signer uses injected clock and nonce; canonical URL keeps the raw query', () => {
  const s = createV3Signer({ mchid: '1900000001', serialNo: 'abc123', privateKey: MERCHANT_KEY_PEM, clock: () => 1_600_000_000_500, nonce: () => 'FIXED' });
  const header = s.authorization({ method: 'get', url: 'http://127.0.0.1:1234/v3/refund/domestic/refunds/R%201?x=1&y=2' });
  const fields = parseV3Authorization(header)!;
  assert.deepEqual({ ...fields, signature: undefined }, { mchid: '1900000001', serialNo: 'ABC123', nonce: 'FIXED', timestamp: 1600000000, signature: undefined });
  const check = verifyV3Authorization(header, 'GET', '/v3/refund/domestic/refunds/R%201?x=1&y=2', '', MERCHANT_PUBLIC_KEY_PEM, () => 1_600_000_000_500);
  assert.deepEqual(check, { ok: true, mchid: '1900000001', serialNo: 'ABC123', nonce: 'FIXED', timestamp: 1600000000 });
});

test('verifyV3Authorization refuses what WeChat refuses', () => {
  const at = () => 1_700_000_000_000;
  const s = createV3Signer({ mchid: '1900000001', serialNo: MERCHANT_SERIAL, privateKey: MERCHANT_KEY_PEM, clock: at });
  const body = '{"mchid":"1900000001"}';
  const header = s.authorization({ method: 'POST', url: '/v3/pay/transactions/out-trade-no/T1/close', body });
  const v = (h: string | undefined, overrides: { body?: string; url?: string; now?: number; key?: string } = {}) =>
    verifyV3Authorization(h, 'POST', overrides.url ?? '/v3/pay/transactions/out-trade-no/T1/close', overrides.body ?? body, overrides.key ?? MERCHANT_PUBLIC_KEY_PEM, () => overrides.now ?? at());
  assert.equal(v(header).ok, true);
  assert.deepEqual(v(header, { body: '{"mchid":"1900000002"}' }), { ok: false, reason: 'bad_signature', mchid: '1900000001' });
  assert.deepEqual(v(header, { url: '/v3/pay/transactions/out-trade-no/T2/close' }), { ok: false, reason: 'bad_signature', mchid: '1900000001' });
  assert.deepEqual(v(header, { now: at() + 301_000 }), { ok: false, reason: 'stale_timestamp', mchid: '1900000001' });
  assert.deepEqual(v(undefined), { ok: false, reason: 'malformed' });
  assert.deepEqual(v(header.replace('WECHATPAY2-SHA256-RSA2048', 'Bearer')), { ok: false, reason: 'malformed' });
  assert.deepEqual(v(header.replace('mchid=', 'mchid_x=')), { ok: false, reason: 'malformed' });
  assert.deepEqual(v(`${header},mchid="1"`), { ok: false, reason: 'malformed' });
  const resolved = verifyV3Authorization(header, 'POST', '/v3/pay/transactions/out-trade-no/T1/close', body, () => undefined, at);
  assert.deepEqual(resolved, { ok: false, reason: 'unknown_merchant', mchid: '1900000001' });
  // Field order is free.
  const f = parseV3Authorization(header)!;
  const reordered = `WECHATPAY2-SHA256-RSA2048 signature="${f.signature}",serial_no="${f.serialNo}",timestamp="${f.timestamp}",nonce_str="${f.nonce}",mchid="${f.mchid}"`;
  assert.equal(v(reordered).ok, true);
});

test('bad key material fails at construction without echoing it', () => {
  for (const privateKey of ['', 'not a pem', MERCHANT_PUBLIC_KEY_PEM]) {
    assert.throws(() => createV3Signer({ mchid: '1', serialNo: 'A', privateKey }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'privateKey' && !e.message.includes('BEGIN'));
  }
  assert.throws(() => createV3Signer({ mchid: 'a"b', serialNo: 'A', privateKey: MERCHANT_KEY_PEM }), WxPayConfigError);
  assert.throws(() => createV3Signer({ mchid: '1', serialNo: '', privateKey: MERCHANT_KEY_PEM }), WxPayConfigError);
});
