/**
 * wxpayKit: a Fastify plugin that assembles store, gateway, domain services and jobs, decorates the host with them
 * (`host.wxpay`) and serves the HTTP routes from an encapsulated child context (its own validator, error handler,
 * OpenAPI and rate limits, none of which reach the host's routes). buildApp(config, deps) is a Fastify instance (not
 * listening) with wxpayKit registered: what `npm start` serves. Every dependency can be injected: tests pass a clock,
 * a fake gateway or a throw-away database; server.ts passes what the configuration names.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { SessionCipher } from './auth/session-cipher.js';
import { SessionService } from './auth/session-service.js';
import type { AppConfig } from './config.js';
import { ConfigError } from './config.js';
import { DEMO_PRODUCTS } from './demo-products.js';
import { NotificationService } from './domain/notification-service.js';
import { PaymentService } from './domain/payment-service.js';
import { RefundService } from './domain/refund-service.js';
import { ShippingService, isShippingTopic } from './domain/shipping-service.js';
import type { MerchantShipping } from './domain/shipping-service.js';
import { createShippingGateway } from './gateway/shipping-gateway.js';
import { ShippingCheck } from './jobs/shipping-check.js';
import type { ShippingGateway } from './ports/shipping-gateway.js';
import type { ShippingStore } from './ports/shipping-store.js';
import { KyselyShippingStore } from './store/shipping-store.js';
import { wechatMessageRoutes } from './http/routes/wechat-message.js';
import { createGateways } from './gateway/create.js';
import type { GatewayExtras } from './gateway/create.js';
import { AppError, installErrorHandling } from './http/errors.js';
import { adminRoutes } from './http/routes/admin.js';
import { loadConsoleAssets } from './http/routes/admin-console.js';
import { authRoutes } from './http/routes/auth.js';
import { demoRoutes } from './http/routes/demo.js';
import { docsRoutes } from './http/routes/docs.js';
import { API_DESCRIPTION, API_TAGS, documentRoutes } from './http/openapi.js';
import { healthRoutes } from './http/routes/health.js';
import { notifyRoutes } from './http/routes/notify.js';
import { orderRoutes } from './http/routes/orders.js';
import { sandboxProxy } from './http/routes/sandbox-proxy.js';
import type { RateLimits, Services } from './http/services.js';
import { swaggerTransform, installZod, zodSchemaController } from './http/zod.js';
import { cryptoIdsFor } from './ids.js';
import { lazyChildLogger, logEachRequestOnce, quietRequestLogging } from './logging.js';
import { BillReconciler } from './jobs/bill-reconciliation.js';
import { Jobs, scheduleJobs } from './jobs/jobs.js';
import type { FulfilmentHook } from './jobs/jobs.js';
import type { Clock, IdSource } from './ports/clock.js';
import { systemClock } from './ports/clock.js';
import type { LoginGateway, PaymentGateway } from './ports/gateway.js';
import type { OutboxEvent, Store } from './ports/store.js';
import type { SandboxRuntime } from './sandbox-mode.js';
import type * as SandboxModeModule from './sandbox-mode.js';
import { openStore } from './store/open.js';
import { createAccessTokenManager } from '@wxpay-kit/wechat';
import type { AccessTokenManager } from '@wxpay-kit/wechat';
import { composeHooks, createWebhookHook } from './jobs/webhook.js';
import { KyselyAdminStore } from './store/admin-store.js';
import { SqlJobLeases } from './store/job-leases.js';
import { KyselyStore } from './store/kysely-store.js';
import { KyselyMerchantStore } from './store/merchant-store.js';
import { DEFAULT_MERCHANT_ID } from './domain/merchant-identity.js';
import { summarize } from './merchants/merchant.js';
import type { MerchantSummary } from './merchants/merchant.js';
import { createMerchantGateways } from './merchants/merchant-gateways.js';
import { MerchantVault } from './merchants/merchant-vault.js';
import { MerchantRegistry } from './merchants/registry.js';
import type { MerchantServices } from './merchants/registry.js';
import type { JobReport } from './jobs/jobs.js';

const NO_WORK: JobReport = { examined: 0, changed: 0, failed: 0 };
const sumReports = (reports: readonly JobReport[]): JobReport =>
  reports.reduce((a, b) => ({ examined: a.examined + b.examined, changed: a.changed + b.changed, failed: a.failed + b.failed }), NO_WORK);
import { createSharedTokenStore } from './token-store/create.js';
import type { SharedTokenStore } from './token-store/create.js';

// The package's entry point is this file: embedders need the configuration loader and the ports next to buildApp.
export { loadConfig, ConfigError } from './config.js';
export type { AppConfig, Env } from './config.js';
export type { FulfilmentEvent, FulfilmentHook } from './jobs/jobs.js';
export type { OutboxEvent } from './ports/store.js';

export type AppDeps = {
  store?: Store;
  gateway?: PaymentGateway;
  login?: LoginGateway;
  clock?: Clock;
  ids?: IdSource;
  /** A pino-compatible logger; default: pino at config.logLevel with secrets redacted. */
  logger?: FastifyBaseLogger;
  /** The fulfilment hook: receives each outbox event (order.paid) at least once. Default: log it. */
  onEvent?: FulfilmentHook;
  /** The WeChat access-token manager; default: one over the shared token store (Redis or the database). */
  accessTokens?: AccessTokenManager;
  /** SESSION_SECRET when the config has none (server.ts generates one in sandbox mode). */
  sessionSecret?: string;
  /** Sandbox mode: the sandbox's base URL, whose /sandbox/* control API is proxied. */
  sandboxUrl?: string;
  /** Sandbox mode: examples/web-demo, served at / and /demo/. */
  demoRoot?: string;
  /**
   * The built operator console (packages/server/dist/console: index.html, console.js, console.css), served at /admin
   * when ADMIN_TOKEN is set; server.ts passes it. Without it /admin is a small self-contained page.
   */
  consoleRoot?: string;
  rateLimits?: Partial<RateLimits>;
  lateQueryAfterMs?: number;
  queryGapMs?: number;
  /** Base of the notify URLs when only known after listen (port 0); default config.publicUrl. */
  publicUrl?: () => string;
  /** Extra inputs of the real gateway (sandbox mode: a fixture client certificate; a clock). */
  gatewayExtras?: GatewayExtras;
  /** Seed the demo catalogue into an empty products table (default: in sandbox mode). */
  seedDemoProducts?: boolean;
  /** Fulfilment storage; default: over the Kysely store. */
  shippingStore?: ShippingStore;
  /** WeChat's 发货信息管理; default: over the access tokens and WECHAT_API_BASE. */
  shippingGateway?: ShippingGateway;
};

export type WxPayApp = FastifyInstance & { wx: Services };

/** wxpayKit's options: the configuration `npm start` reads (loadConfig(env)), buildApp's dependencies, and where to mount. */
export type WxPayKitOptions = AppDeps & {
  config: AppConfig;
  /**
   * Path prefix of every route (e.g. '/pay'): the API at /pay/api/..., WeChat's notifications at /pay/wxpay/notify/...
   * (the notify URLs sent to WeChat say so: `${publicUrl}/pay/wxpay/notify/payment`). Default: none.
   */
  prefix?: string;
  /** Run the background jobs (JOBS_INTERVAL_MS) from when the host is ready until it closes. Default: false. */
  jobs?: boolean;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** The services wxpayKit assembled (store, payments, refunds, jobs, ...): for the host's own code and tests. */
    wxpay: Services;
  }
}

/** Log redaction: tokens, keys and WeChat's session material never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  '*.apiV3Key',
  '*.secret',
  '*.sessionKey',
  '*.session_key',
  '*.token',
  '*.sessionSecret',
  '*.adminToken',
  // The 消息推送 Token and EncodingAESKey (config.messagePush), wherever an object carrying them is logged.
  '*.aesKey',
  '*.encodingAesKey',
  '*.messagePush',
  // Merchant credentials (POST /admin/merchants): never logged, whatever logs an object holding them.
  '*.appSecret',
  '*.apiKey',
  '*.privateKeyPem',
  '*.clientKeyPem',
];

/** Per client address (login) and per user (orders, order misses); the per-user ones come from the configuration. */
function defaultLimits(config: AppConfig): RateLimits {
  return {
    login: { max: 30, timeWindow: 60_000 },
    orders: { max: config.ordersPerMinute, timeWindow: 60_000 },
    orderMisses: { max: config.orderMissesPerMinute, timeWindow: 60_000 },
  };
}

/**
 * Never `true` (see AppConfig.trustProxy). A hop count becomes proxy-addr's "the first n hops are proxies" function:
 * Fastify 5 ignores a bare number (it fails closed), and the client's own address is then the n-th from the right.
 */
function trustProxyOption(trust: AppConfig['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return [...trust];
}

/**
 * The server-level Fastify options of `npm start`, for a host to spread into its own Fastify(...): BODY_LIMIT_BYTES,
 * TRUST_PROXY (never `true`) and request timeouts. A plugin cannot set these; wxpayKit's routes get the body limit
 * per route anyway, but client addresses (login rate limit, the sandbox's loopback check) need the host's trustProxy.
 */
export function serverOptions(config: AppConfig): Pick<FastifyServerOptions, 'bodyLimit' | 'trustProxy' | 'requestTimeout' | 'connectionTimeout' | 'return503OnClosing'> {
  return {
    bodyLimit: config.bodyLimitBytes,
    trustProxy: trustProxyOption(config.trustProxy),
    // Request timeouts: a slow client cannot hold a connection forever.
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    return503OnClosing: true,
  };
}

/** '/pay', 'pay' or '/pay/' → '/pay'; undefined, '' or '/' → ''. */
function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/**
 * Sandbox mode without merchant credentials, mounted in someone else's app: the sandbox at WXPAY_API_BASE (e.g.
 * `npm run sandbox`) lists its demo merchant. Loaded only then: @wxpay-kit/sandbox is an optional peer dependency.
 */
async function resolveExternalSandbox(config: AppConfig): Promise<SandboxRuntime | undefined> {
  if (config.mode !== 'sandbox' || config.merchant !== undefined || config.wxpayApiBase === undefined) return undefined;
  let sandboxMode: typeof SandboxModeModule;
  try {
    sandboxMode = await import('./sandbox-mode.js');
  } catch (error) {
    if (String((error as Error | null)?.message).includes("'@wxpay-kit/sandbox'")) {
      throw new ConfigError('WXPAY_MODE', 'sandbox mode needs the package @wxpay-kit/sandbox, which is not installed: npm install @wxpay-kit/sandbox (or set WXPAY_MODE=live)');
    }
    throw error;
  }
  return sandboxMode.startSandboxMode(config, {});
}

async function wxpayKitPlugin(app: FastifyInstance, options: WxPayKitOptions): Promise<void> {
  const { prefix: prefixOption, jobs: runJobs = false, ...deps } = options;
  let config = options.config;
  const prefix = normalizePrefix(prefixOption);
  // The host's own prefix (when it registers us inside a prefixed context) is part of every URL too.
  const mount = `${app.prefix}${prefix}`;
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? cryptoIdsFor(clock);
  const store = deps.store ?? (await openStore(config.database));
  const ownsStore = deps.store === undefined;
  try {
    let gateway = deps.gateway;
    let login = deps.login;
    if (gateway === undefined || login === undefined) {
      const sandbox = await resolveExternalSandbox(config);
      if (sandbox !== undefined) {
        config = sandbox.config;
        deps.gatewayExtras ??= { clientCert: sandbox.clientCert };
        deps.sandboxUrl ??= sandbox.sandboxUrl;
      }
      if (config.merchant === undefined) {
        throw new ConfigError('WXPAY_MODE', 'no merchant credentials: in sandbox mode start through server.ts or set WXPAY_API_BASE to a running sandbox, or pass a gateway');
      }
      const made = createGateways(config, config.merchant, deps.gatewayExtras);
      gateway ??= made.gateway;
      login ??= made.login;
    }
    const secret = config.sessionSecret ?? deps.sessionSecret;
    if (secret === undefined) throw new ConfigError('SESSION_SECRET', 'is required');

    const logger = deps.logger ?? app.log;
    const domainLogger = {
      info: (obj: Record<string, unknown>, msg: string) => logger.info(obj, msg),
      warn: (obj: Record<string, unknown>, msg: string) => logger.warn(obj, msg),
      error: (obj: Record<string, unknown>, msg: string) => logger.error(obj, msg),
    };

    const publicUrl = deps.publicUrl ?? (() => config.publicUrl);
    const leases = store instanceof KyselyStore ? new SqlJobLeases(store.database) : undefined;
    const adminStore = store instanceof KyselyStore ? new KyselyAdminStore(store.database) : undefined;
    const sessionCipher = new SessionCipher(secret);
    // One access token per mini program for every instance (keyed by appid in the shared store): WeChat invalidates
    // the old one whenever anyone fetches anew. Opened on first use: a server without credentials needs none.
    let sharedTokens: SharedTokenStore | undefined;
    app.addHook('onClose', async () => sharedTokens?.close());
    const accessTokensFor = (appid: string, appSecret: string): AccessTokenManager => {
      sharedTokens ??= createSharedTokenStore(config, store, clock);
      return createAccessTokenManager({
        appid,
        secret: appSecret,
        ...(config.wechatApiBase === undefined ? {} : { baseUrl: config.wechatApiBase }),
        store: sharedTokens.tokenStore,
        clock: clock.now,
      });
    };
    /** A merchant's 发货信息管理 side: its own mini program's token; partner pushes may name either merchant number. */
    const shippingOf = (summary: MerchantSummary, tokens: AccessTokenManager | undefined, injected?: ShippingGateway): MerchantShipping => ({
      merchantId: summary.id,
      gateway:
        injected ??
        (tokens === undefined
          ? undefined
          : createShippingGateway({ appid: summary.appid, accessTokens: tokens, clock: clock.now, ...(config.wechatApiBase === undefined ? {} : { baseUrl: config.wechatApiBase }) })),
      mchid: summary.mchid,
      mchids: summary.subMchid === undefined ? [summary.mchid] : [summary.mchid, summary.subMchid],
    });
    const accessTokens = deps.accessTokens ?? (config.merchant === undefined ? undefined : accessTokensFor(config.merchant.appid, config.merchant.secret));
    /**
     * One merchant's services over its own gateway (issue 16): orders, notify URLs, sessions and bills all carry its
     * id. The first merchant (the environment's) keeps the one-merchant notify paths.
     */
    const merchantServices = (summary: MerchantSummary, merchantGateway: PaymentGateway, merchantLogin: LoginGateway, shipping: MerchantShipping): MerchantServices => {
      const merchantId = summary.id;
      const paths = summary.notifyPaths;
      const base = { store, gateway: merchantGateway, clock, ids, logger: domainLogger, merchantId };
      const payments = new PaymentService({
        ...base,
        notifyUrl: () => `${publicUrl()}${mount}${paths.payment}`,
        payExpireMs: config.payExpireMinutes * 60_000,
        orderExpireMs: config.orderExpireMinutes * 60_000,
        paidAfterClose: config.paidAfterClose,
        openOrdersMax: config.openOrdersMax,
        ...(deps.lateQueryAfterMs === undefined ? {} : { lateQueryAfterMs: deps.lateQueryAfterMs }),
        ...(deps.queryGapMs === undefined ? {} : { queryGapMs: deps.queryGapMs }),
      });
      const refunds = new RefundService({ ...base, notifyUrl: () => `${publicUrl()}${mount}${paths.refund}` });
      const notifications = new NotificationService({ ...base, payments, refunds, paidAfterClose: config.paidAfterClose });
      const sessions = new SessionService({ store, login: merchantLogin, cipher: sessionCipher, clock, ids, ttlMs: config.sessionTtlSeconds * 1000, merchantId });
      const bills = adminStore === undefined
        ? undefined
        : new BillReconciler({ store, admin: adminStore.forMerchant(merchantId), gateway: merchantGateway, payments, clock, ids, logger: domainLogger, paidAfterClose: config.paidAfterClose, leases, merchantId });
      return { id: merchantId, summary, gateway: merchantGateway, payments, refunds, notifications, sessions, bills, shipping };
    };
    const firstSummary = summarize({ id: DEFAULT_MERCHANT_ID, name: 'default', appid: gateway.appid, mchid: gateway.mchid, apiVersion: gateway.apiVersion, payMode: 'direct', subMchid: undefined, settings: {} }, true);
    const first = merchantServices(firstSummary, gateway, login, shippingOf(firstSummary, accessTokens, deps.shippingGateway));
    const { payments, refunds, notifications, sessions, bills } = first;
    const merchants = new MerchantRegistry({
      first,
      store: store instanceof KyselyStore ? new KyselyMerchantStore(store.database) : undefined,
      vault: new MerchantVault(secret),
      build: (m) => {
        const made = createMerchantGateways(m, { wechatApiBase: config.wechatApiBase, wxpayApiBase: config.wxpayApiBase }, deps.gatewayExtras);
        const summary = summarize(m, false);
        return merchantServices(summary, made.gateway, made.login, shippingOf(summary, accessTokensFor(m.appid, m.secrets.appSecret)));
      },
      logger: domainLogger,
    });
    const onEvent: FulfilmentHook =
      deps.onEvent ??
      ((event) => {
        logger.info({ topic: event.topic, orderId: event.orderId }, 'fulfilment event (pass onEvent to buildApp to act on it)');
      });
    // A delivery must end well within the outbox lease, or another instance would deliver the event meanwhile.
    const deliveryTimeoutMs = Math.min(config.outboxTimeoutMs, Math.floor(config.jobsLeaseMs / 2));
    // WEBHOOK_URL: after the in-process hook, the same event goes to the merchant's endpoint, signed (jobs/webhook.ts).
    const hooks = config.webhook === undefined
      ? onEvent
      : composeHooks(onEvent, createWebhookHook({ url: config.webhook.url, secret: config.webhook.secret, clock, timeoutMs: deliveryTimeoutMs }));
    // Every event says whether money moved: a receiver can refuse sandbox events (docs/adr/0007).
    const livemode = config.mode === 'live';
    const deliver = (event: OutboxEvent, signal?: AbortSignal) => hooks({ ...event, livemode }, signal);
    const shippingStore = deps.shippingStore ?? (store instanceof KyselyStore ? new KyselyShippingStore(store.database) : undefined);
    if (shippingStore === undefined) throw new Error('an injected store needs an injected shippingStore as well');
    const shipping = new ShippingService({
      store,
      shipping: shippingStore,
      clock,
      ids,
      logger: domainLogger,
      merchant: async (merchantId) => (await merchants.get(merchantId))?.shipping,
      merchants: async () => (await merchants.all()).map((m) => m.shipping),
    });
    const shippingCheck = new ShippingCheck({ service: shipping, store: shippingStore, clock, logger: domainLogger, leases });
    // Shipping uploads ride the outbox for its retries and leases, but are ours, not the merchant's hook's. A paid
    // order of only virtual goods ships itself before the hook hears of the payment.
    const deliverAll = async (event: OutboxEvent, signal?: AbortSignal): Promise<void> => {
      if (isShippingTopic(event.topic)) return shipping.deliverUpload(event);
      if (event.topic === 'order.paid') await shipping.shipIfVirtual(event.orderId);
      return deliver(event, signal);
    };
    const jobs = new Jobs({
      store,
      payments,
      paymentsFor: async (merchantId) => (await merchants.get(merchantId))?.payments,
      clock,
      logger: domainLogger,
      onEvent: deliverAll,
      leaseMs: config.jobsLeaseMs,
      retryBaseMs: config.jobsRetryBaseMs,
      deliveryConcurrency: config.outboxConcurrency,
      deliveryTimeoutMs,
      reconcileAfterMs: config.reconcileAfterSeconds * 1000,
      ...(leases === undefined ? {} : { leases }),
      // Every merchant's bill, each under its own lease and its own run rows.
      bills: bills === undefined ? undefined : { runDaily: async () => sumReports(await Promise.all((await merchants.all()).map((m) => m.bills?.runDaily() ?? NO_WORK))) },
      // Each merchant's notification service counts its own refusals: all are written.
      notifications: { flushRefusals: async () => (await Promise.all(merchants.loadedNow().map((m) => m.notifications.flushRefusals()))).reduce((a, b) => a + b, 0) },
      // Shipping (issue 14): every merchant's comparison with its own get_order_list, and stalled uploads re-queued.
      shippingCheck,
      notificationRetention: {
        authenticMs: config.notificationRetentionDays.authentic * 86_400_000,
        refusedMs: config.notificationRetentionDays.refused * 86_400_000,
      },
    });
    const sandboxUrl = deps.sandboxUrl;
    const announceMessagePush = async (): Promise<void> => {
      if (config.mode !== 'sandbox' || sandboxUrl === undefined || config.messagePush === undefined) return;
      const { announceMessagePush: announce } = await import('./sandbox-mode.js');
      await announce(sandboxUrl, gateway.appid, `${publicUrl()}${mount}/wechat/message`, config.messagePush);
    };
    const services: Services = { config, store, gateway, payments, notifications, refunds, sessions, jobs, bills, adminStore, clock, accessTokens, merchants, shipping, shippingCheck, announceMessagePush };

    if (deps.seedDemoProducts ?? config.mode === 'sandbox') {
      if (await store.seedProductsIfEmpty(DEMO_PRODUCTS, clock.now())) logger.info('seeded the demo catalogue');
    }

    app.decorate('wxpay', services);
    // Everything below lives in a child context: the host's routes keep their own validator, errors and hooks.
    await app.register(async (app) => {
      installZod(app);
      installErrorHandling(app, { notFound: mount !== '' });
      // The API takes JSON only: a text/plain body would reach validation as a string ("expected object"); refused
      // as 415 instead, which names application/json. Notifications and the sandbox proxy add their own parsers.
      app.removeContentTypeParser('text/plain');
      app.decorateRequest('openid', '');
      app.decorateRequest('merchantId', '');
      // The host owns the server-level bodyLimit; our routes keep BODY_LIMIT_BYTES (or their own, smaller one).
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= config.bodyLimitBytes;
      });
      // Before any route: completes each route's documented responses (errors, examples) that swagger and the
      // serializers then read.
      documentRoutes(app, mount);
      await app.register(swagger, {
        openapi: {
          // 3.1: its Schema Object is JSON Schema 2020-12, which is what zod writes (3.0 is a dialect of its own).
          openapi: '3.1.0',
          info: { title: 'wxpay-kit merchant server', version: '0.1.0', description: API_DESCRIPTION },
          tags: API_TAGS,
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        },
        transform: swaggerTransform,
      });
      await app.register(rateLimit, {
        global: false,
        // An AppError keeps its message through the error handler: the caller learns the limit and when to retry.
        errorResponseBuilder: (_request, context) => new AppError(429, 'rate_limited', `too many requests: at most ${context.max} per minute from one address; retry in ${context.after}`),
      });

      const limits: RateLimits = { ...defaultLimits(config), ...deps.rateLimits };
      healthRoutes(app, services);
      authRoutes(app, services, limits);
      orderRoutes(app, services, limits);
      adminRoutes(app, services, await loadConsoleAssets(deps.consoleRoot));
      await docsRoutes(app, mount);
      await app.register(notifyRoutes, { services, bodyLimit: Math.min(config.bodyLimitBytes, 64 * 1024) });
      await app.register(wechatMessageRoutes, { services, shipping });
      if (deps.sandboxUrl !== undefined) await app.register(sandboxProxy, { target: deps.sandboxUrl, expose: config.sandboxExpose });
      if (deps.demoRoot !== undefined) await app.register(demoRoutes, { root: deps.demoRoot, appid: gateway.appid });
    }, { prefix });

    let scheduled: { stop(): Promise<void> } | undefined;
    if (runJobs) {
      app.addHook('onReady', async () => {
        scheduled = scheduleJobs(jobs, domainLogger, config.jobsIntervalMs);
      });
    }
    app.addHook('onClose', async () => {
      // Jobs finish their current run before the store they use closes.
      await scheduled?.stop();
      // Refusal counts still in memory (every merchant's) are written before the store closes.
      await jobs.flushRefusals();
      if (ownsStore) await store.close();
    });
  } catch (error) {
    if (ownsStore) await store.close();
    throw error;
  }
}

/**
 * The merchant backend as a Fastify plugin: `await host.register(wxpayKit, { config: loadConfig(process.env), prefix:
 * '/pay', jobs: true })`. The host is decorated with `wxpay` (the services); routes, zod validation, the
 * `{error:{code,message}}` error handler, OpenAPI (/docs) and rate limits stay inside wxpayKit's own context.
 * The store it opened closes with the host.
 */
export const wxpayKit = fp(wxpayKitPlugin, { fastify: '5.x', name: '@wxpay-kit/server' });

export async function buildApp(config: AppConfig, deps: AppDeps = {}): Promise<WxPayApp> {
  const app = Fastify({
    ...(deps.logger === undefined
      ? { logger: { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } } }
      : { loggerInstance: deps.logger }),
    ...serverOptions(config),
    // One line per request (logging.ts), not Fastify's two; a request's child logger only once it writes a line.
    ...quietRequestLogging(),
    childLoggerFactory: lazyChildLogger,
    // Assembly (opening the database, migrations) was never timed out; Fastify's 10 s plugin timeout must not start now.
    pluginTimeout: 0,
    schemaController: zodSchemaController,
  });
  // Requests that match no route (and bodies refused before routing) get the same JSON errors as the routes.
  installErrorHandling(app);
  logEachRequestOnce(app);
  await app.register(wxpayKit, { ...deps, config });
  app.decorate('wx', app.wxpay);
  return app as unknown as WxPayApp;
}
