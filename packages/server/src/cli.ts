#!/usr/bin/env node
/**
 * `npx wxpay-kit <command>`: operate a wxpay-kit server from the command line with the server's own configuration
 * (environment + .env, loadConfig). Exit codes: 0 ok, 1 a check or command failed, 2 usage, 78 configuration.
 */
import { parseArgs } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig } from './config.js';
import type { AppConfig, MerchantConfig } from './config.js';
import { runDoctor } from './cli/doctor.js';
import type { Check } from './cli/doctor.js';
import type { GatewayExtras } from './gateway/create.js';

const USAGE = `Usage: wxpay-kit <command> [--json]

Commands:
  doctor      check the configuration (environment and .env) against WeChat Pay: app secret, API keys, clock,
              notify URL (when PUBLIC_URL is set) and database; prints one line per check with the fix

Options:
  --json      machine-readable output: {"checks":[{"name","ok","detail","fix"?}]}
  --help      this text

Exit codes: 0 every check passed, 1 a check failed, 2 usage error, 78 configuration error.`;

export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;

class UsageError extends Error {}

/** Every configured secret, so that no message we print can carry one (an SDK error quoting a URL, say). */
function secretsOf(merchant: MerchantConfig | undefined, config: AppConfig | undefined): string[] {
  const values = [merchant?.secret, merchant?.apiKey, merchant?.apiV3Key, merchant?.privateKeyPem, config?.sessionSecret, config?.adminToken, config?.webhook?.secret];
  return values.filter((v): v is string => v !== undefined && v.length >= 6);
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function printChecks(checks: readonly Check[], json: boolean, secrets: readonly string[]): void {
  if (json) {
    process.stdout.write(`${redact(JSON.stringify({ checks }), secrets)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
    if (check.fix !== undefined) lines.push(`    fix: ${check.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push('', failed === 0 ? 'all checks passed' : `${failed} check(s) failed`);
  process.stdout.write(`${redact(lines.join('\n'), secrets)}\n`);
}

/** Sandbox mode with WXPAY_API_BASE: the running sandbox's merchant, read from its control API as the server does. */
async function sandboxMerchant(config: AppConfig): Promise<{ config: AppConfig; merchant: MerchantConfig | undefined; extras: GatewayExtras }> {
  if (config.wxpayApiBase === undefined) return { config, merchant: undefined, extras: {} };
  const { startSandboxMode } = await import('./sandbox-mode.js');
  const runtime = await startSandboxMode(config, process.env);
  return { config: runtime.config, merchant: runtime.config.merchant, extras: { clientCert: runtime.clientCert } };
}

async function doctor(json: boolean): Promise<number> {
  let config = loadConfig(process.env);
  let merchant = config.merchant;
  let extras: GatewayExtras = {};
  if (config.mode === 'sandbox') ({ config, merchant, extras } = await sandboxMerchant(config));
  const checks = await runDoctor({ config, merchant, extras, checkPublicUrl: process.env.PUBLIC_URL !== undefined && process.env.PUBLIC_URL.trim() !== '' });
  printChecks(checks, json, secretsOf(merchant, config));
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.failed;
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : 'bad arguments');
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command === undefined) throw new UsageError('a command is required');
  if (command === 'doctor') {
    if (rest.length > 0) throw new UsageError(`doctor takes no arguments (got ${rest.join(' ')})`);
    return doctor(parsed.values.json === true);
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

loadDotenv({ quiet: true });
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`wxpay-kit: ${error.message}\n\n${USAGE}\n`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exitCode = EXIT.config;
  } else {
    process.stderr.write(`wxpay-kit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failed;
  }
}
