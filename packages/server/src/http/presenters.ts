/** Domain → JSON, in one place. Amounts stay integer fen; times are ISO 8601 strings. */
import { notShipped } from '../domain/fulfilment.js';
import type { Fulfilment } from '../domain/fulfilment.js';
import type { Order } from '../domain/order.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The fulfilment beside the payment status. Contacts (phone numbers) stay with the operator, never in this view. */
export function presentShipping(f: Fulfilment) {
  const shippedAt = iso(f.shippedAt);
  const confirmedAt = iso(f.confirmedAt);
  const settledAt = iso(f.settledAt);
  return {
    status: f.status,
    ...(f.shipment === undefined ? {} : { logisticsType: f.shipment.logisticsType }),
    packages: (f.shipment?.packages ?? []).map((p) => ({ expressCompany: p.expressCompany, trackingNo: p.trackingNo, ...(p.itemDesc === undefined ? {} : { itemDesc: p.itemDesc }) })),
    ...(f.uploadStatus === undefined ? {} : { upload: f.uploadStatus }),
    ...(shippedAt === undefined ? {} : { shippedAt }),
    ...(confirmedAt === undefined ? {} : { confirmedAt }),
    ...(settledAt === undefined ? {} : { settledAt }),
  };
}

/** For the admin API only: WeChat's reason for a FAILED upload is the operator's business, not the buyer's. */
export function presentAdminShipping(f: Fulfilment) {
  return { ...presentShipping(f), ...(f.uploadError === undefined ? {} : { uploadError: f.uploadError }) };
}

export function presentOrder(order: Order, outTradeNo: string, fulfilment?: Fulfilment) {
  return {
    orderId: order.id,
    outTradeNo,
    amount: order.amountFen,
    status: order.status,
    items: order.items.map((item) => ({ sku: item.sku, name: item.name, price: item.unitPriceFen, quantity: item.quantity })),
    createdAt: new Date(order.createdAt).toISOString(),
    ...(order.paidAt === undefined ? {} : { paidAt: new Date(order.paidAt).toISOString() }),
    shipping: presentShipping(fulfilment ?? notShipped(order.id, order.updatedAt)),
  };
}
