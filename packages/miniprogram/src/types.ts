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

/**
 * Fulfilment, kept apart from the payment status: NOT_SHIPPED → SHIPPED (the merchant uploaded shipping to WeChat) →
 * CONFIRMED (the buyer, or WeChat automatically, confirmed receipt) → SETTLED (WeChat released the funds).
 */
export const SHIPPING_STATUSES = ['NOT_SHIPPED', 'SHIPPED', 'CONFIRMED', 'SETTLED'] as const;
export type ShippingStatus = (typeof SHIPPING_STATUSES)[number];

export interface ShippedPackage {
  /** Express only: the carrier's code (`SF`, `ZTO`, …) and tracking number. */
  expressCompany?: string;
  trackingNo?: string;
  itemDesc?: string;
}

export interface OrderShipping {
  status: ShippingStatus;
  packages: ShippedPackage[];
  /** ISO 8601 times. */
  shippedAt?: string;
  confirmedAt?: string;
  settledAt?: string;
}

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
  /**
   * Fulfilment. Absent when the server does not report it (a server from before shipping management): the client
   * never invents NOT_SHIPPED, which would tell a buyer an order that did ship had not.
   */
  shipping?: OrderShipping;
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

export type ReceiptOutcomeKind = 'confirmed' | 'cancelled' | 'failed';

/**
 * What became of confirmReceipt, as the server found it when it asked WeChat (never from the component alone).
 * - confirmed: the server's order is CONFIRMED (or SETTLED).
 * - cancelled: the buyer left the component without confirming.
 * - failed: the component refused (e.g. the user is not the payer) or WeChat does not show the receipt as confirmed;
 *   `reason` says which.
 */
export interface ReceiptOutcome {
  outcome: ReceiptOutcomeKind;
  /** The order as the server answered after re-checking with WeChat. */
  order: Order;
  /** The component's status or error message, or `not_confirmed`. */
  reason?: string;
}

/** What wx.requestSubscribeMessage answers for one template. */
export type SubscribeChoice = 'accept' | 'acceptWithAudio' | 'acceptWithAlert' | 'reject' | 'ban' | 'filter';

export interface SubscribeResult {
  /** Templates the user accepted: each acceptance allows the server one subscribeMessage.send. */
  accepted: string[];
  /** Per template id, as WeChat answered (values this client does not know are left out). */
  choices: Record<string, SubscribeChoice>;
  /** When wx.requestSubscribeMessage failed: e.g. 20004 subscriptions switched off, 10005 no UI. Nothing accepted. */
  error?: { errCode?: number; errMsg: string };
}
