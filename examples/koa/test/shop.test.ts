// The Koa example end to end against the sandbox (API v3), in this process.
import { test } from 'node:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runShopFlow, startShopSandbox } from '../../../test/e2e/helpers/shop-flow.js';
// @ts-expect-error the example is JavaScript without declarations
import { createApp } from '../src/app.js';
// @ts-expect-error the example is JavaScript without declarations
import { loadConfig } from '../src/config.js';

type Shop = { app: { callback(): Parameters<typeof createServer>[1] }; store: { notifications: { outTradeNo: string; outcome: string }[] } };

test('koa example (API v3): login, order, pay, notification, duplicate, forged, oversized', async (t) => {
  const box = await startShopSandbox();
  t.after(() => box.close());
  const quiet = { warn: () => {}, error: () => {} };
  const shop = (createApp as (config: unknown, deps: unknown) => Shop)((loadConfig as (env: unknown) => unknown)(box.env), { logger: quiet });
  const server: Server = createServer(shop.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  await runShopFlow(box, {
    version: 'v3',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    notifyPath: '/wxpay/notify',
    outcomes: (outTradeNo) => shop.store.notifications.filter((n) => n.outTradeNo === outTradeNo).map((n) => n.outcome),
  });
});
