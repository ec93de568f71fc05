import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { answerWithFaults, type Answer } from '../api-faults.js';
import type { SandboxContext } from '../context.js';
import type { CombinedPayment, SandboxOrder, ShippedPackageRecord, TradeRecord } from '../state/types.js';
import { DELIVERY_COMPANIES } from '../delivery-companies.js';
import { applyPlanned, applyUpload, isIndexed, MAX_PACKAGES, ORDER_STATE, orderState, orderWire, planUpload, remindConfirm, scheduleTrade, type ShippingUpload } from '../trade.js';
import { checkAccessToken } from './login.js';

/**
 * WeChat's 小程序发货信息管理 APIs (`POST /wxa/sec/order/*?access_token=`), checked in the order the fact sheet
 * (PROTOCOL-AFTER-PAYMENT.md 1.16) derives from the documentation, each rule answering its errcode. Bodies are JSON
 * objects (zod at the edge); the field rules then run one by one because WeChat answers the first that fails.
 */

const bodySchema = z.record(z.string(), z.unknown());
type Body = z.infer<typeof bodySchema>;

function json(body: Record<string, unknown>): Answer {
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

const MESSAGES: Record<number, string> = {
  [-1]: 'system error',
  10060001: '支付单不存在',
  10060002: '支付单已完成发货，无法继续发货',
  10060003: '支付单已使用重新发货机会',
  10060004: '支付单处于不可发货的状态',
  10060005: '物流类型有误',
  10060006: '非快递发货时不允许分拆发货',
  10060007: '分拆发货模式下必须填写 is_all_delivered 字段',
  10060008: '商品描述 item_desc 字段不能为空',
  10060009: '商品描述 item_desc 字段太长',
  10060011: 'last_index不合法',
  10060014: '参数错误',
  10060023: '发货信息未更新',
  10060024: '物流信息列表太长',
  10060025: '物流公司编码太长',
  10060026: '物流单号太长',
  10060028: '支付单不是已发货状态',
  10060029: '签收时间非法',
  10060030: '支付单已使用提醒收货机会',
  10060031: '该笔支付单不属于 openid 所指定的用户',
  10060032: '只有物流快递发货时允许提醒',
  268485194: '订单单号类型非法',
  268485195: 'transaction_id 不能为空',
  268485196: 'mchid 不能为空',
  268485197: 'out_trade_no 不能为空',
  268485216: '上传时间非法，请按照 RFC 3339 格式填写',
  268485224: '发货模式非法',
  268485226: '物流单号不能为空',
  268485227: '物流公司编码不能为空',
  268485228: '统一发货模式下，物流信息列表长度必须为 1',
  268546000: 'type非法',
  268546001: 'delay_to非法',
  268546002: '账户不存在这个待发货单号',
  40013: 'invalid appid',
  40097: 'invalid args',
  41001: 'access_token missing',
  47001: 'data format error',
};

/** WeChat's error answer, with the changing ` rid:` suffix clients must not match. */
function wxError(errcode: number): Answer {
  return json({ errcode, errmsg: `${MESSAGES[errcode] ?? 'error'} rid: ${randomUUID().slice(0, 23)}` });
}

const ok = (extra: Record<string, unknown> = {}): Answer => json({ errcode: 0, errmsg: 'ok', ...extra });

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/** RFC 3339 to ms; `+0800` (no colon) is accepted as it was observed in the field. */
export function parseUploadTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (m === null) return undefined;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[8] ?? 'Z';
  const normalised = zone === 'Z' || zone.includes(':') ? value : `${value.slice(0, -5)}${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : ms;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

type Lookup = { ok: true; order: SandboxOrder } | { ok: false; errcode: number };

/** The paid, indexed order of this mini program; anything else is 10060001 (as an order WeChat has not indexed yet). */
function visible(ctx: SandboxContext, appid: string, order: SandboxOrder | undefined): Lookup {
  if (order === undefined || order.appid !== appid || !isIndexed(ctx, order)) return { ok: false, errcode: 10060001 };
  return { ok: true, order };
}

function byTransactionId(ctx: SandboxContext, transactionId: string): SandboxOrder | undefined {
  return ctx.store.orders().find((o) => o.transactionId === transactionId);
}

/** upload_shipping_info's `order_key`: 268485194 bad type, 268485195-7 missing ids, then the lookup. */
function findByOrderKey(ctx: SandboxContext, appid: string, key: unknown): Lookup {
  if (!isObject(key)) return { ok: false, errcode: 268485194 };
  const type = key.order_number_type;
  if (type === 2) {
    if (!nonEmpty(key.transaction_id)) return { ok: false, errcode: 268485195 };
    return visible(ctx, appid, byTransactionId(ctx, key.transaction_id));
  }
  if (type === 1) {
    if (!nonEmpty(key.mchid)) return { ok: false, errcode: 268485196 };
    if (!nonEmpty(key.out_trade_no)) return { ok: false, errcode: 268485197 };
    return visible(ctx, appid, ctx.store.order(key.mchid, key.out_trade_no));
  }
  return { ok: false, errcode: 268485194 };
}

/** A combined (合单) payment by its `order_key`: the same 268485194-7 checks, then 10060001 when unknown or not indexed. */
function findCombined(ctx: SandboxContext, appid: string, key: unknown): { ok: true; combined: CombinedPayment; type: 1 | 2 } | { ok: false; errcode: number } {
  if (!isObject(key)) return { ok: false, errcode: 268485194 };
  const all = Object.values(ctx.store.data.combinedPayments ?? {});
  let found: CombinedPayment | undefined;
  let type: 1 | 2;
  if (key.order_number_type === 2) {
    if (!nonEmpty(key.transaction_id)) return { ok: false, errcode: 268485195 };
    found = all.find((c) => c.combineTransactionId === key.transaction_id);
    type = 2;
  } else if (key.order_number_type === 1) {
    if (!nonEmpty(key.mchid)) return { ok: false, errcode: 268485196 };
    if (!nonEmpty(key.out_trade_no)) return { ok: false, errcode: 268485197 };
    found = all.find((c) => c.mchid === key.mchid && c.combineOutTradeNo === key.out_trade_no);
    type = 1;
  } else {
    return { ok: false, errcode: 268485194 };
  }
  if (found === undefined || found.appid !== appid) return { ok: false, errcode: 10060001 };
  // Indexed once every sub-order is (the sub-orders are what was paid).
  const subs = found.subOrders.map((s) => ctx.store.order(s.mchid, s.outTradeNo));
  if (subs.some((o) => o === undefined || !isIndexed(ctx, o))) return { ok: false, errcode: 10060001 };
  return { ok: true, combined: found, type };
}

/** get_order / notify_confirm_receive name the payment `transaction_id`, or `merchant_id` + `merchant_trade_no`. */
function findByPaymentRef(ctx: SandboxContext, appid: string, body: Body): Lookup {
  if (nonEmpty(body.transaction_id)) return visible(ctx, appid, byTransactionId(ctx, body.transaction_id));
  if (nonEmpty(body.merchant_id) && nonEmpty(body.merchant_trade_no)) {
    return visible(ctx, appid, ctx.store.order(body.merchant_id, body.merchant_trade_no));
  }
  return { ok: false, errcode: 10060014 };
}

/** The shipping part of an upload: 10060005, 268485224, 10060006/7, 268485228, 10060024, 268485226/7, 10060025/6, 10060008/9, 10060014. */
function readShipping(body: Body): { ok: true; upload: Omit<ShippingUpload, 'uploadTime'> } | { ok: false; errcode: number } {
  const logisticsType = body.logistics_type;
  if (typeof logisticsType !== 'number' || ![1, 2, 3, 4].includes(logisticsType)) return { ok: false, errcode: 10060005 };
  const deliveryMode = body.delivery_mode;
  if (deliveryMode !== 1 && deliveryMode !== 2) return { ok: false, errcode: 268485224 };
  const express = logisticsType === 1;
  if (deliveryMode === 2) {
    if (!express) return { ok: false, errcode: 10060006 };
    if (typeof body.is_all_delivered !== 'boolean') return { ok: false, errcode: 10060007 };
  }
  const list = body.shipping_list;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, errcode: 10060014 };
  if (deliveryMode === 1 && list.length !== 1) return { ok: false, errcode: 268485228 };
  if (list.length > MAX_PACKAGES) return { ok: false, errcode: 10060024 };
  const packages: Omit<ShippedPackageRecord, 'uploadTime'>[] = [];
  for (const item of list) {
    if (!isObject(item)) return { ok: false, errcode: 10060014 };
    const p: Omit<ShippedPackageRecord, 'uploadTime'> = { itemDesc: '' };
    if (express) {
      if (!nonEmpty(item.tracking_no)) return { ok: false, errcode: 268485226 };
      if (!nonEmpty(item.express_company)) return { ok: false, errcode: 268485227 };
    }
    if (item.tracking_no !== undefined) {
      if (typeof item.tracking_no !== 'string') return { ok: false, errcode: 10060014 };
      if (item.tracking_no.length > 128) return { ok: false, errcode: 10060026 };
      p.trackingNo = item.tracking_no;
    }
    if (item.express_company !== undefined) {
      if (typeof item.express_company !== 'string') return { ok: false, errcode: 10060014 };
      if (item.express_company.length > 128) return { ok: false, errcode: 10060025 };
      p.expressCompany = item.express_company;
    }
    if (!nonEmpty(item.item_desc)) return { ok: false, errcode: 10060008 };
    if ([...item.item_desc].length > 120) return { ok: false, errcode: 10060009 };
    p.itemDesc = item.item_desc;
    if (item.contact !== undefined) {
      if (!isObject(item.contact)) return { ok: false, errcode: 10060014 };
      const { consignor_contact: consignor, receiver_contact: receiver } = item.contact;
      if ((consignor !== undefined && typeof consignor !== 'string') || (receiver !== undefined && typeof receiver !== 'string')) {
        return { ok: false, errcode: 10060014 };
      }
      p.contact = {
        ...(consignor === undefined ? {} : { consignorContact: consignor }),
        ...(receiver === undefined ? {} : { receiverContact: receiver }),
      };
    }
    packages.push(p);
  }
  return {
    ok: true,
    upload: { logisticsType, deliveryMode, ...(deliveryMode === 2 ? { isAllDelivered: body.is_all_delivered as boolean } : {}), packages },
  };
}

/** last_index: an opaque cursor naming the last order of the page (pay time + transaction id), hex. */
function encodeCursor(order: SandboxOrder): string {
  return Buffer.from(`${order.paidAt ?? 0}:${order.transactionId ?? ''}`, 'utf8').toString('hex');
}

function decodeCursor(value: unknown): { paidAt: number; transactionId: string } | undefined {
  if (typeof value !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(value)) return undefined;
  const m = /^(\d+):([0-9A-Za-z]+)$/.exec(Buffer.from(value, 'hex').toString('utf8'));
  if (m === null) return undefined;
  return { paidAt: Number(m[1]), transactionId: m[2] as string };
}

function compareOrders(a: SandboxOrder, b: SandboxOrder): number {
  return (a.paidAt ?? 0) - (b.paidAt ?? 0) || (a.transactionId ?? '').localeCompare(b.transactionId ?? '');
}

const UINT32_MAX = 0xffffffff;

export function registerTradeRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  /** Token, then JSON body, then the handler: what every /wxa/sec/order path (and get_delivery_list) shares. */
  const wechat = (path: string, handle: (appid: string, body: Body) => Answer): void => {
    app.post(path, (request: FastifyRequest, reply) =>
      answerWithFaults(ctx, request, reply, {}, () => wxError(-1), () => {
        const token = (request.query as Record<string, unknown> | undefined)?.access_token;
        if (typeof token !== 'string' || token === '') return wxError(41001);
        const checked = checkAccessToken(ctx, token);
        if (!checked.ok) return json({ errcode: checked.errcode, errmsg: `${checked.errmsg} rid: ${randomUUID().slice(0, 23)}` });
        const parsed = bodySchema.safeParse(request.body instanceof Uint8Array ? undefined : request.body);
        if (!parsed.success) return wxError(47001);
        return handle(checked.appid, parsed.data);
      }),
    );
  };
  const route = (path: string, handle: (appid: string, body: Body) => Answer): void => wechat(`/wxa/sec/order/${path}`, handle);

  route('upload_shipping_info', (appid, body) => {
    const found = findByOrderKey(ctx, appid, body.order_key);
    if (!found.ok) return wxError(found.errcode);
    const payer = body.payer;
    if (!isObject(payer) || !nonEmpty(payer.openid)) return wxError(10060014);
    if (payer.openid !== found.order.openid) return wxError(10060031);
    const shipping = readShipping(body);
    if (!shipping.ok) return wxError(shipping.errcode);
    const uploadTime = parseUploadTime(body.upload_time);
    if (uploadTime === undefined) return wxError(268485216);
    const errcode = applyUpload(ctx, found.order, { ...shipping.upload, uploadTime });
    return errcode === 0 ? ok() : wxError(errcode);
  });

  // 合单 shipping: every sub-order is checked like upload_shipping_info (its own order_key, shipping rules and state)
  // and the upload is applied to all of them or to none. Sub-order keys must use the combined key's type (10060014
  // otherwise: the documented table has no code of its own, UNCONFIRMED) and name a sub-order of this payment (10060001).
  route('upload_combined_shipping_info', (appid, body) => {
    const found = findCombined(ctx, appid, body.order_key);
    if (!found.ok) return wxError(found.errcode);
    const payer = body.payer;
    if (!isObject(payer) || !nonEmpty(payer.openid)) return wxError(10060014);
    if (payer.openid !== found.combined.openid) return wxError(10060031);
    const subOrders = body.sub_orders;
    if (!Array.isArray(subOrders) || subOrders.length === 0) return wxError(10060014);
    const uploadTime = parseUploadTime(body.upload_time);
    const plans: { order: SandboxOrder; next: TradeRecord }[] = [];
    for (const sub of subOrders) {
      if (!isObject(sub)) return wxError(10060014);
      if (isObject(sub.order_key) && sub.order_key.order_number_type !== found.type) return wxError(10060014);
      const lookup = findByOrderKey(ctx, appid, sub.order_key);
      if (!lookup.ok) return wxError(lookup.errcode);
      const member = found.combined.subOrders.some((s) => s.mchid === lookup.order.mchid && s.outTradeNo === lookup.order.outTradeNo);
      if (!member || plans.some((p) => p.order === lookup.order)) return wxError(10060001);
      const shipping = readShipping(sub);
      if (!shipping.ok) return wxError(shipping.errcode);
      if (uploadTime === undefined) return wxError(268485216);
      const plan = planUpload(ctx, lookup.order, { ...shipping.upload, uploadTime });
      if (!plan.ok) return wxError(plan.errcode);
      plans.push({ order: lookup.order, next: plan.next });
    }
    for (const { order, next } of plans) applyPlanned(ctx, order, next);
    ctx.store.commit();
    return ok();
  });

  // 特殊发货报备: `order_id` is the transaction_id or the merchant's out_trade_no of a paid order of this mini program
  // still awaiting shipment (268546002 otherwise); type 1 presale needs `delay_to` (Unix seconds) in the future and at
  // most 330 days ahead (the bound is a community report, UNCONFIRMED), type 2 test order. A later report replaces an
  // earlier one. Reported orders change the sandbox's shipping reminder (see remindShippingDueAt).
  route('opspecialorder', (appid, body) => {
    const type = body.type;
    if (type !== 1 && type !== 2) return wxError(268546000);
    const now = ctx.clock.now();
    let delayTo: number | undefined;
    if (type === 1) {
      const d = body.delay_to;
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d * 1000 <= now || d * 1000 > now + 330 * 86_400_000) return wxError(268546001);
      delayTo = d * 1000;
    }
    if (!nonEmpty(body.order_id)) return wxError(268546002);
    const id = body.order_id;
    const order = ctx.store.orders().find((o) => o.appid === appid && isIndexed(ctx, o) && (o.transactionId === id || o.outTradeNo === id));
    if (order === undefined || orderState(ctx, order) !== ORDER_STATE.awaitingShipment || order.trade?.finishShipping === true) return wxError(268546002);
    order.specialOrder = { type, reportedAt: now, ...(delayTo === undefined ? {} : { delayTo }) };
    scheduleTrade(ctx, order);
    ctx.store.commit();
    return ok();
  });

  route('get_order', (appid, body) => {
    const found = findByPaymentRef(ctx, appid, body);
    if (!found.ok) return wxError(found.errcode);
    return ok({ order: orderWire(ctx, found.order) });
  });

  route('get_order_list', (appid, body) => {
    const range = body.pay_time_range;
    if (range !== undefined && !isObject(range)) return wxError(10060014);
    const begin = range?.begin_time ?? 0;
    const end = range?.end_time ?? UINT32_MAX;
    if (typeof begin !== 'number' || typeof end !== 'number') return wxError(10060014);
    const wantedState = body.order_state;
    if (wantedState !== undefined && typeof wantedState !== 'number') return wxError(10060014);
    if (body.openid !== undefined && typeof body.openid !== 'string') return wxError(10060014);
    const pageSize = body.page_size ?? 100;
    if (typeof pageSize !== 'number' || !Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 1000) return wxError(10060014);
    let cursor: { paidAt: number; transactionId: string } | undefined;
    if (body.last_index !== undefined && body.last_index !== '') {
      cursor = decodeCursor(body.last_index);
      if (cursor === undefined) return wxError(10060011);
    }
    const matching = ctx.store
      .orders()
      .filter((o) => o.appid === appid && isIndexed(ctx, o))
      .filter((o) => {
        const paid = Math.floor((o.paidAt ?? 0) / 1000);
        return paid >= begin && paid <= end && (body.openid === undefined || o.openid === body.openid);
      })
      .filter((o) => wantedState === undefined || orderState(ctx, o) === wantedState)
      .sort(compareOrders)
      .filter((o) => cursor === undefined || compareOrders(o, { paidAt: cursor.paidAt, transactionId: cursor.transactionId } as SandboxOrder) > 0);
    const page = matching.slice(0, pageSize);
    const last = page[page.length - 1];
    return ok({
      last_index: last === undefined ? (typeof body.last_index === 'string' ? body.last_index : '') : encodeCursor(last),
      has_more: matching.length > page.length,
      order_list: page.map((o) => orderWire(ctx, o)),
    });
  });

  route('notify_confirm_receive', (appid, body) => {
    const found = findByPaymentRef(ctx, appid, body);
    if (!found.ok) return wxError(found.errcode);
    const received = body.received_time;
    if (typeof received !== 'number' || !Number.isSafeInteger(received) || received < 0) return wxError(10060029);
    const errcode = remindConfirm(ctx, found.order, received);
    return errcode === 0 ? ok() : wxError(errcode);
  });

  route('set_msg_jump_path', (appid, body) => {
    if (!nonEmpty(body.path) || body.path.length > 1024) return wxError(40097);
    ctx.store.data.msgJumpPaths = { ...(ctx.store.data.msgJumpPaths ?? {}), [appid]: body.path };
    ctx.store.commit();
    return ok();
  });

  // The sandbox's mini programs all have the service open and every merchant number confirmed; a mini program can ask
  // only about itself (40013 for another appid, 40097 without one).
  const aboutSelf = (field: string) => (appid: string, body: Body): Answer => {
    if (!nonEmpty(body.appid)) return wxError(40097);
    if (body.appid !== appid) return wxError(40013);
    return ok({ [field]: true });
  };
  route('is_trade_managed', aboutSelf('is_trade_managed'));
  route('is_trade_management_confirmation_completed', aboutSelf('completed'));

  // 运力 list: the `delivery_id` values upload_shipping_info takes as express_company. The body is `{}`.
  wechat('/cgi-bin/express/delivery/open_msg/get_delivery_list', () => {
    const list = DELIVERY_COMPANIES.map(([id, name]) => ({ delivery_id: id, delivery_name: name }));
    return ok({ delivery_list: list, count: list.length });
  });
}
