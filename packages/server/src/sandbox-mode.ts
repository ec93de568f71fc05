/**
 * WXPAY_MODE=sandbox: an offline WeChat for the server. By default the sandbox runs in-process on 127.0.0.1:0 with its
 * state in ./data; with WXPAY_API_BASE set, an already running sandbox there is used (several servers can share one)
 * and its merchant credentials are read from its control API.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createSandbox, DEMO_MERCHANT } from '@wxpay-kit/sandbox';
import type { Sandbox, SandboxMerchant } from '@wxpay-kit/sandbox';
import {
  SANDBOX_PLATFORM_CERTIFICATE_PEM,
  SANDBOX_PLATFORM_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_PEM,
} from '@wxpay-kit/wechat/testing';
import type { V2ClientCert } from '@wxpay-kit/wechat';
import type { AppConfig, MerchantConfig } from './config.js';
import { ConfigError } from './config.js';
import { loadOrCreateSandboxMerchantKey } from './sandbox-merchant-key.js';

export type SandboxRuntime = {
  config: AppConfig;
  sandboxUrl: string;
  merchant: SandboxMerchant;
  /** The sandbox serves plain HTTP and checks no client certificate; the SDK still wants one for refunds. */
  clientCert: V2ClientCert;
  /** The in-process sandbox, when we started it. */
  sandbox: Sandbox | undefined;
};

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Letters and digits only: the console's alphabet for the Token and the EncodingAESKey. */
function randomAlnum(length: number): string {
  return Array.from({ length }, () => ALNUM[randomInt(ALNUM.length)]).join('');
}

/**
 * Tells the sandbox where the mini program's 消息推送 URL is and its Token / EncodingAESKey (safe mode, JSON), as an
 * operator does in the console; the sandbox then pushes trade-management events there. A sandbox that refuses is
 * a configuration problem worth stopping for.
 */
export async function announceMessagePush(sandboxUrl: string, appid: string, url: string, push: { token: string; aesKey: string | undefined }): Promise<void> {
  const messagePush = { url, token: push.token, mode: push.aesKey === undefined ? 'plain' : 'safe', format: 'json', ...(push.aesKey === undefined ? {} : { encodingAesKey: push.aesKey }) };
  const res = await fetch(`${sandboxUrl}/sandbox/messagePush`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid, messagePush }),
    signal: AbortSignal.timeout(5000),
  });
  await res.body?.cancel().catch(() => {});
  if (res.status !== 200) throw new ConfigError('WXPAY_API_BASE', `the sandbox refused the message push configuration (HTTP ${res.status})`);
}

export function dataDirOf(config: AppConfig): string {
  return config.database.kind === 'sqlite' && config.database.path !== ':memory:' ? dirname(config.database.path) : './data';
}

/** WeChat Pay's public v3 material as the sandbox lists it (the sandbox's committed test keys). */
type WechatpayMaterial = { publicKeyId: string; publicKeyPem: string };

async function remoteMerchant(base: string, mchid: string | undefined): Promise<SandboxMerchant> {
  let body: { merchants?: SandboxMerchant[]; wechatpay?: WechatpayMaterial };
  try {
    const res = await fetch(`${base}/sandbox/merchants`, { signal: AbortSignal.timeout(5000) });
    body = (await res.json()) as { merchants?: SandboxMerchant[]; wechatpay?: WechatpayMaterial };
  } catch {
    throw new ConfigError('WXPAY_API_BASE', `no sandbox answers at ${base}/sandbox/merchants`);
  }
  const merchants = body.merchants ?? [];
  const found = merchants.find((m) => m.mchid === (mchid ?? '1900000001')) ?? merchants[0];
  if (found === undefined) throw new ConfigError('WXPAY_API_BASE', 'the sandbox there has no merchants');
  return found;
}

export async function startSandboxMode(config: AppConfig, env: Readonly<Record<string, string | undefined>>): Promise<SandboxRuntime> {
  let sandbox: Sandbox | undefined;
  let sandboxUrl: string;
  let merchant: SandboxMerchant;
  let merchantPrivateKey: string | undefined;
  if (config.wxpayApiBase !== undefined) {
    sandboxUrl = config.wxpayApiBase;
    merchant = await remoteMerchant(sandboxUrl, env.WXPAY_MCHID);
    // An external sandbox lists the private key of merchants whose key it made or ships (its demo merchant).
    merchantPrivateKey = merchant.merchantPrivateKey;
  } else {
    const dataDir = dataDirOf(config);
    // A fresh clone has no ./data yet; the sandbox keeps its state there next to ours.
    mkdirSync(dataDir, { recursive: true });
    // With API v3, the demo merchant's key pair is generated on the first v3 start and kept in ./data; the sandbox gets
    // the public half. API v2 signs with the API key alone, so no pair is made (an RSA key took 0.1-0.8 s of a cold
    // start here) and the sandbox gives its demo merchant the published demo pair, which this server then never uses.
    const key = config.apiVersion === 'v3' ? loadOrCreateSandboxMerchantKey(dataDir) : undefined;
    sandbox = await createSandbox({
      dbPath: join(dataDir, 'sandbox.db'),
      merchants: [key === undefined ? { ...DEMO_MERCHANT } : { ...DEMO_MERCHANT, merchantCertSerial: key.serialNo, merchantPublicKey: key.publicKeyPem }],
    });
    merchantPrivateKey = key?.privateKeyPem;
    sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
    merchant = sandbox.demoMerchant;
  }
  const merchantConfig: MerchantConfig = {
    appid: merchant.appid,
    secret: merchant.secret,
    mchid: merchant.mchid,
    apiKey: merchant.apiKey,
    apiV3Key: merchant.apiV3Key,
    ...v3Material(config, merchant, merchantPrivateKey),
  };
  return {
    config: Object.freeze({
      ...config,
      merchant: merchantConfig,
      wechatApiBase: config.wechatApiBase ?? sandboxUrl,
      wxpayApiBase: sandboxUrl,
      // The message push loop runs out of the box: a Token and EncodingAESKey of this run, unless configured.
      messagePush: config.messagePush ?? Object.freeze({ token: randomAlnum(32), aesKey: randomAlnum(43) }),
    }),
    sandboxUrl,
    merchant,
    clientCert: { cert: SANDBOX_PLATFORM_CERTIFICATE_PEM, key: SANDBOX_PLATFORM_PRIVATE_KEY_PEM },
    sandbox,
  };
}

/**
 * v3 credentials for the sandbox's merchant, configured the way its key mode asks: the WeChat Pay public key
 * (`PUB_KEY_ID_…`), the platform certificate (downloaded from the sandbox's /v3/certificates), or both (migration).
 */
function v3Material(config: AppConfig, merchant: SandboxMerchant, privateKeyPem: string | undefined): Partial<MerchantConfig> {
  if (config.apiVersion !== 'v3') return {};
  if (privateKeyPem === undefined || merchant.merchantCertSerial === undefined) {
    throw new ConfigError('WXPAY_API_BASE', `the sandbox lists no v3 private key for merchant ${merchant.mchid}; configure it with merchantPrivateKey or use the demo merchant`);
  }
  const mode = merchant.v3KeyMode ?? 'publicKey';
  return {
    privateKeyPem,
    certSerial: merchant.merchantCertSerial,
    ...(mode === 'certificate' ? {} : { publicKeyId: SANDBOX_PUBLIC_KEY_ID, publicKeyPem: SANDBOX_PUBLIC_KEY_PEM }),
    platformCertificates: mode !== 'publicKey',
  };
}
