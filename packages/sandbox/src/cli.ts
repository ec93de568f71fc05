#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSandbox } from './app.js';
import { merchantsFileSchema } from './merchants.js';
import { SANDBOX_PUBLIC_KEY_ID } from '@wxpay-kit/wechat/testing';
import type { SandboxMerchant } from './state/types.js';

/**
 * `npx wxpay-sandbox --port 4000 [--host 127.0.0.1] [--time-scale N] [--merchants file.json] [--db file.sqlite]
 *  [--appid … --secret … --mchid … --api-key … --api-v3-key …] [--log]`
 */

const USAGE = `Usage: wxpay-sandbox [options]
  --port N            port to listen on (default 4000; 0 picks a free one)
  --host HOST         interface (default 127.0.0.1)
  --time-scale N      virtual seconds per real second (default 1; 3600 runs WeChat's 24 h retry schedule in ~25 s)
  --merchants FILE    JSON: [{appid, secret, mchid, apiKey, apiV3Key}] or {merchants: [...]}
  --appid/--secret/--mchid/--api-key/--api-v3-key   one more merchant from flags
  --db FILE           keep state in this SQLite file across restarts (default: memory)
  --log               log requests
  --help`;

function fail(message: string): never {
  process.stderr.write(`wxpay-sandbox: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'time-scale': { type: 'string' },
        merchants: { type: 'string' },
        db: { type: 'string' },
        appid: { type: 'string' },
        secret: { type: 'string' },
        mchid: { type: 'string' },
        'api-key': { type: 'string' },
        'api-v3-key': { type: 'string' },
        log: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : 'bad arguments');
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port ?? '4000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be an integer 0-65535');
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!Number.isFinite(timeScale) || timeScale < 0) fail('--time-scale must be a number >= 0');

  const merchants: SandboxMerchant[] = [];
  if (values.merchants !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(values.merchants, 'utf8'));
    } catch {
      fail(`cannot read JSON from ${values.merchants}`);
    }
    const parsed = merchantsFileSchema.safeParse(raw);
    if (!parsed.success) fail(`${values.merchants}: not a list of merchants {appid, secret, mchid, apiKey, apiV3Key}`);
    merchants.push(...((Array.isArray(parsed.data) ? parsed.data : parsed.data.merchants) as SandboxMerchant[]));
  }
  const flagged = [values.appid, values.secret, values.mchid, values['api-key'], values['api-v3-key']];
  if (flagged.some((v) => v !== undefined)) {
    const [appid, secret, mchid, apiKey, apiV3Key] = flagged;
    if (appid === undefined || secret === undefined || mchid === undefined || apiKey === undefined || apiV3Key === undefined) {
      fail('a merchant from flags needs --appid, --secret, --mchid, --api-key and --api-v3-key');
    }
    merchants.push({ appid, secret, mchid, apiKey, apiV3Key });
  }

  let sandbox;
  try {
    sandbox = await createSandbox({
      merchants,
      timeScale,
      ...(values.db === undefined ? {} : { dbPath: values.db }),
      logger: values.log === true,
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : 'cannot start');
  }
  const host = values.host ?? '127.0.0.1';
  let url: string;
  try {
    url = await sandbox.listen({ port, host });
  } catch (error) {
    await sandbox.close().catch(() => {});
    // One line an operator can act on, not a stack trace.
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (another sandbox or server?); choose another with --port N, or --port 0 for a free one`
      : code === 'EACCES'
        ? `not allowed to listen on ${host}:${port} (ports below 1024 need privileges)`
        : code === 'EADDRNOTAVAIL'
          ? `cannot listen on ${host}: no such address on this machine`
          : `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`wxpay-sandbox: ${why}\n`);
    process.exit(1);
  }
  const d = sandbox.demoMerchant;
  process.stdout.write(
    [
      `wxpay-sandbox listening on ${url}  (time scale ${timeScale}${values.db === undefined ? ', state in memory' : `, state in ${values.db}`})`,
      '',
      'Demo merchant (sandbox credentials):',
      `  WECHAT_APPID=${d.appid}`,
      `  WECHAT_SECRET=${d.secret}`,
      `  WXPAY_MCHID=${d.mchid}`,
      `  WXPAY_KEY=${d.apiKey}`,
      `  WXPAY_APIV3_KEY=${d.apiV3Key}`,
      `  WXPAY_CERT_SERIAL=${d.merchantCertSerial ?? ''}   (v3 key mode ${d.v3KeyMode ?? 'publicKey'}; private key, WeChat Pay public key`,
      `    ${SANDBOX_PUBLIC_KEY_ID} and platform certificate: GET ${url}/sandbox/merchants)`,
      `  WECHAT_API_BASE=${url}`,
      `  WXPAY_API_BASE=${url}`,
      ...(sandbox.merchants.length > 1 ? [`  (+${sandbox.merchants.length - 1} more: GET ${url}/sandbox/merchants)`] : []),
      '',
      'Try it:',
      `  curl -s -X POST ${url}/sandbox/wx/login -H 'content-type: application/json' -d '{"appid":"${d.appid}","user":"alice"}'`,
      `  curl -s '${url}/sns/jscode2session?appid=${d.appid}&secret=${d.secret}&js_code=CODE&grant_type=authorization_code'`,
      `  then /pay/unifiedorder, POST /sandbox/wx/requestPayment, GET /sandbox/notifications — see packages/sandbox/README.md`,
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
