/**
 * Storage of fulfilment (domain/fulfilment.ts), a port of its own beside Store: the payment paths never depend on it.
 * Every change is conditional (the change's source statuses, and for a shipment the revision read before), so two
 * operators, a repeated push or two instances cannot apply one twice. Implementation: store/shipping-store.ts.
 */
import type { Fulfilment, FulfilmentChange, Shipment, UploadStatus } from '../domain/fulfilment.js';

export type ShippingCheck = { checkDate: string; status: 'ok' | 'failed'; finishedAt: number; examined: number; differences: number; error: string | undefined };

export interface ShippingStore {
  /** The order's fulfilment; NOT_SHIPPED (revision 0) when nothing was recorded. */
  getFulfilment(orderId: string, now: number): Promise<Fulfilment>;
  /** Those recorded among `orderIds` (absent: NOT_SHIPPED). */
  getFulfilments(orderIds: readonly string[]): Promise<Map<string, Fulfilment>>;
  /**
   * Records a shipment (change `shipped` or `reshipped`) as revision `revision + 1`, upload PENDING, only when the
   * order's fulfilment is still at `revision` and in one of the change's sources. False: someone else changed it first.
   */
  recordShipment(orderId: string, change: 'shipped' | 'reshipped', shipment: Shipment, revision: number, now: number): Promise<boolean>;
  /** The outcome of uploading `revision` (ignored when a newer revision was recorded meanwhile). */
  setUpload(orderId: string, revision: number, status: UploadStatus, error: string | undefined, now: number): Promise<void>;
  /** `confirmed` or `settled`, with the times WeChat gave; false when the change does not apply from the current status. */
  applyChange(orderId: string, change: Exclude<FulfilmentChange, 'shipped' | 'reshipped'>, times: { confirmedAt?: number | undefined; settledAt?: number | undefined }, now: number): Promise<boolean>;
  /** Orders whose upload is PENDING and unchanged since before `before` (oldest first): queued uploads to re-queue. */
  listPendingUploads(before: number, limit: number): Promise<{ orderId: string; revision: number }[]>;
  /** Counts one trade-management reminder push (by event name). */
  countPushEvent(event: string, now: number): Promise<void>;
  pushEventCounts(): Promise<{ event: string; count: number; lastAt: number }[]>;
  /** The console's overview: PAID orders not shipped yet, shipped orders by status, uploads waiting or refused. */
  shippingCounts(): Promise<ShippingCounts>;
  getShippingCheck(checkDate: string): Promise<ShippingCheck | undefined>;
  saveShippingCheck(check: ShippingCheck): Promise<void>;
  /** Products marked virtual among `skus`. */
  virtualSkus(skus: readonly string[]): Promise<Set<string>>;
}

export type ShippingCounts = { toShip: number; shipped: number; confirmed: number; settled: number; uploadPending: number; uploadFailed: number };
