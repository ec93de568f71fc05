import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLoginClient, createV2Client, parseV2PaymentNotification, parseV2RefundNotification, v2NotificationReply, WxPayApiError,
  type V2ClientCert,
} from '@wxpay-kit/wechat';
import { json, startMerchant, startSandbox } from './helpers.js';

/** A throw-away client certificate: the SDK insists on one for refunds; the sandbox (plain HTTP) does not check it. */
function clientCert(): V2ClientCert | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-sandbox-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=sandbox-merchant', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('our SDK (@wxpay-kit/wechat) runs the whole flow against the sandbox', async (t) => {
  const sandbox = await startSandbox(t);
  const m = sandbox.demoMerchant;
  const merchant = await startMerchant(t);
  const notifications: string[] = [];
  merchant.answer = (r) => {
    notifications.push(r.body);
    try {
      const n = r.headers['content-type']?.includes('xml') && r.body.includes('req_info')
        ? parseV2RefundNotification(r.body, { apiKey: m.apiKey })
        : parseV2PaymentNotification(r.body, { apiKey: m.apiKey, signType: 'HMAC-SHA256' });
      assert.ok(n);
      return { status: 200, body: v2NotificationReply({ ok: true }) };
    } catch {
      return { status: 200, body: v2NotificationReply({ ok: false, message: 'bad' }) };
    }
  };

  // Login: the sandbox stands in for wx.login, our SDK exchanges the code.
  const { code, openid } = (await json(sandbox, 'POST', '/sandbox/wx/login', { appid: m.appid, user: 'dora' })).body as { code: string; openid: string };
  const loginClient = createLoginClient({ appid: m.appid, secret: m.secret, baseUrl: sandbox.base });
  const session = await loginClient.code2Session(code);
  assert.equal(session.openid, openid);
  await assert.rejects(loginClient.code2Session(code), (e: unknown) => e instanceof WxPayApiError && e.code === '40163');

  const cert = clientCert();
  const client = createV2Client({
    appid: m.appid, mchid: m.mchid, apiKey: m.apiKey, baseUrl: sandbox.base, signType: 'HMAC-SHA256',
    clock: () => sandbox.clock.now(), ...(cert === undefined ? {} : { clientCert: cert }),
  });
  t.after(() => client.close());
  const outTradeNo = `SDK${Date.now()}`;
  const order = await client.unifiedOrder({
    body: 'Oolong 250g', out_trade_no: outTradeNo, total_fee: 2599, spbill_create_ip: '127.0.0.1',
    notify_url: merchant.url, openid, attach: 'order=42',
  });
  assert.equal(order.sign_type, 'HMAC-SHA256');
  const again = await client.unifiedOrder({
    body: 'Oolong 250g', out_trade_no: outTradeNo, total_fee: 2599, spbill_create_ip: '127.0.0.1',
    notify_url: merchant.url, openid, attach: 'order=42',
  });
  assert.equal(again.prepay_id, order.prepay_id);

  assert.equal((await client.orderQuery({ out_trade_no: outTradeNo })).trade_state, 'NOTPAY');
  const params = client.payParams(order.prepay_id, { signType: 'HMAC-SHA256' });
  const paid = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...params, openid, action: 'pay' });
  assert.equal(paid.body.errMsg, 'requestPayment:ok');
  await sandbox.clock.advance(0);
  assert.equal(notifications.length, 1);
  const n = parseV2PaymentNotification(notifications[0] ?? '', { apiKey: m.apiKey, signType: 'HMAC-SHA256' });
  assert.equal(n.total_fee, 2599);
  assert.equal(n.attach, 'order=42');

  const q = await client.orderQuery({ out_trade_no: outTradeNo });
  assert.equal(q.trade_state, 'SUCCESS');
  assert.equal(q.transaction_id, n.transaction_id);
  assert.equal(q.total_fee, 2599);
  await assert.rejects(client.closeOrder({ out_trade_no: outTradeNo }), (e: unknown) => e instanceof WxPayApiError && e.code === 'ORDERPAID');

  const bill = await client.downloadBill({ bill_date: '20261126', gzip: true });
  assert.equal(bill.rows.length, 1);
  assert.equal(bill.rows[0]?.out_trade_no, outTradeNo);
  assert.equal(bill.rows[0]?.total_fee, 2599);

  if (cert === undefined) {
    t.diagnostic('openssl not available: refund part skipped');
    return;
  }
  const refund = await client.refund({ out_trade_no: outTradeNo, out_refund_no: `R${outTradeNo}`, total_fee: 2599, refund_fee: 599, notify_url: merchant.url });
  assert.equal(refund.refund_fee, 599);
  await sandbox.clock.advance(5);
  const rq = await client.refundQuery({ out_refund_no: `R${outTradeNo}` });
  assert.equal(rq.refunds[0]?.refund_status, 'SUCCESS');
  assert.equal(notifications.length, 2);
  const rn = parseV2RefundNotification(notifications[1] ?? '', { apiKey: m.apiKey });
  assert.equal(rn.refund_fee, 599);
  const jobs = (await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as { status: string }[];
  assert.deepEqual(jobs.map((j) => j.status), ['delivered', 'delivered']);
});
