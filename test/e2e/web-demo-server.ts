// Boots what `npm start` boots in sandbox mode (packages/server/src/server.ts), on ephemeral ports
// and a throw-away SQLite directory: the in-process sandbox, the real app with the web demo and the
// /sandbox/* proxy. The clocks are real, as for a person at the page: the cashier's notification
// reaches the server within moments and the page's polling sees the order PAID.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { WxPayApp } from '../../packages/server/src/app.js';
import { buildApp } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import { startSandboxMode } from '../../packages/server/src/sandbox-mode.js';
import type { ApiVersion } from './helpers/stack.js';

const DEMO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'web-demo');

export type DemoServer = { url: string; /** The SQLite database file the server writes. */ database: string; app: WxPayApp; sandboxUrl: string; close: () => Promise<void> };

export const DEMO_ADMIN_TOKEN = 'demo-admin-token-0123456789';

/** With an admin token (ADMIN_TOKEN) and the built console, /admin is the operator console (test/e2e/console.test.ts). */
export type DemoServerOptions = { adminToken?: string; consoleRoot?: string };

export async function startDemoServer(apiVersion: ApiVersion = 'v2', options: DemoServerOptions = {}): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-web-demo-'));
  const config = loadConfig({
    WXPAY_MODE: 'sandbox',
    WXPAY_API_VERSION: apiVersion,
    // The sandbox keeps its state next to the database (dir/sandbox.db).
    DATABASE_URL: `sqlite:${join(dir, 'wxpay-kit.db')}`,
    SESSION_SECRET: 'w'.repeat(40),
    LOG_LEVEL: 'silent',
    // The operator ships orders through the admin API; a failed upload (the index race) is retried soon.
    ADMIN_TOKEN: options.adminToken ?? DEMO_ADMIN_TOKEN,
    JOBS_RETRY_BASE_MS: '100',
  });
  const runtime = await startSandboxMode(config, {});
  let url = '';
  try {
    const app = await buildApp(runtime.config, {
      logger: pino({ level: 'silent' }),
      sandboxUrl: runtime.sandboxUrl,
      demoRoot: DEMO_ROOT,
      ...(options.consoleRoot === undefined ? {} : { consoleRoot: options.consoleRoot }),
      publicUrl: () => url,
      gatewayExtras: { clientCert: runtime.clientCert },
    });
    url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    // As server.ts: the sandbox learns where to push trade-management events.
    await app.wx.announceMessagePush();
    return {
      url,
      database: join(dir, 'wxpay-kit.db'),
      app,
      sandboxUrl: runtime.sandboxUrl,
      close: async () => {
        await app.close();
        await runtime.sandbox?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await runtime.sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
