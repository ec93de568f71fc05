// Brings @fastify/swagger's schema fields (tags, summary, security) into FastifySchema.
import type {} from '@fastify/swagger';
import type {} from '@fastify/rate-limit';
import type { SessionService } from '../auth/session-service.js';
import type { AppConfig } from '../config.js';
import type { NotificationService } from '../domain/notification-service.js';
import type { PaymentService } from '../domain/payment-service.js';
import type { RefundService } from '../domain/refund-service.js';
import type { ShippingService } from '../domain/shipping-service.js';
import type { ShippingCheck } from '../jobs/shipping-check.js';
import type { AccessTokenManager } from '@wxpay-kit/wechat';
import type { BillReconciler } from '../jobs/bill-reconciliation.js';
import type { Jobs } from '../jobs/jobs.js';
import type { AdminStore } from '../ports/admin-store.js';
import type { Clock } from '../ports/clock.js';
import type { PaymentGateway } from '../ports/gateway.js';
import type { Store } from '../ports/store.js';
import type { MerchantRegistry } from '../merchants/registry.js';

/** Everything the routes use, assembled once by app.ts. */
export type Services = {
  config: AppConfig;
  store: Store;
  gateway: PaymentGateway;
  payments: PaymentService;
  notifications: NotificationService;
  refunds: RefundService;
  sessions: SessionService;
  jobs: Jobs;
  /** Bill reconciliation and the admin view's queries; undefined over an injected non-Kysely store. */
  bills: BillReconciler | undefined;
  adminStore: AdminStore | undefined;
  clock: Clock;
  /** Fulfilment after payment (shipments, receipt, settlement pushes). */
  shipping: ShippingService;
  /** The comparison with WeChat's get_order_list (daily, or on demand from the admin API). */
  shippingCheck: ShippingCheck;
  /**
   * Sandbox mode: tell the sandbox our 消息推送 URL, Token and EncodingAESKey (as an operator does in the console).
   * Call once the public URL is known (after listen); a no-op outside sandbox mode.
   */
  announceMessagePush(): Promise<void>;
  /** WeChat's access token, shared across instances (Redis or the database); undefined without merchant credentials. */
  accessTokens: AccessTokenManager | undefined;
  /**
   * Every merchant (issue 16); `payments`, `refunds`, `notifications`, `sessions`, `gateway` and `bills` above are
   * the first merchant's (the environment's), as in the one-merchant setup.
   */
  merchants: MerchantRegistry;
};

export type RateLimit = { max: number; timeWindow: number };
/** login: per client address; orders (creation, fresh payParams) and orderMisses (404 lookups): per user. */
export type RateLimits = { login: RateLimit; orders: RateLimit; orderMisses: RateLimit };
