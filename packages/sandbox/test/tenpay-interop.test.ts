import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { json, startSandbox } from './helpers.js';

/**
 * Interop with an independent SDK: `tenpay` (node-tenpay, npm) talks to the sandbox as it would to WeChat. It signs
 * requests and verifies every answer with its own code, and its Koa middleware verifies our notifications. Nothing
 * of @wxpay-kit/wechat is used on the merchant side here, so the sandbox is checked against someone else's reading
 * of the protocol.
 */

type Fields = Record<string, string>;
type KoaLikeCtx = { request: { body: string; weixin?: Fields & { req_info?: Fields } }; type?: string; body?: string; reply?: (msg?: string) => void };
interface TenpayPayment {
  urls: Record<string, string>;
  unifiedOrder(params: Record<string, unknown>): Promise<Fields>;
  orderQuery(params: Record<string, unknown>): Promise<Fields>;
  closeOrder(params: Record<string, unknown>): Promise<Fields>;
  refund(params: Record<string, unknown>): Promise<Fields>;
  refundQuery(params: Record<string, unknown>): Promise<Fields>;
  downloadBill(params: Record<string, unknown>, format?: boolean): Promise<{ list_data: string[][]; total_data: string[] }>;
  getPayParamsByPrepay(params: { prepay_id: string }, signType?: string): Record<string, string>;
  middleware(type: 'pay' | 'refund'): (ctx: KoaLikeCtx, next: () => Promise<void>) => Promise<void>;
}
type TenpayClass = new (config: Record<string, unknown>) => TenpayPayment;

const require = createRequire(import.meta.url);
const Tenpay = require('tenpay') as TenpayClass;

/** Point every tenpay URL at the sandbox: WeChat's paths, another host. */
function pointAt(api: TenpayPayment, base: string): void {
  for (const [name, url] of Object.entries(api.urls)) api.urls[name] = url.replace(/^https:\/\/[^/]+/, base);
}

type Received = { kind: 'pay' | 'refund'; weixin: Fields & { req_info?: Fields } };

/** A tiny merchant on node:http whose notification handling is tenpay's own middleware. */
async function tenpayMerchant(t: { after: (fn: () => Promise<void>) => void }, api: TenpayPayment): Promise<{ url: string; received: Received[]; refused: number }> {
  const state = { url: '', received: [] as Received[], refused: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const kind = req.url === '/refund' ? 'refund' : 'pay';
      const ctx: KoaLikeCtx = { request: { body: Buffer.concat(chunks).toString('utf8') } };
      void api.middleware(kind)(ctx, async () => {
        const weixin = ctx.request.weixin;
        if (weixin !== undefined) state.received.push({ kind, weixin });
        ctx.reply?.();
      }).then(() => {
        if (ctx.request.weixin === undefined) state.refused += 1;
        res.writeHead(200, { 'content-type': ctx.type ?? 'application/xml' });
        res.end(ctx.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return state;
}

test('tenpay (independent npm SDK): login → unifiedorder → requestPayment → notification → orderquery → refund', async (t) => {
  const sandbox = await startSandbox(t);
  const m = sandbox.demoMerchant;
  const api = new Tenpay({ appid: m.appid, mchid: m.mchid, partnerKey: m.apiKey, spbill_create_ip: '127.0.0.1' });
  pointAt(api, sandbox.base);
  const merchant = await tenpayMerchant(t, api);

  // Login, as a merchant backend does it with WeChat's HTTP API.
  const { code } = (await json(sandbox, 'POST', '/sandbox/wx/login', { appid: m.appid, user: 'erin' })).body as { code: string };
  const session = (await (await fetch(`${sandbox.base}/sns/jscode2session?appid=${m.appid}&secret=${m.secret}&js_code=${code}&grant_type=authorization_code`)).json()) as { openid: string };

  const outTradeNo = `TP${Date.now()}`;
  // tenpay verifies appid, mch_id and the answer's signature itself, and throws otherwise.
  const order = await api.unifiedOrder({
    out_trade_no: outTradeNo, body: 'Tenpay tea', total_fee: 321, openid: session.openid, notify_url: `${merchant.url}/pay`,
  });
  assert.equal(order.result_code, 'SUCCESS');
  assert.ok(order.prepay_id);
  const params = api.getPayParamsByPrepay({ prepay_id: order.prepay_id ?? '' }, 'MD5');
  const { timeStamp, nonceStr, signType, paySign } = params;
  const paid = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', {
    timeStamp, nonceStr, package: params.package, signType, paySign, openid: session.openid, action: 'pay',
  });
  assert.equal(paid.body.errMsg, 'requestPayment:ok');

  await sandbox.clock.advance(0);
  assert.equal(merchant.refused, 0);
  assert.equal(merchant.received.length, 1, 'tenpay accepted the notification and answered SUCCESS');
  const notification = merchant.received[0]?.weixin;
  assert.equal(notification?.out_trade_no, outTradeNo);
  assert.equal(notification?.total_fee, '321');
  const jobs = (await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as { status: string }[];
  assert.equal(jobs[0]?.status, 'delivered', "the sandbox recognised tenpay's success reply");

  const query = await api.orderQuery({ out_trade_no: outTradeNo });
  assert.equal(query.trade_state, 'SUCCESS');
  assert.equal(query.transaction_id, notification?.transaction_id);
  await assert.rejects(api.closeOrder({ out_trade_no: outTradeNo }), /ORDERPAID/);

  // HMAC-SHA256 works end to end with tenpay as well.
  const hmac = await api.orderQuery({ out_trade_no: outTradeNo, sign_type: 'HMAC-SHA256' });
  assert.equal(hmac.trade_state, 'SUCCESS');

  const refund = await api.refund({ out_trade_no: outTradeNo, out_refund_no: `R${outTradeNo}`, total_fee: 321, refund_fee: 21, notify_url: `${merchant.url}/refund` });
  assert.equal(refund.refund_fee, '21');
  await sandbox.clock.advance(5);
  const refundQuery = await api.refundQuery({ out_refund_no: `R${outTradeNo}` });
  assert.equal(refundQuery.refund_status_0, 'SUCCESS');
  // tenpay's refund middleware decrypts req_info with md5(key) and checks appid/mch_id.
  assert.equal(merchant.received.length, 2);
  assert.equal(merchant.received[1]?.kind, 'refund');
  assert.equal(merchant.received[1]?.weixin.req_info?.out_refund_no, `R${outTradeNo}`);
  assert.equal(merchant.received[1]?.weixin.req_info?.refund_status, 'SUCCESS');

  const bill = await api.downloadBill({ bill_date: '20261126' }, true);
  assert.equal(bill.list_data.length, 2, 'the payment and the refund');
  assert.equal(bill.total_data[0], '2');

  // And tenpay refuses what it should: a forged notification (badSignature fault) is not accepted.
  await json(sandbox, 'POST', '/sandbox/faults', { notify: { badSignature: true } });
  const forgedNo = `TPF${Date.now()}`;
  const forged = await api.unifiedOrder({ out_trade_no: forgedNo, body: 'x', total_fee: 1, openid: session.openid, notify_url: `${merchant.url}/pay` });
  const fp = api.getPayParamsByPrepay({ prepay_id: forged.prepay_id ?? '' }, 'MD5');
  await json(sandbox, 'POST', '/sandbox/wx/requestPayment', {
    timeStamp: fp.timeStamp, nonceStr: fp.nonceStr, package: fp.package, signType: fp.signType, paySign: fp.paySign, openid: session.openid, action: 'pay',
  });
  await sandbox.clock.advance(0);
  assert.equal(merchant.refused, 1);
  const forgedJobs = (await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${forgedNo}`)).body.notifications as { status: string }[];
  assert.equal(forgedJobs[0]?.status, 'pending', 'refused, so WeChat will retry');
});
