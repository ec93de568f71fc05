import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createVerify } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WxPayApiError, WxPayConfigError, WxPayNetworkError, WxPayProtocolError, WxPaySignatureError, WxPayValidationError } from '../../src/errors.js';
import { createV3Client, createV3NotificationHandler } from '../../src/v3/index.js';
import type { V3ClientOptions } from '../../src/v3/index.js';
import {
  buildV3Notification,
  SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_PEM,
} from '../../src/v3/testing.js';
import { BILL_TEXT, FakeWechat } from './fake-wechat.js';
import { API_V3_KEY, APPID, fixedClock, MCHID, MERCHANT_KEY_PEM, MERCHANT_PUBLIC_KEY_PEM, MERCHANT_SERIAL } from './helpers.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');

async function setup(t: TestContext, options: Partial<V3ClientOptions> = {}) {
  const clock = fixedClock(NOW);
  const fake = new FakeWechat({ merchantPublicKey: MERCHANT_PUBLIC_KEY_PEM, apiV3Key: API_V3_KEY, now: clock.now });
  const baseUrl = await fake.listen();
  t.after(() => fake.close());
  const sleeps: number[] = [];
  const client = createV3Client({
    mchid: MCHID,
    appid: APPID,
    serialNo: MERCHANT_SERIAL,
    privateKey: MERCHANT_KEY_PEM,
    apiV3Key: API_V3_KEY,
    platformCertificates: true,
    baseUrl,
    clock: clock.now,
    retry: { attempts: 3, backoffMs: 100 },
    sleep: async (ms: number) => { sleeps.push(ms); },
    // Full jitter with the randomness at its top: each wait is its exponential ceiling.
    random: () => 0.999999,
    ...options,
  });
  return { client, fake, clock, sleeps, baseUrl };
}

const prepay = {
  description: '测试商品 Test product',
  out_trade_no: 'ORDER000001',
  notify_url: 'http://127.0.0.1:3000/wxpay/notify/payment',
  amount: { total: 100 },
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  time_expire: '2026-11-26T22:00:00+08:00',
};

test('platform-certificate mode: first answer triggers the certificate download, then prepay round trip', async (t) => {
  const { client, fake } = await setup(t);
  const { prepay_id } = await client.jsapiPrepay(prepay);
  assert.equal(prepay_id, 'wxORDER000001');
  assert.deepEqual(fake.seen.map((r) => `${r.method} ${r.url}`), ['POST /v3/pay/transactions/jsapi', 'GET /v3/certificates']);
  const sent = JSON.parse(fake.seen[0]!.body) as Record<string, unknown>;
  assert.deepEqual(sent, { appid: APPID, mchid: MCHID, description: prepay.description, out_trade_no: 'ORDER000001', time_expire: prepay.time_expire, notify_url: prepay.notify_url, amount: { total: 100, currency: 'CNY' }, payer: prepay.payer });
  assert.equal(fake.seen[0]!.headers['content-type'], 'application/json');
  assert.match(fake.seen[0]!.headers['user-agent'] ?? '', /wxpay-kit/);
  // Second call: certificate cached, no new download.
  await client.jsapiPrepay({ ...prepay, out_trade_no: 'ORDER000002' });
  assert.equal(fake.seen.filter((r) => r.url === '/v3/certificates').length, 1);
  // Pay params signed with the merchant key over appId\ntimeStamp\nnonceStr\npackage\n.
  const params = client.payParams(prepay_id);
  assert.equal(params.timeStamp, String(NOW / 1000));
  const msg = `${APPID}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
  assert.equal(createVerify('RSA-SHA256').update(msg).verify(MERCHANT_PUBLIC_KEY_PEM, params.paySign, 'base64'), true);
});

test('queries, close (204), refund and refund query', async (t) => {
  const { client, fake } = await setup(t);
  const byNo = await client.queryByOutTradeNo('ORDER000001');
  assert.equal(byNo.trade_state, 'NOTPAY');
  assert.equal(byNo.amount?.total, 100);
  assert.equal(fake.seen[0]!.url, '/v3/pay/transactions/out-trade-no/ORDER000001?mchid=1900000001');
  const byId = await client.queryByTransactionId('4200000001');
  assert.equal(byId.trade_state, 'SUCCESS');
  assert.equal(byId.amount?.payer_total, 90);
  await client.close('ORDER000001');
  const close = fake.seen.find((r) => r.url.endsWith('/close'))!;
  assert.deepEqual(JSON.parse(close.body), { mchid: MCHID });
  fake.queued.push({ status: 202, body: '' });
  await assert.rejects(client.close('ORDER000001'), (e: unknown) => e instanceof WxPayApiError && e.code === 'USER_PAYING' && e.status === 202);
  const refund = await client.refund({ out_trade_no: 'ORDER000001', out_refund_no: 'R-1', reason: '不想要了', amount: { refund: 50, total: 100 } });
  assert.equal(refund.status, 'PROCESSING');
  assert.equal(refund.amount.refund, 50);
  const refundReq = JSON.parse(fake.seen.find((r) => r.url === '/v3/refund/domestic/refunds')!.body) as Record<string, unknown>;
  assert.deepEqual(refundReq, { out_trade_no: 'ORDER000001', out_refund_no: 'R-1', reason: '不想要了', amount: { refund: 50, total: 100, currency: 'CNY' } });
  const q = await client.refundQuery('R-1');
  assert.equal(q.status, 'SUCCESS');
  assert.equal(q.out_refund_no, 'R-1');
});

test('public-key mode sends Wechatpay-Serial and verifies PUB_KEY_ID_ answers; never downloads certificates', async (t) => {
  const { client, fake } = await setup(t, { platformCertificates: undefined, publicKey: { id: SANDBOX_PUBLIC_KEY_ID, key: SANDBOX_PUBLIC_KEY_PEM } });
  fake.mode = 'pubkey';
  await client.queryByOutTradeNo('ORDER000001');
  assert.equal(fake.seen.length, 1);
  assert.equal(fake.seen[0]!.headers['wechatpay-serial'], SANDBOX_PUBLIC_KEY_ID);
  // An answer signed by the platform certificate is unknown to a public-key-only client.
  fake.mode = 'cert';
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'unknown_serial');
});

test('migration: both keys held, chosen per answer by Wechatpay-Serial', async (t) => {
  const { client, fake } = await setup(t, { publicKey: { id: SANDBOX_PUBLIC_KEY_ID, key: SANDBOX_PUBLIC_KEY_PEM } });
  fake.mode = 'pubkey';
  await client.queryByOutTradeNo('ORDER000001');
  fake.mode = 'cert';
  await client.queryByOutTradeNo('ORDER000001');
  assert.equal(fake.seen.filter((r) => r.url === '/v3/certificates').length, 1);
});

test('an answer with a bad signature, a stale timestamp or no signature is refused before parsing', async (t) => {
  const { client, fake } = await setup(t);
  await client.queryByOutTradeNo('ORDER000001');
  const cases: [string, (h: Record<string, string>) => Record<string, string>, string][] = [
    ['forged signature', (h) => ({ ...h, 'Wechatpay-Signature': h['Wechatpay-Signature']!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }), 'bad_signature'],
    ['SIGNTEST', (h) => ({ ...h, 'Wechatpay-Signature': `WECHATPAY/SIGNTEST/${h['Wechatpay-Signature']!}` }), 'bad_signature'],
    ['stale', (h) => ({ ...h, 'Wechatpay-Timestamp': String(NOW / 1000 - 301) }), 'stale_timestamp'],
    ['unsigned', (h) => ({ 'Request-ID': h['Request-ID']! }), 'missing_header'],
  ];
  for (const [name, change, reason] of cases) {
    fake.faults.push((reply, headers) => ({ reply, headers: change(headers) }));
    await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPaySignatureError && e.reason === reason && e.requestId !== undefined, name);
  }
  // A body swapped after signing.
  fake.faults.push((reply, headers) => ({ reply: { ...reply, body: String(reply.body).replace('NOTPAY', 'SUCCESS') }, headers }));
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'bad_signature');
});

test('unknown serial triggers one rate-limited certificate refresh', async (t) => {
  const { client, fake, clock } = await setup(t);
  await client.queryByOutTradeNo('ORDER000001');
  const downloads = () => fake.seen.filter((r) => r.url === '/v3/certificates').length;
  assert.equal(downloads(), 1);
  const forgedSerial = (reply: Parameters<typeof fake.faults[number]>[0], headers: Record<string, string>) => ({ reply, headers: { ...headers, 'Wechatpay-Serial': 'ABCDEF0123' } });
  fake.faults.push(forgedSerial);
  // Within 60 s of the last download: no new download, refused.
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'unknown_serial');
  assert.equal(downloads(), 1);
  clock.advance(61);
  fake.faults.push(forgedSerial);
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPaySignatureError && e.reason === 'unknown_serial');
  assert.equal(downloads(), 2);
});

test('a certificate download that is not signed by the certificates it carries is refused', async (t) => {
  const { client, fake } = await setup(t);
  fake.faults.push((reply, headers) => ({ reply, headers: { ...headers, 'Wechatpay-Signature': headers['Wechatpay-Signature']!.split('').reverse().join('') } }));
  await assert.rejects(client.downloadCertificates(), (e: unknown) => e instanceof WxPaySignatureError);
  const certs = await client.downloadCertificates();
  assert.deepEqual(certs.map((c) => c.serial), [SANDBOX_PLATFORM_CERTIFICATE_SERIAL]);
});

test('typed API errors keep code, status, request id and retriability; retries use the injected sleep', async (t) => {
  const { client, fake, sleeps } = await setup(t);
  await assert.rejects(client.queryByOutTradeNo('MISSING000'), (e: unknown) =>
    e instanceof WxPayApiError && e.code === 'ORDER_NOT_EXIST' && e.status === 404 && e.retriable === false && e.description === '订单不存在' && e.requestId !== undefined);
  fake.queued.push({ status: 500, body: '{"code":"SYSTEM_ERROR","message":"系统错误"}', unsigned: true });
  fake.queued.push({ status: 503, body: '', unsigned: true });
  const ok = await client.queryByOutTradeNo('ORDER000001');
  assert.equal(ok.trade_state, 'NOTPAY');
  assert.deepEqual(sleeps, [100, 200]);
  const queries = fake.seen.filter((r) => r.url.startsWith('/v3/pay/transactions/out-trade-no/ORDER000001'));
  // A retry resends the identical signed request: WeChat asks only that its timestamp be within 5 minutes.
  const authorizations = new Set(queries.slice(-3).map((r) => r.headers.authorization));
  assert.equal(authorizations.size, 1);
  for (let i = 0; i < 3; i++) fake.queued.push({ status: 500, body: '{"code":"SYSTEM_ERROR","message":"x"}', unsigned: true });
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPayApiError && e.code === 'SYSTEM_ERROR' && e.retriable);
  // 429 is retriable, but not retried at once (it would be limited again): the caller schedules it.
  const before = fake.seen.length;
  fake.queued.push({ status: 429, body: '{"code":"FREQUENCY_LIMITED","message":"频率超限"}', unsigned: true });
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPayApiError && e.code === 'FREQUENCY_LIMITED' && e.retriable && e.status === 429);
  assert.equal(fake.seen.length, before + 1);
  fake.queued.push({ status: 403, body: '{"code":"OUT_TRADE_NO_USED","message":"商户订单号重复"}', unsigned: true });
  await assert.rejects(client.jsapiPrepay(prepay), (e: unknown) => e instanceof WxPayApiError && e.code === 'OUT_TRADE_NO_USED' && !e.retriable && e.status === 403);
  fake.queued.push({ status: 502, body: '<html>bad gateway</html>', unsigned: true });
  fake.queued.push({ status: 502, body: '<html>bad gateway</html>', unsigned: true });
  fake.queued.push({ status: 502, body: '<html>bad gateway</html>', unsigned: true });
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPayApiError && e.code === 'HTTP_502' && !e.message.includes('html'));
});

test('a retry signs again only when the first signature would be too old for WeChat', async (t) => {
  let advance = (_s: number) => {};
  const { client, fake, clock } = await setup(t, { sleep: async () => { advance(5 * 60); } });
  advance = clock.advance;
  fake.queued.push({ status: 500, body: '{"code":"SYSTEM_ERROR","message":"系统错误"}', unsigned: true });
  const before = fake.seen.length;
  assert.equal((await client.queryByOutTradeNo('ORDER000001')).trade_state, 'NOTPAY');
  const tries = fake.seen.slice(before).filter((r) => r.url.startsWith('/v3/pay/transactions/out-trade-no/ORDER000001'));
  assert.equal(tries.length, 2);
  assert.notEqual(tries[0]!.headers.authorization, tries[1]!.headers.authorization, 'five minutes later the request is signed afresh');
});

test('a merchant key WeChat does not know gets 401 SIGN_ERROR', async (t) => {
  const { generateRsaKeyPair } = await import('../../src/v3/testing.js');
  const { client } = await setup(t, { privateKey: generateRsaKeyPair().privateKeyPem });
  await assert.rejects(client.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPayApiError && e.code === 'SIGN_ERROR' && e.status === 401);
});

test('network failures: refused connection is not outcome-unknown; a timeout is', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const { client: refused } = await setup(t, { baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 1 } });
  await assert.rejects(refused.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPayNetworkError && e.outcomeUnknown === false);
  const hanging = createV3Client({
    mchid: MCHID, appid: APPID, serialNo: MERCHANT_SERIAL, privateKey: MERCHANT_KEY_PEM, apiV3Key: API_V3_KEY, platformCertificates: true,
    baseUrl: 'http://127.0.0.1:9', retry: { attempts: 1 }, timeoutMs: 50,
    fetch: (_url, init) => new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
  });
  await assert.rejects(hanging.queryByOutTradeNo('ORDER000001'), (e: unknown) => e instanceof WxPayNetworkError && e.outcomeUnknown && e.code === 'TIMEOUT');
});

test('trade bill and fund-flow bill: downloaded, hash checked, gunzipped, parsed', async (t) => {
  const { client, fake, baseUrl } = await setup(t);
  for (const tar of [undefined, 'GZIP'] as const) {
    const result = await client.tradeBill({ bill_date: '2026-11-25', ...(tar ? { tar_type: tar } : {}) });
    assert.equal(result.text, BILL_TEXT);
    assert.equal(result.bill.rows.length, 2);
    assert.equal(result.bill.rows[0]!['商户订单号'], 'ORDER000001');
    assert.equal(result.bill.rows[0]!['商品名称'], 'T-shirt, blue');
    assert.equal(result.bill.rows[0]!['应结订单金额'], '19.99');
    assert.equal(result.bill.summary['总交易单数'], '2');
  }
  const fund = await client.fundFlowBill({ bill_date: '2026-11-25', account_type: 'BASIC' });
  assert.equal(fund.bill.rows.length, 2);
  assert.ok(fake.seen.some((r) => r.url === '/v3/bill/fundflowbill?bill_date=2026-11-25&account_type=BASIC'));
  // The download itself carries our Authorization.
  assert.ok(fake.seen.filter((r) => r.url.startsWith('/v3/billdownload/file')).every((r) => (r.headers.authorization ?? '').startsWith('WECHATPAY2-SHA256-RSA2048 ')));
  fake.billHashOverride = '0'.repeat(40);
  await assert.rejects(client.tradeBill({ bill_date: '2026-11-25' }), (e: unknown) => e instanceof WxPayProtocolError && /hash/.test(e.message));
  fake.billHashOverride = undefined;
  fake.billDownloadHost = 'http://evil.example';
  const before = fake.seen.length;
  await assert.rejects(client.tradeBill({ bill_date: '2026-11-25' }), (e: unknown) => e instanceof WxPayProtocolError && /another host/.test(e.message));
  assert.equal(fake.seen.length, before + 1);
  assert.ok(baseUrl.startsWith('http://127.0.0.1:'));
});

test('requests WeChat would refuse are rejected before sending', async (t) => {
  const { client, fake } = await setup(t);
  const bad: [string, Parameters<typeof client.jsapiPrepay>[0]][] = [
    ['amount.total', { ...prepay, amount: { total: 0 } }],
    ['amount.total', { ...prepay, amount: { total: 1.5 } }],
    ['amount.total', { ...prepay, amount: { total: -1 } }],
    ['amount.total', { ...prepay, amount: { total: Number.MAX_SAFE_INTEGER + 1 } }],
    ['out_trade_no', { ...prepay, out_trade_no: 'A1' }],
    ['out_trade_no', { ...prepay, out_trade_no: 'ORDER 0001' }],
    ['out_trade_no', { ...prepay, out_trade_no: 'X'.repeat(33) }],
    ['description', { ...prepay, description: '' }],
    ['description', { ...prepay, description: '商'.repeat(43) }],
    ['time_expire', { ...prepay, time_expire: '2026-11-26 22:00:00' }],
    ['time_expire', { ...prepay, time_expire: '2026-02-30T22:00:00+08:00' }],
    ['notify_url', { ...prepay, notify_url: '/wxpay/notify' }],
    ['notify_url', { ...prepay, notify_url: 'https://shop.example/notify?x=1' }],
    ['notify_url', { ...prepay, notify_url: 'ftp://shop.example/notify' }],
    ['payer.openid', { ...prepay, payer: { openid: '' } }],
  ];
  for (const [field, request] of bad) {
    await assert.rejects(client.jsapiPrepay(request), (e: unknown) => e instanceof WxPayValidationError && e.field === field, `${field}: ${JSON.stringify(request).slice(0, 80)}`);
  }
  // 127 bytes exactly is fine.
  await client.jsapiPrepay({ ...prepay, description: `${'商'.repeat(42)}a` });
  await assert.rejects(client.refund({ out_trade_no: 'ORDER000001', out_refund_no: 'R1', amount: { refund: 101, total: 100 } }), WxPayValidationError);
  await assert.rejects(client.refund({ out_trade_no: 'ORDER000001', transaction_id: '42', out_refund_no: 'R1', amount: { refund: 1, total: 100 } }), WxPayValidationError);
  await assert.rejects(client.refund({ out_refund_no: 'R1', amount: { refund: 1, total: 100 } }), WxPayValidationError);
  await assert.rejects(client.tradeBill({ bill_date: '2026-13-01' }), WxPayValidationError);
  await assert.rejects(client.tradeBill({ bill_date: '20261125' }), WxPayValidationError);
  assert.equal(fake.seen.filter((r) => r.url !== '/v3/certificates').length, 1);
});

test('against WeChat itself, notify_url must be https', () => {
  const live = createV3Client({ mchid: MCHID, appid: APPID, serialNo: MERCHANT_SERIAL, privateKey: MERCHANT_KEY_PEM, apiV3Key: API_V3_KEY, platformCertificates: true, fetch: () => Promise.reject(new Error('no network in tests')) });
  return assert.rejects(live.jsapiPrepay(prepay), (e: unknown) => e instanceof WxPayValidationError && e.field === 'notify_url');
});

test('construction validates configuration', () => {
  const base = { mchid: MCHID, appid: APPID, serialNo: MERCHANT_SERIAL, privateKey: MERCHANT_KEY_PEM, apiV3Key: API_V3_KEY, platformCertificates: true };
  assert.throws(() => createV3Client({ ...base, platformCertificates: undefined }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'verifier');
  assert.throws(() => createV3Client({ ...base, apiV3Key: 'short' }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'apiV3Key');
  assert.throws(() => createV3Client({ ...base, privateKey: 'garbage' }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'privateKey');
  assert.throws(() => createV3Client({ ...base, baseUrl: 'not a url' }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'baseUrl');
  assert.throws(() => createV3Client({ ...base, retry: { attempts: 0 } }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'retry');
  assert.throws(() => createV3Client({ ...base, mchid: '' }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'mchid');
  assert.throws(() => createV3Client({ ...base, publicKey: { id: 'PUB_KEY_ID_1', key: 'nope' } }), WxPayConfigError);
});

test('the notification handler shares the client verifier (one certificate cache)', async (t) => {
  const { client, fake, clock } = await setup(t);
  const handler = createV3NotificationHandler({ verifier: client.verifier, apiV3Key: API_V3_KEY, clock: clock.now });
  const n = buildV3Notification({
    eventType: 'TRANSACTION.SUCCESS',
    plaintext: { appid: APPID, mchid: MCHID, out_trade_no: 'ORDER000001', transaction_id: '4200000001', trade_state: 'SUCCESS', amount: { total: 100 } },
    apiV3Key: API_V3_KEY,
    platformKey: SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
    serial: SANDBOX_PLATFORM_CERTIFICATE_SERIAL,
    clock: clock.now,
  });
  // The first notification names a serial not yet downloaded: the manager fetches the certificates once.
  const event = await handler.parse(n.headers, n.body);
  assert.ok(event.kind === 'transaction');
  assert.equal(event.transaction.amount?.total, 100);
  assert.equal(fake.seen.filter((r) => r.url === '/v3/certificates').length, 1);
});
