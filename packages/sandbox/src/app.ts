import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { v2PaySignVerifier, v3PaySignVerifier } from './cashier.js';
import { VirtualClock } from './clock.js';
import type { SandboxContext } from './context.js';
import { FaultRegistry } from './faults.js';
import { DEMO_MERCHANT, resolveMerchants } from './merchants.js';
import { Notifier, type Poster } from './notifier.js';
import { OrderBook } from './orders.js';
import { registerControlRoutes } from './routes/control.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerPayV2Routes } from './routes/pay-v2.js';
import { registerPayV3Routes } from './routes/pay-v3.js';
import { registerTradeRoutes } from './routes/trade.js';
import { SqliteStatePersistence, type StatePersistence } from './state/persistence.js';
import { emptyState, SandboxStore } from './state/store.js';
import type { SandboxMerchant } from './state/types.js';
import { resumeTrade, scheduleTrade, tradeConfig, type TradeManagementOptions } from './trade.js';
import { tradeManagePushes } from './message-push.js';
import { v2PaymentNotifications, v2RefundNotifications } from './v2-notifications.js';
import { v3PaymentNotifications, v3RefundNotifications } from './v3-notifications.js';

export type SandboxOptions = {
  /** Merchants besides the demo merchant (one with the demo's mchid or appid replaces it). */
  merchants?: SandboxMerchant[];
  /** Virtual seconds per real second (default 1). */
  timeScale?: number;
  /** Keep state in this SQLite file across restarts (default: memory only). */
  dbPath?: string;
  /** The time source in ms (default Date.now); virtual time starts here. Freeze it to move time only by advance. */
  now?: () => number;
  /**
   * Real time in ms (default: `now`, i.e. Date.now), for every signature timestamp and every ±5-minute check. At
   * WeChat the signing clock is the wall clock; virtual time (`clock`, `--time-scale`, `clock/advance`) only schedules
   * retries, expiry, bills and settlement, so advancing it by hours never makes a signature stale.
   */
  wallClock?: () => number;
  /** Log requests (default false). Query strings are never logged: jscode2session carries the app secret. */
  logger?: boolean;
  /** How notifications are POSTed (tests may observe or replace it). */
  post?: Poster;
  /** 发货信息管理 timings on the virtual clock: index delay after payment, automatic confirmation, settlement. */
  tradeManagement?: TradeManagementOptions;
};

export type ListenOptions = { port?: number; host?: string };

export type Sandbox = {
  readonly app: FastifyInstance;
  readonly clock: VirtualClock;
  readonly context: SandboxContext;
  readonly merchants: readonly SandboxMerchant[];
  readonly demoMerchant: SandboxMerchant;
  /** The base URL once listening ('' before). */
  readonly url: string;
  listen(options?: ListenOptions): Promise<string>;
  close(): Promise<void>;
};

/** Largest request body on any route (WeChat's documents are a few KiB). */
const BODY_LIMIT = 1024 * 1024;

function noRouteSchemas({ method, url }: { method?: string; url?: string }): never {
  throw new Error(`sandbox route ${method ?? ''} ${url ?? ''} has a schema; the sandbox compiles none (parse the input with zod in the handler)`);
}

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const merchants = resolveMerchants(options.merchants);
  const persistence: StatePersistence | undefined =
    options.dbPath === undefined ? undefined : new SqliteStatePersistence(options.dbPath);
  const saved = persistence?.load();
  const source = options.now ?? Date.now;
  const wallClock = options.wallClock ?? source;
  const clock = new VirtualClock({
    now: source,
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
    ...(saved === undefined ? {} : { startAt: saved.savedAt }),
  });
  const data = saved ?? emptyState(merchants, clock.now());
  // Configuration wins over the file: merchants are set-up, orders and users are state. Merchants added through the
  // control API are state too, kept unless configuration now names the same mchid or appid.
  const added = (data.addedMerchants ?? []).filter((a) => !merchants.some((m) => m.mchid === a.mchid || m.appid === a.appid));
  data.addedMerchants = added;
  data.merchants = [...merchants, ...added];
  const store = new SandboxStore(data, persistence, () => clock.now());
  const faults = new FaultRegistry();
  const notifier = new Notifier(store, clock, faults, options.post);
  const orders = new OrderBook(store, clock, notifier);
  const trade = tradeConfig(options.tradeManagement);
  const context: SandboxContext = {
    store,
    clock,
    wallClock,
    faults,
    notifier,
    orders,
    trade,
    paySignVerifiers: new Map([
      ['MD5', v2PaySignVerifier],
      ['HMAC-SHA256', v2PaySignVerifier],
      ['RSA', v3PaySignVerifier],
    ]),
    heldSockets: new Set(),
  };
  notifier.register('v2', 'payment', v2PaymentNotifications(store));
  notifier.register('v2', 'refund', v2RefundNotifications(store));
  notifier.register('v3', 'payment', v3PaymentNotifications(store, wallClock));
  notifier.register('v3', 'refund', v3RefundNotifications(store, wallClock));
  // Message pushes are not WeChat Pay notifications, but share the notifier's schedule and delivery log.
  for (const protocol of ['v2', 'v3'] as const) {
    notifier.register(protocol, 'trade_manage_order_settlement', tradeManagePushes(store, wallClock));
    notifier.register(protocol, 'trade_manage_remind_shipping', tradeManagePushes(store, wallClock));
  }
  orders.onPaid = (order) => scheduleTrade(context, order);

  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    // No route here has a schema (handlers parse their input with zod): Fastify need not load ajv and
    // fast-json-stringify while it is built (a tenth of the server's cold start in sandbox mode). A route given a
    // schema one day fails at start-up, loudly, instead of going unchecked.
    schemaController: { compilersFactory: { buildValidator: () => noRouteSchemas, buildSerializer: () => noRouteSchemas } },
    logger: options.logger === true
      ? {
          serializers: {
            // Only the path: WeChat's login and token APIs carry the app secret in the query string.
            req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
          },
        }
      : false,
  });
  // WeChat Pay v2 bodies are XML under whatever content type the caller chose; keep them as bytes for the strict
  // parser and the signature check. JSON (control API, stable_token) keeps Fastify's parser.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // One error shape for what Fastify itself refuses (bad JSON, too large); internal errors say nothing more.
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) app.log.error(error);
    return reply.code(status).send({
      error: { code: status === 500 ? 'INTERNAL' : (error.code ?? 'BAD_REQUEST'), message: status === 500 ? 'internal error' : error.message },
    });
  });
  // Unknown routes answer the documented error shape too (Fastify's default 404 body is another shape).
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no such route: ${request.method} ${request.url.split('?')[0] ?? ''} (see the sandbox README for its routes)` } }),
  );
  registerLoginRoutes(app, context);
  registerPayV2Routes(app, context);
  registerPayV3Routes(app, context);
  registerTradeRoutes(app, context);
  registerMessageRoutes(app, context);
  registerControlRoutes(app, context);

  // Notifications and refund settlements that were pending when the sandbox stopped continue where they were.
  notifier.resume();
  orders.resume();
  resumeTrade(context);
  store.commit();

  let url = '';
  const demoMerchant = merchants.find((m) => m.mchid === DEMO_MERCHANT.mchid) ?? merchants[0] ?? { ...DEMO_MERCHANT };

  return {
    app,
    clock,
    context,
    merchants,
    demoMerchant,
    get url() {
      return url;
    },
    async listen(listenOptions: ListenOptions = {}) {
      await app.listen({ port: listenOptions.port ?? 0, host: listenOptions.host ?? '127.0.0.1' });
      const address = app.server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host}:${address.port}`;
      return url;
    },
    async close() {
      clock.close();
      for (const socket of context.heldSockets) socket.destroy();
      context.heldSockets.clear();
      await app.close();
      store.close();
    },
  };
}
