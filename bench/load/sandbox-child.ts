// The sandbox in its own process for the load benchmark, so the server's core does only the server's work and the
// sandbox's own time can be told apart from ours. Prints {"benchReady":true,"url":...} once listening.
import { createSandbox } from '@wxpay-kit/sandbox';

const sandbox = await createSandbox({ logger: false });
const url = await sandbox.listen({ port: 0, host: '127.0.0.1' });
const m = sandbox.demoMerchant;
process.stdout.write(`${JSON.stringify({ benchReady: true, url, merchant: { appid: m.appid, secret: m.secret, mchid: m.mchid, apiKey: m.apiKey, apiV3Key: m.apiV3Key } })}\n`);

let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  void sandbox.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
