import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { listen } from './listen.js';
import { assertTable, recordingHandler, v2Payment } from './samples.js';
import type { NotifyHandler } from '../../src/notify/index.js';

// egg 3 is CommonJS; its single-process start() boots the fixture app (fixtures/egg-app) inside this process.
const require = createRequire(import.meta.url);
type EggApp = { callback(): Parameters<typeof createServer>[1]; close(): Promise<void>; agent: { close(): Promise<void> }; notifyHandler?: NotifyHandler };
const egg = require('egg') as { start(options: { baseDir: string; env?: string }): Promise<EggApp> };
const baseDir = fileURLToPath(new URL('./fixtures/egg-app/', import.meta.url));

let app: EggApp | undefined;
async function eggApp(): Promise<EggApp> {
  app ??= await egg.start({ baseDir, env: 'unittest' });
  return app;
}
// start() boots an agent beside the app; both hold timers until closed.
test.after(async () => { await app?.close(); await app?.agent.close(); });

async function serve(t: TestContext, handler: NotifyHandler): Promise<string> {
  const instance = await eggApp();
  instance.notifyHandler = handler;
  const server: Server = createServer(instance.callback());
  return `${await listen(t, server)}/wxpay/notify`;
}

for (const version of ['v2', 'v3'] as const) {
  test(`egg ${version}: egg's bodyParser parsing JSON, forms and XML; CSRF exempt for the notify path`, async (t) => {
    const recorder = recordingHandler(version);
    await assertTable(version, await serve(t, recorder.handler), recorder);
  });
}

test('egg: without the CSRF exemption WeChat would be refused (the reason the README says to exempt the path)', async (t) => {
  const recorder = recordingHandler('v2');
  const url = (await serve(t, recorder.handler)).replace('/wxpay/notify', '/wxpay/notify-unexempt');
  const sample = v2Payment();
  const res = await fetch(url, { method: 'POST', headers: sample.headers, body: sample.body });
  assert.equal(res.status, 403);
  assert.equal(recorder.notices.length, 0);
});
