/**
 * The operator commands: the server's own assembly (buildApp from the configuration: store, gateway, PaymentService,
 * RefundService, admin store) without listening. Catalogue, order and refund commands go through the admin HTTP
 * routes by `inject`, so their validation, rules and audit log lines are the API's, not a second path to the database.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { buildApp, REDACT_PATHS } from '../app.js';
import type { AppDeps, WxPayApp } from '../app.js';
import { sandboxSessionSecret } from '../auth/session-secret.js';
import type { AppConfig } from '../config.js';
import { ConfigError } from '../config.js';

export type Operator = {
  app: WxPayApp;
  config: AppConfig;
  /** The sandbox's base URL in sandbox mode. */
  sandboxUrl: string | undefined;
  /** Calls an admin route; answers its status and JSON body. */
  admin(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
};

export async function openOperator(loaded: AppConfig): Promise<Operator> {
  if (loaded.mode === 'sandbox' && loaded.wxpayApiBase === undefined) {
    throw new ConfigError('WXPAY_API_BASE', 'in sandbox mode the command line needs the running sandbox: start it with `npm run sandbox` (or `npx wxpay-sandbox --port 4000`) and set WXPAY_API_BASE=http://127.0.0.1:4000 for both the server and this command');
  }
  // A token that lives only in this process: the admin routes are the API, and this process is its only caller.
  const token = randomBytes(24).toString('hex');
  const config: AppConfig = Object.freeze({ ...loaded, adminToken: token });
  const deps: AppDeps = {
    // Warnings of the services (a payment that needs review) go to stderr; stdout stays the command's output.
    logger: pino({ level: 'warn', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2)),
    seedDemoProducts: false,
  };
  if (config.mode === 'sandbox') {
    const { dataDirOf } = await import('../sandbox-mode.js');
    deps.sessionSecret = config.sessionSecret ?? sandboxSessionSecret(dataDirOf(config));
  }
  const app = await buildApp(config, deps);
  await app.ready();
  return {
    app,
    config: app.wxpay.config,
    sandboxUrl: config.mode === 'sandbox' ? config.wxpayApiBase : undefined,
    async admin(method, url, body) {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
    },
    close: () => app.close(),
  };
}
