// Promise wrappers over the callback-style wx API. Callback form on purpose: wx, Taro and
// uni-app all support it, while their promise forms differ.
import type { PayParams, WxApi, WxHttpMethod, WxRequestSuccess } from './wx-api.js';

export interface HttpRequest {
  url: string;
  method: WxHttpMethod;
  data?: Record<string, unknown>;
  header?: Record<string, string>;
  timeoutMs: number;
}

export type HttpResult = { ok: true; res: WxRequestSuccess } | { ok: false; errMsg: string };

export function wxRequest(wx: WxApi, req: HttpRequest): Promise<HttpResult> {
  return new Promise((resolve) => {
    wx.request({
      url: req.url,
      method: req.method,
      header: { 'content-type': 'application/json', ...req.header },
      dataType: 'json',
      timeout: req.timeoutMs,
      ...(req.data === undefined ? {} : { data: req.data }),
      success: (res) => resolve({ ok: true, res }),
      fail: (err) => resolve({ ok: false, errMsg: errMsgOf(err) }),
    });
  });
}

export function wxLogin(wx: WxApi, timeoutMs: number): Promise<{ ok: true; code: string } | { ok: false; errMsg: string }> {
  return new Promise((resolve) => {
    wx.login({
      timeout: timeoutMs,
      success: (res) =>
        typeof res.code === 'string' && res.code !== ''
          ? resolve({ ok: true, code: res.code })
          : resolve({ ok: false, errMsg: 'login:fail no code' }),
      fail: (err) => resolve({ ok: false, errMsg: errMsgOf(err) }),
    });
  });
}

export type PaymentResult = { kind: 'ok' } | { kind: 'cancel'; errMsg: string } | { kind: 'fail'; errMsg: string };

/**
 * Calls wx.requestPayment with exactly the server's five params. The answer is only what the
 * cashier reported; the caller must still confirm with the server.
 */
export function wxRequestPayment(wx: WxApi, params: PayParams): Promise<PaymentResult> {
  return new Promise((resolve) => {
    wx.requestPayment({
      timeStamp: params.timeStamp,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      paySign: params.paySign,
      success: () => resolve({ kind: 'ok' }),
      fail: (err) => resolve(classifyPaymentFailure(errMsgOf(err))),
    });
  });
}

/** `requestPayment:fail cancel` is the user closing the cashier; anything else is a failure. */
export function classifyPaymentFailure(errMsg: string): PaymentResult {
  return /^requestPayment:fail[: ]+cancel\b/.test(errMsg) || errMsg === 'requestPayment:cancel'
    ? { kind: 'cancel', errMsg }
    : { kind: 'fail', errMsg };
}

/** Random bytes from wx.getRandomValues when the runtime has it; undefined otherwise. */
export function wxRandomHex(wx: WxApi, length: number): Promise<string | undefined> {
  const getRandomValues = wx.getRandomValues;
  if (typeof getRandomValues !== 'function') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    getRandomValues.call(wx, {
      length,
      success: (res) => {
        const bytes = new Uint8Array(res.randomValues);
        resolve(bytes.length === length ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') : undefined);
      },
      fail: () => resolve(undefined),
    });
  });
}

function errMsgOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'errMsg' in err && typeof err.errMsg === 'string') return err.errMsg;
  return 'unknown error';
}
