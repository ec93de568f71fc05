import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildXml, createV2Client, createV3PartnerClient, createV3Signer, parseXml, PublicKeyVerifier, signV2, verifyV2Sign, WxPayApiError, WxPayValidationError,
  type V2ClientCert, type V3PartnerClient,
} from '@wxpay-kit/wechat';
import { createNotifyHandler, type Notice } from '@wxpay-kit/wechat/notify';
import { createSandbox } from '../src/index.js';
import { json, startMerchant, startSandbox, T0, type MerchantServer } from './helpers.js';

type Started = Awaited<ReturnType<typeof startSandbox>>;
type Listed = {
  id: string; kind: string; name: string; appid: string; mchid: string; apiKey: string; apiV3Key: string; secret: string;
  providerId?: string; apiVersions: string[]; merchantCertSerial: string; merchantPrivateKey: string;
};

function clientCert(): V2ClientCert {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-partner-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=provider', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function addMerchant(sandbox: Started, body: Record<string, unknown>): Promise<Listed> {
  const r = await json(sandbox, 'POST', '/sandbox/merchants', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as unknown as Listed;
}

/** A provider with two sub-merchants (each its own mini program), and a user logged in to each mini program. */
async function partnerWorld(t: TestContext) {
  const sandbox = await startSandbox(t);
  const provider = await addMerchant(sandbox, { kind: 'provider', name: 'saas' });
  const subA = await addMerchant(sandbox, { kind: 'sub', name: 'shop-a', providerId: provider.id, appid: 'wxshopa0000000001' });
  const subB = await addMerchant(sandbox, { kind: 'sub', name: 'shop-b', providerId: provider.id });
  const loginTo = async (appid: string) =>
    ((await json(sandbox, 'POST', '/sandbox/wx/login', { appid, user: 'pat' })).body as { openid: string }).openid;
  return { sandbox, provider, subA, subB, openidA: await loginTo(subA.appid), openidB: await loginTo(subB.appid), spOpenid: await loginTo(provider.appid) };
}

test('POST /sandbox/merchants adds direct, provider and sub merchants listed in the same shape; the demo stays first', async (t) => {
  const { sandbox, provider, subA } = await partnerWorld(t);
  const listed = (await json(sandbox, 'GET', '/sandbox/merchants')).body.merchants as Listed[];
  assert.equal(listed[0]?.mchid, sandbox.demoMerchant.mchid);
  assert.equal(listed[0]?.kind, 'direct');
  assert.deepEqual(listed.find((m) => m.id === subA.id), subA);
  assert.equal(subA.providerId, provider.id);
  assert.equal(subA.appid, 'wxshopa0000000001');
  assert.deepEqual(provider.apiVersions, ['v2', 'v3']);
  const direct = await addMerchant(sandbox, { kind: 'direct', name: 'legacy', apiVersions: ['v2'] });
  assert.deepEqual(direct.apiVersions, ['v2']);
  assert.equal((await json(sandbox, 'POST', '/sandbox/merchants', { kind: 'sub', name: 'x' })).status, 400);
  assert.equal((await json(sandbox, 'POST', '/sandbox/merchants', { kind: 'sub', name: 'x', providerId: sandbox.demoMerchant.mchid })).status, 404);
  assert.equal((await json(sandbox, 'POST', '/sandbox/merchants', { kind: 'direct', name: 'x', appid: subA.appid })).status, 409);
});

test('v2 partner: unifiedorder, pay, notification, query, refund, refundquery, close and bills, each refusal', async (t) => {
  const { sandbox, provider, subA, subB, openidA, openidB } = await partnerWorld(t);
  const merchant = await startMerchant(t);
  const notices: Notice[] = [];
  const problems: string[] = [];
  const wronglyAccepted: Notice[] = [];
  // The notify handler of sub-merchant A: the provider's key, A's sub_mch_id.
  const handlerA = createNotifyHandler({
    version: 'v2', apiKey: provider.apiKey, appid: provider.appid, mchId: provider.mchid, subMchId: subA.mchid, subAppid: subA.appid,
    signType: 'HMAC-SHA256', onNotice: (n) => void notices.push(n), onProblem: (p) => void problems.push(p.reason),
  });
  const handlerB = createNotifyHandler({
    version: 'v2', apiKey: provider.apiKey, appid: provider.appid, mchId: provider.mchid, subMchId: subB.mchid,
    onNotice: (n) => void wronglyAccepted.push(n), onProblem: (p) => void problems.push(`B:${p.reason}`),
  });
  merchant.answer = async (r) => {
    // Everything the sandbox sends here is sub-merchant A's; B's handler refuses the same authentic bytes.
    const b = await handlerB.handle({ headers: r.headers, body: r.body });
    assert.match(b.body, /FAIL/);
    const a = await handlerA.handle({ headers: r.headers, body: r.body });
    return { status: a.status, body: a.body };
  };
  const client = createV2Client({
    appid: provider.appid, mchid: provider.mchid, apiKey: provider.apiKey, baseUrl: sandbox.base, clientCert: clientCert(),
    subMchId: subA.mchid, subAppid: subA.appid, clock: () => sandbox.clock.now(),
  });
  t.after(() => client.close());

  const order = await client.unifiedOrder({
    body: 'Tea', out_trade_no: 'P2A0001', total_fee: 1200, spbill_create_ip: '127.0.0.1', notify_url: merchant.url, sub_openid: openidA,
  });
  assert.equal(order.sub_mch_id, subA.mchid);
  assert.equal(order.pay_appid, subA.appid);
  const { appid, payParams } = client.payParamsFor(order);
  assert.equal(appid, subA.appid);
  // Signed for the provider's appid the cashier refuses it: the paying mini program is sub_appid.
  const wrong = client.payParams(order.prepay_id, { appid: provider.appid, signType: 'HMAC-SHA256' });
  assert.match(String((await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...wrong, openid: openidA, action: 'pay' })).body.errMsg), /签名失败/);
  assert.equal((await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...payParams, appId: appid, openid: openidA, action: 'pay' })).body.errMsg, 'requestPayment:ok');
  await sandbox.clock.advance(0);
  assert.equal(notices.length, 1);
  const paid = notices[0];
  assert.ok(paid?.version === 'v2' && paid.kind === 'payment');
  assert.equal(paid.payment.mch_id, provider.mchid);
  assert.equal(paid.payment.sub_mch_id, subA.mchid);
  assert.equal(paid.payment.sub_appid, subA.appid);
  assert.equal(paid.payment.sub_openid, openidA);
  assert.ok(problems.includes('B:wrong_merchant'));
  assert.deepEqual(wronglyAccepted, []);

  const q = await client.orderQuery({ out_trade_no: 'P2A0001' });
  assert.equal(q.trade_state, 'SUCCESS');
  assert.equal(q.sub_mch_id, subA.mchid);
  assert.equal(q.sub_openid, openidA);
  // Another sub-merchant of the same provider does not see A's order.
  await assert.rejects(client.orderQuery({ out_trade_no: 'P2A0001', sub_mch_id: subB.mchid }), (e: unknown) => e instanceof WxPayApiError && e.code === 'ORDERNOTEXIST');

  const refund = await client.refund({ out_trade_no: 'P2A0001', out_refund_no: 'P2AR1', total_fee: 1200, refund_fee: 200, notify_url: merchant.url });
  assert.equal(refund.refund_fee, 200);
  await sandbox.clock.advance(10);
  const refunded = notices[1];
  assert.ok(refunded?.version === 'v2' && refunded.kind === 'refund');
  assert.equal(refunded.refund.sub_mch_id, subA.mchid);
  assert.equal(refunded.refund.refund_fee, 200);
  assert.equal((await client.refundQuery({ out_refund_no: 'P2AR1' })).refunds[0]?.refund_status, 'SUCCESS');

  // B: an order with sp openid-less sub_openid under B's appid; closed.
  await client.unifiedOrder({
    body: 'Cake', out_trade_no: 'P2B0001', total_fee: 800, spbill_create_ip: '127.0.0.1', notify_url: merchant.url,
    sub_mch_id: subB.mchid, sub_appid: subB.appid, sub_openid: openidB,
  });
  assert.equal((await client.closeOrder({ out_trade_no: 'P2B0001', sub_mch_id: subB.mchid })).alreadyClosed, false);

  // Refusals, with WeChat's codes.
  const base = { body: 'x', total_fee: 1, spbill_create_ip: '127.0.0.1', notify_url: merchant.url };
  const refusal = async (request: Parameters<typeof client.unifiedOrder>[0], code: string) =>
    assert.rejects(client.unifiedOrder(request), (e: unknown) => e instanceof WxPayApiError && e.code === code, code);
  await refusal({ ...base, out_trade_no: 'R1', sub_mch_id: sandbox.demoMerchant.mchid, openid: 'o' }, 'NOAUTH');
  await refusal({ ...base, out_trade_no: 'R2', sub_mch_id: subA.mchid, sub_appid: subB.appid, sub_openid: openidB }, 'INVALID_REQUEST');
  await refusal({ ...base, out_trade_no: 'R3', sub_mch_id: subA.mchid, sub_appid: subA.appid, sub_openid: openidB }, 'PARAM_ERROR');
  // sub_openid without sub_appid: the SDK refuses before sending; the sandbox too, when sent by hand.
  await assert.rejects(client.unifiedOrder({ ...base, out_trade_no: 'R4', sub_mch_id: subA.mchid, sub_openid: openidA }), WxPayValidationError);
  const direct = createV2Client({ appid: provider.appid, mchid: provider.mchid, apiKey: provider.apiKey, baseUrl: sandbox.base });
  await assert.rejects(direct.orderQuery({ out_trade_no: 'P2A0001' }), (e: unknown) => e instanceof WxPayApiError && e.code === 'LACK_PARAMS');

  // Bills: per sub-merchant, and the provider's over all of them.
  const day = new Date(T0 + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  await sandbox.clock.advance(24 * 3600);
  const billA = await client.downloadBill({ bill_date: day });
  assert.equal(billA.rows.length, 2);
  assert.ok(billA.rows.every((r) => r.sub_mch_id === subA.mchid && r.mch_id === provider.mchid));
  const all = await direct.downloadBill({ bill_date: day });
  assert.equal(all.rows.length, 2);
  await assert.rejects(client.downloadBill({ bill_date: day, sub_mch_id: subB.mchid }), (e: unknown) => e instanceof WxPayApiError);
});

function v3Partner(sandbox: Started, provider: Listed, listing: Record<string, unknown>, sub?: Listed): V3PartnerClient {
  const wechatpay = listing.wechatpay as { publicKeyId: string; publicKeyPem: string };
  return createV3PartnerClient({
    spMchid: provider.mchid, spAppid: provider.appid, apiV3Key: provider.apiV3Key,
    serialNo: provider.merchantCertSerial, privateKey: provider.merchantPrivateKey,
    publicKey: { id: wechatpay.publicKeyId, key: wechatpay.publicKeyPem },
    baseUrl: sandbox.base, clock: () => T0, sleep: async () => {},
    ...(sub === undefined ? {} : { subMchid: sub.mchid, subAppid: sub.appid }),
  });
}

test('v3 partner: prepay, pay, notifications for each sub-merchant, query both ways, refund, close, bills, refusals', async (t) => {
  const { sandbox, provider, subA, subB, openidA, openidB, spOpenid } = await partnerWorld(t);
  const listing = (await json(sandbox, 'GET', '/sandbox/merchants')).body;
  const wechatpay = listing.wechatpay as { publicKeyId: string; publicKeyPem: string };
  const verifier = new PublicKeyVerifier(wechatpay.publicKeyId, wechatpay.publicKeyPem);
  const seen: Record<string, Notice[]> = { A: [], B: [] };
  const refused: string[] = [];
  const handlerFor = (name: 'A' | 'B', sub: Listed) => createNotifyHandler({
    version: 'v3', apiV3Key: provider.apiV3Key, verifier, mchid: provider.mchid, appid: provider.appid, subMchid: sub.mchid,
    clock: () => T0, onNotice: (n) => void seen[name]?.push(n), onProblem: (p) => void refused.push(`${name}:${p.reason}`),
  });
  const handlers = { A: handlerFor('A', subA), B: handlerFor('B', subB) };
  const servers: Record<string, MerchantServer> = { A: await startMerchant(t), B: await startMerchant(t) };
  for (const [name, server] of Object.entries(servers)) {
    server.answer = async (r) => {
      // Each notification is also shown to the other sub-merchant's handler, which must refuse it.
      const other = handlers[name === 'A' ? 'B' : 'A'];
      assert.equal((await other.handle({ headers: r.headers, body: r.body })).status, 400);
      const reply = await handlers[name as 'A' | 'B'].handle({ headers: r.headers, body: r.body });
      return { status: reply.status, body: reply.body };
    };
  }
  const client = v3Partner(sandbox, provider, listing, subA);

  const prepay = await client.jsapiPrepay({ description: 'Tea', out_trade_no: 'P3A000001', notify_url: servers.A!.url, amount: { total: 990 }, payer: { sub_openid: openidA } });
  assert.equal(prepay.pay_appid, subA.appid);
  const pay = client.payParamsFor(prepay);
  assert.equal(pay.appid, subA.appid);
  assert.equal((await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...pay.payParams, openid: openidA, action: 'pay' })).body.errMsg, 'requestPayment:ok');
  // Sub-merchant B, paid by sp_openid (no sub_appid): the paySign is for the provider's appid.
  const prepayB = await client.jsapiPrepay({ sub_mchid: subB.mchid, description: 'Cake', out_trade_no: 'P3B000001', notify_url: servers.B!.url, amount: { total: 500 }, payer: { sp_openid: spOpenid } });
  assert.equal(prepayB.pay_appid, provider.appid);
  const payB = client.payParamsFor(prepayB);
  assert.equal((await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...payB.payParams, openid: spOpenid, action: 'pay' })).body.errMsg, 'requestPayment:ok');
  await sandbox.clock.advance(0);
  assert.equal(seen.A?.length, 1);
  assert.equal(seen.B?.length, 1);
  const a = seen.A?.[0];
  assert.ok(a?.version === 'v3' && a.kind === 'partner_payment');
  assert.equal(a.payment.sub_mchid, subA.mchid);
  assert.equal(a.payment.sub_appid, subA.appid);
  assert.equal(a.payment.payer?.sub_openid, openidA);
  assert.equal(a.payment.amount.total, 990);
  assert.deepEqual(refused.sort(), ['A:wrong_merchant', 'B:wrong_merchant']);

  const byNo = await client.queryByOutTradeNo('P3A000001');
  assert.equal(byNo.trade_state, 'SUCCESS');
  assert.equal(byNo.sp_mchid, provider.mchid);
  const byId = await client.queryByTransactionId(byNo.transaction_id ?? '');
  assert.equal(byId.out_trade_no, 'P3A000001');
  await assert.rejects(client.queryByOutTradeNo('P3A000001', { sub_mchid: subB.mchid }), (e: unknown) => e instanceof WxPayApiError && e.code === 'ORDER_NOT_EXIST');

  const refund = await client.refund({ out_trade_no: 'P3A000001', out_refund_no: 'P3AR1', amount: { refund: 90, total: 990 }, notify_url: servers.A!.url });
  assert.equal(refund.status, 'PROCESSING');
  await sandbox.clock.advance(10);
  const r = seen.A?.[1];
  assert.ok(r?.version === 'v3' && r.kind === 'partner_refund');
  assert.equal(r.refund.sub_mchid, subA.mchid);
  assert.equal(r.refund.amount.refund, 90);
  assert.equal((await client.refundQuery('P3AR1')).status, 'SUCCESS');
  await assert.rejects(client.refundQuery('P3AR1', { sub_mchid: subB.mchid }), (e: unknown) => e instanceof WxPayApiError && e.code === 'RESOURCE_NOT_EXISTS');

  await client.jsapiPrepay({ sub_mchid: subB.mchid, sub_appid: subB.appid, description: 'Bun', out_trade_no: 'P3B000002', notify_url: servers.B!.url, amount: { total: 300 }, payer: { sub_openid: openidB } });
  await client.close('P3B000002', { sub_mchid: subB.mchid });
  assert.equal((await client.queryByOutTradeNo('P3B000002', { sub_mchid: subB.mchid })).trade_state, 'CLOSED');

  // Refusals with WeChat's codes.
  const base = { description: 'x', notify_url: servers.A!.url, amount: { total: 1 } };
  const refusal = async (request: Parameters<typeof client.jsapiPrepay>[0], status: number, code: string) =>
    assert.rejects(client.jsapiPrepay(request), (e: unknown) => e instanceof WxPayApiError && e.status === status && e.code === code, code);
  await refusal({ ...base, out_trade_no: 'R3000001', sub_mchid: sandbox.demoMerchant.mchid, payer: { sp_openid: spOpenid } }, 403, 'NO_AUTH');
  await refusal({ ...base, out_trade_no: 'R3000002', sub_mchid: subA.mchid, sub_appid: subB.appid, payer: { sub_openid: openidB } }, 400, 'INVALID_REQUEST');
  await refusal({ ...base, out_trade_no: 'R3000003', sub_appid: subA.appid, payer: { sub_openid: openidB } }, 400, 'PARAM_ERROR');
  await assert.rejects(client.jsapiPrepay({ ...base, out_trade_no: 'R3000004', sub_mchid: subB.mchid, payer: { sub_openid: openidB } }), WxPayValidationError);
  // The provider cannot use the direct API (it has no orders of its own).
  const listed = (listing.merchants as Listed[]).find((m) => m.id === provider.id)!;
  assert.equal(listed.kind, 'provider');

  // Bills: one sub-merchant's, and the provider's across its sub-merchants.
  await sandbox.clock.advance(24 * 3600);
  const day = new Date(T0 + 8 * 3600_000).toISOString().slice(0, 10);
  const billA = await client.tradeBill({ bill_date: day });
  assert.equal(billA.bill.rows.length, 2);
  const billAll = await client.tradeBill({ bill_date: day, sub_mchid: null });
  assert.equal(billAll.bill.rows.length, 3);
});

test('the sandbox itself refuses what the SDK would not send: sub_openid without sub_appid, direct calls by providers and sub-merchants, unbound refunds, disabled API versions', async (t) => {
  const { sandbox, provider, subA, subB, openidA } = await partnerWorld(t);
  const signedV2 = async (m: Listed, path: string, params: Record<string, string | number>) => {
    const fields = { appid: m.appid, mch_id: m.mchid, nonce_str: 'n0nce', sign_type: 'MD5', ...params };
    const body = buildXml({ ...fields, sign: signV2(fields, m.apiKey, 'MD5') });
    const res = await fetch(`${sandbox.base}${path}`, { method: 'POST', body });
    return parseXml(await res.text());
  };
  const order = { body: 'x', out_trade_no: 'H0001', total_fee: 1, spbill_create_ip: '127.0.0.1', notify_url: 'http://127.0.0.1:9/n', trade_type: 'JSAPI' };
  assert.equal((await signedV2(provider, '/pay/unifiedorder', { ...order, sub_mch_id: subA.mchid, sub_openid: openidA })).err_code, 'LACK_PARAMS');
  assert.equal((await signedV2(provider, '/pay/unifiedorder', { ...order, openid: openidA })).err_code, 'LACK_PARAMS');
  assert.equal((await signedV2(subA, '/pay/unifiedorder', { ...order, openid: openidA })).err_code, 'NOAUTH');
  assert.equal((await signedV2(provider, '/pay/unifiedorder', { ...order, sub_mch_id: subA.mchid, openid: openidA })).err_code, 'PARAM_ERROR');
  assert.equal((await signedV2(provider, '/pay/refundquery', { out_refund_no: 'X1', sub_mch_id: sandbox.demoMerchant.mchid })).err_code, 'NOAUTH');
  // A sub-merchant of another provider is not bound to this one.
  const rival = await addMerchant(sandbox, { kind: 'provider', name: 'rival' });
  const rivalSub = await addMerchant(sandbox, { kind: 'sub', name: 'rival-shop', providerId: rival.id });
  assert.equal((await signedV2(provider, '/pay/orderquery', { out_trade_no: 'H0001', sub_mch_id: rivalSub.mchid })).err_code, 'NOAUTH');
  const ok = await signedV2(provider, '/pay/unifiedorder', { ...order, sub_mch_id: subA.mchid, sub_appid: subA.appid, sub_openid: openidA });
  assert.equal(ok.result_code, 'SUCCESS');
  assert.equal(ok.sub_mch_id, subA.mchid);
  assert.ok(verifyV2Sign(ok, provider.apiKey, 'MD5'));

  // v3 by hand, signed with the provider's key.
  const signer = createV3Signer({ mchid: provider.mchid, serialNo: provider.merchantCertSerial, privateKey: provider.merchantPrivateKey, clock: () => T0 });
  const v3 = async (method: 'GET' | 'POST', path: string, body?: object) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const res = await fetch(`${sandbox.base}${path}`, {
      method, ...(body === undefined ? {} : { body: text }),
      headers: { authorization: signer.authorization({ method, url: path, body: text }), 'content-type': 'application/json' },
    });
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as { code?: string } };
  };
  const prepay = { sp_appid: provider.appid, sp_mchid: provider.mchid, sub_mchid: subA.mchid, description: 'x', out_trade_no: 'H30001', notify_url: 'http://127.0.0.1:9/n', amount: { total: 1 } };
  assert.deepEqual(await v3('POST', '/v3/pay/partner/transactions/jsapi', { ...prepay, payer: { sub_openid: openidA } }).then((r) => [r.status, r.body.code]), [400, 'PARAM_ERROR']);
  assert.deepEqual(await v3('POST', '/v3/pay/transactions/jsapi', { appid: provider.appid, mchid: provider.mchid, description: 'x', out_trade_no: 'H30002', notify_url: 'http://127.0.0.1:9/n', amount: { total: 1 }, payer: { openid: openidA } }).then((r) => [r.status, r.body.code]), [400, 'PARAM_ERROR']);
  assert.deepEqual(await v3('POST', '/v3/refund/domestic/refunds', { sub_mchid: subB.mchid, out_trade_no: 'H30001', out_refund_no: 'HR1', amount: { refund: 1, total: 1, currency: 'CNY' } }).then((r) => [r.status, r.body.code]), [404, 'RESOURCE_NOT_EXISTS']);
  assert.deepEqual(await v3('GET', `/v3/pay/partner/transactions/out-trade-no/H30001?sp_mchid=${provider.mchid}&sub_mchid=${sandbox.demoMerchant.mchid}`).then((r) => [r.status, r.body.code]), [403, 'NO_AUTH']);
  assert.deepEqual(await v3('POST', '/v3/pay/partner/transactions/jsapi', { ...prepay, out_trade_no: 'H30003', sub_mchid: rivalSub.mchid, payer: { sp_openid: 'o' } }).then((r) => [r.status, r.body.code]), [403, 'NO_AUTH']);
  assert.deepEqual(await v3('GET', `/v3/pay/partner/transactions/out-trade-no/H30001?sp_mchid=${sandbox.demoMerchant.mchid}&sub_mchid=${subA.mchid}`).then((r) => [r.status, r.body.code]), [400, 'INVALID_REQUEST']);

  // A v2-only merchant cannot call v3.
  const legacy = await addMerchant(sandbox, { kind: 'direct', name: 'legacy', apiVersions: ['v2'] });
  const legacySigner = createV3Signer({ mchid: legacy.mchid, serialNo: legacy.merchantCertSerial, privateKey: legacy.merchantPrivateKey, clock: () => T0 });
  const path = `/v3/pay/transactions/out-trade-no/H30009?mchid=${legacy.mchid}`;
  const res = await fetch(`${sandbox.base}${path}`, { headers: { authorization: legacySigner.authorization({ method: 'GET', url: path, body: '' }) } });
  assert.equal(res.status, 403);
  // GET /sandbox/orders shows who a partner order belongs to.
  const orders = (await json(sandbox, 'GET', `/sandbox/orders?mchid=${subA.mchid}`)).body.orders as { partner?: { spMchid: string } }[];
  assert.equal(orders[0]?.partner?.spMchid, provider.mchid);
});

test('merchants added through the control API survive a restart from the SQLite state', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-partner-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'state.db');
  const first = await createSandbox({ dbPath, now: () => T0 });
  const base = await first.listen();
  const provider = (await json({ base }, 'POST', '/sandbox/merchants', { kind: 'provider', name: 'p' })).body as unknown as Listed;
  await first.close();
  const second = await createSandbox({ dbPath, now: () => T0 });
  t.after(() => second.close());
  const again = await second.listen();
  const listed = (await json({ base: again }, 'GET', '/sandbox/merchants')).body.merchants as Listed[];
  assert.deepEqual(listed.find((m) => m.id === provider.id), provider);
});
