import { WxPayProtocolError, WxPayValidationError } from '../errors.js';
import type { WxPayRequestOptions } from '../transport/options.js';
import type { ApiCaller } from './api.js';

/**
 * 发货信息管理 (order shipping information): camelCase options in, WeChat's wire names out, every request checked
 * before it is sent, answers read into typed objects. Never resent on our own after an unknown outcome: WeChat allows
 * one re-shipping per payment, and a duplicated upload may spend it.
 */

/** Which payment: WeChat's transaction_id, or the merchant number that placed it (the 子商户号 in partner mode) + out_trade_no. */
export type ShippingOrderKey = { transactionId: string } | { mchid: string; outTradeNo: string };

/** get_order / notify_confirm_receive name the payment differently from `order_key`. */
export type ShippingPaymentRef = { transactionId: string } | { merchantId: string; merchantTradeNo: string; subMerchantId?: string | undefined };

/** 物流模式: 1 express (实体物流), 2 same-city delivery (同城配送), 3 virtual goods (虚拟商品), 4 self pickup (用户自提). */
export type LogisticsType = 'express' | 'same_city' | 'virtual' | 'self_pickup';
/** 发货模式: 1 unified (统一发货, one package), 2 split (分拆发货, express only). */
export type DeliveryMode = 'unified' | 'split';

export const LOGISTICS_TYPE_CODES: Readonly<Record<LogisticsType, number>> = { express: 1, same_city: 2, virtual: 3, self_pickup: 4 };
export const DELIVERY_MODE_CODES: Readonly<Record<DeliveryMode, number>> = { unified: 1, split: 2 };

/** A masked phone number: last four digits clear, four `*` before them, e.g. `189****1234`, `021-****1234`, `+86-177****1234`. */
export type ShippingContact = { consignorContact?: string | undefined; receiverContact?: string | undefined };

export type ShippingPackage = {
  /** Express only (required there): the carrier's tracking number, 1-128 characters. */
  trackingNo?: string | undefined;
  /** Express only (required there): a `delivery_id` from getDeliveryList, e.g. `SF`, `YTO`, `ZTO`. */
  expressCompany?: string | undefined;
  /** What is in the package, 1-120 characters, e.g. `微信红包抱枕*1个`. */
  itemDesc: string;
  /** Required for 顺丰 (`SF`): the consignor's or the receiver's masked phone number. */
  contact?: ShippingContact | undefined;
};

export type PaymentShipping = {
  logisticsType: LogisticsType;
  deliveryMode: DeliveryMode;
  /** Split mode only, and required there: true when this upload completes the shipping (the buyer is told then). */
  isAllDelivered?: boolean | undefined;
  /** 1-15 packages; exactly one in unified mode. */
  packages: readonly ShippingPackage[];
};

export type UploadShippingInfoRequest = PaymentShipping & {
  orderKey: ShippingOrderKey;
  payerOpenid: string;
  /** RFC 3339 string or a Date; default now from the client's clock. A re-upload must be later than the previous one. */
  uploadTime?: Date | string | undefined;
};

export type UploadCombinedShippingInfoRequest = {
  /** The 合单 payment. */
  orderKey: ShippingOrderKey;
  /** Each sub-order's key must use the same kind of key as `orderKey`. */
  subOrders: ReadonlyArray<PaymentShipping & { orderKey: ShippingOrderKey }>;
  payerOpenid: string;
  uploadTime?: Date | string | undefined;
};

/**
 * The shipping APIs' errcodes by name (one table for upload, combined upload, get_order, get_order_list and
 * notify_confirm_receive), to compare with `MiniProgramApiError.errcode`.
 */
export const SHIPPING_ERRCODES = {
  SYSTEM_ERROR: -1,
  PAYMENT_NOT_FOUND: 10060001, // also "paid seconds ago, not indexed yet": retriable
  ALREADY_SHIPPED: 10060002,
  RESHIP_CHANCE_USED: 10060003,
  NOT_SHIPPABLE: 10060004,
  BAD_LOGISTICS_TYPE: 10060005,
  SPLIT_NOT_EXPRESS: 10060006,
  IS_ALL_DELIVERED_MISSING: 10060007,
  ITEM_DESC_EMPTY: 10060008,
  ITEM_DESC_TOO_LONG: 10060009,
  BAD_LAST_INDEX: 10060011,
  SYSTEM_ERROR_2: 10060012,
  BAD_PARAMETER: 10060014,
  SYSTEM_ERROR_3: 10060019,
  NO_ITEM_DESC: 10060020,
  NOTHING_CHANGED: 10060023,
  TOO_MANY_PACKAGES: 10060024,
  EXPRESS_COMPANY_TOO_LONG: 10060025,
  TRACKING_NO_TOO_LONG: 10060026,
  NOT_SHIPPED: 10060028,
  BAD_RECEIVED_TIME: 10060029,
  REMINDER_USED: 10060030,
  NOT_THE_PAYER: 10060031,
  REMINDER_EXPRESS_ONLY: 10060032,
  BAD_ORDER_NUMBER_TYPE: 268485194,
  TRANSACTION_ID_MISSING: 268485195,
  MCHID_MISSING: 268485196,
  OUT_TRADE_NO_MISSING: 268485197,
  BAD_UPLOAD_TIME: 268485216,
  BAD_DELIVERY_MODE: 268485224,
  TRACKING_NO_MISSING: 268485226,
  EXPRESS_COMPANY_MISSING: 268485227,
  UNIFIED_NEEDS_ONE_PACKAGE: 268485228,
  BAD_SPECIAL_ORDER_TYPE: 268546000,
  BAD_DELAY_TO: 268546001,
  SPECIAL_ORDER_NOT_FOUND: 268546002,
} as const;

/** order_state: 1 待发货, 2 已发货, 3 确认收货, 4 交易完成, 5 已退款, 6 资金待结算. Other numbers are passed through as sent. */
export const ORDER_STATE = { awaitingShipment: 1, shipped: 2, receiptConfirmed: 3, completed: 4, refunded: 5, awaitingSettlement: 6 } as const;

export type ShippedPackage = {
  trackingNo: string | undefined;
  expressCompany: string | undefined;
  goodsDesc: string | undefined;
  /** Unix seconds (get_order answers seconds, not RFC 3339). */
  uploadTime: number | undefined;
  contact: ShippingContact | undefined;
};

export type OrderShipping = {
  deliveryMode: number | undefined;
  logisticsType: number | undefined;
  finishShipping: boolean | undefined;
  goodsDesc: string | undefined;
  /** 0 not finished, 1 finished, 2 re-shipped and finished. */
  finishShippingCount: number | undefined;
  packages: ShippedPackage[];
};

export type ShippingOrder = {
  transactionId: string;
  merchantId: string;
  subMerchantId: string;
  merchantTradeNo: string;
  description: string;
  paidAmountFen: number;
  openid: string;
  /** Unix seconds. */
  tradeCreateTime: number;
  payTime: number;
  orderState: number;
  inComplaint: boolean;
  /** Undefined until something was shipped (WeChat answers `{}`). */
  shipping: OrderShipping | undefined;
  /** The order object as WeChat sent it, for fields this SDK does not read (e.g. `upload_scene`). */
  raw: Readonly<Record<string, unknown>>;
};

export type GetOrderListRequest = {
  /** Unix seconds; begin defaults to 0, end (inclusive) to 2^32 − 1 on WeChat's side. */
  payTimeRange?: { beginTime?: number | undefined; endTime?: number | undefined } | undefined;
  orderState?: number | undefined;
  openid?: string | undefined;
  /** Omit for the first page; then the `lastIndex` of the previous page. */
  lastIndex?: string | undefined;
  /** Default 100 on WeChat's side. */
  pageSize?: number | undefined;
};

export type OrderListPage = { orders: ShippingOrder[]; lastIndex: string; hasMore: boolean };

export type SpecialOrderReport = { orderId: string; type: 'presale'; delayTo: Date | number } | { orderId: string; type: 'test' };

export type DeliveryCompany = { deliveryId: string; deliveryName: string };

export type ShippingApi = {
  uploadShippingInfo(request: UploadShippingInfoRequest, options?: WxPayRequestOptions): Promise<void>;
  uploadCombinedShippingInfo(request: UploadCombinedShippingInfoRequest, options?: WxPayRequestOptions): Promise<void>;
  getOrder(ref: ShippingPaymentRef, options?: WxPayRequestOptions): Promise<ShippingOrder>;
  getOrderList(request?: GetOrderListRequest, options?: WxPayRequestOptions): Promise<OrderListPage>;
  /** Every order matching the filter, page after page (one request per page, lazily). */
  listOrders(request?: Omit<GetOrderListRequest, 'lastIndex'>, options?: WxPayRequestOptions): AsyncIterableIterator<ShippingOrder>;
  /** Remind the buyer to confirm receipt — once per order, express only. `receivedTime`: the carrier's sign-off. */
  notifyConfirmReceive(ref: ShippingPaymentRef & { receivedTime: Date | number }, options?: WxPayRequestOptions): Promise<void>;
  /** The page the shipping and confirm-receipt messages open, e.g. `pages/order/detail`. */
  setMsgJumpPath(path: string, options?: WxPayRequestOptions): Promise<void>;
  /** Whether the service is open for `appid` (default ours). */
  isTradeManaged(appid?: string, options?: WxPayRequestOptions): Promise<boolean>;
  /** Whether every linked merchant number completed the settlement-management confirmation. */
  isTradeManagementConfirmationCompleted(appid?: string, options?: WxPayRequestOptions): Promise<boolean>;
  /** 特殊发货报备: a presale order (shipping expected at `delayTo`) or a test order. */
  reportSpecialOrder(report: SpecialOrderReport, options?: WxPayRequestOptions): Promise<void>;
  /** The carriers and their `delivery_id` (the value of `expressCompany`). */
  getDeliveryList(options?: WxPayRequestOptions): Promise<DeliveryCompany[]>;
};

// ---------------------------------------------------------------------------------------------------------------
// Checks. Each names the field as the caller wrote it.

const MAX_PACKAGES = 15;
const MAX_ITEM_DESC = 120;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MASKED_PHONE = /^(?:\+\d{1,4}-)?[0-9-]{0,16}\*{4}\d{4}$/;
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{1,32}$/;

function text(field: string, value: unknown, max: number, min = 1): string {
  if (typeof value !== 'string') throw new WxPayValidationError(field, 'must be a string');
  const length = [...value].length;
  if (length < min || length > max) throw new WxPayValidationError(field, min === max ? `must be ${min} characters` : `must be ${min}-${max} characters`);
  return value;
}

function unixSeconds(field: string, value: unknown): number {
  const seconds = value instanceof Date ? Math.floor(value.getTime() / 1000) : value;
  if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0 || seconds > 0xffffffff) {
    throw new WxPayValidationError(field, 'must be a Date or Unix seconds');
  }
  return seconds;
}

/** RFC 3339 in China time (+08:00, as WeChat's samples), without `.000` when the milliseconds are 0 (a staff hint). */
export function formatUploadTime(epochMs: number): string {
  const shifted = new Date(epochMs + 8 * 3600_000).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const ms = shifted.slice(19, 23);
  return `${shifted.slice(0, 19)}${ms === '.000' ? '' : ms}+08:00`;
}

function uploadTime(value: Date | string | undefined, clock: () => number): string {
  if (value === undefined) return formatUploadTime(clock());
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new WxPayValidationError('uploadTime', 'is an invalid Date');
    return formatUploadTime(value.getTime());
  }
  const m = typeof value === 'string' ? RFC3339.exec(value) : null;
  if (m === null || Number.isNaN(Date.parse(value as string))) {
    throw new WxPayValidationError('uploadTime', 'must be RFC 3339, e.g. 2022-12-15T13:29:35.120+08:00 (WeChat answers 268485216 otherwise)');
  }
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw new WxPayValidationError('uploadTime', 'is not a real date and time');
  }
  return value as string;
}

function orderKeyWire(field: string, key: ShippingOrderKey): Record<string, unknown> {
  if (typeof key !== 'object' || key === null) throw new WxPayValidationError(field, 'must be { transactionId } or { mchid, outTradeNo }');
  if ('transactionId' in key && key.transactionId !== undefined) {
    if ('mchid' in key || 'outTradeNo' in key) throw new WxPayValidationError(field, 'give transactionId or mchid + outTradeNo, not both');
    return { order_number_type: 2, transaction_id: text(`${field}.transactionId`, key.transactionId, 64) };
  }
  const k = key as { mchid?: unknown; outTradeNo?: unknown };
  if (typeof k.mchid !== 'string' || !/^\d{1,32}$/.test(k.mchid)) throw new WxPayValidationError(`${field}.mchid`, 'must be the merchant number (digits) that placed the order');
  if (typeof k.outTradeNo !== 'string' || !OUT_TRADE_NO.test(k.outTradeNo)) throw new WxPayValidationError(`${field}.outTradeNo`, 'must be 1-32 of 0-9 A-Z a-z _ - | *');
  return { order_number_type: 1, mchid: k.mchid, out_trade_no: k.outTradeNo };
}

function paymentRefWire(ref: ShippingPaymentRef): Record<string, string> {
  if (typeof ref !== 'object' || ref === null) throw new WxPayValidationError('ref', 'must be { transactionId } or { merchantId, merchantTradeNo }');
  if ('transactionId' in ref && ref.transactionId !== undefined) {
    return { transaction_id: text('transactionId', ref.transactionId, 64) };
  }
  const r = ref as { merchantId?: unknown; merchantTradeNo?: unknown; subMerchantId?: unknown };
  if (typeof r.merchantId !== 'string' || !/^\d{1,32}$/.test(r.merchantId)) throw new WxPayValidationError('merchantId', 'must be a merchant number (digits)');
  if (typeof r.merchantTradeNo !== 'string' || !OUT_TRADE_NO.test(r.merchantTradeNo)) throw new WxPayValidationError('merchantTradeNo', 'must be 1-32 of 0-9 A-Z a-z _ - | *');
  const wire: Record<string, string> = { merchant_id: r.merchantId, merchant_trade_no: r.merchantTradeNo };
  if (r.subMerchantId !== undefined) {
    if (typeof r.subMerchantId !== 'string' || !/^\d{1,32}$/.test(r.subMerchantId)) throw new WxPayValidationError('subMerchantId', 'must be a merchant number (digits)');
    wire.sub_merchant_id = r.subMerchantId;
  }
  return wire;
}

function contactWire(field: string, contact: ShippingContact | undefined, required: boolean): Record<string, string> | undefined {
  if (contact === undefined) {
    if (required) throw new WxPayValidationError(field, 'is required for 顺丰 (SF): a masked consignorContact or receiverContact');
    return undefined;
  }
  const wire: Record<string, string> = {};
  for (const [name, wireName] of [['consignorContact', 'consignor_contact'], ['receiverContact', 'receiver_contact']] as const) {
    const value = contact[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > 1024 || !MASKED_PHONE.test(value)) {
      throw new WxPayValidationError(`${field}.${name}`, 'must be masked with the last 4 digits clear, e.g. 189****1234, 021-****1234, +86-177****1234');
    }
    wire[wireName] = value;
  }
  if (Object.keys(wire).length === 0) {
    throw new WxPayValidationError(field, 'needs consignorContact or receiverContact');
  }
  return wire;
}

function shippingWire(field: string, shipping: PaymentShipping): Record<string, unknown> {
  const logistics = LOGISTICS_TYPE_CODES[shipping.logisticsType];
  if (logistics === undefined || !Object.hasOwn(LOGISTICS_TYPE_CODES, shipping.logisticsType)) {
    throw new WxPayValidationError(`${field}logisticsType`, 'must be express, same_city, virtual or self_pickup');
  }
  const mode = DELIVERY_MODE_CODES[shipping.deliveryMode];
  if (mode === undefined || !Object.hasOwn(DELIVERY_MODE_CODES, shipping.deliveryMode)) {
    throw new WxPayValidationError(`${field}deliveryMode`, 'must be unified or split');
  }
  const express = shipping.logisticsType === 'express';
  const packages = shipping.packages;
  if (!Array.isArray(packages) || packages.length < 1 || packages.length > MAX_PACKAGES) {
    throw new WxPayValidationError(`${field}packages`, `must hold 1-${MAX_PACKAGES} packages`);
  }
  const wire: Record<string, unknown> = { logistics_type: logistics, delivery_mode: mode };
  if (shipping.deliveryMode === 'split') {
    if (!express) throw new WxPayValidationError(`${field}deliveryMode`, 'split shipping is for express only (WeChat: 10060006)');
    if (typeof shipping.isAllDelivered !== 'boolean') throw new WxPayValidationError(`${field}isAllDelivered`, 'is required in split mode (WeChat: 10060007)');
    wire.is_all_delivered = shipping.isAllDelivered;
  } else {
    if (packages.length !== 1) throw new WxPayValidationError(`${field}packages`, 'unified mode takes exactly one package (WeChat: 268485228)');
    if (shipping.isAllDelivered !== undefined) throw new WxPayValidationError(`${field}isAllDelivered`, 'belongs to split mode only');
  }
  wire.shipping_list = packages.map((p, i) => {
    const at = `${field}packages[${i}]`;
    const item: Record<string, unknown> = {};
    if (express || p.trackingNo !== undefined) item.tracking_no = text(`${at}.trackingNo`, p.trackingNo, 128);
    if (express || p.expressCompany !== undefined) item.express_company = text(`${at}.expressCompany`, p.expressCompany, 128);
    item.item_desc = text(`${at}.itemDesc`, p.itemDesc, MAX_ITEM_DESC);
    const contact = contactWire(`${at}.contact`, p.contact, p.expressCompany === 'SF');
    if (contact !== undefined) item.contact = contact;
    return item;
  });
  return wire;
}

function openid(field: string, value: unknown): string {
  return text(field, value, 128);
}

// ---------------------------------------------------------------------------------------------------------------
// Answers.

class Reader {
  constructor(private readonly what: string, private readonly source: Readonly<Record<string, unknown>>) {}
  private bad(name: string, kind: string): never {
    throw new WxPayProtocolError(`${this.what}: ${name} is not ${kind}`);
  }
  string(name: string): string {
    const v = this.source[name];
    return typeof v === 'string' ? v : this.bad(name, 'a string');
  }
  optString(name: string): string | undefined {
    return this.source[name] === undefined ? undefined : this.string(name);
  }
  int(name: string): number {
    const v = this.source[name];
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : this.bad(name, 'an integer');
  }
  optInt(name: string): number | undefined {
    return this.source[name] === undefined ? undefined : this.int(name);
  }
  bool(name: string): boolean {
    const v = this.source[name];
    return typeof v === 'boolean' ? v : this.bad(name, 'a boolean');
  }
  optBool(name: string): boolean | undefined {
    return this.source[name] === undefined ? undefined : this.bool(name);
  }
  object(name: string): Record<string, unknown> | undefined {
    const v = this.source[name];
    if (v === undefined) return undefined;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : this.bad(name, 'an object');
  }
  array(name: string): unknown[] {
    const v = this.source[name];
    if (v === undefined) return [];
    return Array.isArray(v) ? v : this.bad(name, 'an array');
  }
}

function asObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WxPayProtocolError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function readShipping(what: string, value: Record<string, unknown> | undefined): OrderShipping | undefined {
  if (value === undefined || Object.keys(value).length === 0) return undefined;
  const r = new Reader(`${what}.shipping`, value);
  return {
    deliveryMode: r.optInt('delivery_mode'),
    logisticsType: r.optInt('logistics_type'),
    finishShipping: r.optBool('finish_shipping'),
    goodsDesc: r.optString('goods_desc'),
    finishShippingCount: r.optInt('finish_shipping_count'),
    packages: r.array('shipping_list').map((item, i) => {
      const p = new Reader(`${what}.shipping.shipping_list[${i}]`, asObject(`${what}.shipping.shipping_list[${i}]`, item));
      const contact = p.object('contact');
      const c = contact === undefined ? undefined : new Reader(`${what}.contact`, contact);
      return {
        trackingNo: p.optString('tracking_no'),
        expressCompany: p.optString('express_company'),
        goodsDesc: p.optString('goods_desc'),
        uploadTime: p.optInt('upload_time'),
        contact: c === undefined ? undefined : { consignorContact: c.optString('consignor_contact'), receiverContact: c.optString('receiver_contact') },
      };
    }),
  };
}

function readOrder(what: string, value: unknown): ShippingOrder {
  const raw = asObject(what, value);
  const r = new Reader(what, raw);
  const paid = r.int('paid_amount');
  if (paid < 0) throw new WxPayProtocolError(`${what}: paid_amount is negative`);
  return {
    transactionId: r.string('transaction_id'),
    merchantId: r.string('merchant_id'),
    subMerchantId: r.optString('sub_merchant_id') ?? '',
    merchantTradeNo: r.string('merchant_trade_no'),
    description: r.optString('description') ?? '',
    paidAmountFen: paid,
    openid: r.string('openid'),
    tradeCreateTime: r.int('trade_create_time'),
    payTime: r.int('pay_time'),
    orderState: r.int('order_state'),
    inComplaint: r.optBool('in_complaint') ?? false,
    shipping: readShipping(what, r.object('shipping')),
    raw,
  };
}

// ---------------------------------------------------------------------------------------------------------------

export function createShippingApi(api: ApiCaller): ShippingApi {
  const P = '/wxa/sec/order';

  async function getOrderList(request: GetOrderListRequest = {}, options?: WxPayRequestOptions): Promise<OrderListPage> {
    const body: Record<string, unknown> = {};
    if (request.payTimeRange !== undefined) {
      const range: Record<string, number> = {};
      if (request.payTimeRange.beginTime !== undefined) range.begin_time = unixSeconds('payTimeRange.beginTime', request.payTimeRange.beginTime);
      if (request.payTimeRange.endTime !== undefined) range.end_time = unixSeconds('payTimeRange.endTime', request.payTimeRange.endTime);
      if (range.begin_time !== undefined && range.end_time !== undefined && range.begin_time > range.end_time) {
        throw new WxPayValidationError('payTimeRange', 'beginTime is after endTime');
      }
      body.pay_time_range = range;
    }
    if (request.orderState !== undefined) {
      if (!Number.isSafeInteger(request.orderState) || request.orderState < 1) throw new WxPayValidationError('orderState', 'must be an order_state (1-6)');
      body.order_state = request.orderState;
    }
    if (request.openid !== undefined) body.openid = openid('openid', request.openid);
    if (request.lastIndex !== undefined) body.last_index = text('lastIndex', request.lastIndex, 256);
    if (request.pageSize !== undefined) {
      if (!Number.isSafeInteger(request.pageSize) || request.pageSize < 1 || request.pageSize > 1000) throw new WxPayValidationError('pageSize', 'must be an integer from 1 to 1000');
      body.page_size = request.pageSize;
    }
    const { json } = await api.post('get_order_list', `${P}/get_order_list`, body, options);
    const r = new Reader('get_order_list', json);
    const hasMore = r.optBool('has_more') ?? false;
    const lastIndex = r.optString('last_index') ?? '';
    if (hasMore && lastIndex === '') throw new WxPayProtocolError('get_order_list: has_more without last_index');
    return { orders: r.array('order_list').map((o, i) => readOrder(`get_order_list.order_list[${i}]`, o)), lastIndex, hasMore };
  }

  async function appidQuery(what: string, field: string, appid: string | undefined, options?: WxPayRequestOptions): Promise<boolean> {
    const body = { appid: text('appid', appid ?? api.appid, 64) };
    const { json } = await api.post(what, `${P}/${what}`, body, options);
    return new Reader(what, json).bool(field);
  }

  return {
    async uploadShippingInfo(request, options) {
      const body = {
        order_key: orderKeyWire('orderKey', request.orderKey),
        ...shippingWire('', request),
        upload_time: uploadTime(request.uploadTime, api.clock),
        payer: { openid: openid('payerOpenid', request.payerOpenid) },
      };
      await api.post('upload_shipping_info', `${P}/upload_shipping_info`, body, options);
    },

    async uploadCombinedShippingInfo(request, options) {
      const orderKey = orderKeyWire('orderKey', request.orderKey);
      if (!Array.isArray(request.subOrders) || request.subOrders.length === 0) throw new WxPayValidationError('subOrders', 'must hold at least one sub-order');
      const subOrders = request.subOrders.map((sub, i) => {
        const key = orderKeyWire(`subOrders[${i}].orderKey`, sub.orderKey);
        if (key.order_number_type !== orderKey.order_number_type) {
          throw new WxPayValidationError(`subOrders[${i}].orderKey`, 'must use the same kind of key as the combined orderKey');
        }
        return { order_key: key, ...shippingWire(`subOrders[${i}].`, sub) };
      });
      const body = {
        order_key: orderKey,
        sub_orders: subOrders,
        upload_time: uploadTime(request.uploadTime, api.clock),
        payer: { openid: openid('payerOpenid', request.payerOpenid) },
      };
      await api.post('upload_combined_shipping_info', `${P}/upload_combined_shipping_info`, body, options);
    },

    async getOrder(ref, options) {
      const { json } = await api.post('get_order', `${P}/get_order`, paymentRefWire(ref), options);
      return readOrder('get_order.order', json.order);
    },

    getOrderList,

    async *listOrders(request = {}, options) {
      let lastIndex: string | undefined;
      for (;;) {
        const page = await getOrderList({ ...request, lastIndex }, options);
        yield* page.orders;
        if (!page.hasMore) return;
        if (page.lastIndex === lastIndex) throw new WxPayProtocolError('get_order_list: last_index did not advance');
        lastIndex = page.lastIndex;
      }
    },

    async notifyConfirmReceive(ref, options) {
      const body = { ...paymentRefWire(ref), received_time: unixSeconds('receivedTime', ref.receivedTime) };
      await api.post('notify_confirm_receive', `${P}/notify_confirm_receive`, body, options);
    },

    async setMsgJumpPath(path, options) {
      if (typeof path !== 'string' || path === '' || path.length > 1024 || path.startsWith('/') || /\s/.test(path)) {
        throw new WxPayValidationError('path', 'must be a mini-program page path such as pages/order/detail');
      }
      await api.post('set_msg_jump_path', `${P}/set_msg_jump_path`, { path }, options);
    },

    isTradeManaged: (appid, options) => appidQuery('is_trade_managed', 'is_trade_managed', appid, options),
    isTradeManagementConfirmationCompleted: (appid, options) =>
      appidQuery('is_trade_management_confirmation_completed', 'completed', appid, options),

    async reportSpecialOrder(report, options) {
      const body: Record<string, unknown> = { order_id: text('orderId', report.orderId, 64) };
      if (report.type === 'presale') {
        body.type = 1;
        body.delay_to = unixSeconds('delayTo', report.delayTo);
      } else if (report.type === 'test') {
        body.type = 2;
      } else {
        throw new WxPayValidationError('type', 'must be presale or test');
      }
      await api.post('opspecialorder', `${P}/opspecialorder`, body, options);
    },

    async getDeliveryList(options) {
      const { json } = await api.post('get_delivery_list', '/cgi-bin/express/delivery/open_msg/get_delivery_list', {}, options);
      return new Reader('get_delivery_list', json).array('delivery_list').map((item, i) => {
        const r = new Reader(`get_delivery_list.delivery_list[${i}]`, asObject('get_delivery_list item', item));
        return { deliveryId: r.string('delivery_id'), deliveryName: r.string('delivery_name') };
      });
    },
  };
}
