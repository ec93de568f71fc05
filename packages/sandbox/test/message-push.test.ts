import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createAccessTokenManager } from '@wxpay-kit/wechat/login';
import { createMessagePushReceiver, createMiniProgramClient, type PushMessage } from '@wxpay-kit/wechat/miniprogram';
import { createSandbox, DEMO_MERCHANT, type SandboxOptions } from '../src/index.js';
import { json, paidOrder, startSandbox, T0 } from './helpers.js';

/** Trade-management pushes received by the SDK's own message-push receiver on a real local server. */

const TOKEN = 'sandboxToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

type Config = { mode: 'plain' | 'compatible' | 'safe'; format: 'json' | 'xml' };

async function startReceiver(t: TestContext, config: Config) {
  const received: PushMessage[] = [];
  const statuses: number[] = [];
  const receiver = createMessagePushReceiver({
    token: TOKEN,
    appid: DEMO_MERCHANT.appid,
    ...(config.mode === 'plain' ? {} : { encodingAesKey: AES_KEY }),
    mode: config.mode,
    format: config.format,
    clock: () => T0,
    onMessage: (message) => {
      received.push(message);
    },
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      void receiver.handle({ method: req.method ?? 'POST', query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) }).then((answer) => {
        statuses.push(answer.status);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wx/push`, received, statuses };
}

async function shipAndSettle(t: TestContext, options: SandboxOptions, configure?: (sandbox: Awaited<ReturnType<typeof startSandbox>>) => Promise<void>) {
  const sandbox = await startSandbox(t, { tradeManagement: { settleAfterConfirmSeconds: 3600 }, ...options });
  await configure?.(sandbox);
  const m = sandbox.demoMerchant;
  const accessTokens = createAccessTokenManager({ appid: m.appid, secret: m.secret, baseUrl: sandbox.base, clock: () => sandbox.clock.now() });
  const client = createMiniProgramClient({ appid: m.appid, accessTokens, baseUrl: sandbox.base, clock: () => sandbox.clock.now() });
  const { outTradeNo, openid } = await paidOrder(sandbox, 'http://127.0.0.1:9/notify');
  await sandbox.clock.advance(10);
  await client.shipping.uploadShippingInfo({
    orderKey: { mchid: m.mchid, outTradeNo },
    logisticsType: 'express',
    deliveryMode: 'unified',
    packages: [{ trackingNo: 'YT1', expressCompany: 'YTO', itemDesc: '抱枕*1' }],
    payerOpenid: openid,
  });
  const confirmed = await json(sandbox, 'POST', '/sandbox/wx/confirmReceive', { openid, outTradeNo });
  assert.equal(confirmed.body.errMsg, 'openBusinessView:ok');
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 3600 });
  return { sandbox, outTradeNo };
}

for (const config of [{ mode: 'safe', format: 'json' }, { mode: 'plain', format: 'xml' }, { mode: 'compatible', format: 'xml' }] as const) {
  test(`trade_manage_order_settlement on settlement reaches createMessagePushReceiver (${config.mode}, ${config.format}), configured through the control API`, async (t) => {
    const receiver = await startReceiver(t, config);
    const { sandbox, outTradeNo } = await shipAndSettle(t, {}, async (sandbox) => {
      const put = await json(sandbox, 'PUT', '/sandbox/messagePush', {
        appid: sandbox.demoMerchant.appid,
        messagePush: { url: receiver.url, token: TOKEN, ...(config.mode === 'plain' ? {} : { encodingAesKey: AES_KEY }), mode: config.mode, format: config.format },
      });
      assert.equal(put.status, 200);
    });
    assert.deepEqual(receiver.statuses, [200]);
    assert.equal(receiver.received.length, 1);
    const message = receiver.received[0];
    assert.equal(message?.type, 'trade_manage_order_settlement');
    if (message?.type !== 'trade_manage_order_settlement') return;
    const order = ((await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`)).body.orders as Record<string, unknown>[])[0] ?? {};
    assert.equal(order.orderState, 4);
    assert.equal(message.transactionId, order.transactionId);
    assert.equal(message.merchantTradeNo, outTradeNo);
    assert.equal(message.merchantId, sandbox.demoMerchant.mchid);
    assert.equal(message.confirmReceiveMethod, 2);
    assert.equal(message.settlementTime, Math.floor(sandbox.clock.now() / 1000));
    assert.equal(message.settlementTime - (message.confirmReceiveTime ?? 0), 3600);
    const log = (await json(sandbox, 'GET', `/sandbox/notifications?outTradeNo=${outTradeNo}`)).body.notifications as Record<string, unknown>[];
    const push = log.find((n) => n.kind === 'trade_manage_order_settlement');
    assert.equal(push?.status, 'delivered');
  });
}

test('trade_manage_remind_shipping 48 virtual hours after payment for an unshipped order (merchant configured in options); a wrong token is retried', async (t) => {
  const receiver = await startReceiver(t, { mode: 'plain', format: 'json' });
  const sandbox = await startSandbox(t, {
    merchants: [{ ...DEMO_MERCHANT, messagePush: { url: receiver.url, token: 'wrongToken99', mode: 'plain', format: 'json' } }],
  });
  const { outTradeNo } = await paidOrder(sandbox, 'http://127.0.0.1:9/notify');
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 48 * 3600 - 1 });
  assert.equal(receiver.statuses.length, 0);
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 1 });
  // Signed with another token: the receiver refuses it, and WeChat's schedule retries.
  assert.deepEqual(receiver.statuses, [401]);
  assert.equal(receiver.received.length, 0);
  await json(sandbox, 'PUT', '/sandbox/messagePush', { appid: sandbox.demoMerchant.appid, messagePush: { url: receiver.url, token: TOKEN, mode: 'plain', format: 'json' } });
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 15 });
  assert.deepEqual(receiver.statuses, [401, 200]);
  const message = receiver.received[0];
  assert.equal(message?.type, 'trade_manage_remind_shipping');
  if (message?.type === 'trade_manage_remind_shipping') assert.equal(message.merchantTradeNo, outTradeNo);
  // Once per order.
  await json(sandbox, 'POST', '/sandbox/clock/advance', { seconds: 48 * 3600 });
  assert.equal(receiver.received.length, 1);
});

test('after a restart (SQLite state), the shipping reminder still fires on the clock and shipping state is kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-sandbox-trade-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dbPath = join(dir, 'state.sqlite');
  const receiver = await startReceiver(t, { mode: 'safe', format: 'json' });
  const merchants = [{ ...DEMO_MERCHANT, messagePush: { url: receiver.url, token: TOKEN, encodingAesKey: AES_KEY, mode: 'safe' as const, format: 'json' as const } }];
  const first = Object.assign(await createSandbox({ now: () => T0, dbPath, merchants }), { base: '' });
  first.base = await first.listen();
  const { outTradeNo } = await paidOrder(first, 'http://127.0.0.1:9/notify');
  await first.close();

  const second = Object.assign(await createSandbox({ now: () => T0, dbPath, merchants }), { base: '' });
  t.after(() => second.close());
  second.base = await second.listen();
  await second.clock.advance(48 * 3600);
  assert.deepEqual(receiver.statuses, [200]);
  const message = receiver.received[0];
  assert.equal(message?.type, 'trade_manage_remind_shipping');
  if (message?.type === 'trade_manage_remind_shipping') assert.equal(message.merchantTradeNo, outTradeNo);
  const order = ((await json(second, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`)).body.orders as Record<string, unknown>[])[0] ?? {};
  assert.equal(order.orderState, 1);
});
