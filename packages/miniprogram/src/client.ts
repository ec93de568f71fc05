// createClient: what a mini program (or Taro / uni-app app, or the browser demo) calls to log in,
// list products, pay and confirm. The server sets every price; the client only names SKUs.
import { createApi } from './api.js';
import { DEFAULT_CONFIRM, pollUntilFinal } from './confirm.js';
import type { ConfirmOptions } from './confirm.js';
import { ClientApiError, ClientError } from './errors.js';
import { parseCreatedOrder, parseOrder, parseOrders, parseProducts, parseRepay } from './parse.js';
import { openConfirmComponent } from './receipt.js';
import { requestSubscribe } from './subscribe.js';
import { PAID_STATUSES } from './types.js';
import type { CartItem, Order, PayOutcome, Product, ReceiptOutcome, SubscribeResult } from './types.js';
import type { PayParams, WxApi } from './wx-api.js';
import { wxRandomHex, wxRequestPayment } from './wx-promise.js';

export interface ClientOptions {
  /** The merchant server, e.g. `https://shop.example.com` (must be on the mini program's request whitelist). */
  baseUrl: string;
  /** `wx`, `Taro`, `uni`, or any object of the same shape. */
  wx: WxApi;
  /** Storage key of the bearer token. Default `wxpay-kit:token`. */
  storageKey?: string;
  /** How long and how often to ask the server whether a payment went through. */
  confirm?: Partial<ConfirmOptions>;
  /** Injected in tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected in tests; defaults to Date.now. Only used to measure the confirmation time limit. */
  now?: () => number;
  /** Per-request timeout passed to wx.request. Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * The WeChat Pay merchant number (商户号) that took the payments — the 子商户号 in partner mode. confirmReceipt names
   * the order to WeChat's component by it and the order's outTradeNo. Not a secret.
   */
  merchantId?: string;
}

export type PayStage = 'creating' | 'paying' | 'confirming';

/** What is known about the order when a stage starts (nothing yet while 'creating'). */
export interface PayProgress {
  orderId?: string;
  /** Integer fen, as set by the server (known at 'paying' for pay(), not for repay()). */
  amount?: number;
}

export interface PayOptions {
  /** Sent as `Idempotency-Key`, so a retried pay() cannot create a second order. Default: random, when the runtime offers wx.getRandomValues. */
  idempotencyKey?: string;
  /** Called as the payment moves along, for the UI ("waiting for confirmation…"). */
  onProgress?: (stage: PayStage, progress: PayProgress) => void;
}

export interface WxPayClient {
  login(): Promise<void>;
  products(): Promise<Product[]>;
  pay(items: readonly CartItem[], options?: PayOptions): Promise<PayOutcome>;
  repay(orderId: string, options?: Pick<PayOptions, 'onProgress'>): Promise<PayOutcome>;
  order(orderId: string): Promise<Order>;
  orders(): Promise<Order[]>;
  /**
   * The buyer confirms receipt of a SHIPPED order in WeChat's component (wx.openBusinessView weappOrderConfirm); then
   * the server re-checks with WeChat (`POST /api/orders/:orderId/confirm-receipt`) and its order decides the outcome.
   */
  confirmReceipt(order: Order): Promise<ReceiptOutcome>;
  /** wx.requestSubscribeMessage for 1-5 templates (call it from a tap or a payment callback, as WeChat requires). */
  requestSubscribe(templateIds: readonly string[]): Promise<SubscribeResult>;
}

const CONFIRMED_SHIPPING = new Set(['CONFIRMED', 'SETTLED']);

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createClient(options: ClientOptions): WxPayClient {
  const wx = options.wx;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? ((): number => Date.now());
  const confirmOpts: ConfirmOptions = { ...DEFAULT_CONFIRM, ...options.confirm };
  const api = createApi({
    baseUrl: options.baseUrl,
    wx,
    storageKey: options.storageKey ?? 'wxpay-kit:token',
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  });

  const order = async (orderId: string): Promise<Order> =>
    parseOrder(await api.call({ method: 'GET', path: `/api/orders/${encodeURIComponent(orderId)}` }));

  /** One read of the order that never throws: used after a cancel/fail, where any answer helps. */
  async function peek(orderId: string): Promise<Order | undefined> {
    try {
      return await order(orderId);
    } catch {
      return undefined;
    }
  }

  /** The outcome an order already in a final status stands for, if it is final. */
  function settled(found: Order | undefined): PayOutcome | undefined {
    if (found === undefined) return undefined;
    if (PAID_STATUSES.has(found.status)) return { outcome: 'paid', orderId: found.orderId, order: found };
    if (found.status === 'CLOSED') return { outcome: 'failed', orderId: found.orderId, order: found, reason: 'order_closed' };
    return undefined;
  }

  async function payAndConfirm(
    orderId: string,
    params: PayParams,
    amount: number | undefined,
    onProgress: PayOptions['onProgress'],
  ): Promise<PayOutcome> {
    const progress: PayProgress = amount === undefined ? { orderId } : { orderId, amount };
    onProgress?.('paying', progress);
    const cashier = await wxRequestPayment(wx, params);
    onProgress?.('confirming', progress);
    if (cashier.kind === 'ok') {
      const result = await pollUntilFinal({ fetchOrder: () => order(orderId), sleep, now }, confirmOpts);
      const done = result.final ? settled(result.order) : undefined;
      if (done !== undefined) return done;
      const pending: PayOutcome = { outcome: 'pending', orderId, reason: 'confirmation_timeout' };
      if (result.order !== undefined) pending.order = result.order;
      return pending;
    }
    // Cancel or fail: still ask the server once, because a payment may have gone through
    // (the user paid, then the app lost the callback, or closed the sheet after paying).
    const found = await peek(orderId);
    const paid = found !== undefined && PAID_STATUSES.has(found.status) ? settled(found) : undefined;
    if (paid !== undefined) return paid;
    const outcome: PayOutcome = { outcome: cashier.kind === 'cancel' ? 'cancelled' : 'failed', orderId, reason: cashier.errMsg };
    if (found !== undefined) outcome.order = found;
    return outcome;
  }

  return {
    login: () => api.login(),

    async products() {
      return parseProducts(await api.call({ method: 'GET', path: '/api/products' }));
    },

    async pay(items, payOptions = {}) {
      payOptions.onProgress?.('creating', {});
      const key = payOptions.idempotencyKey ?? (await wxRandomHex(wx, 16));
      const created = parseCreatedOrder(
        await api.call({
          method: 'POST',
          path: '/api/orders',
          data: { items: items.map((i) => ({ sku: i.sku, quantity: i.quantity })) },
          ...(key === undefined ? {} : { header: { 'idempotency-key': key } }),
        }),
      );
      // A replayed Idempotency-Key can return an order that is already settled: don't charge twice.
      if (PAID_STATUSES.has(created.status)) {
        return settled(await peek(created.orderId)) ?? { outcome: 'paid', orderId: created.orderId };
      }
      if (created.status === 'CLOSED') return { outcome: 'failed', orderId: created.orderId, reason: 'order_closed' };
      return payAndConfirm(created.orderId, created.payParams, created.amount, payOptions.onProgress);
    },

    async repay(orderId, repayOptions = {}) {
      repayOptions.onProgress?.('creating', { orderId });
      let params: PayParams;
      try {
        params = parseRepay(
          await api.call({ method: 'POST', path: `/api/orders/${encodeURIComponent(orderId)}/payment` }),
        );
      } catch (err) {
        // The server refuses to re-pay an order that got paid or closed meanwhile: say which.
        if (err instanceof ClientApiError) {
          const done = settled(await peek(orderId));
          if (done !== undefined) return done;
        }
        throw err;
      }
      return payAndConfirm(orderId, params, undefined, repayOptions.onProgress);
    },

    order,

    async orders() {
      return parseOrders(await api.call({ method: 'GET', path: '/api/orders' }));
    },

    async confirmReceipt(target) {
      const shipping = target.shipping?.status;
      if (shipping !== undefined && CONFIRMED_SHIPPING.has(shipping)) return { outcome: 'confirmed', order: target };
      if (shipping !== 'SHIPPED') {
        throw new ClientError(`order ${target.orderId} is not awaiting receipt (shipping ${shipping ?? 'not reported by the server'})`);
      }
      const merchantId = options.merchantId;
      if (merchantId === undefined || merchantId === '') {
        throw new ClientError('confirmReceipt needs the merchant number: pass merchantId to createClient');
      }
      const component = await openConfirmComponent(wx, { merchant_id: merchantId, merchant_trade_no: target.outTradeNo });
      // Whatever the component said, the server asks WeChat: a confirmation whose answer got lost still counts.
      let found: Order;
      try {
        found = parseOrder(
          await api.call({ method: 'POST', path: `/api/orders/${encodeURIComponent(target.orderId)}/confirm-receipt` }),
        );
      } catch (err) {
        // 409: the server found the receipt not confirmed at WeChat; its current order still tells the UI the state.
        if (!(err instanceof ClientApiError && err.status === 409)) throw err;
        found = await order(target.orderId);
      }
      if (found.shipping !== undefined && CONFIRMED_SHIPPING.has(found.shipping.status)) return { outcome: 'confirmed', order: found };
      if (!component.opened) return { outcome: 'failed', order: found, reason: component.errMsg };
      const { status, errormsg } = component.answer;
      if (status === 'cancel') return { outcome: 'cancelled', order: found, reason: errormsg ?? 'cancel' };
      return { outcome: 'failed', order: found, reason: errormsg ?? (status === 'fail' ? 'fail' : 'not_confirmed') };
    },

    requestSubscribe: (templateIds) => requestSubscribe(wx, templateIds),
  };
}
