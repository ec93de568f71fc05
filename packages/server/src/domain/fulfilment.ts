/**
 * The fulfilment state machine (发货 → 确认收货 → 结算), kept apart from the payment status of domain/order.ts: an order
 * is PAID (money) and, beside that, NOT_SHIPPED, SHIPPED, CONFIRMED or SETTLED (goods). Like order.ts, this is the one
 * place that says which fulfilment status may follow which; the store applies a change as a conditional update
 * (`WHERE status IN (its sources)`), so a repeated push or a double click changes nothing twice.
 */
import type { OrderStatus } from './order.js';

export const FULFILMENT_STATUSES = ['NOT_SHIPPED', 'SHIPPED', 'CONFIRMED', 'SETTLED'] as const;
export type FulfilmentStatus = (typeof FULFILMENT_STATUSES)[number];

type Change = { readonly from: readonly FulfilmentStatus[]; readonly to: FulfilmentStatus };

const CHANGES = {
  /** The operator shipped (or virtual goods shipped themselves); recorded before WeChat hears of it. */
  shipped: { from: ['NOT_SHIPPED'], to: 'SHIPPED' },
  /** WeChat allows one re-shipment: new packages for an order that is shipped and not yet received. */
  reshipped: { from: ['SHIPPED'], to: 'SHIPPED' },
  /** The buyer confirmed receipt, as WeChat's get_order says (never on the client's word alone). */
  confirmed: { from: ['SHIPPED'], to: 'CONFIRMED' },
  /**
   * WeChat's trade_manage_order_settlement push: the funds settled. WeChat is authoritative here, so a settlement of an
   * order we never saw shipped (shipped by hand in the console) still settles it; the service flags that for review.
   */
  settled: { from: ['NOT_SHIPPED', 'SHIPPED', 'CONFIRMED'], to: 'SETTLED' },
} as const satisfies Record<string, Change>;

export type FulfilmentChange = keyof typeof CHANGES;

export function fulfilmentChange(change: FulfilmentChange): { from: readonly FulfilmentStatus[]; to: FulfilmentStatus } {
  return CHANGES[change];
}

export function canChangeFulfilment(from: FulfilmentStatus, change: FulfilmentChange): boolean {
  return (CHANGES[change].from as readonly FulfilmentStatus[]).includes(from);
}

/** Only a paid order ships: one partly or wholly refunded, or with a refund under way, does not. */
export function shippable(status: OrderStatus): boolean {
  return status === 'PAID';
}

/** WeChat's 物流模式 by our name (the SDK's codes: 1 express, 2 same-city, 3 virtual, 4 pick-up). */
export const LOGISTICS_TYPES = ['express', 'same_city', 'virtual', 'pickup'] as const;
export type LogisticsType = (typeof LOGISTICS_TYPES)[number];

export type ShipmentPackage = { expressCompany: string; trackingNo: string; itemDesc?: string | undefined; contact?: string | undefined };

/** What the operator asked to ship. */
export type Shipment = {
  logisticsType: LogisticsType;
  /** Express only: up to 15, one per parcel (split delivery when more than one). Empty otherwise. */
  packages: ShipmentPackage[];
  /** Split delivery only: whether this upload completes the order. */
  allDelivered: boolean;
};

/** Where the upload to WeChat stands: queued in the outbox, accepted, or refused for good (flagged for review). */
export type UploadStatus = 'PENDING' | 'UPLOADED' | 'FAILED';

export type Fulfilment = {
  orderId: string;
  status: FulfilmentStatus;
  shipment: Shipment | undefined;
  /** 1 for the first shipment, 2 after the one re-shipment WeChat allows. */
  revision: number;
  uploadStatus: UploadStatus | undefined;
  uploadError: string | undefined;
  shippedAt: number | undefined;
  uploadedAt: number | undefined;
  confirmedAt: number | undefined;
  settledAt: number | undefined;
  updatedAt: number;
};

export function notShipped(orderId: string, now: number): Fulfilment {
  return {
    orderId,
    status: 'NOT_SHIPPED',
    shipment: undefined,
    revision: 0,
    uploadStatus: undefined,
    uploadError: undefined,
    shippedAt: undefined,
    uploadedAt: undefined,
    confirmedAt: undefined,
    settledAt: undefined,
    updatedAt: now,
  };
}

/** The same shipment, whatever the key order: a repeated POST is recognised and not uploaded twice. */
export function sameShipment(a: Shipment, b: Shipment): boolean {
  return canonicalShipment(a) === canonicalShipment(b);
}

export function canonicalShipment(s: Shipment): string {
  return JSON.stringify({
    logisticsType: s.logisticsType,
    allDelivered: s.allDelivered,
    packages: s.packages.map((p) => [p.expressCompany, p.trackingNo, p.itemDesc ?? null, p.contact ?? null]),
  });
}

/** WeChat's rules on a shipment, checked before anything is recorded (the SDK checks the wire form again). */
export function shipmentProblem(s: Shipment): string | undefined {
  if (s.logisticsType === 'express') {
    if (s.packages.length < 1) return 'express needs at least one package (expressCompany and trackingNo)';
    if (s.packages.length > 15) return 'at most 15 packages';
  } else if (s.packages.length > 0) {
    return 'packages are for express only';
  }
  return undefined;
}
