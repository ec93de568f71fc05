// The egg-shop example end to end against the sandbox: the egg app (CommonJS, require('@wxpay-kit/wechat')) runs
// in this process through egg's single-process start(), configured by environment like a deployed app.
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runShopFlow, startShopSandbox } from '../../../test/e2e/helpers/shop-flow.js';

type EggApp = {
  callback(): Parameters<typeof createServer>[1];
  close(): Promise<void>;
  agent: { close(): Promise<void> };
  shop: { store: { notifications: { outTradeNo: string; outcome: string }[] } };
};
const require = createRequire(import.meta.url);
const egg = require('egg') as { start(options: { baseDir: string; env?: string }): Promise<EggApp> };

test('egg-shop (egg 3, CommonJS, API v2): login, order, pay, notification, duplicate, forged, oversized', async (t) => {
  const box = await startShopSandbox();
  t.after(() => box.close());
  Object.assign(process.env, box.env, { EGG_LOG_LEVEL: 'NONE' });
  const app = await egg.start({ baseDir: fileURLToPath(new URL('..', import.meta.url)), env: 'unittest' });
  t.after(async () => { await app.close(); await app.agent.close(); });
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  await runShopFlow(box, {
    version: 'v2',
    url,
    notifyPath: '/wxpay/notify',
    outcomes: (outTradeNo) => app.shop.store.notifications.filter((n) => n.outTradeNo === outTradeNo).map((n) => n.outcome),
  });
});
