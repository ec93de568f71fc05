// The load scenarios against one running server: order creation (logged in), valid unique notifications, duplicate
// notifications, order reads. Each run is checked for correctness, not just timed: every created order is collected,
// every notification must be answered SUCCESS, and a sample of orders must read back PAID.
import { randomBytes } from 'node:crypto';
import { signV2 } from '@wxpay-kit/wechat';
import { buildXml } from '@wxpay-kit/wechat';
import { runLoad } from './cannon.js';
import type { LoadResult } from './cannon.js';
import type { Target as Child } from './child.js';
import { v2Notification } from './notifications.js';
import type { Merchant, PreparedOrder } from './notifications.js';

export type Sizes = { orders: number; warmup: number; connections: number; readSeconds: number };

export type CreatedOrder = PreparedOrder & { orderId: string };

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function logIn(serverUrl: string, sandboxUrl: string, appid: string): Promise<{ token: string; openid: string }> {
  const { code, openid } = await json<{ code: string; openid: string }>(`${sandboxUrl}/sandbox/wx/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appid, user: `bench-${randomBytes(4).toString('hex')}` }),
  });
  const { token } = await json<{ token: string }>(`${serverUrl}/api/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }),
  });
  return { token, openid };
}

export async function firstSku(serverUrl: string): Promise<string> {
  const { products } = await json<{ products: { sku: string }[] }>(`${serverUrl}/api/products`);
  const sku = products[0]?.sku;
  if (sku === undefined) throw new Error('the server lists no products');
  return sku;
}

/** Peak RSS of the child while `fn` runs, sampled every 200 ms. */
export async function sampleRss<T>(child: Child, fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = child.rssBytes();
  const timer = setInterval(() => { peak = Math.max(peak, child.rssBytes()); }, 200);
  try {
    const value = await fn();
    peak = Math.max(peak, child.rssBytes());
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

export async function createOrders(opts: {
  server: Child; token: string; openid: string; sku: string; amount?: number; durationSec?: number; connections: number; label: string;
}): Promise<{ result: LoadResult; orders: CreatedOrder[] }> {
  const orders: CreatedOrder[] = [];
  const { value: result, peak } = await sampleRss(opts.server, () => runLoad({
    label: opts.label, url: opts.server.url, connections: opts.connections,
    ...(opts.amount === undefined ? { durationSec: opts.durationSec ?? 10 } : { amount: opts.amount }),
    method: 'POST', path: '/api/orders',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
    body: JSON.stringify({ items: [{ sku: opts.sku, quantity: 1 }] }),
    onResponse: (status, body) => {
      if (status !== 201) return;
      const o = JSON.parse(body) as { orderId: string; outTradeNo: string; amount: number };
      orders.push({ orderId: o.orderId, outTradeNo: o.outTradeNo, totalFee: o.amount, openid: opts.openid });
    },
  }));
  result.peakRssBytes = peak;
  return { result, orders };
}

/**
 * POST notifications; counts the answers that are not success: v2 wants HTTP 200 with a SUCCESS reply, v3 a 2xx
 * (the server answers 204). With `headers`, each body is sent with its own headers (v3 signatures).
 */
export async function postNotifications(opts: {
  target: Child; path: string; bodies: readonly string[]; headers?: readonly Record<string, string>[];
  connections: number; label: string; repeat?: number;
  /** Sent as x-bench-kind: the server child times its requests per kind when asked (IPC 'latency'). */
  kind?: string;
}): Promise<{ result: LoadResult; notSuccess: number }> {
  let notSuccess = 0;
  const v3 = opts.headers !== undefined;
  const { value: result, peak } = await sampleRss(opts.target, () => runLoad({
    label: opts.label, url: opts.target.url, connections: opts.connections, amount: opts.bodies.length * (opts.repeat ?? 1),
    method: 'POST', path: opts.path, headers: { 'content-type': v3 ? 'application/json' : 'text/xml', ...(opts.kind === undefined ? {} : { 'x-bench-kind': opts.kind }) }, bodies: opts.bodies,
    ...(opts.headers === undefined ? {} : { perRequestHeaders: opts.headers }),
    onResponse: (status, body) => {
      const ok = v3 ? status >= 200 && status < 300 : status === 200 && body.includes('SUCCESS');
      if (!ok) notSuccess++;
    },
  }));
  result.peakRssBytes = peak;
  return { result, notSuccess };
}

export async function readOrders(opts: { server: Child; token: string; orders: readonly CreatedOrder[]; connections: number; seconds: number }): Promise<LoadResult> {
  const { value: result, peak } = await sampleRss(opts.server, () => runLoad({
    label: 'order reads (GET /api/orders/:id, paid orders)', url: opts.server.url, connections: opts.connections,
    durationSec: opts.seconds, method: 'GET', path: '/api/orders', headers: { authorization: `Bearer ${opts.token}` },
    paths: opts.orders.map((o) => `/api/orders/${o.orderId}`),
  }));
  result.peakRssBytes = peak;
  return result;
}

/** How many of a sample of orders read back with the given status. */
export async function countStatus(serverUrl: string, token: string, orders: readonly CreatedOrder[], status: string, sample = 50): Promise<{ checked: number; matching: number }> {
  const step = Math.max(1, Math.floor(orders.length / sample));
  let checked = 0;
  let matching = 0;
  for (let i = 0; i < orders.length; i += step) {
    const o = orders[i];
    if (o === undefined) continue;
    const got = await json<{ status: string }>(`${serverUrl}/api/orders/${o.orderId}`, { headers: { authorization: `Bearer ${token}` } });
    checked++;
    if (got.status === status) matching++;
  }
  return { checked, matching };
}

/**
 * The sign type of the server's v2 prepays (the gateway's default), so of WeChat's notifications for them: the server
 * verifies a notification with its attempt's sign type only, and the seed-style handler is given the same one.
 */
export const V2_NOTIFY_SIGN_TYPE = 'HMAC-SHA256';

export function notificationsFor(orders: readonly PreparedOrder[], merchant: Merchant, offset: number): string[] {
  return orders.map((o, i) => v2Notification(o, merchant, offset + i, V2_NOTIFY_SIGN_TYPE));
}

/** unifiedorder straight at the sandbox (what our server sends, signed with the merchant key), unique out_trade_no. */
export async function sandboxUnifiedOrder(opts: { sandbox: Child; merchant: Merchant; openid: string; count: number; connections: number }): Promise<{ result: LoadResult; failures: number }> {
  const bodies: string[] = [];
  const run = randomBytes(4).toString('hex');
  for (let i = 0; i < opts.count; i++) {
    const params = {
      appid: opts.merchant.appid, mch_id: opts.merchant.mchid, nonce_str: randomBytes(16).toString('hex'), sign_type: 'MD5',
      body: 'wxpay-kit bench', out_trade_no: `SB${run}${String(i).padStart(10, '0')}`, total_fee: 100, spbill_create_ip: '127.0.0.1',
      notify_url: 'http://127.0.0.1:9/wxpay/notify/payment', trade_type: 'JSAPI', openid: opts.openid,
    };
    bodies.push(buildXml({ ...params, sign: signV2(params, opts.merchant.apiKey, 'MD5') }));
  }
  let failures = 0;
  const result = await runLoad({
    label: "sandbox's unifiedorder alone (direct, for reference)", url: opts.sandbox.url, connections: opts.connections, amount: bodies.length,
    method: 'POST', path: '/pay/unifiedorder', headers: { 'content-type': 'text/xml' }, bodies,
    onResponse: (status, body) => { if (status !== 200 || !body.includes('<result_code><![CDATA[SUCCESS]]>')) failures++; },
  });
  return { result, failures };
}
