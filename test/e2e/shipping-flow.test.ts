/**
 * Fulfilment after payment (issue 14), end to end through the real server and the sandbox on both API versions and
 * both databases: paid → shipped by the operator (the first upload races the sandbox's indexing delay, 10060001, and
 * still succeeds) → receipt confirmed by the buyer and re-checked with get_order → settled by WeChat's pushed event,
 * received at /wechat/message in safe mode, verified and applied. Virtual goods ship themselves; a forged push
 * changes nothing; no token or key reaches the log.
 */
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { pushSignature } from '@wxpay-kit/wechat/miniprogram';
import { openPostgresTestStore, requirePostgres } from '../../packages/server/test/helpers/postgres.js';
import type { Store } from '../../packages/server/src/ports/store.js';
import { API_VERSIONS, startStack } from './helpers/stack.js';
import type { ApiVersion, Stack, User } from './helpers/stack.js';

const ADMIN = { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' };

type Shipping = { status: string; packages: { expressCompany: string; trackingNo: string }[]; upload?: string; logisticsType?: string; shippedAt?: string; confirmedAt?: string; settledAt?: string };
type OrderJson = { orderId: string; outTradeNo: string; status: string; shipping: Shipping };

/** Every log line the server writes, as text. */
function captureLog(): { logger: ReturnType<typeof pino>; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

async function stackOn(t: TestContext, version: ApiVersion, db: 'sqlite' | 'postgres', logger: ReturnType<typeof pino>): Promise<Stack | undefined> {
  let store: Store | undefined;
  if (db === 'postgres') {
    const url = await requirePostgres(t);
    if (url === undefined) return undefined;
    store = await openPostgresTestStore(url);
    const opened = store;
    t.after(() => opened.close());
  }
  return startStack(t, version, { deps: { logger, ...(store === undefined ? {} : { store }) } });
}

async function orderOf(s: Stack, user: User, orderId: string): Promise<OrderJson> {
  return (await s.order(user, orderId)) as unknown as OrderJson;
}

async function sandboxOrder(s: Stack, outTradeNo: string): Promise<{ orderState?: number; shipping: { logisticsType: number; packages: unknown[] } | null }> {
  const res = await fetch(`${s.sandbox.url}/sandbox/orders?outTradeNo=${outTradeNo}`);
  const body = (await res.json()) as { orders: { orderState?: number; shipping: { logisticsType: number; packages: unknown[] } | null }[] };
  const order = body.orders[0];
  assert.ok(order !== undefined, 'the sandbox knows the order');
  return order;
}

async function paidOrder(s: Stack, user: User, items?: { sku: string; quantity: number }[]): Promise<{ orderId: string; outTradeNo: string }> {
  const created = await s.createOrder(user, items);
  assert.equal(created.status, 201);
  assert.equal(await s.pay(user, created.body.payParams), 'requestPayment:ok');
  return { orderId: created.body.orderId, outTradeNo: created.body.outTradeNo };
}

async function ship(s: Stack, orderId: string, body: unknown): Promise<{ status: number; body: { shipping?: Shipping; duplicate?: boolean; error?: { code: string } } }> {
  const res = await fetch(`${s.url}/admin/orders/${orderId}/shipments`, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { shipping?: Shipping; duplicate?: boolean; error?: { code: string } } };
}

function secretsOf(s: Stack): string[] {
  const push = s.app.wx.config.messagePush;
  assert.ok(push !== undefined && push.aesKey !== undefined, 'sandbox mode generated a Token and an EncodingAESKey');
  const m = s.merchant;
  return [push.token, push.aesKey, m.secret, m.apiKey, m.apiV3Key].filter((v): v is string => typeof v === 'string' && v !== '');
}

for (const version of API_VERSIONS) {
  for (const db of ['sqlite', 'postgres'] as const) {
    describe(`shipping flow (${version}, ${db})`, () => {
      test('paid → shipped (racing the index delay) → receipt confirmed → settled by the pushed event; no secret in the log', async (t) => {
        const log = captureLog();
        const s = await stackOn(t, version, db, log.logger);
        if (s === undefined) return;
        const user = await s.login();
        const { orderId, outTradeNo } = await paidOrder(s, user);
        assert.equal((await orderOf(s, user, orderId)).shipping.status, 'NOT_SHIPPED');

        // Unpaid orders do not ship; a bad body changes nothing.
        assert.equal((await ship(s, orderId, { logisticsType: 'express' })).status, 400);
        assert.equal((await ship(s, orderId, { logisticsType: 'express', packages: [{ expressCompany: 'SF', trackingNo: 'SF1', contact: '13812345678' }] })).status, 400, 'an SF contact must be masked');
        assert.equal((await orderOf(s, user, orderId)).shipping.status, 'NOT_SHIPPED');

        const shipment = { logisticsType: 'express', packages: [{ expressCompany: 'YTO', trackingNo: 'YT0000000001', itemDesc: '乌龙茶*1' }] };
        const first = await ship(s, orderId, shipment);
        assert.equal(first.status, 202);
        assert.equal(first.body.shipping?.status, 'SHIPPED');
        assert.equal(first.body.shipping?.upload, 'PENDING');
        const again = await ship(s, orderId, shipment);
        assert.equal(again.status, 202);
        assert.equal(again.body.duplicate, true, 'the same shipment twice is recognised');

        // Seconds after payment WeChat has not indexed the payment: 10060001, retried later, not a failure.
        const early = await s.app.wx.jobs.deliverOutbox();
        assert.equal(early.failed, 0);
        assert.equal((await orderOf(s, user, orderId)).shipping.upload, 'PENDING');
        assert.equal((await sandboxOrder(s, outTradeNo)).orderState, 1);
        await s.app.wx.jobs.deliverOutbox();
        assert.equal((await sandboxOrder(s, outTradeNo)).orderState, 1, 'not retried before its backoff');

        await s.advance(30);
        const later = await s.app.wx.jobs.deliverOutbox();
        assert.equal(later.failed, 0);
        const shipped = await orderOf(s, user, orderId);
        assert.equal(shipped.status, 'PAID', 'the payment status is untouched');
        assert.equal(shipped.shipping.status, 'SHIPPED');
        assert.equal(shipped.shipping.upload, 'UPLOADED');
        assert.deepEqual(shipped.shipping.packages.map((p) => [p.expressCompany, p.trackingNo]), [['YTO', 'YT0000000001']]);
        const atWechat = await sandboxOrder(s, outTradeNo);
        assert.equal(atWechat.orderState, 2);
        assert.equal(atWechat.shipping?.packages.length, 1, 'uploaded once');
        const uploadsBefore = JSON.stringify(atWechat.shipping);
        await s.advance(3600);
        await s.app.wx.jobs.deliverOutbox();
        assert.equal(JSON.stringify((await sandboxOrder(s, outTradeNo)).shipping), uploadsBefore, 'never uploaded a second time');

        // The client claims receipt before the buyer confirmed: WeChat says otherwise, nothing changes.
        const confirm = () => fetch(`${s.url}/api/orders/${orderId}/confirm-receipt`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` } });
        const premature = await confirm();
        assert.equal(premature.status, 409);
        assert.equal(((await premature.json()) as { error: { code: string } }).error.code, 'not_confirmed');
        assert.equal((await orderOf(s, user, orderId)).shipping.status, 'SHIPPED');

        // The buyer confirms in the component (the sandbox plays it), then the mini program asks the server.
        const component = await fetch(`${s.url}/sandbox/wx/confirmReceive`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ openid: user.openid, outTradeNo }) });
        assert.equal(((await component.json()) as { errMsg: string }).errMsg, 'openBusinessView:ok');
        const confirmed = await confirm();
        assert.equal(confirmed.status, 200);
        const confirmedBody = (await confirmed.json()) as OrderJson;
        assert.equal(confirmedBody.shipping.status, 'CONFIRMED');
        assert.ok(confirmedBody.shipping.confirmedAt !== undefined);
        assert.equal((await confirm()).status, 200, 'confirming twice is harmless');

        // WeChat settles a day later and pushes trade_manage_order_settlement (safe mode, JSON) to /wechat/message.
        await s.advance(86_400 + 60);
        const settled = await orderOf(s, user, orderId);
        assert.equal(settled.shipping.status, 'SETTLED');
        assert.ok(settled.shipping.settledAt !== undefined);
        assert.equal(settled.status, 'PAID');
        const pushes = (await (await fetch(`${s.sandbox.url}/sandbox/notifications?outTradeNo=${outTradeNo}`)).json()) as { notifications: { kind: string; status: string }[] };
        assert.ok(pushes.notifications.some((n) => n.kind === 'trade_manage_order_settlement' && n.status === 'delivered'), 'the push was answered success');

        const list = (await (await fetch(`${s.url}/api/orders`, { headers: { authorization: `Bearer ${user.token}` } })).json()) as { orders: OrderJson[] };
        assert.equal(list.orders.find((o) => o.orderId === orderId)?.shipping.status, 'SETTLED');

        const text = log.text();
        assert.ok(text.includes('shipping uploaded to WeChat'), 'the log was captured');
        assert.match(text, /"level":30[^\n]*RetryLater[^\n]*10060001/, 'the first upload met the index delay (10060001) and was deferred');
        assert.ok(!/"level":(40|50)[^\n]*(shipping upload|hook failed)/.test(text), 'the 10060001 race is not logged as a failure');
        for (const secret of secretsOf(s)) assert.ok(!text.includes(secret), 'no token, key or secret in the log');
        assert.ok(!text.includes('access_token='), 'no access token in the log');
      });

      test('virtual goods ship themselves once paid (logistics_type 3)', async (t) => {
        const log = captureLog();
        const s = await stackOn(t, version, db, log.logger);
        if (s === undefined) return;
        const added = await fetch(`${s.url}/admin/products`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ sku: 'gift-card', name: 'Gift card', price: 5000, virtual: true }) });
        assert.equal(added.status, 201);
        assert.equal(((await added.json()) as { product: { virtual: boolean } }).product.virtual, true);
        const user = await s.login();
        const physical = await paidOrder(s, user);
        const virtual = await paidOrder(s, user, [{ sku: 'gift-card', quantity: 2 }]);
        await s.app.wx.jobs.deliverOutbox(); // order.paid: the virtual order records its shipment
        await s.advance(30);
        await s.app.wx.jobs.deliverOutbox();
        await s.app.wx.jobs.deliverOutbox();
        const got = await orderOf(s, user, virtual.orderId);
        assert.equal(got.shipping.status, 'SHIPPED');
        assert.equal(got.shipping.logisticsType, 'virtual');
        assert.equal(got.shipping.upload, 'UPLOADED');
        const atWechat = await sandboxOrder(s, virtual.outTradeNo);
        assert.equal(atWechat.orderState, 2);
        assert.equal(atWechat.shipping?.logisticsType, 3);
        assert.equal((await orderOf(s, user, physical.orderId)).shipping.status, 'NOT_SHIPPED', 'a physical order waits for the operator');
        assert.equal(s.events.filter((e) => e.topic === 'order.paid').length, 2, 'the fulfilment hook still hears of both payments');
        assert.ok(!s.events.some((e) => e.topic.startsWith('shipping.')), 'uploads are not the hook’s business');
      });

      test('a forged or altered push is refused and changes nothing; the URL check answers echostr only when signed', async (t) => {
        const log = captureLog();
        const s = await stackOn(t, version, db, log.logger);
        if (s === undefined) return;
        const user = await s.login();
        const { orderId, outTradeNo } = await paidOrder(s, user);
        assert.equal((await ship(s, orderId, { logisticsType: 'pickup' })).status, 202);
        const push = s.app.wx.config.messagePush;
        assert.ok(push !== undefined);
        const timestamp = String(Math.floor(s.clock.now() / 1000));
        const nonce = '12345';

        const ok = await fetch(`${s.url}/wechat/message?${new URLSearchParams({ signature: pushSignature([push.token, timestamp, nonce]), timestamp, nonce, echostr: 'hello-echo' })}`);
        assert.equal(ok.status, 200);
        assert.equal(await ok.text(), 'hello-echo');
        const bad = await fetch(`${s.url}/wechat/message?${new URLSearchParams({ signature: pushSignature(['wrongtoken', timestamp, nonce]), timestamp, nonce, echostr: 'hello-echo' })}`);
        assert.equal(bad.status, 401);
        assert.notEqual(await bad.text(), 'hello-echo');

        const event = {
          ToUserName: 'gh_0123456789ab', FromUserName: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', CreateTime: Number(timestamp), MsgType: 'event', Event: 'trade_manage_order_settlement',
          transaction_id: 'x', merchant_id: s.merchant.mchid, sub_merchant_id: '', merchant_trade_no: outTradeNo, pay_time: Number(timestamp), shipped_time: Number(timestamp),
          confirm_receive_method: 1, confirm_receive_time: Number(timestamp), settlement_time: Number(timestamp),
        };
        // Signed with a guessed token; and plain (unencrypted) with the right token, which safe mode refuses.
        for (const token of ['wrongtoken', push.token]) {
          const res = await fetch(`${s.url}/wechat/message?${new URLSearchParams({ signature: pushSignature([token, timestamp, nonce]), timestamp, nonce })}`, {
            method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event),
          });
          assert.equal(res.status, 401);
        }
        // Encrypted envelope with a forged msg_signature.
        const forged = await fetch(`${s.url}/wechat/message?${new URLSearchParams({ signature: 'x', timestamp, nonce, encrypt_type: 'aes', msg_signature: '0'.repeat(40) })}`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ToUserName: 'gh_0123456789ab', Encrypt: 'AAAA' }),
        });
        assert.equal(forged.status, 401);
        const after = await orderOf(s, user, orderId);
        assert.equal(after.shipping.status, 'SHIPPED');
        assert.equal(after.shipping.settledAt, undefined);
        for (const secret of secretsOf(s)) assert.ok(!log.text().includes(secret), 'no token or key in the log');
      });
    });
  }
}
