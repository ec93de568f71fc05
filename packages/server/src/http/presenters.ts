/** Domain → JSON, in one place. Amounts stay integer fen; times are ISO 8601 strings. */
import type { Order } from '../domain/order.js';

export function presentOrder(order: Order, outTradeNo: string) {
  return {
    orderId: order.id,
    outTradeNo,
    amount: order.amountFen,
    status: order.status,
    items: order.items.map((item) => ({ sku: item.sku, name: item.name, price: item.unitPriceFen, quantity: item.quantity })),
    createdAt: new Date(order.createdAt).toISOString(),
    ...(order.paidAt === undefined ? {} : { paidAt: new Date(order.paidAt).toISOString() }),
  };
}
