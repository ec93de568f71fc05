// A fake `wx` wired to an in-memory stand-in for the wxpay-kit server, plus a virtual clock.
// Tests drive order statuses through hooks and assert what the client sent and decided.
import type { OrderShipping, OrderStatus } from '../src/types.js';
import type {
  PayParams,
  WxApi,
  WxAppShowResult,
  WxGetRandomValuesOption,
  WxLoginOption,
  WxOpenBusinessViewOption,
  WxRequestOption,
  WxRequestPaymentOption,
  WxRequestSubscribeMessageOption,
} from '../src/wx-api.js';

export interface SentRequest {
  method: string;
  path: string;
  header: Record<string, string>;
  data: unknown;
}

interface ShopOrder {
  orderId: string;
  outTradeNo: string;
  amount: number;
  status: OrderStatus;
  items: Array<{ sku: string; quantity: number }>;
  createdAt: string;
  payParams: PayParams;
  shipping?: OrderShipping;
  /** What WeChat's get_order would say: the buyer confirmed receipt in the component. */
  wechatConfirmed?: boolean;
}

/**
 * How the fake confirm-receipt component behaves: the buyer's answer, and how the runtime hands it back — `appShow`
 * (WeChat: App.onShow with the component's referrerInfo), `direct` (a shim: in openBusinessView's success), `none`
 * (success only, never an answer), `otherShow` (the app comes back to the foreground some other way) — or the view
 * fails to open.
 */
export type ComponentBehaviour =
  | { delivery: 'appShow' | 'direct' | 'none' | 'otherShow'; answer: { status: 'success' | 'fail' | 'cancel'; errormsg?: string } }
  | { delivery: 'openFails'; errMsg: string };

type Reply = { status: number; body: unknown } | { networkError: string };

export type CashierAction = 'ok' | 'cancel' | 'fail';

export class FakeShop {
  readonly tokens = new Set<string>();
  readonly orders = new Map<string, ShopOrder>();
  readonly sent: SentRequest[] = [];
  readonly storage = new Map<string, unknown>();
  readonly payments: Array<Record<string, unknown>> = [];
  logins = 0;
  loginCodesRejected = false;
  wxLoginFails = false;
  cashier: CashierAction = 'ok';
  failErrMsg = 'requestPayment:fail system error';
  /** Called on every GET of one order: a test moves the status here ("paid after 3 reads"). */
  onRead: (order: ShopOrder, readCount: number) => void = () => {};
  /** Overrides the reply to a request (fault injection); return undefined to fall through. */
  intercept: (req: SentRequest) => Reply | undefined = () => undefined;
  /** Called when the cashier runs, e.g. to mark the order paid as WeChat's notification would. */
  onCashier: (order: ShopOrder | undefined) => void = () => {};
  randomValues: boolean = true;
  component: ComponentBehaviour = { delivery: 'appShow', answer: { status: 'success' } };
  readonly businessViews: WxOpenBusinessViewOption[] = [];
  readonly appShowListeners = new Set<(res: WxAppShowResult) => void>();
  /** What wx.requestSubscribeMessage answers: template id → choice (errMsg added), or a failure. */
  subscribeAnswer: Record<string, string> | { errCode: number; errMsg: string } = {};
  readonly subscribeRequests: string[][] = [];
  /** How the server's confirm-receipt route answers when WeChat does not show the receipt confirmed. */
  notConfirmedStatus = 409;
  private reads = new Map<string, number>();
  private seq = 0;
  private idempotency = new Map<string, string>();

  readonly wx: WxApi = {
    request: (opt: WxRequestOption) => {
      const req: SentRequest = {
        method: opt.method ?? 'GET',
        path: opt.url.replace(/^https:\/\/shop\.test/, ''),
        header: { ...opt.header },
        data: opt.data,
      };
      this.sent.push(req);
      const reply = this.intercept(req) ?? this.route(req);
      // Answer asynchronously, like the real runtime.
      queueMicrotask(() => {
        if ('networkError' in reply) opt.fail?.({ errMsg: reply.networkError });
        else opt.success?.({ statusCode: reply.status, data: reply.body });
      });
    },
    login: (opt: WxLoginOption) => {
      queueMicrotask(() => {
        if (this.wxLoginFails) return opt.fail?.({ errMsg: 'login:fail auth deny' });
        this.logins += 1;
        opt.success?.({ code: `code-${this.logins}` });
      });
    },
    requestPayment: (opt: WxRequestPaymentOption) => {
      this.payments.push({ ...opt });
      const order = [...this.orders.values()].find((o) => o.payParams.package === opt.package);
      queueMicrotask(() => {
        this.onCashier(order);
        if (this.cashier === 'ok') opt.success?.({ errMsg: 'requestPayment:ok' });
        else if (this.cashier === 'cancel') opt.fail?.({ errMsg: 'requestPayment:fail cancel' });
        else opt.fail?.({ errMsg: this.failErrMsg });
      });
    },
    getStorageSync: (key: string) => this.storage.get(key) ?? '',
    setStorageSync: (key: string, data: string) => void this.storage.set(key, data),
    removeStorageSync: (key: string) => void this.storage.delete(key),
    openBusinessView: (opt: WxOpenBusinessViewOption) => {
      this.businessViews.push(opt);
      const behaviour = this.component;
      queueMicrotask(() => {
        if (behaviour.delivery === 'openFails') return opt.fail?.({ errMsg: behaviour.errMsg });
        const order = [...this.orders.values()].find((o) => o.outTradeNo === opt.extraData['merchant_trade_no']);
        if (order !== undefined && behaviour.answer.status === 'success') order.wechatConfirmed = true;
        opt.success?.({ errMsg: 'openBusinessView:ok', ...(behaviour.delivery === 'direct' ? { extraData: behaviour.answer } : {}) });
        if (behaviour.delivery === 'appShow' || behaviour.delivery === 'otherShow') {
          const referrerInfo = behaviour.delivery === 'appShow' ? { appId: 'wx1183b055aeec94d1', extraData: { ...behaviour.answer, req_extradata: opt.extraData } } : {};
          setTimeout(() => {
            for (const listener of [...this.appShowListeners]) listener({ referrerInfo });
          }, 0);
        }
      });
    },
    onAppShow: (listener: (res: WxAppShowResult) => void) => void this.appShowListeners.add(listener),
    offAppShow: (listener: (res: WxAppShowResult) => void) => void this.appShowListeners.delete(listener),
    requestSubscribeMessage: (opt: WxRequestSubscribeMessageOption) => {
      this.subscribeRequests.push([...opt.tmplIds]);
      const answer = this.subscribeAnswer;
      queueMicrotask(() => {
        if ('errCode' in answer && typeof answer.errCode === 'number') return opt.fail?.(answer as { errCode: number; errMsg: string });
        opt.success?.({ errMsg: 'requestSubscribeMessage:ok', ...(answer as Record<string, string>) });
      });
    },
    getRandomValues: (opt: WxGetRandomValuesOption) => {
      queueMicrotask(() => {
        if (!this.randomValues) return opt.fail?.({ errMsg: 'getRandomValues:fail not supported' });
        const bytes = new Uint8Array(opt.length);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
        opt.success?.({ randomValues: bytes.buffer });
      });
    },
  };

  addOrder(status: OrderStatus = 'CREATED'): ShopOrder {
    this.seq += 1;
    const order: ShopOrder = {
      orderId: `ord_${this.seq}`,
      outTradeNo: `T${1000 + this.seq}`,
      amount: 1990,
      status,
      items: [{ sku: 'tea', quantity: 1 }],
      createdAt: '2026-11-26T12:00:00.000Z',
      payParams: this.params(`wx_prepay_${this.seq}`),
    };
    this.orders.set(order.orderId, order);
    return order;
  }

  params(prepayId: string): PayParams {
    return { timeStamp: '1764158400', nonceStr: `n${prepayId}`, package: `prepay_id=${prepayId}`, signType: 'HMAC-SHA256', paySign: `SIGN${prepayId}` };
  }

  readsOf(orderId: string): number {
    return this.reads.get(orderId) ?? 0;
  }

  private route(req: SentRequest): Reply {
    if (req.method === 'POST' && req.path === '/api/login') {
      const code = (req.data as { code?: unknown } | undefined)?.code;
      if (this.loginCodesRejected || typeof code !== 'string') return err(400, 'INVALID_CODE', 'code rejected');
      const token = `tok-${code}`;
      this.tokens.add(token);
      return { status: 200, body: { token } };
    }
    const auth = req.header['authorization'] ?? '';
    if (!this.tokens.has(auth.replace(/^Bearer /, ''))) return err(401, 'UNAUTHORIZED', 'token unknown or expired');

    if (req.method === 'GET' && req.path === '/api/products') {
      return { status: 200, body: { products: [{ sku: 'tea', name: 'Green tea', price: 1990 }] } };
    }
    if (req.method === 'POST' && req.path === '/api/orders') {
      const key = req.header['idempotency-key'];
      const existing = key === undefined ? undefined : this.orders.get(this.idempotency.get(key) ?? '');
      const order = existing ?? this.addOrder();
      if (key !== undefined) this.idempotency.set(key, order.orderId);
      return { status: 201, body: created(order) };
    }
    if (req.method === 'GET' && req.path === '/api/orders') {
      return { status: 200, body: { orders: [...this.orders.values()].reverse().map(view) } };
    }
    const m = /^\/api\/orders\/([^/]+)(\/payment|\/confirm-receipt)?$/.exec(req.path);
    const order = m?.[1] === undefined ? undefined : this.orders.get(decodeURIComponent(m[1]));
    if (order === undefined) return err(404, 'NOT_FOUND', 'no such order');
    if (req.method === 'GET' && m?.[2] === undefined) {
      const n = this.readsOf(order.orderId) + 1;
      this.reads.set(order.orderId, n);
      this.onRead(order, n);
      return { status: 200, body: view(order) };
    }
    if (req.method === 'POST' && m?.[2] === '/payment') {
      if (order.status !== 'CREATED' && order.status !== 'PAYING') return err(409, 'ORDER_NOT_PAYABLE', `order is ${order.status}`);
      order.payParams = this.params(`wx_prepay_again_${order.orderId}`);
      return { status: 200, body: { payParams: order.payParams } };
    }
    if (req.method === 'POST' && m?.[2] === '/confirm-receipt') {
      // The server asks WeChat (get_order) and moves to CONFIRMED only when WeChat says so.
      if (order.wechatConfirmed === true && order.shipping !== undefined) {
        order.shipping = { ...order.shipping, status: 'CONFIRMED', confirmedAt: '2026-11-27T10:00:00.000Z' };
        return { status: 200, body: view(order) };
      }
      return this.notConfirmedStatus === 200 ? { status: 200, body: view(order) } : err(this.notConfirmedStatus, 'NOT_CONFIRMED', 'WeChat does not show the receipt as confirmed');
    }
    return err(404, 'NOT_FOUND', 'no route');
  }
}

function err(status: number, code: string, message: string): Reply {
  return { status, body: { error: { code, message } } };
}

function view(o: ShopOrder): Record<string, unknown> {
  return {
    orderId: o.orderId, outTradeNo: o.outTradeNo, amount: o.amount, status: o.status, items: o.items, createdAt: o.createdAt,
    ...(o.shipping === undefined ? {} : { shipping: o.shipping }),
  };
}

function created(o: ShopOrder): Record<string, unknown> {
  return { orderId: o.orderId, outTradeNo: o.outTradeNo, amount: o.amount, status: o.status, payParams: o.payParams };
}

/** A virtual clock: sleep() advances time instantly and records each wait. */
export function virtualClock(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}
