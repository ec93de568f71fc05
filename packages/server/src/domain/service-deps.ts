/** The ports every domain service is built on: storage, WeChat, time, ids and a logger (all injected, for tests). */
import type { Clock, IdSource } from '../ports/clock.js';
import type { PaymentGateway } from '../ports/gateway.js';
import type { Store } from '../ports/store.js';
import type { DomainLogger } from './logger.js';

export type ServiceDeps = {
  store: Store;
  gateway: PaymentGateway;
  clock: Clock;
  ids: IdSource;
  logger: DomainLogger;
  /** The merchant these services act for (issue 16); default 'default', the merchant of the environment. */
  merchantId?: string | undefined;
};
