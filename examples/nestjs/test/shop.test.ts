// The NestJS example end to end against the sandbox (API v3), in this process.
import 'reflect-metadata';
import { test } from 'node:test';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { runShopFlow, startShopSandbox } from '../../../test/e2e/helpers/shop-flow.js';
import { AppModule } from '../src/app.module.js';
import { loadConfig } from '../src/config.js';
import { ShopStore } from '../src/store.js';

test('nestjs example (NestJS 11, API v3): login, order, pay, notification, duplicate, forged, oversized', async (t) => {
  const box = await startShopSandbox();
  t.after(() => box.close());
  const store = new ShopStore();
  const module = AppModule.forRoot(loadConfig(box.env), { store, logger: { warn: () => {} } });
  const app = await NestFactory.create<NestExpressApplication>(module, { rawBody: true, logger: false });
  t.after(() => app.close());
  await app.listen(0, '127.0.0.1');
  await runShopFlow(box, {
    version: 'v3',
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    notifyPath: '/wxpay/notify',
    outcomes: (outTradeNo) => store.notifications.filter((n) => n.outTradeNo === outTradeNo).map((n) => n.outcome),
  });
});
