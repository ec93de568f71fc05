/**
 * Storage for the operator's side: reconciliation runs (one row per bill date) and the read-only queries of the admin
 * view. A separate port from Store so the payment paths never depend on it. Implementation: store/admin-store.ts.
 */
import type { AttemptRecord, BillDifference, RefundRecord } from '../domain/reconcile-bill.js';
import type { OrderStatus, PaymentAttempt } from '../domain/order.js';
import type { Product } from '../domain/pricing.js';
import type { NotificationLogEntry } from './store.js';

/** matched: no differences; differences: some (see the list); failed: the bill could not be had or read. */
export type ReconciliationStatus = 'matched' | 'differences' | 'failed';

/** A difference as stored: what was done about it, and when it was first seen (kept across re-runs). */
export type RecordedDifference = BillDifference & {
  /** applied:<applyPayment outcome> for a missing payment; flagged; reported (nothing of ours to flag). */
  resolution: string;
  firstSeenAt: number;
};

export type ReconciliationRun = {
  /** The China day of the bill, `YYYY-MM-DD`. */
  billDate: string;
  status: ReconciliationStatus;
  /** How many times the date was reconciled (the row is updated in place, never duplicated). */
  runs: number;
  startedAt: number;
  finishedAt: number;
  billPayments: number;
  billRefunds: number;
  matched: number;
  ignored: number;
  /** Missing payments applied through applyPayment, over all runs of the date. */
  applied: number;
  billPaidFen: number;
  billRefundFen: number;
  differences: RecordedDifference[];
  /** Why a failed run failed (an error code and message; never a body or a secret). */
  error: string | undefined;
};

export type AdminOrderSummary = {
  orderId: string;
  status: OrderStatus;
  amountFen: number;
  refundedFen: number;
  createdAt: number;
  updatedAt: number;
  paidAt: number | undefined;
  reviewReason: string | undefined;
  merchantId: string;
  /** The latest attempt's out_trade_no. */
  outTradeNo: string | undefined;
  /** When a person marked the flagged order reviewed (its latest mark_reviewed action). */
  reviewedAt?: number | undefined;
};

export type AdminOrderQuery = {
  merchantId?: string | undefined;
  status?: OrderStatus | undefined;
  /** true: flagged and not yet marked reviewed; false: never flagged or reviewed. */
  flagged?: boolean | undefined;
  /** Exact order id, out_trade_no (of any attempt), transaction_id or openid. */
  search?: string | undefined;
  /** created_at in [createdFrom, createdTo), ms. */
  createdFrom?: number | undefined;
  createdTo?: number | undefined;
  limit: number;
  cursor?: string | undefined;
};

/** What a person did to an order from the console or the API. */
export const ADMIN_ACTIONS = ['refund', 'query', 'close', 'mark_reviewed'] as const;
export type AdminActionKind = (typeof ADMIN_ACTIONS)[number];

/** One audit row: who did what to which order, why, and what came of it. Never a secret. */
export type AdminAction = {
  id: string;
  orderId: string;
  action: AdminActionKind;
  /** The admin token's label ("admin" unless ADMIN_TOKEN_LABEL names it). */
  actor: string;
  reason: string;
  /** ok, or the refusal's code (the attempt is audited too). */
  result: string;
  /** Small facts of the action: amount and out_refund_no of a refund, the answer of a query. */
  detail: Record<string, string | number | boolean | null>;
  createdAt: number;
};

/** The dashboard's window: China calendar days [start, end) in ms, bucketed with this UTC offset. */
export type StatsWindow = { start: number; end: number; utcOffsetMs: number };

export type DayStats = {
  /** Index of the China day: floor((ms + utcOffsetMs) / 86 400 000). */
  day: number;
  created: number;
  paid: number;
  revenueFen: number;
  refundedFen: number;
};

export type AdminStats = {
  /** Only days that have something; the caller fills the gaps. */
  days: DayStats[];
  /** Orders created in the window, by their status now. */
  byStatus: Partial<Record<OrderStatus, number>>;
  /** Of the orders created in the window, how many were paid (paid_at set, whatever happened after). */
  conversion: { created: number; paid: number };
  notifications: {
    /** Logged deliveries in the window (authentic or not). */
    deliveries: number;
    authentic: number;
    /** Refused: not authentic, plus the refusals only counted (floods, unreadable bodies). */
    rejected: number;
    /** Events WeChat delivered more than once (it had to retry). */
    retried: number;
    /** Deliveries by their recorded outcome. */
    outcomes: Record<string, number>;
    /** For orders paid in the window: ms from the payment (paid_at) to the first authentic payment notification. */
    paymentToNotificationMs: number[];
  };
  refunds: Record<string, { count: number; amountFen: number }>;
  flagged: { open: number; reviewed: number };
};

export interface AdminStore {
  /** The same store over another merchant's reconciliation runs and bill records (issue 16). */
  forMerchant(merchantId: string): AdminStore;
  /** Insert or update the run of `run.billDate` (runs is incremented on update). */
  saveReconciliation(run: Omit<ReconciliationRun, 'runs'>): Promise<void>;
  getReconciliation(billDate: string): Promise<ReconciliationRun | undefined>;
  /** Newest bill date first. */
  listReconciliations(limit: number, beforeDate?: string): Promise<ReconciliationRun[]>;
  /**
   * What reconcileBill compares with: the attempts named by the bill and those that paid an order within the day; the
   * refunds named by the bill and those recorded as succeeded within the day.
   */
  recordsForBill(input: { outTradeNos: readonly string[]; outRefundNos: readonly string[]; day: { start: number; end: number } }): Promise<{ attempts: AttemptRecord[]; refunds: RefundRecord[] }>;
  /** Newest first; `cursor` is the opaque nextCursor of the previous page. */
  listOrders(query: AdminOrderQuery): Promise<{ orders: AdminOrderSummary[]; nextCursor: string | undefined }>;
  listAttempts(orderId: string): Promise<PaymentAttempt[]>;
  /** Notification deliveries naming these out_trade_nos, newest first. */
  notificationsFor(outTradeNos: readonly string[], limit: number): Promise<NotificationLogEntry[]>;
  /** One logged delivery by its id (`wxpay-kit notifications replay <id>`). */
  getNotification(id: string): Promise<NotificationLogEntry | undefined>;

  /** Audit: one row per action taken on an order (only ever inserted). */
  recordAction(action: AdminAction): Promise<void>;
  /** The order's actions, oldest first. */
  listActions(orderId: string): Promise<AdminAction[]>;
  /** The dashboard's numbers over one window (see AdminStats). */
  stats(window: StatsWindow): Promise<AdminStats>;

  /** The whole catalogue, inactive products too, by sku. */
  listAllProducts(): Promise<Product[]>;
  /** False when the sku exists already (nothing changed). */
  insertProduct(product: Product, now: number): Promise<boolean>;
  /** The product after the change; undefined for an unknown sku. Products are never deleted (orders name them). */
  updateProduct(sku: string, patch: ProductPatch): Promise<Product | undefined>;
  /**
   * All or nothing, in one transaction: each product is added (on sale) or, when its sku exists, given this name and
   * price and put on sale again. Answers which skus were added and which changed.
   */
  importProducts(products: readonly Product[], now: number): Promise<{ created: string[]; updated: string[] }>;
}

export type ProductPatch = { name?: string | undefined; priceFen?: number | undefined; active?: boolean | undefined; virtual?: boolean | undefined };
