#!/usr/bin/env node
/**
 * The process: read the configuration (and .env), start the sandbox in sandbox mode, build and start the app, run the
 * background jobs, shut down gracefully on SIGINT/SIGTERM (stop accepting, finish in-flight requests and jobs, close
 * the database and the sandbox).
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { buildApp, REDACT_PATHS } from './app.js';
import type { AppDeps } from './app.js';
import { sandboxSessionSecret } from './auth/session-secret.js';
import { ConfigError, loadConfig } from './config.js';
import type { AppConfig } from './config.js';
import { scheduleJobs } from './jobs/jobs.js';
import { chooseLogFormat, createLogger } from './logging.js';
import type { SandboxRuntime } from './sandbox-mode.js';
import type * as SandboxModeModule from './sandbox-mode.js';

const DEMO_ROOT = fileURLToPath(new URL('../../../examples/web-demo', import.meta.url));
/** The operator console the build bundles next to this file (dist/console); from source (tsx), the built one. */
const CONSOLE_ROOT = [new URL('./console', import.meta.url), new URL('../dist/console', import.meta.url)].map((u) => fileURLToPath(u)).find((dir) => existsSync(dir));

/** Sandbox mode says so before anything else: the cashier there marks orders PAID with no money moving. */
function sandboxWarning(config: AppConfig): string[] {
  const rule = '!'.repeat(78);
  return [
    rule,
    '!!  SANDBOX MODE: NO REAL PAYMENTS. The offline sandbox "pays" any order for free, and every fulfilment',
    '!!  event and webhook carries livemode:false. Never serve this to real users: set WXPAY_MODE=live.',
    config.sandboxExpose
      ? '!!  SANDBOX_EXPOSE=true: ANYONE who reaches this port can pay orders and read the demo keys at /sandbox/*.'
      : '!!  The sandbox control API (/sandbox/*) answers clients on this machine only (SANDBOX_EXPOSE).',
    rule,
  ];
}

function banner(config: AppConfig, url: string, runtime: SandboxRuntime | undefined): string {
  const lines = [`wxpay-kit server listening on ${url} (WeChat Pay ${config.apiVersion}, ${config.mode} mode, ${config.database.kind})`];
  if (runtime !== undefined) {
    lines.unshift(...sandboxWarning(config));
    lines.push(
      `  sandbox (offline WeChat): ${runtime.sandboxUrl}${runtime.sandbox === undefined ? ' (external)' : ' (in-process)'}`,
      `  demo merchant: appid ${runtime.merchant.appid}, mchid ${runtime.merchant.mchid}`,
      `  web demo:      ${url}/`,
      `  API docs:      ${url}/docs`,
      '  try it with curl:',
      `    curl -s -X POST ${url}/sandbox/wx/login -H 'content-type: application/json' -d '{"appid":"${runtime.merchant.appid}"}'`,
      `    curl -s -X POST ${url}/api/login -H 'content-type: application/json' -d '{"code":"<code from above>"}'`,
      '  (README.md walks through the whole payment)',
    );
  } else {
    lines.push(`  notify URL: ${config.publicUrl}/wxpay/notify/payment`, `  API docs: ${url}/docs`);
  }
  lines.push(config.adminToken === undefined ? '  admin:       off (set ADMIN_TOKEN, 16+ characters, to enable /admin)' : `  admin:       ${url}/admin (sign in with ADMIN_TOKEN)`);
  return lines.join('\n');
}

/**
 * Sandbox mode needs the optional peer dependency @wxpay-kit/sandbox (and the demo); it is loaded only then, so a live
 * deployment installs and loads none of it.
 */
async function loadSandboxMode(): Promise<typeof SandboxModeModule> {
  try {
    return await import('./sandbox-mode.js');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes("'@wxpay-kit/sandbox'")) {
      throw new ConfigError('WXPAY_MODE', 'sandbox mode needs the package @wxpay-kit/sandbox, which is not installed: npm install @wxpay-kit/sandbox (or set WXPAY_MODE=live)');
    }
    throw error;
  }
}

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }

  let runtime: SandboxRuntime | undefined;
  // Pretty lines for a person at a terminal, JSON otherwise (logging.ts); secrets redacted either way.
  const deps: AppDeps = { logger: createLogger(chooseLogFormat(process.stdout), config.logLevel, REDACT_PATHS) };
  if (CONSOLE_ROOT !== undefined) deps.consoleRoot = CONSOLE_ROOT;
  else if (config.adminToken !== undefined) deps.logger?.warn('operator console not built (no dist/console): /admin serves the minimal page; run npm run build');
  if (config.mode === 'sandbox') {
    let sandboxMode;
    try {
      sandboxMode = await loadSandboxMode();
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`configuration error: ${error.message}\n`);
        process.exit(78);
      }
      throw error;
    }
    const { dataDirOf, startSandboxMode } = sandboxMode;
    runtime = await startSandboxMode(config, process.env);
    config = runtime.config;
    deps.sandboxUrl = runtime.sandboxUrl;
    deps.gatewayExtras = { clientCert: runtime.clientCert };
    deps.sessionSecret = config.sessionSecret ?? sandboxSessionSecret(dataDirOf(config));
    if (existsSync(DEMO_ROOT)) deps.demoRoot = DEMO_ROOT;
  }
  // PORT=0 (tests, several local instances): the notify URL can only name the port once we listen.
  let listening = '';
  if (config.port === 0 && process.env.PUBLIC_URL === undefined) deps.publicUrl = () => listening;

  let app;
  try {
    app = await buildApp(config, deps);
  } catch (error) {
    await runtime?.sandbox?.close();
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const url = await app.listen({ port: config.port, host: config.host });
  listening = url;
  // Sandbox mode: the sandbox learns our 消息推送 URL, Token and EncodingAESKey, so its settlement pushes reach us.
  await app.wx.announceMessagePush();
  const jobs = config.jobs ? scheduleJobs(app.wx.jobs, app.log, config.jobsIntervalMs) : undefined;
  process.stdout.write(`${banner(config, url.replace('[::1]', '127.0.0.1'), runtime)}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await jobs?.stop();
      await app.close();
      await runtime?.sandbox?.close();
    } finally {
      clearTimeout(force);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
