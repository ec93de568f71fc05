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
import { CommandFailed, UsageError, ordersCommand, productsCommand, refundCommand, sandboxCommand } from './cli/commands.js';
import type { CommandOptions } from './cli/commands.js';
import { openOperator } from './cli/operate.js';
import { NeedsAttention, notificationsCommand, reconcileCommand } from './cli/reconcile.js';
import type { Operator } from './cli/operate.js';

const USAGE = `Usage: wxpay-kit <command> [options]   (configured like the server: environment and .env)

Commands:
  doctor                              check the configuration against WeChat Pay (or the sandbox): clock, app
                                      secret, API keys, notify URL (when PUBLIC_URL is set), database; ✓/✗ with the fix
  orders list [--status S] [--flagged] [--limit N]
  orders show <orderId>               the order with its attempts and refunds
  orders query <orderId>              ask WeChat Pay now and apply the answer (as a notification would)
  products list
  products add <sku> <name> <price>   price in yuan, e.g. 12.50
  products set-price <sku> <price>
  products deactivate <sku>           off sale (products are never deleted)
  products import <file>              all or nothing: .csv with header sku,name,price (yuan) or .json
                                      [{sku,name,price}] (fen); new skus added, existing ones updated and on sale
  refund <orderId> [--amount yuan] --reason TEXT    all that is left, or --amount
  reconcile <date>                    reconcile that China day (YYYY-MM-DD) with WeChat Pay's trade bill now:
                                      a progress bar on a terminal, then a summary table and the differences
  notifications replay <id>           run a logged notification (ids: orders show) through verification and apply
                                      again; idempotent (an event already recorded changes nothing)
  sandbox pay <orderId>               sandbox mode: pay the order in the sandbox cashier

Options:
  --json      machine-readable output (doctor: {"checks":[{"name","ok","detail","fix"?}]}; others: the admin API's JSON)
  --help      this text

Exit codes: 0 ok; 1 a check or command failed (nothing was changed by a refused command); 2 usage error (bad
arguments or input file); 3 reconcile found differences to review; 78 configuration error.`;

export const EXIT = { ok: 0, failed: 1, usage: 2, attention: 3, config: 78 } as const;

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

const OPERATOR_COMMANDS = {
  orders: ordersCommand,
  products: productsCommand,
  refund: refundCommand,
  sandbox: sandboxCommand,
  reconcile: reconcileCommand,
  notifications: notificationsCommand,
} as const;

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        json: { type: 'boolean' },
        help: { type: 'boolean' },
        status: { type: 'string' },
        flagged: { type: 'boolean' },
        limit: { type: 'string' },
        amount: { type: 'string' },
        reason: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : 'bad arguments');
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command === undefined) throw new UsageError('a command is required');
  const json = parsed.values.json === true;
  if (command === 'doctor') {
    if (rest.length > 0) throw new UsageError(`doctor takes no arguments (got ${rest.join(' ')})`);
    return doctor(json);
  }
  if (!Object.hasOwn(OPERATOR_COMMANDS, command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const run = OPERATOR_COMMANDS[command as keyof typeof OPERATOR_COMMANDS];
  const options: CommandOptions = { ...parsed.values, json };
  const config = loadConfig(process.env);
  let op: Operator | undefined;
  try {
    op = await openOperator(config);
    const secrets = secretsOf(op.config.merchant, op.config);
    await run(op, rest, options, (text) => process.stdout.write(`${redact(text, secrets)}\n`));
    return EXIT.ok;
  } finally {
    await op?.close();
  }
}

loadDotenv({ quiet: true });
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`wxpay-kit: ${error.message}\n\n${USAGE}\n`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof NeedsAttention) {
    process.stderr.write(`wxpay-kit: ${error.message}\n`);
    process.exitCode = EXIT.attention;
  } else if (error instanceof CommandFailed) {
    process.stderr.write(`wxpay-kit: ${error.message}\n`);
    process.exitCode = EXIT.failed;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exitCode = EXIT.config;
  } else {
    process.stderr.write(`wxpay-kit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failed;
  }
}
