import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createV3Client, createV3NotificationHandler, createV3Signer, WxPayApiError, WxPaySignatureError,
  type V3Client, type V3NotificationEvent,
} from '@wxpay-kit/wechat';
import { generateV3MerchantIdentity, SANDBOX_PLATFORM_CERTIFICATE_SERIAL, SANDBOX_PUBLIC_KEY_ID } from '@wxpay-kit/wechat/testing';
import { createSandbox, type Sandbox, type SandboxMerchant } from '../src/index.js';
import { json, login, startMerchant, startSandbox, T0, type MerchantServer } from './helpers.js';

type Started = Sandbox & { base: string };
type Mode = 'certificate' | 'publicKey' | 'migrating';
type ListedMerchant = SandboxMerchant & { wechatpaySerials: string[] };
type Listing = { merchants: ListedMerchant[]; wechatpay: { publicKeyId: string; publicKeyPem: string; platformCertificateSerial: string } };

async function listing(sandbox: Started): Promise<Listing> {
  return (await json(sandbox, 'GET', '/sandbox/merchants')).body as unknown as Listing;
}

/** A v3 client configured the way a merchant in this key mode configures it, from the sandbox's listing. */
async function clientFor(sandbox: Started, mode: Mode, overrides: Partial<Parameters<typeof createV3Client>[0]> = {}): Promise<V3Client> {
  const l = await listing(sandbox);
  const m = l.merchants.find((x) => x.mchid === sandbox.demoMerchant.mchid)!;
  return createV3Client({
    mchid: m.mchid, appid: m.appid, apiV3Key: m.apiV3Key,
    serialNo: m.merchantCertSerial!, privateKey: m.merchantPrivateKey!,
    ...(mode === 'certificate' || mode === 'migrating' ? { platformCertificates: true } : {}),
    ...(mode === 'publicKey' || mode === 'migrating' ? { publicKey: { id: l.wechatpay.publicKeyId, key: l.wechatpay.publicKeyPem } } : {}),
    baseUrl: sandbox.base,
    // The merchant signs and verifies with its wall clock: T0, the sandbox's frozen real time (not its virtual clock).
    clock: () => T0,
    sleep: async () => {},
    ...overrides,
  });
}

async function startInMode(t: Parameters<typeof startSandbox>[0], mode: Mode): Promise<Started> {
  return startSandbox(t, { merchants: [{ name: 'demo', appid: 'wx8888888888888888', secret: 'sandbox0demo0app0secret000000001', mchid: '1900000001', apiKey: 'sandbox0demo0apiv2key00000000001', apiV3Key: 'sandbox0demo0apiv3key00000000001', v3KeyMode: mode }] });
}

/** The merchant's notify endpoint verifies like a real backend and answers 204 (or whatever the test says). */
function verifyingMerchant(merchant: MerchantServer, client: V3Client, apiV3Key: string): { events: V3NotificationEvent[]; errors: unknown[]; serials: string[] } {
  const handler = createV3NotificationHandler({ verifier: client.verifier, apiV3Key, clock: () => T0 });
  const seen = { events: [] as V3NotificationEvent[], errors: [] as unknown[], serials: [] as string[] };
  merchant.answer = async (r) => {
    seen.serials.push(String(r.headers['wechatpay-serial']));
    try {
      seen.events.push(await handler.parse(r.headers, r.body));
      return { status: 204, body: '' };
    } catch (error) {
      seen.errors.push(error);
      return { status: 401, body: JSON.stringify({ code: 'FAIL', message: 'bad' }) };
    }
  };
  return seen;
}

let seq = 0;
const outNo = () => `V3T${Date.now()}${++seq}`;

for (const mode of ['certificate', 'publicKey', 'migrating'] as const) {
  test(`v3 whole flow with our SDK, key mode ${mode}: prepay, RSA cashier, notification, queries, refund, bills, close`, async (t) => {
    const sandbox = await startInMode(t, mode);
    const client = await clientFor(sandbox, mode);
    const m = sandbox.demoMerchant;
    const merchant = await startMerchant(t);
    const seen = verifyingMerchant(merchant, client, m.apiV3Key);
    const { openid } = await login(sandbox);
    const outTradeNo = outNo();
    const { prepay_id: prepayId } = await client.jsapiPrepay({ description: 'Oolong', out_trade_no: outTradeNo, notify_url: merchant.url, amount: { total: 2599 }, payer: { openid } });
    // The same request again: the same prepay_id (a safe retry).
    assert.equal((await client.jsapiPrepay({ description: 'Oolong', out_trade_no: outTradeNo, notify_url: merchant.url, amount: { total: 2599 }, payer: { openid } })).prepay_id, prepayId);
    assert.equal((await client.queryByOutTradeNo(outTradeNo)).trade_state, 'NOTPAY');

    // The cashier checks the RSA paySign: a v2-style or tampered one is refused.
    const params = client.payParams(prepayId);
    const bad = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...params, paySign: params.paySign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), openid, action: 'pay' });
    assert.equal(bad.body.errMsg, 'requestPayment:fail 支付验证签名失败');
    const paid = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...params, openid, action: 'pay' });
    assert.equal(paid.body.errMsg, 'requestPayment:ok');
    await sandbox.clock.advance(0);
    assert.equal(seen.errors.length, 0, String(seen.errors[0]));
    const event = seen.events[0];
    assert.ok(event?.kind === 'transaction');
    assert.equal(event.transaction.out_trade_no, outTradeNo);
    assert.equal(event.transaction.amount.total, 2599);
    const expectedSerials = mode === 'certificate' ? [SANDBOX_PLATFORM_CERTIFICATE_SERIAL] : undefined;
    if (expectedSerials !== undefined) assert.deepEqual(seen.serials, expectedSerials);

    const tx = await client.queryByOutTradeNo(outTradeNo);
    assert.equal(tx.trade_state, 'SUCCESS');
    assert.equal((await client.queryByTransactionId(tx.transaction_id!)).out_trade_no, outTradeNo);

    const refund = await client.refund({ out_trade_no: outTradeNo, out_refund_no: `R${outTradeNo}`, amount: { refund: 599, total: 2599 }, notify_url: merchant.url });
    assert.equal(refund.status, 'PROCESSING');
    await sandbox.clock.advance(5);
    assert.equal((await client.refundQuery(`R${outTradeNo}`)).status, 'SUCCESS');
    const refundEvent = seen.events[1];
    assert.ok(refundEvent?.kind === 'refund');
    assert.equal(refundEvent.eventType, 'REFUND.SUCCESS');
    assert.equal(refundEvent.refund.amount.refund, 599);

    const day = new Date(T0 + 8 * 3600_000).toISOString().slice(0, 10);
    const bill = await client.tradeBill({ bill_date: day });
    assert.ok(bill.text.includes(outTradeNo));
    const gz = await client.tradeBill({ bill_date: day, tar_type: 'GZIP' });
    assert.equal(gz.text, bill.text);
    const flow = await client.fundFlowBill({ bill_date: day });
    assert.equal(flow.bill.rows.length, 2);

    const other = outNo();
    await client.jsapiPrepay({ description: 'Tea', out_trade_no: other, notify_url: merchant.url, amount: { total: 100 }, payer: { openid } });
    await client.close(other);
    assert.equal((await client.queryByOutTradeNo(other)).trade_state, 'CLOSED');
    await client.close(other); // closing again is 204 too

    if (mode === 'publicKey') {
      await assert.rejects(client.downloadCertificates(), (e: unknown) => e instanceof WxPayApiError && e.code === 'RESOURCE_NOT_EXISTS');
    } else {
      const certs = await client.downloadCertificates();
      assert.equal(certs[0]?.serial, SANDBOX_PLATFORM_CERTIFICATE_SERIAL);
    }
  });
}

test('v3 migrating merchants: notifications come signed by either key, named by Wechatpay-Serial', async (t) => {
  const sandbox = await startInMode(t, 'migrating');
  const client = await clientFor(sandbox, 'migrating');
  const merchant = await startMerchant(t);
  const seen = verifyingMerchant(merchant, client, sandbox.demoMerchant.apiV3Key);
  let answers = 0;
  const inner = merchant.answer;
  // Refuse the first attempts so the retries show both keys.
  merchant.answer = async (r) => (++answers <= 3 ? { status: 500, body: '{"code":"FAIL","message":"busy"}' } : inner(r));
  const { openid } = await login(sandbox);
  const { prepay_id: prepayId } = await client.jsapiPrepay({ description: 'x', out_trade_no: outNo(), notify_url: merchant.url, amount: { total: 1 }, payer: { openid } });
  assert.equal((await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...client.payParams(prepayId), openid, action: 'pay' })).body.errMsg, 'requestPayment:ok');
  await sandbox.clock.advance(60);
  assert.equal(seen.events.length, 1);
  const serials = new Set(merchant.received.map((r) => String(r.headers['wechatpay-serial'])));
  assert.deepEqual([...serials].sort(), [SANDBOX_PLATFORM_CERTIFICATE_SERIAL, SANDBOX_PUBLIC_KEY_ID].sort());
  // Every attempt carries the same body.
  assert.equal(new Set(merchant.received.map((r) => r.body)).size, 1);
});

test('v3 answers follow the request\'s Wechatpay-Serial for migrating merchants; others use their own key', async (t) => {
  for (const [mode, requested, expected] of [
    ['migrating', SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_ID],
    ['migrating', SANDBOX_PLATFORM_CERTIFICATE_SERIAL, SANDBOX_PLATFORM_CERTIFICATE_SERIAL],
    ['migrating', undefined, SANDBOX_PLATFORM_CERTIFICATE_SERIAL],
    ['publicKey', SANDBOX_PLATFORM_CERTIFICATE_SERIAL, SANDBOX_PUBLIC_KEY_ID],
    ['certificate', SANDBOX_PUBLIC_KEY_ID, SANDBOX_PLATFORM_CERTIFICATE_SERIAL],
  ] as const) {
    const sandbox = await startInMode(t, mode);
    const m = (await listing(sandbox)).merchants[0]!;
    const path = '/v3/pay/transactions/out-trade-no/NOSUCHORDER1?mchid=1900000001';
    const authorization = createV3Signer({ mchid: m.mchid, serialNo: m.merchantCertSerial!, privateKey: m.merchantPrivateKey!, clock: () => sandbox.clock.now() })
      .authorization({ method: 'GET', url: path, body: '' });
    const res = await fetch(`${sandbox.base}${path}`, { headers: { authorization, ...(requested === undefined ? {} : { 'wechatpay-serial': requested }) } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('wechatpay-serial'), expected, `${mode} asked for ${requested ?? 'nothing'}`);
    assert.ok(res.headers.get('request-id'));
  }
  // End to end: a public-key-only client (it sends Wechatpay-Serial: PUB_KEY_ID_…) verifies a migrating merchant's answers.
  const sandbox = await startInMode(t, 'migrating');
  const pub = await clientFor(sandbox, 'publicKey');
  const { openid } = await login(sandbox);
  const merchant = await startMerchant(t);
  assert.match((await pub.jsapiPrepay({ description: 'x', out_trade_no: outNo(), notify_url: merchant.url, amount: { total: 1 }, payer: { openid } })).prepay_id, /^wx/);
});

test('v3 Authorization: missing, wrong key, unknown serial and >5-minute-old timestamps are 401 SIGN_ERROR', async (t) => {
  const sandbox = await startSandbox(t);
  const m = (await listing(sandbox)).merchants[0]!;
  const path = '/v3/pay/transactions/out-trade-no/NOSUCHORDER1?mchid=1900000001';
  const call = async (authorization: string | undefined) => {
    const res = await fetch(`${sandbox.base}${path}`, { headers: authorization === undefined ? {} : { authorization } });
    return { status: res.status, body: (await res.json()) as { code: string; message: string } };
  };
  const sign = (opts: { key?: string; serial?: string; at?: number }) =>
    createV3Signer({ mchid: m.mchid, serialNo: opts.serial ?? m.merchantCertSerial!, privateKey: opts.key ?? m.merchantPrivateKey!, clock: () => opts.at ?? sandbox.clock.now() })
      .authorization({ method: 'GET', url: path, body: '' });

  assert.equal((await call(sign({}))).status, 404, 'a good signature reaches the handler');
  for (const [name, header] of [
    ['missing', undefined],
    ['garbage', 'Bearer abc'],
    ['wrong key', sign({ key: generateV3MerchantIdentity().privateKeyPem })],
    ['unknown serial', sign({ serial: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' })],
    ['6 minutes old', sign({ at: sandbox.clock.now() - 6 * 60_000 })],
    ['6 minutes ahead', sign({ at: sandbox.clock.now() + 6 * 60_000 })],
  ] as const) {
    const r = await call(header);
    assert.equal(r.status, 401, name);
    assert.equal(r.body.code, 'SIGN_ERROR', name);
  }
  // A signature over other bytes (body tampered in transit).
  const auth = createV3Signer({ mchid: m.mchid, serialNo: m.merchantCertSerial!, privateKey: m.merchantPrivateKey!, clock: () => sandbox.clock.now() })
    .authorization({ method: 'POST', url: '/v3/pay/transactions/jsapi', body: '{"a":1}' });
  const res = await fetch(`${sandbox.base}/v3/pay/transactions/jsapi`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{"a":2}' });
  assert.equal(res.status, 401);
});

test('v3 input rules: PARAM_ERROR, APPID_MCHID_NOT_MATCH, OUT_TRADE_NO_USED, ORDER_NOT_EXIST, refund rules', async (t) => {
  const sandbox = await startSandbox(t);
  const client = await clientFor(sandbox, 'publicKey');
  const m = (await listing(sandbox)).merchants[0]!;
  const signer = createV3Signer({ mchid: m.mchid, serialNo: m.merchantCertSerial!, privateKey: m.merchantPrivateKey!, clock: () => sandbox.clock.now() });
  const raw = async (body: unknown) => {
    const text = JSON.stringify(body);
    const res = await fetch(`${sandbox.base}/v3/pay/transactions/jsapi`, {
      method: 'POST', body: text,
      headers: { 'content-type': 'application/json', authorization: signer.authorization({ method: 'POST', url: '/v3/pay/transactions/jsapi', body: text }) },
    });
    return { status: res.status, body: (await res.json()) as { code: string; detail?: { field?: string } } };
  };
  const { openid } = await login(sandbox);
  const good = { appid: m.appid, mchid: m.mchid, description: 'x', out_trade_no: outNo(), notify_url: 'http://127.0.0.1:9/n', amount: { total: 100, currency: 'CNY' }, payer: { openid } };
  assert.equal((await raw(good)).status, 200);
  const rows: [string, unknown, number, string][] = [
    ['no amount', { ...good, amount: undefined }, 400, 'PARAM_ERROR'],
    ['fractional fen', { ...good, out_trade_no: outNo(), amount: { total: 1.5 } }, 400, 'PARAM_ERROR'],
    ['amount as string', { ...good, out_trade_no: outNo(), amount: { total: '100' } }, 400, 'PARAM_ERROR'],
    ['USD', { ...good, out_trade_no: outNo(), amount: { total: 100, currency: 'USD' } }, 400, 'PARAM_ERROR'],
    ['short out_trade_no', { ...good, out_trade_no: 'abc' }, 400, 'PARAM_ERROR'],
    ['notify_url with query', { ...good, out_trade_no: outNo(), notify_url: 'http://127.0.0.1:9/n?x=1' }, 400, 'PARAM_ERROR'],
    ['stranger openid', { ...good, out_trade_no: outNo(), payer: { openid: 'o-nobody' } }, 400, 'PARAM_ERROR'],
    ['other appid', { ...good, out_trade_no: outNo(), appid: 'wx0000000000000000' }, 400, 'APPID_MCHID_NOT_MATCH'],
    ['other mchid in body', { ...good, out_trade_no: outNo(), mchid: '1900000009' }, 400, 'INVALID_REQUEST'],
    ['same number, other amount', { ...good, amount: { total: 101, currency: 'CNY' } }, 403, 'OUT_TRADE_NO_USED'],
  ];
  for (const [name, body, status, code] of rows) {
    const r = await raw(body);
    assert.equal(r.status, status, name);
    assert.equal(r.body.code, code, name);
  }
  await assert.rejects(client.queryByOutTradeNo('NOSUCHORDER1'), (e: unknown) => e instanceof WxPayApiError && e.status === 404 && e.code === 'ORDER_NOT_EXIST');
  await assert.rejects(client.refund({ out_trade_no: good.out_trade_no, out_refund_no: 'R1', amount: { refund: 1, total: 100 } }), (e: unknown) => e instanceof WxPayApiError && e.code === 'INVALID_REQUEST');
  await assert.rejects(client.refund({ out_trade_no: 'NOSUCHORDER1', out_refund_no: 'R1', amount: { refund: 1, total: 100 } }), (e: unknown) => e instanceof WxPayApiError && e.status === 404);
  await assert.rejects(client.refundQuery('NOSUCHREFUND'), (e: unknown) => e instanceof WxPayApiError && e.code === 'RESOURCE_NOT_EXISTS');
  // Wrong method / query mchid of another merchant.
  const q = '/v3/pay/transactions/out-trade-no/NOSUCHORDER1?mchid=1900000009';
  const res = await fetch(`${sandbox.base}${q}`, { headers: { authorization: signer.authorization({ method: 'GET', url: q, body: '' }) } });
  assert.equal(res.status, 400);
});

test('v3 API faults: 5xx and SYSTEM_ERROR on a v3 path (the SDK retries the same body)', async (t) => {
  const sandbox = await startSandbox(t);
  const client = await clientFor(sandbox, 'publicKey', { retry: { attempts: 1 } });
  const { openid } = await login(sandbox);
  const body = { description: 'x', out_trade_no: outNo(), notify_url: 'http://127.0.0.1:9/n', amount: { total: 1 }, payer: { openid } };
  for (const kind of ['5xx', 'SYSTEMERROR'] as const) {
    await json(sandbox, 'POST', '/sandbox/faults', { api: { path: '/v3/pay/transactions/jsapi', kind } });
    await assert.rejects(client.jsapiPrepay(body), (e: unknown) => e instanceof WxPayApiError && (e.status === 503 || e.code === 'SYSTEM_ERROR'));
  }
  await json(sandbox, 'POST', '/sandbox/faults', { api: { path: '/v3/pay/transactions/jsapi', kind: 'SYSTEMERROR', apply: true } });
  const retrying = await clientFor(sandbox, 'publicKey', { retry: { attempts: 2 } });
  const answer = await retrying.jsapiPrepay({ ...body, out_trade_no: outNo() });
  assert.match(answer.prepay_id, /^wx/);
});

test('v3 notification faults: drop, duplicates, delay, bad signature, amount delta, expired timestamp, unknown serial', async (t) => {
  const sandbox = await startSandbox(t);
  const client = await clientFor(sandbox, 'publicKey');
  const merchant = await startMerchant(t);
  const seen = verifyingMerchant(merchant, client, sandbox.demoMerchant.apiV3Key);
  const { openid } = await login(sandbox);
  const payWith = async (notify: Record<string, unknown>) => {
    const outTradeNo = outNo();
    await json(sandbox, 'POST', '/sandbox/faults', { outTradeNo, notify });
    const { prepay_id: prepayId } = await client.jsapiPrepay({ description: 'x', out_trade_no: outTradeNo, notify_url: merchant.url, amount: { total: 500 }, payer: { openid } });
    const r = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...client.payParams(prepayId), openid, action: 'pay' });
    assert.equal(r.body.errMsg, 'requestPayment:ok');
    await sandbox.clock.advance(0);
    return outTradeNo;
  };
  const attempts = async (outTradeNo: string) =>
    ((await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as { attempts: { verdict: string; status?: number }[] }[])[0]!.attempts;

  const reset = () => { seen.events.length = 0; seen.errors.length = 0; merchant.received.length = 0; };

  // drop: two attempts are not sent; the third (after 15 s + 15 s) arrives.
  reset();
  const dropped = await payWith({ drop: 2 });
  assert.equal(merchant.received.length, 0);
  await sandbox.clock.advance(30);
  assert.equal(seen.events.length, 1);
  assert.deepEqual((await attempts(dropped)).map((a) => a.verdict), ['dropped', 'dropped', 'success']);

  // duplicates: 1 + 3 identical copies, all answered 204.
  reset();
  await payWith({ duplicates: 3, concurrent: true });
  assert.equal(merchant.received.length, 4);
  assert.equal(new Set(merchant.received.map((r) => r.body)).size, 1);
  assert.equal(seen.events.length, 4);

  // delay: nothing for 90 s.
  reset();
  await payWith({ delayMs: 90_000 });
  assert.equal(merchant.received.length, 0);
  await sandbox.clock.advance(90);
  assert.equal(seen.events.length, 1);

  // Forgeries and replays fail verification, are answered 401, and WeChat retries them on schedule.
  for (const [fault, reason] of [
    [{ badSignature: true }, 'bad_signature'],
    [{ expiredTimestamp: true }, 'stale_timestamp'],
    [{ unknownSerial: true }, 'unknown_serial'],
  ] as const) {
    reset();
    const no = await payWith(fault);
    assert.equal(seen.events.length, 0, reason);
    const e = seen.errors[0];
    assert.ok(e instanceof WxPaySignatureError && e.reason === reason, `${reason}: ${String(e)}`);
    await sandbox.clock.advance(15);
    const a = await attempts(no);
    assert.deepEqual(a.map((x) => [x.verdict, x.status]), [['failure', 401], ['failure', 401]], reason);
  }

  // amountDelta: authentic, but the amount is off; the merchant's business check must catch it.
  reset();
  await payWith({ amountDelta: -1 });
  const ev = seen.events[0];
  assert.ok(ev?.kind === 'transaction');
  assert.equal(ev.transaction.amount.total, 499);
});

test('v3 notifications: 200 and 204 are received; other statuses are retried with the same body', async (t) => {
  const sandbox = await startSandbox(t);
  const client = await clientFor(sandbox, 'publicKey');
  const merchant = await startMerchant(t);
  const statuses = [500, 200];
  merchant.answer = () => ({ status: statuses.shift() ?? 204, body: '' });
  const { openid } = await login(sandbox);
  const outTradeNo = outNo();
  const { prepay_id: prepayId } = await client.jsapiPrepay({ description: 'x', out_trade_no: outTradeNo, notify_url: merchant.url, amount: { total: 1 }, payer: { openid } });
  await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...client.payParams(prepayId), openid, action: 'pay' });
  await sandbox.clock.advance(60);
  assert.equal(merchant.received.length, 2);
  assert.equal(merchant.received[0]?.body, merchant.received[1]?.body);
  assert.notEqual(merchant.received[0]?.headers['wechatpay-timestamp'], undefined);
  const n = ((await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as { status: string }[])[0];
  assert.equal(n?.status, 'delivered');
});

test('GET /sandbox/merchants lists the v3 material', async (t) => {
  const sandbox = await startSandbox(t);
  const l = await listing(sandbox);
  const demo = l.merchants[0]!;
  assert.equal(demo.v3KeyMode, 'publicKey');
  assert.match(demo.merchantCertSerial ?? '', /^[0-9A-F]{40}$/);
  assert.ok(demo.merchantPublicKey?.includes('BEGIN PUBLIC KEY'));
  assert.deepEqual(demo.wechatpaySerials, [SANDBOX_PUBLIC_KEY_ID]);
  assert.match(l.wechatpay.publicKeyId, /^PUB_KEY_ID_/);
});

test('v3 state survives a restart: the pending v3 notification resumes with the same body, the order is queryable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-sandbox-v3-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'state.sqlite');
  const merchant = await startMerchant(t);
  merchant.answer = () => ({ status: 500, body: '{"code":"FAIL","message":"busy"}' });
  const first = Object.assign(await createSandbox({ now: () => T0, dbPath }), { base: '' });
  first.base = await first.listen();
  const client1 = await clientFor(first, 'publicKey');
  const { openid } = await login(first, 'erin');
  const outTradeNo = outNo();
  const { prepay_id: prepayId } = await client1.jsapiPrepay({ description: 'x', out_trade_no: outTradeNo, notify_url: merchant.url, amount: { total: 42 }, payer: { openid } });
  assert.equal((await json(first, 'POST', '/sandbox/wx/requestPayment', { ...client1.payParams(prepayId), openid, action: 'pay' })).body.errMsg, 'requestPayment:ok');
  await first.clock.advance(0);
  await first.close();

  const second = Object.assign(await createSandbox({ now: () => T0, dbPath }), { base: '' });
  t.after(() => second.close());
  second.base = await second.listen();
  const client2 = await clientFor(second, 'publicKey');
  assert.equal((await client2.queryByOutTradeNo(outTradeNo)).trade_state, 'SUCCESS');
  merchant.answer = () => ({ status: 204, body: '' });
  await second.clock.advance(15);
  assert.equal(merchant.received.length, 2);
  assert.equal(merchant.received[0]?.body, merchant.received[1]?.body, 'the retry after the restart carries the same body');
});

test('virtual time only schedules: hours after clock/advance, real-time v3 signatures pass both ways and the whole retry schedule verifies', async (t) => {
  const sandbox = await startSandbox(t);
  const client = await clientFor(sandbox, 'publicKey');
  const m = sandbox.demoMerchant;
  const merchant = await startMerchant(t);
  const seen = verifyingMerchant(merchant, client, m.apiV3Key);
  const { openid } = await login(sandbox);
  // Hours of virtual time pass (as with --time-scale 3600 after a few seconds); the merchant's clock still reads T0.
  const advanced = await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 3 * 3600 });
  assert.equal(advanced.body.nowMs, T0 + 3 * 3600_000);
  // A request signed at real time is accepted, and the answer's Wechatpay-Timestamp verifies at real time (the SDK
  // checks both: a stale answer would throw WxPaySignatureError).
  const outTradeNo = outNo();
  const { prepay_id: prepayId } = await client.jsapiPrepay({ description: 'Tea', out_trade_no: outTradeNo, notify_url: merchant.url, amount: { total: 100 }, payer: { openid } });
  assert.equal((await client.queryByOutTradeNo(outTradeNo)).trade_state, 'NOTPAY');
  // The ±5-minute rule still holds, against real time.
  const stale = createV3Signer({ mchid: m.mchid, serialNo: m.merchantCertSerial!, privateKey: m.merchantPrivateKey!, clock: () => T0 - 6 * 60_000 });
  const path = `/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${m.mchid}`;
  const refused = await fetch(`${sandbox.base}${path}`, { headers: { authorization: stale.authorization({ method: 'GET', url: path, body: '' }), accept: 'application/json' } });
  assert.equal(refused.status, 401);
  assert.equal(((await refused.json()) as { code: string }).code, 'SIGN_ERROR');

  // The notification is dropped 15 times and goes out on its 16th and last attempt, 24h4m of virtual time later:
  // every attempt is signed at real time, so the merchant's verifier accepts it.
  await json(sandbox, 'POST', '/sandbox/faults', { outTradeNo, notify: { drop: 15 } });
  const paid = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...client.payParams(prepayId), openid, action: 'pay' });
  assert.equal(paid.body.errMsg, 'requestPayment:ok');
  await sandbox.clock.advance(25 * 3600);
  assert.equal(seen.errors.length, 0, String(seen.errors[0]));
  assert.equal(seen.events.length, 1);
  const notifications = (await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as { status: string; attempts: { verdict: string; atMs: number }[] }[];
  assert.equal(notifications[0]?.status, 'delivered');
  assert.equal(notifications[0]?.attempts.length, 16);
  const last = notifications[0]?.attempts.at(-1);
  assert.equal(last?.verdict, 'success');
  assert.ok((last?.atMs ?? 0) - T0 > 27 * 3600_000, 'delivered a day of virtual time later');
  assert.equal(Number(merchant.received[0]?.headers['wechatpay-timestamp']), Math.floor(T0 / 1000), 'signed at real time');
});

test('signTest fault: the first attempt is WeChat\'s WECHATPAY/SIGNTEST/ probe, which the SDK refuses; the retry is genuine', async (t) => {
  const sandbox = await startSandbox(t);
  const client = await clientFor(sandbox, 'publicKey');
  const merchant = await startMerchant(t);
  const seen = verifyingMerchant(merchant, client, sandbox.demoMerchant.apiV3Key);
  const { openid } = await login(sandbox);
  const outTradeNo = outNo();
  const { prepay_id: prepayId } = await client.jsapiPrepay({ description: 'Tea', out_trade_no: outTradeNo, notify_url: merchant.url, amount: { total: 100 }, payer: { openid } });
  assert.equal((await json(sandbox, 'POST', '/sandbox/faults', { outTradeNo, notify: { signTest: true } })).status, 201);
  await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...client.payParams(prepayId), openid, action: 'pay' });
  await sandbox.clock.advance(0);
  assert.match(String(merchant.received[0]?.headers['wechatpay-signature']), /^WECHATPAY\/SIGNTEST\/[A-Za-z0-9+/]+=*$/);
  assert.equal(seen.events.length, 0);
  assert.ok(seen.errors[0] instanceof WxPaySignatureError && seen.errors[0].reason === 'bad_signature', String(seen.errors[0]));
  await sandbox.clock.advance(15);
  assert.equal(merchant.received.length, 2);
  assert.equal(merchant.received[1]?.body, merchant.received[0]?.body, 'the same notification, now genuinely signed');
  assert.equal(seen.events.length, 1);
  const attempts = ((await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as { attempts: { verdict: string; tampered?: string }[] }[])[0]?.attempts ?? [];
  assert.deepEqual(attempts.map((a) => [a.verdict, a.tampered]), [['failure', 'signature probe (WECHATPAY/SIGNTEST/)'], ['success', undefined]]);
});
