/**
 * Fulfilment after payment: the operator's shipments (recorded here first, uploaded to WeChat through the outbox),
 * virtual goods that ship themselves, the buyer's receipt (re-checked with WeChat's get_order), WeChat's settlement
 * pushes, and the comparison with get_order_list. Status rules live in fulfilment.ts; this decides and records.
 */
import { sameShipment, shipmentProblem, shippable } from './fulfilment.js';
import type { Fulfilment, Shipment } from './fulfilment.js';
import type { DomainLogger } from './logger.js';
import type { Order } from './order.js';
import { merchantOf } from './merchant-identity.js';
import type { Clock, IdSource } from '../ports/clock.js';
import type { PaymentKey, ShippingGateway, WechatTradeOrder } from '../ports/shipping-gateway.js';
import type { ShippingCounts, ShippingStore } from '../ports/shipping-store.js';
import type { OutboxEvent, Store } from '../ports/store.js';

/** Outbox topic of an upload; the revision is part of it because the outbox keeps one event per (topic, order). */
export const UPLOAD_TOPIC = 'shipping.upload';
export const isShippingTopic = (topic: string): boolean => topic === UPLOAD_TOPIC || topic.startsWith(`${UPLOAD_TOPIC}#`);

/** 10060001 is "not indexed yet" only for a while after payment; past this it means the payment is unknown to WeChat. */
const INDEX_GRACE_MS = 3600_000;

/**
 * An upload that will be retried by the outbox with its backoff, and is not a failure (10060001 right after payment,
 * a busy WeChat). The outbox logs it quietly.
 */
export class RetryLater extends Error {
  readonly quiet = true;
  constructor(readonly code: string) {
    super(`shipping upload deferred (${code}); retried with backoff`);
    this.name = 'RetryLater';
  }
}

export type ShipRefusal = 'not_found' | 'not_paid' | 'bad_shipment' | 'reship_used' | 'already_received' | 'conflict' | 'merchant_not_supported';
export type ShipResult = { ok: true; fulfilment: Fulfilment; duplicate: boolean } | { ok: false; reason: ShipRefusal; message: string };

export type ConfirmResult =
  | { ok: true; fulfilment: Fulfilment }
  | { ok: false; reason: 'not_shipped' | 'not_confirmed' | 'unavailable'; message: string; orderState?: number };

/** WeChat's trade_manage_order_settlement, as the route read it from a verified push. Times in ms. */
export type SettlementPush = { merchantId: string; outTradeNo: string; transactionId: string; confirmReceiveTime: number | undefined; settlementTime: number | undefined };

export type ShippingDifference = { orderId: string; outTradeNo: string; local: string; wechatOrderState: number };

/**
 * One merchant's side of 发货信息管理: its mini program's client (its own appid and access token) and the merchant
 * numbers that identify its payments there (partner mode: the provider's number the payment was placed under, and
 * the sub-merchant's, which a push may name).
 */
export type MerchantShipping = {
  merchantId: string;
  /** Undefined without merchant credentials: shipments are recorded and wait in the outbox. */
  gateway: ShippingGateway | undefined;
  /** The order_key mchid when no transaction id is known (partner: the provider's sp_mchid). */
  mchid: string;
  /** Every merchant number a push about this merchant's payments may name. */
  mchids: readonly string[];
};

export type ShippingServiceDeps = {
  store: Store;
  shipping: ShippingStore;
  clock: Clock;
  ids: IdSource;
  logger: DomainLogger;
  /** The merchant of this id's shipping side; undefined when no such merchant loads. */
  merchant: (merchantId: string) => Promise<MerchantShipping | undefined>;
  /** Every merchant (the daily comparison runs for each). */
  merchants: () => Promise<MerchantShipping[]>;
};

export class ShippingService {
  constructor(private readonly d: ShippingServiceDeps) {}

  async fulfilment(orderId: string): Promise<Fulfilment> {
    return this.d.shipping.getFulfilment(orderId, this.d.clock.now());
  }

  async fulfilments(orderIds: readonly string[]): Promise<Map<string, Fulfilment>> {
    return this.d.shipping.getFulfilments(orderIds);
  }

  /**
   * Records the shipment and queues its upload. The same shipment again is recognised (no second upload); a different
   * one is WeChat's single re-shipment; after that, or once the buyer received the goods, it is refused.
   */
  async ship(orderId: string, shipment: Shipment): Promise<ShipResult> {
    const problem = shipmentProblem(shipment);
    if (problem !== undefined) return { ok: false, reason: 'bad_shipment', message: problem };
    const order = await this.d.store.getOrder(orderId);
    if (order === undefined) return { ok: false, reason: 'not_found', message: 'no such order' };
    if (!shippable(order.status)) return { ok: false, reason: 'not_paid', message: `only a PAID order ships (this one is ${order.status})` };
    // Uploads go out under the order's own merchant (its mini program's access token, ADR 0015): one that no longer
    // loads could never be uploaded.
    if ((await this.d.merchant(merchantOf(order))) === undefined) return { ok: false, reason: 'merchant_not_supported', message: 'the merchant of this order is not available' };
    const now = this.d.clock.now();
    const current = await this.d.shipping.getFulfilment(orderId, now);
    if (current.shipment !== undefined && sameShipment(current.shipment, shipment)) {
      // Re-queue in case the process stopped between recording and queueing; the outbox ignores a second add.
      if (current.uploadStatus === 'PENDING') await this.queueUpload(orderId, current.revision);
      return { ok: true, fulfilment: current, duplicate: true };
    }
    if (current.status === 'CONFIRMED' || current.status === 'SETTLED') {
      return { ok: false, reason: 'already_received', message: `the buyer already received this order (${current.status})` };
    }
    if (current.status === 'SHIPPED' && current.revision >= 2) {
      return { ok: false, reason: 'reship_used', message: 'WeChat allows one re-shipment per payment, and it was used' };
    }
    const change = current.status === 'NOT_SHIPPED' ? 'shipped' : 'reshipped';
    if (!(await this.d.shipping.recordShipment(orderId, change, shipment, current.revision, now))) {
      return { ok: false, reason: 'conflict', message: 'the order was shipped meanwhile; read it and try again' };
    }
    const revision = current.revision + 1;
    await this.queueUpload(orderId, revision);
    this.d.logger.info({ orderId, revision, logisticsType: shipment.logisticsType, packages: shipment.packages.length }, 'shipment recorded; upload queued');
    return { ok: true, fulfilment: await this.d.shipping.getFulfilment(orderId, now), duplicate: false };
  }

  private async queueUpload(orderId: string, revision: number): Promise<void> {
    await this.d.store.addEvent({ id: this.d.ids.rowId(), topic: revision === 1 ? UPLOAD_TOPIC : `${UPLOAD_TOPIC}#${revision}`, orderId, payload: { revision }, now: this.d.clock.now() });
  }

  /**
   * Re-queues uploads recorded but left without an outbox event (the process stopped between the two writes, which
   * are not one transaction). The outbox ignores an event it already has, so this is harmless when nothing was lost.
   */
  async requeueStalled(olderThanMs = 60_000, limit = 100): Promise<number> {
    const stalled = await this.d.shipping.listPendingUploads(this.d.clock.now() - olderThanMs, limit);
    for (const s of stalled) await this.queueUpload(s.orderId, s.revision);
    return stalled.length;
  }

  /** After payment: an order of only virtual goods ships itself (logistics_type 3). Idempotent. */
  async shipIfVirtual(orderId: string): Promise<boolean> {
    const order = await this.d.store.getOrder(orderId);
    if (order === undefined || !shippable(order.status) || order.items.length === 0) return false;
    const skus = order.items.map((i) => i.sku);
    const virtual = await this.d.shipping.virtualSkus(skus);
    if (!skus.every((sku) => virtual.has(sku))) return false;
    const result = await this.ship(orderId, { logisticsType: 'virtual', packages: [], allDelivered: true });
    return result.ok;
  }

  private async paymentKey(order: Order, merchant: MerchantShipping): Promise<PaymentKey | undefined> {
    if (order.paidAttemptId === undefined) return undefined;
    const attempt = await this.d.store.getAttempt(order.paidAttemptId);
    if (attempt === undefined) return undefined;
    return { transactionId: attempt.transactionId, mchid: merchant.mchid, outTradeNo: attempt.outTradeNo };
  }

  /**
   * The outbox delivers an upload: send the recorded shipment of that revision to WeChat. A retriable answer throws
   * RetryLater (the outbox retries with backoff); a refusal marks the upload FAILED and flags the order for a person.
   */
  async deliverUpload(event: OutboxEvent): Promise<void> {
    const revision = Number(event.payload.revision);
    const now = this.d.clock.now();
    const f = await this.d.shipping.getFulfilment(event.orderId, now);
    // A newer revision has its own event; an upload already done is not done again.
    if (f.revision !== revision || f.uploadStatus !== 'PENDING' || f.shipment === undefined) return;
    const order = await this.d.store.getOrder(event.orderId);
    const merchant = order === undefined ? undefined : await this.d.merchant(merchantOf(order));
    // A merchant that does not load now (its keys, the database) may load later: retried, not failed.
    if (order !== undefined && merchant === undefined) throw new RetryLater('merchant_unavailable');
    const payment = order === undefined || merchant === undefined ? undefined : await this.paymentKey(order, merchant);
    if (order === undefined || payment === undefined) {
      await this.fail(event.orderId, revision, 'no_payment', 'the order has no paying attempt');
      return;
    }
    const gateway = merchant?.gateway;
    if (gateway === undefined) throw new RetryLater('no_credentials');
    if (revision === 1 && event.attempts > 1) {
      // A retry: an earlier try may have landed with its answer lost. Uploading again would spend the re-shipment.
      const seen = await gateway.getOrder(payment);
      if (seen.ok && seen.order.orderState >= 2 && seen.order.orderState !== 5) {
        await this.d.shipping.setUpload(event.orderId, revision, 'UPLOADED', undefined, now);
        return;
      }
    }
    const result = await gateway.upload({ payment, payerOpenid: order.openid, shipment: f.shipment, itemDesc: order.description });
    if (result.ok) {
      await this.d.shipping.setUpload(event.orderId, revision, 'UPLOADED', undefined, this.d.clock.now());
      this.d.logger.info({ orderId: event.orderId, revision }, 'shipping uploaded to WeChat');
      return;
    }
    const notIndexedYet = result.code === '10060001' && now - (order.paidAt ?? now) < INDEX_GRACE_MS;
    if (result.retry && (result.code !== '10060001' || notIndexedYet)) throw new RetryLater(result.code);
    await this.fail(event.orderId, revision, result.code, result.message);
  }

  private async fail(orderId: string, revision: number, code: string, message: string): Promise<void> {
    const now = this.d.clock.now();
    await this.d.shipping.setUpload(orderId, revision, 'FAILED', code, now);
    await this.d.store.flag(orderId, `shipping upload refused by WeChat (${code})`, now);
    this.d.logger.warn({ orderId, revision, code, err: message }, 'shipping upload refused; order flagged for review');
  }

  /**
   * The buyer says the confirm-receipt component succeeded: believed only when WeChat's get_order says 确认收货 (3) or
   * 交易完成 (4), as the documentation requires. Confirming twice is harmless.
   */
  async confirmReceipt(order: Order): Promise<ConfirmResult> {
    const now = this.d.clock.now();
    const f = await this.d.shipping.getFulfilment(order.id, now);
    if (f.status === 'CONFIRMED' || f.status === 'SETTLED') return { ok: true, fulfilment: f };
    if (f.status !== 'SHIPPED') return { ok: false, reason: 'not_shipped', message: 'the order has not shipped' };
    const merchant = await this.d.merchant(merchantOf(order));
    const payment = merchant === undefined ? undefined : await this.paymentKey(order, merchant);
    const gateway = merchant?.gateway;
    if (payment === undefined || gateway === undefined) return { ok: false, reason: 'unavailable', message: 'cannot ask WeChat about this order' };
    const seen = await gateway.getOrder(payment);
    if (!seen.ok) {
      this.d.logger.warn({ orderId: order.id, code: seen.code }, 'get_order failed while confirming receipt');
      return { ok: false, reason: 'unavailable', message: `WeChat could not be asked (${seen.code}); try again` };
    }
    const state = seen.order.orderState;
    if (state !== 3 && state !== 4) return { ok: false, reason: 'not_confirmed', message: `WeChat does not show the receipt confirmed (order_state ${state})`, orderState: state };
    await this.d.shipping.applyChange(order.id, 'confirmed', { confirmedAt: now }, now);
    this.d.logger.info({ orderId: order.id, orderState: state }, 'receipt confirmed (checked with get_order)');
    return { ok: true, fulfilment: await this.d.shipping.getFulfilment(order.id, now) };
  }

  /**
   * A verified trade_manage_order_settlement push, received at the URL of `receiver` (the merchant whose mini program
   * it was pushed for). The on-ship push (no settlement_time yet) changes nothing. Only that merchant's orders match:
   * a push verified for merchant A never touches B's order, whatever out_trade_no it names.
   */
  async applySettlement(push: SettlementPush, receiver: MerchantShipping): Promise<'settled' | 'duplicate' | 'not_settled_yet' | 'unknown_order'> {
    // One mini program may be linked to several merchant numbers: another one's out_trade_no is not ours to match.
    const foreignMchid = push.merchantId !== '' && !receiver.mchids.includes(push.merchantId);
    const found = foreignMchid ? undefined : await this.d.store.getAttemptByOutTradeNo(push.outTradeNo);
    const owner = found === undefined ? undefined : await this.d.store.getOrder(found.orderId);
    const attempt = owner !== undefined && merchantOf(owner) === receiver.merchantId ? found : undefined;
    if (attempt === undefined) {
      this.d.logger.warn({ outTradeNo: push.outTradeNo, merchantId: receiver.merchantId }, 'settlement push for an unknown order');
      return 'unknown_order';
    }
    if (push.settlementTime === undefined) return 'not_settled_yet';
    const now = this.d.clock.now();
    const before = await this.d.shipping.getFulfilment(attempt.orderId, now);
    const confirmedAt = before.confirmedAt ?? push.confirmReceiveTime;
    const applied = await this.d.shipping.applyChange(attempt.orderId, 'settled', { confirmedAt, settledAt: push.settlementTime }, now);
    if (!applied) return 'duplicate';
    if (before.status === 'NOT_SHIPPED') await this.d.store.flag(attempt.orderId, 'settled at WeChat without a shipment recorded here', now);
    this.d.logger.info({ orderId: attempt.orderId, outTradeNo: push.outTradeNo }, 'order settled (trade_manage_order_settlement)');
    return 'settled';
  }

  /** trade_manage_remind_shipping / remind_access_api: logged and counted (GET /admin/shipping shows the counts). */
  async remind(event: string, outTradeNo: string | undefined): Promise<void> {
    await this.d.shipping.countPushEvent(event, this.d.clock.now());
    this.d.logger.warn({ event, outTradeNo }, 'WeChat reminds us to ship / to use the shipping API');
  }

  async reminderCounts(): Promise<{ event: string; count: number; lastAt: number }[]> {
    return this.d.shipping.pushEventCounts();
  }

  async counts(): Promise<ShippingCounts> {
    return this.d.shipping.shippingCounts();
  }

  /**
   * Compares WeChat's view (get_order_list, orders paid within the range) with ours and flags each order that
   * differs. A shipment still waiting in the outbox is not a difference.
   */
  async compareWithWechat(range: { beginMs: number; endMs: number }): Promise<{ examined: number; differences: ShippingDifference[] }> {
    const differences: ShippingDifference[] = [];
    let examined = 0;
    for (const merchant of await this.d.merchants()) {
      const found = await this.compareMerchant(merchant, range);
      examined += found.examined;
      differences.push(...found.differences);
    }
    return { examined, differences };
  }

  /** One merchant's get_order_list, each mini program asked with its own access token. */
  private async compareMerchant(merchant: MerchantShipping, range: { beginMs: number; endMs: number }): Promise<{ examined: number; differences: ShippingDifference[] }> {
    const gateway = merchant.gateway;
    if (gateway === undefined) return { examined: 0, differences: [] };
    const differences: ShippingDifference[] = [];
    let examined = 0;
    const now = this.d.clock.now();
    for await (const remote of gateway.listOrders(range)) {
      examined++;
      const difference = await this.compareOne(remote, merchant.merchantId, now);
      if (difference === undefined) continue;
      differences.push(difference);
      await this.d.store.flag(difference.orderId, `shipping differs from WeChat: ours ${difference.local}, WeChat order_state ${difference.wechatOrderState}`, now);
    }
    if (differences.length > 0) this.d.logger.warn({ merchantId: merchant.merchantId, differences: differences.length, examined }, 'shipping state differs from WeChat; orders flagged');
    return { examined, differences };
  }

  private async compareOne(remote: WechatTradeOrder, merchantId: string, now: number): Promise<ShippingDifference | undefined> {
    const attempt = await this.d.store.getAttemptByOutTradeNo(remote.outTradeNo);
    if (attempt === undefined) return undefined;
    const order = await this.d.store.getOrder(attempt.orderId);
    // Another merchant's order is not compared with this mini program's list.
    if (order === undefined || merchantOf(order) !== merchantId) return undefined;
    const f = await this.d.shipping.getFulfilment(order.id, now);
    const local = f.status === 'SHIPPED' && f.uploadStatus !== 'UPLOADED' ? `SHIPPED/${f.uploadStatus ?? 'NONE'}` : f.status;
    if (expectedStates(order, f).includes(remote.orderState)) return undefined;
    return { orderId: order.id, outTradeNo: remote.outTradeNo, local, wechatOrderState: remote.orderState };
  }
}

/** The order_state values WeChat may show for our fulfilment (6 资金待结算 sits between shipped and settled). */
function expectedStates(order: Order, f: Fulfilment): number[] {
  if (order.status === 'REFUNDED') return [5];
  switch (f.status) {
    case 'NOT_SHIPPED':
      return [1];
    case 'SHIPPED':
      // Queued or refused here, WeChat still waits; a buyer who confirmed without telling us is a difference.
      return f.uploadStatus === 'UPLOADED' ? [2, 6] : [1];
    case 'CONFIRMED':
      return [3, 6];
    case 'SETTLED':
      return [4];
  }
}
