import type { SandboxContext } from './context.js';
import { messagePushOf } from './message-push.js';
import type { SandboxOrder, ShippedPackageRecord, TradeRecord } from './state/types.js';

/**
 * 小程序发货信息管理 (trade management) of paid orders, protocol-neutral: the `/wxa/sec/order/*` routes, the buyer
 * stand-in (`/sandbox/wx/confirmReceive`) and the control API all read and move orders through here.
 *
 * order_state: 1 待发货 → 2 已发货 → 3 确认收货 → 4 交易完成; 5 已退款 after a full refund. State moves with the virtual
 * clock lazily: whenever an order is read, automatic confirmation and settlement that are due are applied (at the
 * time they were due), so `POST /sandbox/clock/advance` drives them without timers that a restart would lose.
 * 6 资金待结算 is not produced (when WeChat uses it is UNCONFIRMED).
 */

export type TradeManagementOptions = {
  /** A just-paid order is unknown to the shipping APIs (10060001) for this many virtual seconds (default 5). */
  indexDelaySeconds?: number;
  /** Receipt is confirmed automatically this many virtual days after shipping completed (default 10). */
  autoConfirmDays?: number;
  /** A confirmed order settles (3 → 4) this many virtual seconds after confirmation (default 86400, one day). */
  settleAfterConfirmSeconds?: number;
};

export type TradeConfig = { indexDelayMs: number; autoConfirmMs: number; settleMs: number };

export function tradeConfig(options: TradeManagementOptions = {}): TradeConfig {
  const check = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`tradeManagement.${name} must be a number >= 0`);
    return v;
  };
  return {
    indexDelayMs: check('indexDelaySeconds', options.indexDelaySeconds, 5) * 1000,
    autoConfirmMs: check('autoConfirmDays', options.autoConfirmDays, 10) * 86_400_000,
    settleMs: check('settleAfterConfirmSeconds', options.settleAfterConfirmSeconds, 86_400) * 1000,
  };
}

export const ORDER_STATE = { awaitingShipment: 1, shipped: 2, confirmed: 3, completed: 4, refunded: 5 } as const;

/** Paid orders are trade-managed; unpaid, closed and failed ones are not. */
export function isPaid(order: SandboxOrder): boolean {
  return order.transactionId !== undefined && order.paidAt !== undefined && (order.state === 'SUCCESS' || order.state === 'REFUND');
}

/** Known to the shipping APIs: paid, and indexed (the index delay after payment has passed). */
export function isIndexed(ctx: SandboxContext, order: SandboxOrder): boolean {
  return isPaid(order) && ctx.clock.now() >= (order.paidAt ?? 0) + ctx.trade.indexDelayMs;
}

/** WeChat reminds merchants of orders still unshipped this long after payment (fact sheet 1.14). */
export const REMIND_SHIPPING_AFTER_MS = 48 * 3600 * 1000;

/**
 * When the shipping reminder is due for an unshipped order: 48 h after payment; for a presale order reported with
 * opspecialorder not before its `delay_to`; never for a reported test order. (How WeChat treats reported orders is
 * UNCONFIRMED: this is the sandbox's reading of "特殊发货报备".)
 */
export function remindShippingDueAt(order: SandboxOrder): number | undefined {
  const special = order.specialOrder;
  if (special?.type === 2) return undefined;
  const due = (order.paidAt ?? 0) + REMIND_SHIPPING_AFTER_MS;
  return special?.type === 1 && special.delayTo !== undefined ? Math.max(due, special.delayTo) : due;
}

/** Queue a trade-management push when the mini program has 消息推送 configured (none otherwise, as at WeChat). */
function push(ctx: SandboxContext, order: SandboxOrder, kind: 'trade_manage_order_settlement' | 'trade_manage_remind_shipping'): void {
  const config = messagePushOf(ctx.store, order.appid);
  if (config === undefined) return;
  ctx.notifier.enqueue({ protocol: order.protocol, kind, mchid: order.mchid, outTradeNo: order.outTradeNo, url: config.url });
}

/**
 * Put the order's next due change on the virtual clock: the shipping reminder, automatic confirmation or
 * settlement. Reads apply due changes too (advanceTrade), so a task that finds nothing to do is harmless.
 */
export function scheduleTrade(ctx: SandboxContext, order: SandboxOrder): void {
  if (!isPaid(order) || isFullyRefunded(order)) return;
  const { mchid, outTradeNo } = order;
  const sweep = (): void => {
    const current = ctx.store.order(mchid, outTradeNo);
    if (current !== undefined && advanceTrade(ctx, current)) ctx.store.commit();
  };
  const t = order.trade;
  const remindAt = remindShippingDueAt(order);
  if (order.shippingRemindedAt === undefined && t?.finishShipping !== true && remindAt !== undefined) {
    ctx.clock.at(remindAt, sweep);
  }
  if (t?.finishShipping === true && t.confirmedAt === undefined && t.shippedAt !== undefined) {
    ctx.clock.at(t.shippedAt + ctx.trade.autoConfirmMs, sweep);
  } else if (t?.confirmedAt !== undefined && t.settledAt === undefined) {
    ctx.clock.at(t.confirmedAt + ctx.trade.settleMs, sweep);
  }
}

/** After a restart: every paid order's timers back on the clock. */
export function resumeTrade(ctx: SandboxContext): void {
  for (const order of ctx.store.orders()) scheduleTrade(ctx, order);
}

/** Apply the reminder, automatic confirmation and settlement that are due; true when something changed. */
export function advanceTrade(ctx: SandboxContext, order: SandboxOrder): boolean {
  if (!isPaid(order) || isFullyRefunded(order)) return false;
  const now = ctx.clock.now();
  let changed = false;
  const remindAt = remindShippingDueAt(order);
  if (order.shippingRemindedAt === undefined && order.trade?.finishShipping !== true && remindAt !== undefined && now >= remindAt) {
    order.shippingRemindedAt = now;
    push(ctx, order, 'trade_manage_remind_shipping');
    changed = true;
  }
  const t = order.trade;
  if (t === undefined) return changed;
  if (t.finishShipping && t.confirmedAt === undefined && t.shippedAt !== undefined && now >= t.shippedAt + ctx.trade.autoConfirmMs) {
    t.confirmedAt = t.shippedAt + ctx.trade.autoConfirmMs;
    t.confirmReceiveMethod = 1;
    changed = true;
  }
  if (t.confirmedAt !== undefined && t.settledAt === undefined && now >= t.confirmedAt + ctx.trade.settleMs) {
    t.settledAt = t.confirmedAt + ctx.trade.settleMs;
    push(ctx, order, 'trade_manage_order_settlement');
    changed = true;
  } else if (changed) {
    scheduleTrade(ctx, order);
  }
  return changed;
}

function isFullyRefunded(order: SandboxOrder): boolean {
  return order.state === 'REFUND' && order.refundedFee >= order.totalFee;
}

/** WeChat's order_state of a paid order (after applying what is due). */
export function orderState(ctx: SandboxContext, order: SandboxOrder): number {
  if (advanceTrade(ctx, order)) ctx.store.commit();
  if (isFullyRefunded(order)) return ORDER_STATE.refunded;
  const t = order.trade;
  if (t?.settledAt !== undefined) return ORDER_STATE.completed;
  if (t?.confirmedAt !== undefined) return ORDER_STATE.confirmed;
  if (t?.finishShipping === true) return ORDER_STATE.shipped;
  return ORDER_STATE.awaitingShipment;
}

/** get_order's `shipping` object (`{}` when nothing was uploaded). Times in Unix seconds, as WeChat answers. */
export function shippingWire(order: SandboxOrder): Record<string, unknown> {
  const t = order.trade;
  if (t === undefined) return {};
  return {
    delivery_mode: t.deliveryMode,
    logistics_type: t.logisticsType,
    finish_shipping: t.finishShipping,
    goods_desc: t.packages.map((p) => p.itemDesc).join(';'),
    finish_shipping_count: t.finishShipping ? (t.reshipped ? 2 : 1) : 0,
    shipping_list: t.packages.map((p) => ({
      ...(p.trackingNo === undefined ? {} : { tracking_no: p.trackingNo }),
      ...(p.expressCompany === undefined ? {} : { express_company: p.expressCompany }),
      goods_desc: p.itemDesc,
      upload_time: Math.floor(p.uploadTime / 1000),
      ...(p.contact === undefined
        ? {}
        : {
            contact: {
              ...(p.contact.consignorContact === undefined ? {} : { consignor_contact: p.contact.consignorContact }),
              ...(p.contact.receiverContact === undefined ? {} : { receiver_contact: p.contact.receiverContact }),
            },
          }),
    })),
  };
}

/** get_order's `order` object. */
export function orderWire(ctx: SandboxContext, order: SandboxOrder): Record<string, unknown> {
  const description = order.description.length > 120 ? `${order.description.slice(0, 117)}...` : order.description;
  return {
    transaction_id: order.transactionId ?? '',
    merchant_id: order.mchid,
    sub_merchant_id: '',
    merchant_trade_no: order.outTradeNo,
    description,
    paid_amount: order.totalFee,
    openid: order.openid,
    trade_create_time: Math.floor(order.createdAt / 1000),
    pay_time: Math.floor((order.paidAt ?? 0) / 1000),
    order_state: orderState(ctx, order),
    in_complaint: false,
    shipping: shippingWire(order),
  };
}

/** An upload that passed the field checks (routes/trade.ts), applied to an order that passed the lookup checks. */
export type ShippingUpload = {
  logisticsType: number;
  deliveryMode: number;
  isAllDelivered?: boolean;
  packages: Omit<ShippedPackageRecord, 'uploadTime'>[];
  uploadTime: number;
};

export const MAX_PACKAGES = 15;

/**
 * The state rules of an upload, after the field rules: 10060004 refunded or completed, 10060002 confirmed,
 * 268485216 upload_time not later than the previous one, 10060023 nothing changed, 10060003 the one re-shipment
 * already used, 10060024 more than 15 packages in total. Changes nothing: the trade record the upload would leave, or
 * the errcode. (A combined upload plans every sub-order first and applies none unless all pass.)
 */
export function planUpload(ctx: SandboxContext, order: SandboxOrder, upload: ShippingUpload): { ok: true; next: TradeRecord } | { ok: false; errcode: number } {
  const state = orderState(ctx, order);
  // A refunded or completed (交易完成) order is 10060004, as a developer observed and WeChat staff described
  // (community thread, 2025-07); a confirmed one 10060002 (UNCONFIRMED: no source says which code state 3 gives).
  if (state === ORDER_STATE.refunded || state === ORDER_STATE.completed) return { ok: false, errcode: 10060004 };
  if (state === ORDER_STATE.confirmed) return { ok: false, errcode: 10060002 };
  const now = ctx.clock.now();
  const packages: ShippedPackageRecord[] = upload.packages.map((p) => ({ ...p, uploadTime: upload.uploadTime }));
  const finish = upload.deliveryMode === 1 || upload.isAllDelivered === true;
  const t = order.trade;
  if (t === undefined) {
    if (packages.length > MAX_PACKAGES) return { ok: false, errcode: 10060024 };
    return {
      ok: true,
      next: {
        logisticsType: upload.logisticsType,
        deliveryMode: upload.deliveryMode,
        packages,
        finishShipping: finish,
        reshipped: false,
        lastUploadTime: upload.uploadTime,
        ...(finish ? { shippedAt: now } : {}),
        reminded: false,
      },
    };
  }
  if (upload.uploadTime <= t.lastUploadTime) return { ok: false, errcode: 268485216 };
  const sameMode = t.logisticsType === upload.logisticsType && t.deliveryMode === upload.deliveryMode;
  if (sameMode && !t.finishShipping && upload.deliveryMode === 2) {
    // The next parcels of a split delivery: added to the earlier ones; not a re-shipment.
    if (t.packages.length + packages.length > MAX_PACKAGES) return { ok: false, errcode: 10060024 };
    return {
      ok: true,
      next: { ...t, packages: [...t.packages, ...packages], lastUploadTime: upload.uploadTime, ...(finish ? { finishShipping: true, shippedAt: now } : {}) },
    };
  }
  if (sameMode && t.finishShipping && samePackages(t, packages)) return { ok: false, errcode: 10060023 };
  // Anything else changes shipping that was uploaded: a re-shipment, allowed once.
  if (t.reshipped) return { ok: false, errcode: 10060003 };
  if (packages.length > MAX_PACKAGES) return { ok: false, errcode: 10060024 };
  const next: TradeRecord = {
    ...t,
    logisticsType: upload.logisticsType,
    deliveryMode: upload.deliveryMode,
    packages,
    finishShipping: finish,
    reshipped: true,
    lastUploadTime: upload.uploadTime,
  };
  if (finish) next.shippedAt = now;
  else delete next.shippedAt;
  return { ok: true, next };
}

/** Put a planned upload in force (the caller commits). */
export function applyPlanned(ctx: SandboxContext, order: SandboxOrder, next: TradeRecord): void {
  order.trade = next;
  scheduleTrade(ctx, order);
}

/** planUpload, then applied and committed. Returns 0 when accepted, else the errcode (nothing changed). */
export function applyUpload(ctx: SandboxContext, order: SandboxOrder, upload: ShippingUpload): number {
  const plan = planUpload(ctx, order, upload);
  if (!plan.ok) return plan.errcode;
  applyPlanned(ctx, order, plan.next);
  ctx.store.commit();
  return 0;
}

function samePackages(t: TradeRecord, packages: ShippedPackageRecord[]): boolean {
  const strip = (list: ShippedPackageRecord[]) => JSON.stringify(list.map(({ uploadTime: _u, ...rest }) => rest));
  return strip(t.packages) === strip(packages);
}

/**
 * notify_confirm_receive: 10060028 not shipped, 10060032 not express, 10060029 received_time before shipping or in
 * the future, 10060030 already reminded. 0 when accepted.
 */
export function remindConfirm(ctx: SandboxContext, order: SandboxOrder, receivedTimeS: number): number {
  const t = order.trade;
  if (t === undefined || orderState(ctx, order) !== ORDER_STATE.shipped) return 10060028;
  if (t.logisticsType !== 1) return 10060032;
  const received = receivedTimeS * 1000;
  if (received < Math.floor((t.shippedAt ?? 0) / 1000) * 1000 || received > ctx.clock.now()) return 10060029;
  if (t.reminded) return 10060030;
  t.reminded = true;
  ctx.store.commit();
  return 0;
}

export type ConfirmResult = { ok: true } | { ok: false; status: 'fail' | 'cancel'; reason: string };

/** The buyer presses 确认收货 in the confirm-receipt component: the payer, on an order awaiting receipt. */
export function confirmReceipt(ctx: SandboxContext, order: SandboxOrder, openid: string): ConfirmResult {
  if (order.openid !== openid) return { ok: false, status: 'fail', reason: 'the user is not the payer of this order' };
  if (!isIndexed(ctx, order)) return { ok: false, status: 'fail', reason: 'order not found' };
  const state = orderState(ctx, order);
  if (state !== ORDER_STATE.shipped || order.trade === undefined) {
    return { ok: false, status: 'cancel', reason: `order is not awaiting receipt (order_state ${state})` };
  }
  order.trade.confirmedAt = ctx.clock.now();
  order.trade.confirmReceiveMethod = 2;
  ctx.store.commit();
  scheduleTrade(ctx, order);
  return { ok: true };
}
