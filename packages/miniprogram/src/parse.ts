// Light checks of the server's answers: only what the client's decisions depend on. A wrong
// shape is a ClientProtocolError instead of an `undefined` that surfaces three screens later.
import { ClientProtocolError } from './errors.js';
import { ORDER_STATUSES, SHIPPING_STATUSES } from './types.js';
import type { CreatedOrder, Order, OrderShipping, OrderStatus, Product, ShippedPackage } from './types.js';
import type { PayParams } from './wx-api.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, what: string): Json {
  if (!isObject(value)) throw new ClientProtocolError(`${what}: expected an object`);
  return value;
}

function str(obj: Json, key: string, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') throw new ClientProtocolError(`${what}: ${key} must be a non-empty string`);
  return v;
}

function fen(obj: Json, key: string, what: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ClientProtocolError(`${what}: ${key} must be an integer amount in fen`);
  }
  return v;
}

function status(obj: Json, what: string): OrderStatus {
  const v = obj['status'];
  const found = ORDER_STATUSES.find((s) => s === v);
  if (found === undefined) throw new ClientProtocolError(`${what}: unknown status`);
  return found;
}

export function parseToken(body: unknown): string {
  return str(object(body, 'login'), 'token', 'login');
}

export function parseProducts(body: unknown): Product[] {
  const list = object(body, 'products')['products'];
  if (!Array.isArray(list)) throw new ClientProtocolError('products: expected products[]');
  return list.map((item: unknown) => {
    const p = object(item, 'product');
    return { sku: str(p, 'sku', 'product'), name: str(p, 'name', 'product'), price: fen(p, 'price', 'product') };
  });
}

export function parsePayParams(value: unknown): PayParams {
  const p = object(value, 'payParams');
  const signType = p['signType'];
  if (signType !== 'MD5' && signType !== 'HMAC-SHA256' && signType !== 'RSA') {
    throw new ClientProtocolError('payParams: unsupported signType');
  }
  // Copy exactly the five fields wx.requestPayment takes, nothing more.
  return {
    timeStamp: str(p, 'timeStamp', 'payParams'),
    nonceStr: str(p, 'nonceStr', 'payParams'),
    package: str(p, 'package', 'payParams'),
    signType,
    paySign: str(p, 'paySign', 'payParams'),
  };
}

/** `POST /api/orders/:id/payment` answers `{payParams}`; a bare params object is accepted too. */
export function parseRepay(body: unknown): PayParams {
  const obj = object(body, 'payment');
  return parsePayParams(isObject(obj['payParams']) ? obj['payParams'] : obj);
}

export function parseCreatedOrder(body: unknown): CreatedOrder {
  const o = object(body, 'order');
  return {
    orderId: str(o, 'orderId', 'order'),
    outTradeNo: str(o, 'outTradeNo', 'order'),
    amount: fen(o, 'amount', 'order'),
    status: status(o, 'order'),
    payParams: parsePayParams(o['payParams']),
  };
}

export function parseOrder(body: unknown): Order {
  const o = object(body, 'order');
  const items = Array.isArray(o['items']) ? o['items'] : [];
  const order: Order = {
    orderId: str(o, 'orderId', 'order'),
    outTradeNo: str(o, 'outTradeNo', 'order'),
    amount: fen(o, 'amount', 'order'),
    status: status(o, 'order'),
    items: items.filter(isObject).map((i) => ({ ...i, sku: String(i['sku']), quantity: Number(i['quantity']) })),
    createdAt: String(o['createdAt'] ?? ''),
  };
  if (typeof o['paidAt'] === 'string') order.paidAt = o['paidAt'];
  if (o['shipping'] !== undefined) order.shipping = parseShipping(o['shipping']);
  return order;
}

function optionalText(obj: Json, key: string, what: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new ClientProtocolError(`${what}: ${key} must be a non-empty string`);
  return v;
}

function optionalTime(obj: Json, key: string, what: string): string | undefined {
  const v = optionalText(obj, key, what);
  if (v !== undefined && Number.isNaN(Date.parse(v))) throw new ClientProtocolError(`${what}: ${key} must be an ISO 8601 time`);
  return v;
}

/**
 * An order's `shipping`, strictly: a status the client knows (a new one is a version mismatch, not something to
 * guess about), packages as a list, times as ISO 8601. Only the documented fields are copied.
 */
export function parseShipping(value: unknown): OrderShipping {
  const s = object(value, 'shipping');
  const found = SHIPPING_STATUSES.find((x) => x === s['status']);
  if (found === undefined) throw new ClientProtocolError('shipping: unknown status');
  const list = s['packages'] ?? [];
  if (!Array.isArray(list)) throw new ClientProtocolError('shipping: packages must be a list');
  const shipping: OrderShipping = {
    status: found,
    packages: list.map((item: unknown) => {
      const p = object(item, 'shipping package');
      const pkg: ShippedPackage = {};
      const expressCompany = optionalText(p, 'expressCompany', 'shipping package');
      const trackingNo = optionalText(p, 'trackingNo', 'shipping package');
      const itemDesc = optionalText(p, 'itemDesc', 'shipping package');
      if (expressCompany !== undefined) pkg.expressCompany = expressCompany;
      if (trackingNo !== undefined) pkg.trackingNo = trackingNo;
      if (itemDesc !== undefined) pkg.itemDesc = itemDesc;
      return pkg;
    }),
  };
  for (const key of ['shippedAt', 'confirmedAt', 'settledAt'] as const) {
    const t = optionalTime(s, key, 'shipping');
    if (t !== undefined) shipping[key] = t;
  }
  return shipping;
}

/** `GET /api/orders` answers `{orders:[…]}`; a bare array is accepted too. */
export function parseOrders(body: unknown): Order[] {
  const list = Array.isArray(body) ? body : isObject(body) ? body['orders'] : undefined;
  if (!Array.isArray(list)) throw new ClientProtocolError('orders: expected orders[]');
  return list.map(parseOrder);
}

/** The server's error envelope `{error:{code,message}}`, when present. */
export function parseErrorBody(body: unknown): { code: string; message: string } | undefined {
  if (!isObject(body) || !isObject(body['error'])) return undefined;
  const e = body['error'];
  return {
    code: typeof e['code'] === 'string' ? e['code'] : 'UNKNOWN',
    message: typeof e['message'] === 'string' ? e['message'] : 'request failed',
  };
}
