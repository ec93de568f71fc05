/** Time and randomness are injected so expiry, freshness windows and schedules are tested without sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Identifiers and secrets; the production source is node:crypto (src/ids.ts). */
export interface IdSource {
  /** Public order id (opaque, URL-safe). */
  orderId(): string;
  /** Internal row id. */
  rowId(): string;
  /** A WeChat out_trade_no: ≤ 32 characters of [0-9A-Za-z], unique. */
  outTradeNo(now: number): string;
  /** A WeChat out_refund_no: ≤ 64 characters of [0-9A-Za-z]. */
  outRefundNo(now: number): string;
  /** A bearer token (≥ 256 bits). */
  token(): string;
}
