/**
 * The server's access-token manager (services.accessTokens) is shared through the database: two app instances on one
 * PostgreSQL schema, pointed at the sandbox (whose /cgi-bin/token issues a NEW token on every call, as WeChat does),
 * end up with the same token — one fetch, adopted by the other instance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSandbox } from '@wxpay-kit/sandbox';
import { buildApp } from '../src/app.js';
import type { WxPayApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startSandboxMode } from '../src/sandbox-mode.js';
import { silentPino } from './helpers/build.js';
import { requirePostgres, testSchema } from './helpers/postgres.js';

test('two instances on one PostgreSQL share one WeChat access token', async (t) => {
  const url = await requirePostgres(t);
  if (url === undefined) return;
  const schema = await testSchema(t, url, 'token');
  const sandbox = await createSandbox({});
  t.after(() => sandbox.close());
  const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const config = loadConfig({ WXPAY_MODE: 'sandbox', WXPAY_API_BASE: sandboxUrl, DATABASE_URL: url, DATABASE_SCHEMA: schema, SESSION_SECRET: 't'.repeat(40), LOG_LEVEL: 'silent' });
  const runtime = await startSandboxMode(config, {});
  const apps: WxPayApp[] = [];
  for (let i = 0; i < 2; i++) {
    const app = await buildApp(runtime.config, { logger: silentPino(), gatewayExtras: { clientCert: runtime.clientCert } });
    t.after(() => app.close());
    apps.push(app);
  }
  const [a, b] = apps as [WxPayApp, WxPayApp];
  assert.ok(a.wx.accessTokens && b.wx.accessTokens);
  const tokens = await Promise.all([a.wx.accessTokens.getToken(), b.wx.accessTokens.getToken(), a.wx.accessTokens.getToken(), b.wx.accessTokens.getToken()]);
  assert.equal(new Set(tokens).size, 1, 'one token for both instances');
  // The sandbox says which tokens it issued are valid: ours is.
  const check = (await (await fetch(`${sandboxUrl}/cgi-bin/getcallbackip?access_token=${encodeURIComponent(tokens[0] ?? '')}`)).json()) as { errcode?: number; ip_list?: string[] };
  assert.ok(check.errcode === undefined || check.errcode === 0, JSON.stringify(check));
});
