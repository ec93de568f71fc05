import 'reflect-metadata';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { nestNotify, type NestRequestLike, type NestResponseLike } from '../../src/adapters/nestjs.js';
import type { NotifyHandler } from '../../src/notify/index.js';
import { assertTable, recordingHandler, v3Payment, type Recorder } from './samples.js';

/**
 * A NestJS app on the Express platform. The decorators are applied as calls: the test runs through tsx (esbuild),
 * which emits no decorator metadata, and a call is exactly what the compiler would emit for them.
 */
async function nestApp(handler: NotifyHandler, rawBody: boolean): Promise<NestExpressApplication> {
  const notify = nestNotify(handler);
  class NotifyController {
    notify(req: NestRequestLike, res: NestResponseLike): Promise<void> {
      return notify(req, res);
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(NotifyController.prototype, 'notify')!;
  Req()(NotifyController.prototype, 'notify', 0);
  Res()(NotifyController.prototype, 'notify', 1);
  Post('notify')(NotifyController.prototype, 'notify', descriptor);
  Controller('wxpay')(NotifyController);
  class AppModule {}
  Module({ controllers: [NotifyController] })(AppModule);
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { rawBody, logger: false });
  // The app's own global XML parser, as a mini-program backend often has.
  app.useBodyParser('text', { type: ['text/xml', 'application/xml'] });
  return app;
}

async function start(t: TestContext, recorder: Recorder, rawBody: boolean): Promise<string> {
  const app = await nestApp(recorder.handler, rawBody);
  t.after(() => app.close());
  await app.listen(0, '127.0.0.1');
  return `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/wxpay/notify`;
}

for (const version of ['v2', 'v3'] as const) {
  test(`nestjs ${version}: rawBody: true with global JSON, urlencoded and XML parsers`, async (t) => {
    const recorder = recordingHandler(version);
    await assertTable(version, await start(t, recorder, true), recorder);
  });
}

test('nestjs: without rawBody: true the parsed body fails closed with 500 and names the fix', async (t) => {
  const recorder = recordingHandler('v3');
  const url = await start(t, recorder, false);
  const sample = v3Payment();
  const res = await fetch(url, { method: 'POST', headers: sample.headers, body: sample.body });
  assert.equal(res.status, 500);
  assert.equal(recorder.notices.length, 0);
  assert.match(recorder.problems.at(-1)?.message ?? '', /rawBody: true/);
});
