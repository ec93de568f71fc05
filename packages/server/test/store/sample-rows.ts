/** Sample orders and attempts for the storage suites: one builder, so a new column is added in one place. */
import type { Order, PaymentAttempt } from '../../src/domain/order.js';

export const NOW = 1_800_000_000_000;

export function order(id: string, over: Partial<Order> = {}): Order {
  return {
    id, openid: 'u1', status: 'CREATED', amountFen: 100, description: 'd', items: [{ sku: 'a', name: 'A', unitPriceFen: 100, quantity: 1 }],
    idempotencyKey: undefined, createdAt: NOW, updatedAt: NOW, expiresAt: NOW + 60_000, paidAt: undefined, paidAttemptId: undefined,
    refundedFen: 0, reviewReason: undefined, ...over,
  };
}

export function attempt(id: string, orderId: string, over: Partial<PaymentAttempt> = {}): PaymentAttempt {
  return {
    id, orderId, outTradeNo: `OTN${id}`, amountFen: 100, status: 'OPEN', signType: undefined, prepayId: undefined, prepayAt: undefined,
    timeExpire: NOW + 30_000, transactionId: undefined, createdAt: NOW, lastQueryAt: undefined, ...over,
  };
}
