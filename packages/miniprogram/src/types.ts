import type { PayParams } from './wx-api.js';

export const ORDER_STATUSES = [
  'CREATED',
  'PAYING',
  'PAID',
  'REFUNDING',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
  'CLOSED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses an order reaches only after its payment succeeded (a refund does not undo "paid"). */
export const PAID_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  'PAID',
  'REFUNDING',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
]);

export interface Product {
  sku: string;
  name: string;
  /** Integer fen. */
  price: number;
}

export interface CartItem {
  sku: string;
  quantity: number;
}

export interface OrderItem {
  sku: string;
  quantity: number;
  [extra: string]: unknown;
}

export interface Order {
  orderId: string;
  outTradeNo: string;
  /** Integer fen, set by the server from its catalogue. */
  amount: number;
  status: OrderStatus;
  items: OrderItem[];
  createdAt: string;
  paidAt?: string;
}

export interface CreatedOrder {
  orderId: string;
  outTradeNo: string;
  amount: number;
  status: OrderStatus;
  payParams: PayParams;
}

export type PayOutcomeKind = 'paid' | 'cancelled' | 'failed' | 'pending';

/**
 * What became of a payment, as confirmed with the server (never from wx.requestPayment alone).
 * - paid: the server says the order is paid (even if the cashier said cancel/fail).
 * - cancelled: the user closed the cashier and the server has no payment.
 * - failed: the cashier failed, or the server closed the order; `reason` says which.
 * - pending: the cashier said ok but the server had not confirmed within the time limit;
 *   show "confirming" and check `order(orderId)` later — the notification may still arrive.
 */
export interface PayOutcome {
  outcome: PayOutcomeKind;
  orderId: string;
  /** The latest order the server returned, when one could be read. */
  order?: Order;
  /** Why it is not `paid`: a wx errMsg, `order_closed`, `confirmation_timeout`, … */
  reason?: string;
}
