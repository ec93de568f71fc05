/** Storage ports. Implementations: store/ (Kysely on SQLite now, PostgreSQL later) and nothing else. */
import type { AttemptStatus, Order, OrderChange, OrderStatus, PaymentAttempt } from '../domain/order.js';
import type { Product } from '../domain/pricing.js';
import type { RefundStatus } from './gateway.js';

export type OrderState = Pick<Order, 'id' | 'status' | 'paidAttemptId' | 'merchantId'>;

export type OrderPatch = { paidAt?: number; paidAttemptId?: string; refundedFen?: number };

export interface OrderStore {
  insertOrder(order: Order): Promise<void>;
  getOrder(id: string): Promise<Order | undefined>;
  /** The order's status and paying attempt only (no items): what applying a payment needs. */
  getOrderState(id: string): Promise<OrderState | undefined>;
  findByIdempotencyKey(openid: string, key: string): Promise<Order | undefined>;
  listByOpenid(openid: string, limit: number): Promise<Order[]>;
  /**
   * How many of this user's orders are unpaid and open (CREATED or PAYING), counted up to `atMost`: the OPEN_ORDERS_MAX
   * abuse cap, past which the exact number does not matter.
   */
  countUnpaidOrders(openid: string, atMost: number): Promise<number>;
  /**
   * Applies the named change of the state machine (domain/order.ts) as a conditional update: only when the current
   * status is one of the change's sources. `to` picks the target of a change that has several. Returns whether it
   * applied; a target the change does not allow throws.
   */
  transition(id: string, change: OrderChange, now: number, options?: { to?: OrderStatus; patch?: OrderPatch }): Promise<boolean>;
  flag(id: string, reason: string, now: number): Promise<void>;

  insertAttempt(attempt: PaymentAttempt): Promise<void>;
  getAttempt(id: string): Promise<PaymentAttempt | undefined>;
  getAttemptByOutTradeNo(outTradeNo: string): Promise<PaymentAttempt | undefined>;
  latestAttempt(orderId: string): Promise<PaymentAttempt | undefined>;
  setPrepay(attemptId: string, prepayId: string, signType: string, at: number): Promise<void>;
  /** Conditional: only from one of `from`. */
  setAttemptStatus(attemptId: string, from: readonly AttemptStatus[], to: AttemptStatus): Promise<boolean>;
  /**
   * Records the transaction that paid this attempt: 'recorded' the first time, 'same' when this transaction was already
   * recorded, 'conflict' when another one was. transaction_id is unique across attempts.
   */
  recordTransaction(attemptId: string, transactionId: string): Promise<'recorded' | 'same' | 'conflict'>;
  /** Claim the right to query WeChat about this attempt now (at most once per `minGapMs`, across instances). */
  claimQuery(attemptId: string, now: number, minGapMs: number): Promise<boolean>;
  /** OPEN attempts with a prepay older than `prepayBefore`, of unpaid orders, whose time_expire is after `now`. */
  listAttemptsToReconcile(now: number, prepayBefore: number, limit: number): Promise<PaymentAttempt[]>;
  /** OPEN attempts past their time_expire. */
  listAttemptsToClose(now: number, limit: number): Promise<PaymentAttempt[]>;
  /** Unpaid orders past their expiry. */
  listOrdersToClose(now: number, limit: number): Promise<Order[]>;
  countOpenAttempts(orderId: string): Promise<number>;
}

export type Refund = {
  id: string;
  orderId: string;
  outRefundNo: string;
  amountFen: number;
  status: RefundStatus | 'REQUESTED' | 'REJECTED';
  refundId: string | undefined;
  reason: string | undefined;
  createdAt: number;
  updatedAt: number;
};

export interface RefundStore {
  insertRefund(refund: Refund): Promise<void>;
  getRefundByOutRefundNo(outRefundNo: string): Promise<Refund | undefined>;
  listRefunds(orderId: string): Promise<Refund[]>;
  setRefundStatus(outRefundNo: string, from: readonly Refund['status'][], to: Refund['status'], now: number, refundId?: string): Promise<boolean>;
}

export type NotificationLogEntry = {
  id: string;
  kind: 'payment' | 'refund';
  apiVersion: string;
  receivedAt: number;
  /** Only WeChat's own headers (Wechatpay-*, Content-Type); never cookies or authorization. */
  headers: Record<string, string>;
  rawBody: string;
  authentic: boolean;
  outcome: string;
  eventKey: string | undefined;
  outTradeNo: string | undefined;
};

/** How many deliveries of one kind, from one source, were refused for one reason in one minute (start, epoch ms). */
export type RefusalCount = { minute: number; kind: 'payment' | 'refund'; source: string; reason: string; count: number };

/** A refused delivery kept for the audit trail inside its counter row (the body already cut to a bound). */
export type RefusalSample = { receivedAt: number; apiVersion: string; headers: Record<string, string>; rawBody: string };

export interface NotificationStore {
  /** Authentic deliveries: the audit trail (refused ones are counted and sampled: addRefusalSample). */
  logNotification(entry: NotificationLogEntry): Promise<void>;
  /**
   * Keeps `sample` in the counter row of its key (creating the row with count 0 if need be), unless the row already
   * holds `max` samples: refusals never add rows beyond one per key.
   */
  addRefusalSample(key: Omit<RefusalCount, 'count'>, sample: RefusalSample, max: number): Promise<void>;
  /** Adds to the refusal counters (one row per minute, kind, source and reason; `rows` has each key once). */
  addRefusalCounts(rows: readonly RefusalCount[]): Promise<void>;
  /** Counter rows from `sinceMinute` on, oldest first. */
  listRefusalCounts(sinceMinute: number, limit: number): Promise<RefusalCount[]>;
  /**
   * Retention: deletes up to `limit` log rows of authentic deliveries received before `authenticBefore`, of refused
   * ones before `refusedBefore`, and refusal counters older than `refusedBefore`. Returns how many rows went.
   */
  pruneNotifications(authenticBefore: number, refusedBefore: number, limit: number): Promise<number>;
  /** The business event, unique by key. Returns false when it was already recorded (a redelivery). */
  recordEvent(eventKey: string, kind: 'payment' | 'refund', outTradeNo: string, outcome: string, now: number): Promise<boolean>;
  /** The audit trail, newest first: authentic deliveries and the samples of refused ones (outcome `rejected:<reason>`). */
  listNotifications(limit: number): Promise<NotificationLogEntry[]>;
}

export type OutboxEvent = {
  id: string;
  topic: string;
  orderId: string;
  payload: Record<string, unknown>;
  createdAt: number;
  attempts: number;
};

/** An event to add to the outbox. */
export type NewOutboxEvent = { id: string; topic: string; orderId: string; payload: Record<string, unknown>; now: number };

export interface Outbox {
  /** Unique per (topic, orderId): a second add is ignored and returns false. */
  addEvent(event: NewOutboxEvent): Promise<boolean>;
  /**
   * Claim up to `limit` due events for `leaseMs` (an instance that dies mid-delivery loses its lease and the event is
   * retried). The SQLite implementation claims with a conditional update per row; PostgreSQL can use SKIP LOCKED.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<OutboxEvent[]>;
  markDelivered(id: string, now: number): Promise<void>;
  markFailed(id: string, error: string, retryAt: number): Promise<void>;
  listEvents(orderId: string): Promise<(OutboxEvent & { deliveredAt: number | undefined })[]>;
}

export type Session = { tokenHash: string; merchantId?: string | undefined; openid: string; sessionKeyEnc: string; createdAt: number; expiresAt: number };

export interface SessionStore {
  insertSession(session: Session): Promise<void>;
  findSession(tokenHash: string, now: number): Promise<Session | undefined>;
}

export interface ProductStore {
  /** One merchant's active catalogue (default: 'default', the merchant of the environment). */
  listProducts(merchantId?: string): Promise<Product[]>;
  productsBySku(skus: readonly string[], merchantId?: string): Promise<Map<string, Product>>;
  seedProductsIfEmpty(products: readonly Product[], now: number): Promise<boolean>;
}

export type Repos = OrderStore & RefundStore & NotificationStore & Outbox & SessionStore & ProductStore;

/**
 * The first delivery of a payment notification in its common case, written at once (Store.recordFirstPayment): the
 * attempt's first transaction, its order moved by the state machine's `paid` change, the order's PAID outbox event,
 * the notification's event and its log entry, as the general path (applyPayment, then the event and the log) would
 * have written them with the outcome `paid`.
 */
export type FirstPayment = {
  attemptId: string;
  orderId: string;
  transactionId: string;
  paidAt: number;
  now: number;
  paid: NewOutboxEvent;
  eventKey: string;
  outTradeNo: string;
  /** Its outcome is `paid`; the caller has checked everything that needs no write (paymentMismatch). */
  log: NotificationLogEntry;
};

export interface Store extends Repos {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Where a round trip costs more than a statement (PostgreSQL), FirstPayment as one statement, committed on its own:
   * true when all of it was written. False when its conditions did not hold (the attempt already has a transaction,
   * the order is not unpaid, the event is known): then nothing was written, except, if a concurrent writer changed the
   * order in between, the attempt's transaction, which the general path then finds (`same`) and carries on from.
   * Absent where the general path is as cheap (SQLite: statements in process, commits grouped).
   */
  recordFirstPayment?(payment: FirstPayment): Promise<boolean>;
  /**
   * Where a round trip costs more than a statement (PostgreSQL): a new order, its items and its first attempt in one
   * transaction sent at once. Absent, the caller runs insertOrder and insertAttempt in a transaction.
   */
  insertOrderWithAttempt?(order: Order, attempt: PaymentAttempt): Promise<void>;
  /**
   * Likewise: the prepay WeChat gave an attempt (setPrepay) and its order's `prepayIssued` transition in one transaction
   * sent at once; returns whether the order moved. Absent, the caller runs the two in a transaction.
   */
  recordPrepay?(attemptId: string, prepayId: string, signType: string, at: number, orderId: string): Promise<boolean>;
  /** Runs `fn` in one database transaction. Never call WeChat inside it. */
  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  /**
   * Like `transaction`, but `fn` may share its transaction (and its durable commit) with concurrent callers, each in
   * its own savepoint: one that throws is undone alone. Resolves only after the shared commit. For short, database-
   * only work on a hot path (notifications); SQLite groups commits this way, PostgreSQL runs a transaction of its own.
   */
  sharedTransaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
