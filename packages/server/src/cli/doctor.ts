/**
 * `wxpay-kit doctor`: checks a configuration against WeChat (or a sandbox) with calls that change nothing there —
 * made-up codes and order numbers whose *kind* of refusal tells a good credential from a bad one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Migrator, sql } from 'kysely';
import type { Kysely } from 'kysely';
import { WxPayApiError, WxPayDecryptError, createLoginClient } from '@wxpay-kit/wechat';
import { PublicKeyVerifier, createV3Client, verifyV3Response } from '@wxpay-kit/wechat/v3';
import type { AppConfig, MerchantConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { createGateways, v3Material } from '../gateway/create.js';
import type { GatewayExtras } from '../gateway/create.js';
import { migrationProvider } from '../store/migrations/index.js';
import { openSqlite } from '../store/open.js';
import { openPostgres } from '../store/postgres.js';
import type { Database } from '../store/schema.js';

export type Check = { name: string; ok: boolean; detail: string; fix?: string };

const WECHAT_PAY = 'https://api.mch.weixin.qq.com';
const WECHAT_API = 'https://api.weixin.qq.com';
/** v3 signatures carry a timestamp WeChat refuses past 5 minutes; a few seconds off is worth knowing already. */
const CLOCK_FAIL_MS = 5 * 60_000;
const CLOCK_WARN_MS = 5_000;

function probeId(prefix: string): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? `${error.name} ${code}` : error.name;
  }
  return 'unknown error';
}

async function checkSecret(config: AppConfig, merchant: MerchantConfig): Promise<Check> {
  const name = 'app secret (code2Session)';
  const client = createLoginClient({ appid: merchant.appid, secret: merchant.secret, ...(config.wechatApiBase === undefined ? {} : { baseUrl: config.wechatApiBase }) });
  try {
    await client.code2Session(probeId('doctor'));
    return { name, ok: false, detail: 'WeChat accepted a made-up login code', fix: `check that WECHAT_API_BASE (${config.wechatApiBase ?? WECHAT_API}) is WeChat` };
  } catch (error) {
    const code = error instanceof WxPayApiError ? error.code : undefined;
    if (code === '40029') return { name, ok: true, detail: `appid ${merchant.appid} and its secret accepted (the made-up code was refused as invalid, 40029)` };
    if (code === '40125') return { name, ok: false, detail: 'WeChat refused the app secret (40125 invalid appsecret)', fix: 'set WECHAT_SECRET to the AppSecret of this mini program (mp.weixin.qq.com → Development → Development settings; reset it there if lost)' };
    if (code === '40013') return { name, ok: false, detail: `WeChat does not know appid ${merchant.appid} (40013 invalid appid)`, fix: 'set WECHAT_APPID to the mini program AppID (wx…)' };
    return { name, ok: false, detail: `code2Session failed: ${describe(error)}`, fix: `check that ${config.wechatApiBase ?? WECHAT_API} is reachable from this machine, and WECHAT_APPID / WECHAT_SECRET` };
  }
}

async function checkPayment(config: AppConfig, merchant: MerchantConfig, extras: GatewayExtras): Promise<Check> {
  const v3 = config.apiVersion === 'v3';
  const name = v3 ? 'API v3 keys (order query)' : 'API v2 key (signed orderquery)';
  const fix = v3
    ? 'check WXPAY_MCHID, WXPAY_PRIVATE_KEY_PATH, WXPAY_CERT_SERIAL (the serial of that key\'s certificate), WXPAY_APIV3_KEY and WXPAY_PUBLIC_KEY_ID / WXPAY_PUBLIC_KEY_PATH (or platform certificates) in the merchant console (pay.weixin.qq.com → Account → API security)'
    : 'set WXPAY_KEY to the APIv2 key of this merchant (pay.weixin.qq.com → Account → API security → APIv2 key) and WXPAY_MCHID to its merchant id';
  let gateway;
  try {
    gateway = createGateways(config, merchant, extras).gateway;
  } catch (error) {
    if (error instanceof ConfigError) return { name, ok: false, detail: error.message, fix };
    throw error;
  }
  try {
    const result = await gateway.queryPayment(probeId('doctor'));
    if (result.state === 'NOT_FOUND') {
      return { name, ok: true, detail: `mchid ${merchant.mchid}: a query for a made-up order was signed, accepted and answered "order does not exist"${v3 ? ' (the private key, its serial and the merchant id are proven; what verifies WeChat Pay\'s answers is checked next)' : ''}` };
    }
    return { name, ok: false, detail: `a made-up order was found (${result.state})`, fix: `check that WXPAY_API_BASE (${config.wxpayApiBase ?? WECHAT_PAY}) is WeChat Pay` };
  } catch (error) {
    return { name, ok: false, detail: `the query was refused: ${describe(error)}`, fix };
  }
}

const V3_FIX_VERIFY = 'WXPAY_PUBLIC_KEY_ID / WXPAY_PUBLIC_KEY_PATH: the WeChat Pay public key and its id (pay.weixin.qq.com → Account → API security → WeChat Pay public key)';

/**
 * v3, beyond the query: what verifies WeChat Pay's answers and notifications. Platform certificates: /v3/certificates
 * downloaded, decrypted with the APIv3 key and its signature checked (proves WXPAY_APIV3_KEY and the certificates).
 * Public key: WeChat signs every answer to an authenticated request, the "order does not exist" one too; that
 * answer's Wechatpay-Serial must be WXPAY_PUBLIC_KEY_ID and its signature verify with WXPAY_PUBLIC_KEY_PATH.
 */
async function checkV3Verification(config: AppConfig, merchant: MerchantConfig): Promise<Check[]> {
  let material;
  try {
    material = v3Material(merchant);
  } catch (error) {
    if (error instanceof ConfigError) return [{ name: 'API v3 answer verification', ok: false, detail: error.message, fix: V3_FIX_VERIFY }];
    throw error;
  }
  type RawAnswer = { status: number; headers: Headers; body: string };
  const last: { answer?: RawAnswer } = {};
  // Read through a function: the fetch callback sets it, which control-flow narrowing cannot see.
  const lastAnswer = (): RawAnswer | undefined => last.answer;
  let client;
  try {
    client = createV3Client({
      mchid: merchant.mchid,
      appid: merchant.appid,
      serialNo: material.certSerial,
      privateKey: material.privateKey,
      apiV3Key: material.apiV3Key,
      ...(material.publicKey === undefined ? {} : { verifier: new PublicKeyVerifier(material.publicKey.id, material.publicKey.key) }),
      ...(material.platformCertificates ? { platformCertificates: true } : {}),
      ...(config.wxpayApiBase === undefined ? {} : { baseUrl: config.wxpayApiBase }),
      retry: { attempts: 1 },
      // The raw answer as WeChat sent it, to check its signature ourselves below.
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        last.answer = { status: res.status, headers: res.headers, body: await res.clone().text() };
        return res;
      },
    });
  } catch (error) {
    // A key file that is not a key, an id of the wrong shape: the SDK refuses it before any request.
    return [{ name: 'API v3 answer verification', ok: false, detail: `the v3 key material is refused: ${error instanceof Error ? error.message : 'invalid'}`, fix: V3_FIX_VERIFY }];
  }
  const checks: Check[] = [];
  if (material.platformCertificates) {
    const name = 'API v3 platform certificates';
    try {
      const certificates = await client.downloadCertificates();
      checks.push({ name, ok: true, detail: `downloaded, decrypted with WXPAY_APIV3_KEY and signature-checked: serial ${certificates.map((c) => c.serial).join(', ')}` });
    } catch (error) {
      const code = error instanceof WxPayApiError ? error.code : undefined;
      if (error instanceof WxPayDecryptError) checks.push({ name, ok: false, detail: 'the certificates could not be decrypted: WXPAY_APIV3_KEY is not this merchant\'s APIv3 key', fix: 'set WXPAY_APIV3_KEY to the APIv3 key (pay.weixin.qq.com → Account → API security → APIv3 key; reset it there if lost)' });
      else if (code === 'RESOURCE_NOT_EXISTS') checks.push({ name, ok: false, detail: 'this merchant has no platform certificates (WeChat answered RESOURCE_NOT_EXISTS)', fix: `use the WeChat Pay public key: set ${V3_FIX_VERIFY}, and WXPAY_PLATFORM_CERTIFICATES=false` });
      else checks.push({ name, ok: false, detail: `the download failed: ${describe(error)}`, fix: 'check WXPAY_APIV3_KEY, WXPAY_PRIVATE_KEY_PATH and WXPAY_CERT_SERIAL' });
    }
  }
  if (material.publicKey !== undefined) {
    const name = 'API v3 public key';
    const id = material.publicKey.id;
    delete last.answer;
    try {
      await client.queryByOutTradeNo(probeId('doctor'));
    } catch {
      // Expected: "order does not exist". Its signature is what this check is about.
    }
    const captured = lastAnswer();
    if (captured === undefined) {
      checks.push({ name, ok: false, detail: 'WeChat Pay did not answer', fix: 'check that this machine reaches WeChat Pay (WXPAY_API_BASE, proxy, firewall)' });
    } else {
      const serial = captured.headers.get('wechatpay-serial');
      if (serial === null) {
        checks.push({ name, ok: false, detail: `WeChat Pay's answer (${captured.status}) carried no signature to check ${id} against`, fix: 'check WXPAY_MCHID, WXPAY_PRIVATE_KEY_PATH and WXPAY_CERT_SERIAL (an unauthenticated request is not signed)' });
      } else if (serial !== id && serial.startsWith('PUB_KEY_ID_')) {
        checks.push({ name, ok: false, detail: `WeChat Pay signs with ${serial}, not WXPAY_PUBLIC_KEY_ID ${id}`, fix: `set ${V3_FIX_VERIFY}` });
      } else if (serial !== id) {
        checks.push({ name, ok: material.platformCertificates, detail: `WeChat Pay signs with platform certificate ${serial}, not the public key ${id}${material.platformCertificates ? ' (platform certificates are configured too: answers verify)' : ''}`, fix: 'keep WXPAY_PLATFORM_CERTIFICATES=true until WeChat Pay signs with the public key' });
      } else {
        try {
          await verifyV3Response(captured.headers, captured.body, { verifier: new PublicKeyVerifier(id, material.publicKey.key) });
          checks.push({ name, ok: true, detail: `WeChat Pay's signed answer verified with ${id} (WXPAY_PUBLIC_KEY_PATH)` });
        } catch (error) {
          checks.push({ name, ok: false, detail: `WeChat Pay's answer names ${id} but does not verify with WXPAY_PUBLIC_KEY_PATH (${describe(error)})`, fix: `set ${V3_FIX_VERIFY}` });
        }
      }
    }
  }
  return checks;
}

async function checkNotifyUrl(config: AppConfig): Promise<Check> {
  const url = `${config.publicUrl}/wxpay/notify/payment`;
  const name = 'notify URL reachable';
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    return { name, ok: true, detail: `${url} answered ${res.status}` };
  } catch (error) {
    return { name, ok: false, detail: `${url}: ${describe((error as { cause?: unknown }).cause ?? error)}`, fix: 'make PUBLIC_URL the https address WeChat reaches this server at (DNS, firewall, reverse proxy), and start the server' };
  }
}

async function checkClock(config: AppConfig, now: () => number): Promise<Check> {
  const name = 'clock';
  const base = config.wxpayApiBase ?? WECHAT_PAY;
  try {
    const before = now();
    const res = await fetch(`${base}/`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    const after = now();
    const header = res.headers.get('date');
    const theirs = header === null ? Number.NaN : Date.parse(header);
    if (Number.isNaN(theirs)) return { name, ok: false, detail: `${base} sent no Date header`, fix: 'check WXPAY_API_BASE' };
    // Date has whole seconds: compare against the middle of the round trip and allow the truncation.
    const offset = (before + after) / 2 - theirs - 500;
    const seconds = Math.round(offset / 1000);
    const text = `${Math.abs(seconds)} s ${seconds >= 0 ? 'ahead of' : 'behind'} WeChat Pay`;
    if (Math.abs(offset) > CLOCK_FAIL_MS) return { name, ok: false, detail: text, fix: 'synchronise the system clock (NTP, e.g. `timedatectl set-ntp true`): WeChat refuses v3 signatures more than 5 minutes off' };
    if (Math.abs(offset) > CLOCK_WARN_MS) return { name, ok: true, detail: `warning: ${text}`, fix: 'synchronise the system clock (NTP) before it drifts past 5 minutes' };
    return { name, ok: true, detail: `within a few seconds of WeChat Pay (${text})` };
  } catch (error) {
    return { name, ok: false, detail: `${base}: ${describe((error as { cause?: unknown }).cause ?? error)}`, fix: 'check that this machine reaches WeChat Pay (WXPAY_API_BASE, proxy, firewall)' };
  }
}

async function checkDatabase(config: AppConfig): Promise<Check> {
  const name = 'database';
  const database = config.database;
  if (database.kind === 'sqlite' && database.path !== ':memory:' && !existsSync(database.path)) {
    return { name, ok: false, detail: `${database.path} does not exist`, fix: 'check DATABASE_URL, or start the server once (it creates and migrates the database)' };
  }
  let db: Kysely<Database>;
  try {
    db = database.kind === 'sqlite' ? openSqlite(database.path) : openPostgres({ url: database.url, schema: database.schema, poolMax: 1 });
  } catch (error) {
    return { name, ok: false, detail: `cannot open: ${describe(error)}`, fix: 'check DATABASE_URL' };
  }
  try {
    let migrationSchema: string | undefined;
    if (database.kind === 'postgres') {
      const current = await sql<{ name: string | null }>`select current_schema() as name`.execute(db);
      migrationSchema = current.rows[0]?.name ?? undefined;
    }
    const migrator = new Migrator({ db, provider: migrationProvider, ...(migrationSchema === undefined ? {} : { migrationTableSchema: migrationSchema }) });
    const pending = (await migrator.getMigrations()).filter((m) => m.executedAt === undefined);
    const where = database.kind === 'sqlite' ? `SQLite ${database.path}` : `PostgreSQL${database.schema === undefined ? '' : ` schema ${database.schema}`}`;
    if (pending.length > 0) return { name, ok: false, detail: `${where}: ${pending.length} migration(s) not applied (${pending.map((m) => m.name).join(', ')})`, fix: 'start the server once with this DATABASE_URL: it applies the migrations' };
    return { name, ok: true, detail: `${where} reachable and migrated` };
  } catch (error) {
    return { name, ok: false, detail: `unreachable: ${describe((error as { cause?: unknown }).cause ?? error)}`, fix: 'check DATABASE_URL (host, port, user, password, database) and that the database server is up' };
  } finally {
    await db.destroy();
  }
}

export type DoctorInput = {
  config: AppConfig;
  /** undefined: nothing to check against WeChat (embedded sandbox). */
  merchant: MerchantConfig | undefined;
  extras: GatewayExtras;
  /** PUBLIC_URL was set: the notify URL should answer from outside. */
  checkPublicUrl: boolean;
  now?: () => number;
};

export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  const { config, merchant } = input;
  const now = input.now ?? Date.now;
  const checks: Check[] = [];
  if (merchant === undefined) {
    checks.push({ name: 'WeChat credentials', ok: true, detail: 'sandbox mode with the embedded sandbox: the server makes its own demo merchant, nothing to check against WeChat' });
  } else {
    checks.push(await checkClock(config, now));
    checks.push(await checkSecret(config, merchant));
    checks.push(await checkPayment(config, merchant, input.extras));
    if (config.apiVersion === 'v3') checks.push(...(await checkV3Verification(config, merchant)));
  }
  if (input.checkPublicUrl) checks.push(await checkNotifyUrl(config));
  checks.push(await checkDatabase(config));
  return checks;
}
