/**
 * Environment → validated, frozen AppConfig. Every failure names the variable at fault, so a bad deployment stops at
 * start-up with a message an operator can act on, never at the first payment.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

export class ConfigError extends Error {
  /** The (first) variable at fault. */
  readonly variable: string;
  /** Every variable at fault, `variable` first: a live deployment missing several learns them all in one start. */
  readonly variables: readonly string[];
  constructor(variable: string, message: string, variables: readonly string[] = [variable]) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
    this.variables = Object.freeze([...variables]);
  }
}

export type ApiVersion = 'v2' | 'v3';
export type WxPayMode = 'sandbox' | 'live';
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'postgres';
      /** The connection URL without our own `schema` query parameter. */
      readonly url: string;
      /** DATABASE_SCHEMA or `?schema=`: created when missing and put first on the search_path; undefined = the server's default. */
      readonly schema?: string | undefined;
      /** DATABASE_POOL_MAX: connections per instance (default 10). */
      readonly poolMax: number;
    };

/** The credentials payments need. In sandbox mode they come from the sandbox's demo merchant at start-up. */
export type MerchantConfig = {
  readonly appid: string;
  readonly secret: string;
  readonly mchid: string;
  /** APIv2 key (32 characters). */
  readonly apiKey?: string | undefined;
  readonly apiV3Key?: string | undefined;
  readonly privateKeyPath?: string | undefined;
  readonly certSerial?: string | undefined;
  readonly publicKeyPath?: string | undefined;
  readonly publicKeyId?: string | undefined;
  /**
   * v3: verify with downloaded platform certificates (WXPAY_PLATFORM_CERTIFICATES; default when no public key is
   * configured). With a public key too, both are held and chosen per message by Wechatpay-Serial (migration).
   */
  readonly platformCertificates?: boolean | undefined;
  /** v3 key material given in memory instead of by path (sandbox mode: the generated demo merchant key). */
  readonly privateKeyPem?: string | undefined;
  readonly publicKeyPem?: string | undefined;
  readonly clientCertPath?: string | undefined;
  readonly clientKeyPath?: string | undefined;
  readonly clientP12Path?: string | undefined;
};

export type AppConfig = {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly database: DatabaseConfig;
  readonly mode: WxPayMode;
  readonly apiVersion: ApiVersion;
  /** undefined in sandbox mode until the sandbox is up. */
  readonly merchant: MerchantConfig | undefined;
  /** Overrides of WeChat's hosts; undefined = the real ones (live) or the embedded sandbox (sandbox mode). */
  readonly wechatApiBase: string | undefined;
  readonly wxpayApiBase: string | undefined;
  readonly sessionSecret: string | undefined;
  readonly sessionTtlSeconds: number;
  readonly adminToken: string | undefined;
  /** Who the admin token is, in the console's audit trail (ADMIN_TOKEN_LABEL; default "admin"). */
  readonly adminLabel: string;
  /** time_expire of each prepay (WeChat v2 wants more than 5 minutes). */
  readonly payExpireMinutes: number;
  /** An unpaid order is closed this long after it was created. */
  readonly orderExpireMinutes: number;
  /** What to do with a payment that arrives for a CLOSED order: flag it for a refund, or accept it (CLOSED → PAID). */
  readonly paidAfterClose: 'refund' | 'accept';
  readonly bodyLimitBytes: number;
  readonly logLevel: string;
  /**
   * TRUST_PROXY: which hops in front of us may set X-Forwarded-For. false = none (the socket's address is the
   * client's); a number = that many proxies in front; a list = the proxies' own addresses or CIDRs. Never "every hop":
   * then the first, client-written X-Forwarded-For entry would become the address that rate limits are keyed by.
   */
  readonly trustProxy: false | number | readonly string[];
  /** SANDBOX_EXPOSE: serve the sandbox control API (/sandbox/*) to non-loopback clients too (sandbox mode only). */
  readonly sandboxExpose: boolean;
  /** ORDERS_PER_MINUTE: order creations (and fresh payParams) per user per minute. */
  readonly ordersPerMinute: number;
  /** OPEN_ORDERS_MAX: unpaid (CREATED/PAYING) orders one user may hold at once. */
  readonly openOrdersMax: number;
  /** ORDER_MISSES_PER_MINUTE: lookups of unknown (or someone else's) order ids per user per minute before 429. */
  readonly orderMissesPerMinute: number;
  /** Run the expire / reconcile / outbox jobs on timers (server.ts). */
  readonly jobs: boolean;
  /** JOBS_INTERVAL_MS: how often each instance runs the jobs (default 15 000). */
  readonly jobsIntervalMs: number;
  /** JOBS_LEASE_MS: how long a claimed outbox event is ours before another instance may retry it (default 60 000). */
  readonly jobsLeaseMs: number;
  /** JOBS_RETRY_BASE_MS: a failed outbox delivery is retried after base × 2^attempt, capped at an hour (default 5 000). */
  readonly jobsRetryBaseMs: number;
  /** OUTBOX_CONCURRENCY: fulfilment events delivered at once per instance (default 8). */
  readonly outboxConcurrency: number;
  /** OUTBOX_TIMEOUT_MS: one delivery's time limit, after which it is retried (default 10 000, at most half the lease). */
  readonly outboxTimeoutMs: number;
  /** RECONCILE_AFTER_SECONDS: query an unpaid attempt this long after its prepay (default 60). */
  readonly reconcileAfterSeconds: number;
  /** WEBHOOK_URL: fulfilment events are also POSTed here, signed with WEBHOOK_SECRET. */
  readonly webhook: { readonly url: string; readonly secret: string } | undefined;
  /**
   * The mini program's 消息推送 (message push) receiver at /wechat/message: WECHAT_MESSAGE_TOKEN (the console's Token,
   * 3-32 letters and digits) and, for safe mode, WECHAT_MESSAGE_AES_KEY (the 43-character EncodingAESKey). Without a
   * token the route answers 404. Sandbox mode generates both when unset and tells the sandbox.
   */
  readonly messagePush: { readonly token: string; readonly aesKey: string | undefined } | undefined;
  /** REDIS_URL: share the WeChat access token through Redis instead of the database. */
  readonly redisUrl: string | undefined;
  /**
   * How long the notification log keeps authentic deliveries (NOTIFICATION_LOG_RETENTION_DAYS, default 90) and
   * refused ones with their counters (NOTIFICATION_REFUSED_RETENTION_DAYS, default 7); pruned by the jobs.
   */
  readonly notificationRetentionDays: { readonly authentic: number; readonly refused: number };
};

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_SQLITE = './data/wxpay-kit.db';

function opt(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function parseWith<T>(name: string, schema: z.ZodType<T>, raw: string | undefined): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(name, issue?.message ?? 'invalid value');
  }
  return result.data;
}

const intIn = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = opt(env, name);
  if (raw === undefined) return fallback;
  return parseWith(name, intIn(min, max), raw);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly [T, ...T[]], fallback: T): T {
  const raw = opt(env, name);
  if (raw === undefined) return fallback;
  return parseWith(name, z.enum(values, { message: `must be one of ${values.join(', ')}` }), raw);
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = opt(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, 'must be an http(s) URL');
  return raw.replace(/\/+$/, '');
}

function parseDatabase(env: Env): DatabaseConfig {
  const raw = opt(env, 'DATABASE_URL') ?? `sqlite:${DEFAULT_SQLITE}`;
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL', 'sqlite: needs a path, e.g. sqlite:./data/wxpay-kit.db or sqlite::memory:');
    return { kind: 'sqlite', path };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) return parsePostgres(env, raw);
  throw new ConfigError('DATABASE_URL', 'must start with sqlite: or postgres://');
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `?schema=` is ours, not libpq's: it is taken off the URL. DATABASE_SCHEMA wins over it. */
function parsePostgres(env: Env, raw: string): DatabaseConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
  }
  const fromUrl = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  const schema = opt(env, 'DATABASE_SCHEMA') ?? (fromUrl === '' ? undefined : fromUrl);
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ConfigError(opt(env, 'DATABASE_SCHEMA') === undefined ? 'DATABASE_URL' : 'DATABASE_SCHEMA', 'a schema name is letters, digits and _ (at most 63, not starting with a digit)');
  }
  return { kind: 'postgres', url: url.toString(), schema, poolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 1000) };
}

function parseWebhook(env: Env): { url: string; secret: string } | undefined {
  const url = httpUrl(env, 'WEBHOOK_URL');
  const secret = opt(env, 'WEBHOOK_SECRET');
  if (url === undefined) {
    if (secret !== undefined) throw new ConfigError('WEBHOOK_URL', 'WEBHOOK_SECRET is set but WEBHOOK_URL is not');
    return undefined;
  }
  if (secret === undefined) throw new ConfigError('WEBHOOK_SECRET', 'WEBHOOK_URL requires WEBHOOK_SECRET (the body is signed with it)');
  if (secret.length < 32) throw new ConfigError('WEBHOOK_SECRET', 'must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  return Object.freeze({ url, secret });
}

function redisUrl(env: Env): string | undefined {
  const raw = opt(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  return raw;
}

/**
 * Which variables live mode needs, per API version: the payment credentials first (without them nothing works, and
 * they are what an operator setting up live mode is working on), then SESSION_SECRET.
 */
function requiredLive(apiVersion: ApiVersion): string[] {
  const common = ['WECHAT_APPID', 'WECHAT_SECRET', 'WXPAY_MCHID'];
  const payment = apiVersion === 'v2' ? [...common, 'WXPAY_KEY'] : [...common, 'WXPAY_APIV3_KEY', 'WXPAY_PRIVATE_KEY_PATH', 'WXPAY_CERT_SERIAL'];
  return [...payment, 'SESSION_SECRET'];
}

/** Live mode: one error naming every missing variable, so a fresh deployment is not fixed one restart at a time. */
function requireLive(env: Env, mode: WxPayMode, apiVersion: ApiVersion): void {
  if (mode !== 'live') return;
  const missing = requiredLive(apiVersion).filter((name) => opt(env, name) === undefined);
  const first = missing[0];
  if (first === undefined) return;
  const why = missing.includes('SESSION_SECRET') ? ' (SESSION_SECRET encrypts session keys at rest)' : '';
  throw new ConfigError(first, `WXPAY_MODE=live with WXPAY_API_VERSION=${apiVersion} requires ${missing.join(', ')}${why}`, missing);
}

function parseMerchant(env: Env, mode: WxPayMode, apiVersion: ApiVersion): MerchantConfig | undefined {
  if (mode === 'sandbox') return undefined;
  const apiKey = opt(env, 'WXPAY_KEY');
  if (apiKey !== undefined && apiKey.length !== 32) throw new ConfigError('WXPAY_KEY', 'the APIv2 key is 32 characters');
  const apiV3Key = opt(env, 'WXPAY_APIV3_KEY');
  if (apiV3Key !== undefined && Buffer.byteLength(apiV3Key, 'utf8') !== 32) {
    throw new ConfigError('WXPAY_APIV3_KEY', 'the APIv3 key is 32 bytes');
  }
  const publicKeyPath = opt(env, 'WXPAY_PUBLIC_KEY_PATH');
  const publicKeyId = opt(env, 'WXPAY_PUBLIC_KEY_ID');
  if ((publicKeyPath === undefined) !== (publicKeyId === undefined)) {
    throw new ConfigError(publicKeyPath === undefined ? 'WXPAY_PUBLIC_KEY_PATH' : 'WXPAY_PUBLIC_KEY_ID', 'public-key mode needs both WXPAY_PUBLIC_KEY_PATH and WXPAY_PUBLIC_KEY_ID');
  }
  const certSerial = opt(env, 'WXPAY_CERT_SERIAL');
  if (certSerial !== undefined && !/^[0-9A-Fa-f]{8,64}$/.test(certSerial)) {
    throw new ConfigError('WXPAY_CERT_SERIAL', 'the merchant API certificate serial is hexadecimal (as shown in the merchant console)');
  }
  if (publicKeyId !== undefined && !/^PUB_KEY_ID_\w{1,64}$/.test(publicKeyId)) {
    throw new ConfigError('WXPAY_PUBLIC_KEY_ID', 'the WeChat Pay public key id starts with PUB_KEY_ID_');
  }
  // v3 verifies WeChat with the public key (PUB_KEY_ID_…), platform certificates, or both during migration.
  const platformCertificates = oneOf(env, 'WXPAY_PLATFORM_CERTIFICATES', ['true', 'false'], publicKeyPath === undefined ? 'true' : 'false') === 'true';
  if (apiVersion === 'v3' && !platformCertificates && publicKeyPath === undefined) {
    throw new ConfigError('WXPAY_PUBLIC_KEY_PATH', 'WXPAY_PLATFORM_CERTIFICATES=false needs WXPAY_PUBLIC_KEY_PATH and WXPAY_PUBLIC_KEY_ID to verify WeChat Pay');
  }
  const certPath = opt(env, 'WXPAY_CLIENT_CERT_PATH');
  const keyPath = opt(env, 'WXPAY_CLIENT_KEY_PATH');
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new ConfigError(certPath === undefined ? 'WXPAY_CLIENT_CERT_PATH' : 'WXPAY_CLIENT_KEY_PATH', 'the client certificate needs both the certificate and its key');
  }
  return Object.freeze({
    appid: opt(env, 'WECHAT_APPID') ?? '',
    secret: opt(env, 'WECHAT_SECRET') ?? '',
    mchid: opt(env, 'WXPAY_MCHID') ?? '',
    apiKey,
    apiV3Key,
    privateKeyPath: opt(env, 'WXPAY_PRIVATE_KEY_PATH'),
    certSerial: certSerial?.toUpperCase(),
    publicKeyPath,
    publicKeyId,
    platformCertificates,
    clientCertPath: certPath,
    clientKeyPath: keyPath,
    clientP12Path: opt(env, 'WXPAY_CLIENT_P12_PATH'),
  });
}

/**
 * Variables that only mean something in live mode. One of them set while WXPAY_MODE is unset almost always means a
 * production deployment that forgot WXPAY_MODE=live: it would start in sandbox mode, ignore them, and let anyone
 * "pay" through the sandbox cashier with no money moving. That start is refused (docs/adr/0007).
 */
const LIVE_ONLY = [
  'WECHAT_APPID',
  'WECHAT_SECRET',
  'WXPAY_MCHID',
  'WXPAY_KEY',
  'WXPAY_APIV3_KEY',
  'WXPAY_PRIVATE_KEY_PATH',
  'WXPAY_CERT_SERIAL',
  'WXPAY_PUBLIC_KEY_PATH',
  'WXPAY_PUBLIC_KEY_ID',
  'WXPAY_CLIENT_CERT_PATH',
  'WXPAY_CLIENT_KEY_PATH',
  'WXPAY_CLIENT_P12_PATH',
] as const;

/** Sandbox mode by default only when nothing says "live": the error names the variables found, never their values. */
function refuseAccidentalSandbox(env: Env): void {
  if (opt(env, 'WXPAY_MODE') !== undefined) return;
  const found = LIVE_ONLY.filter((name) => opt(env, name) !== undefined);
  if (found.length === 0) return;
  throw new ConfigError(
    'WXPAY_MODE',
    `is unset, so the server would start in sandbox mode (no real payments) and ignore the live credentials found in the environment: ${found.join(', ')}. ` +
      'Set WXPAY_MODE=live to use them, or WXPAY_MODE=sandbox to run the sandbox anyway.',
  );
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function proxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const slash = entry.indexOf('/');
  const ip = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return false;
  if (slash < 0) return true;
  const bits = entry.slice(slash + 1);
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: false, a hop count, or the proxies' addresses/CIDRs. `true` (trust every hop) is refused: Fastify then
 * takes the left-most X-Forwarded-For entry, which the client writes itself, so any client could pick the address
 * its rate limits are counted under.
 */
function parseTrustProxy(env: Env): false | number | readonly string[] {
  const raw = opt(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true') {
    throw new ConfigError(
      'TRUST_PROXY',
      'true (trust every hop) lets a client choose its own address by writing X-Forwarded-For; set the number of proxies in front of the server (e.g. TRUST_PROXY=1 behind one nginx) or their addresses/CIDRs (e.g. TRUST_PROXY=10.0.0.0/8)',
    );
  }
  if (/^\d+$/.test(raw)) return parseWith('TRUST_PROXY', intIn(1, 10), raw);
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const bad = entries.find((e) => !proxyAddress(e));
  if (bad !== undefined || entries.length === 0) {
    throw new ConfigError('TRUST_PROXY', `must be false, a hop count (1-10) or comma-separated proxy addresses/CIDRs (loopback, linklocal, uniquelocal allowed); not ${JSON.stringify(bad ?? raw)}`);
  }
  return Object.freeze(entries);
}

/** WECHAT_MESSAGE_TOKEN and WECHAT_MESSAGE_AES_KEY: checked as the console shows them; a key without a token is a mistake. */
function parseMessagePush(env: Env): AppConfig['messagePush'] {
  const token = opt(env, 'WECHAT_MESSAGE_TOKEN');
  const aesKey = opt(env, 'WECHAT_MESSAGE_AES_KEY');
  if (token === undefined) {
    if (aesKey !== undefined) throw new ConfigError('WECHAT_MESSAGE_AES_KEY', 'needs WECHAT_MESSAGE_TOKEN as well (both come from the console\'s 消息推送配置)');
    return undefined;
  }
  if (!/^[A-Za-z0-9]{3,32}$/.test(token)) throw new ConfigError('WECHAT_MESSAGE_TOKEN', 'must be the 3-32 letters and digits set in the console');
  if (aesKey !== undefined && !/^[A-Za-z0-9]{43}$/.test(aesKey)) throw new ConfigError('WECHAT_MESSAGE_AES_KEY', 'must be the 43 letters and digits (EncodingAESKey) shown in the console');
  return Object.freeze({ token, aesKey });
}

/** Reads the environment once. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): AppConfig {
  const port = int(env, 'PORT', 3000, 0, 65535);
  refuseAccidentalSandbox(env);
  const mode = oneOf(env, 'WXPAY_MODE', ['sandbox', 'live'], 'sandbox');
  const sandboxExpose = oneOf(env, 'SANDBOX_EXPOSE', ['true', 'false'], 'false') === 'true';
  if (sandboxExpose && mode === 'live') throw new ConfigError('SANDBOX_EXPOSE', 'only applies in sandbox mode (live mode serves no sandbox)');
  const apiVersion = oneOf(env, 'WXPAY_API_VERSION', ['v2', 'v3'], 'v2');
  requireLive(env, mode, apiVersion);
  const publicUrl = httpUrl(env, 'PUBLIC_URL') ?? `http://127.0.0.1:${port}`;
  if (new URL(publicUrl).search !== '') throw new ConfigError('PUBLIC_URL', 'notify URLs may not carry a query string');
  const sessionSecret = opt(env, 'SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) {
    throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  }
  const adminToken = opt(env, 'ADMIN_TOKEN');
  const adminLabel = (e: Env): string => {
    const label = opt(e, 'ADMIN_TOKEN_LABEL') ?? 'admin';
    if (!/^[\p{L}\p{N} ._@-]{1,40}$/u.test(label)) throw new ConfigError('ADMIN_TOKEN_LABEL', '1 to 40 letters, digits, spaces or . _ @ -');
    return label;
  };
  if (adminToken !== undefined && adminToken.length < 16) throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');
  const config: AppConfig = {
    port,
    host: opt(env, 'HOST') ?? '127.0.0.1',
    publicUrl,
    database: parseDatabase(env),
    mode,
    apiVersion,
    merchant: parseMerchant(env, mode, apiVersion),
    wechatApiBase: httpUrl(env, 'WECHAT_API_BASE'),
    wxpayApiBase: httpUrl(env, 'WXPAY_API_BASE'),
    sessionSecret,
    sessionTtlSeconds: int(env, 'SESSION_TTL_SECONDS', 7 * 24 * 3600, 60, 90 * 24 * 3600),
    adminToken,
    adminLabel: adminLabel(env),
    payExpireMinutes: int(env, 'PAY_EXPIRE_MINUTES', 30, 6, 7 * 24 * 60),
    orderExpireMinutes: int(env, 'ORDER_EXPIRE_MINUTES', 24 * 60, 6, 30 * 24 * 60),
    paidAfterClose: oneOf(env, 'PAID_AFTER_CLOSE', ['refund', 'accept'], 'refund'),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    trustProxy: parseTrustProxy(env),
    sandboxExpose,
    ordersPerMinute: int(env, 'ORDERS_PER_MINUTE', 20, 1, 1_000_000),
    openOrdersMax: int(env, 'OPEN_ORDERS_MAX', 20, 1, 1_000_000),
    orderMissesPerMinute: int(env, 'ORDER_MISSES_PER_MINUTE', 30, 1, 1_000_000),
    jobs: oneOf(env, 'JOBS', ['true', 'false'], 'true') === 'true',
    jobsIntervalMs: int(env, 'JOBS_INTERVAL_MS', 15_000, 50, 3_600_000),
    jobsLeaseMs: int(env, 'JOBS_LEASE_MS', 60_000, 1_000, 3_600_000),
    jobsRetryBaseMs: int(env, 'JOBS_RETRY_BASE_MS', 5_000, 100, 3_600_000),
    outboxConcurrency: int(env, 'OUTBOX_CONCURRENCY', 8, 1, 100),
    outboxTimeoutMs: int(env, 'OUTBOX_TIMEOUT_MS', 10_000, 100, 3_600_000),
    reconcileAfterSeconds: int(env, 'RECONCILE_AFTER_SECONDS', 60, 1, 24 * 3600),
    webhook: parseWebhook(env),
    messagePush: parseMessagePush(env),
    redisUrl: redisUrl(env),
    notificationRetentionDays: Object.freeze({
      authentic: int(env, 'NOTIFICATION_LOG_RETENTION_DAYS', 90, 1, 3650),
      refused: int(env, 'NOTIFICATION_REFUSED_RETENTION_DAYS', 7, 1, 3650),
    }),
  };
  return Object.freeze(config);
}
