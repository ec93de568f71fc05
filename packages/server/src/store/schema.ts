import type { ColumnType } from 'kysely';
/**
 * Kysely table types. Times are bigint milliseconds since the epoch (the PostgreSQL driver must parse int8 as
 * number: see store/README note in docs/adr/0002). Booleans are 0/1 integers so both dialects share the same SQL.
 */
import type { Generated } from 'kysely';

/** `virtual`: 0/1 (migration 0006, default 0); optional on insert so older code paths need not name it. */
export type ProductsTable = { sku: string; name: string; price_fen: number; active: number; created_at: number; merchant_id: ColumnType<string, string | undefined, string>; virtual: Generated<number> };

export type OrdersTable = {
  id: string;
  merchant_id: ColumnType<string, string | undefined, string>;
  openid: string;
  status: string;
  amount_fen: number;
  description: string;
  idempotency_key: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
  paid_at: number | null;
  paid_attempt_id: string | null;
  refunded_fen: number;
  review_reason: string | null;
};

export type OrderItemsTable = { order_id: string; line: number; sku: string; name: string; unit_price_fen: number; quantity: number };

export type PaymentAttemptsTable = {
  id: string;
  merchant_id: ColumnType<string, string | undefined, string>;
  order_id: string;
  out_trade_no: string;
  amount_fen: number;
  status: string;
  sign_type: string | null;
  prepay_id: string | null;
  prepay_at: number | null;
  time_expire: number;
  transaction_id: string | null;
  created_at: number;
  last_query_at: number | null;
};

export type RefundsTable = {
  id: string;
  order_id: string;
  out_refund_no: string;
  amount_fen: number;
  status: string;
  refund_id: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
};

export type NotificationLogTable = {
  id: string;
  kind: string;
  api_version: string;
  received_at: number;
  headers_json: string;
  raw_body: string;
  authentic: number;
  outcome: string;
  event_key: string | null;
  out_trade_no: string | null;
};

export type NotificationRefusalsTable = {
  minute: number;
  kind: string;
  source: string;
  reason: string;
  count: number;
  /** JSON array of RefusalSample (migration 0007); `samples` is its length. */
  samples_json: Generated<string>;
  samples: Generated<number>;
};

export type NotificationEventsTable = { event_key: string; kind: string; out_trade_no: string; outcome: string; created_at: number };

export type OutboxTable = {
  id: string;
  topic: string;
  order_id: string;
  payload_json: string;
  created_at: number;
  available_at: number;
  attempts: number;
  lease_until: number | null;
  delivered_at: number | null;
  last_error: string | null;
};

export type SessionsTable = { token_hash: string; merchant_id: ColumnType<string, string | undefined, string>; openid: string; session_key_enc: string; created_at: number; expires_at: number };

export type JobLeasesTable = { name: string; holder: string | null; lease_until: number };

export type TokenStoreTable = { key: string; value_json: string | null; value_until: number | null; lock_owner: string | null; lock_until: number | null };

export type OrderShippingTable = {
  order_id: string;
  status: string;
  revision: number;
  shipment_json: string | null;
  upload_status: string | null;
  upload_error: string | null;
  shipped_at: number | null;
  uploaded_at: number | null;
  confirmed_at: number | null;
  settled_at: number | null;
  updated_at: number;
};

export type MessagePushCountsTable = { event: string; count: number; last_at: number };

export type ShippingChecksTable = { check_date: string; status: string; finished_at: number; examined: number; differences: number; error: string | null };

/** A merchant (issue 16): public columns, the non-secret settings as JSON, every secret in one sealed column. */
export type MerchantsTable = {
  id: string;
  name: string;
  appid: string;
  mchid: string;
  api_version: string;
  pay_mode: string;
  sub_mchid: string | null;
  sub_appid: string | null;
  settings_json: string;
  secrets_enc: string;
  created_at: number;
};

export type Database = {
  merchants: MerchantsTable;
  products: ProductsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  payment_attempts: PaymentAttemptsTable;
  refunds: RefundsTable;
  notification_log: NotificationLogTable;
  notification_events: NotificationEventsTable;
  notification_refusals: NotificationRefusalsTable;
  outbox: OutboxTable;
  sessions: SessionsTable;
  job_leases: JobLeasesTable;
  token_store: TokenStoreTable;
  order_shipping: OrderShippingTable;
  message_push_counts: MessagePushCountsTable;
  shipping_checks: ShippingChecksTable;
};
