/**
 * Run the example with the configuration `npm start` reads (README.md here), e.g. against the sandbox
 *   npm run sandbox &        # an offline WeChat on http://127.0.0.1:4000
 *   WXPAY_MODE=sandbox WXPAY_API_BASE=http://127.0.0.1:4000 SESSION_SECRET=$(openssl rand -hex 32) \
 *     PUBLIC_URL=http://127.0.0.1:3000 node --import tsx examples/fastify-host/main.ts
 * or live (WXPAY_MODE=live and the merchant credentials, PUBLIC_URL reachable by WeChat).
 */
import { loadConfig } from '@wxpay-kit/server';
import { buildHost } from './host.js';

const config = loadConfig(process.env);
const app = await buildHost(config);
await app.listen({ port: config.port, host: config.host });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Closing the host stops wxpayKit's jobs and closes its database.
    void app.close().then(() => process.exit(0));
  });
}
