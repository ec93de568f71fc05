// The slice of the mini-program API this client uses, written out structurally so that
// `wx` (WeChat), `Taro` and `uni` objects all fit without this package importing any of them.
// Every method is the callback form, which all three runtimes support. A compile-time check
// (typings-check.ts, built against miniprogram-api-typings) proves `WechatMiniprogram.Wx`
// is assignable to this interface.

export interface WxCallbackResult {
  errMsg: string;
}

export type WxHttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface WxRequestSuccess {
  statusCode: number;
  /** With dataType 'json' the runtime has already parsed JSON bodies; otherwise a string. */
  data: unknown;
}

export interface WxRequestOption {
  url: string;
  method?: WxHttpMethod;
  data?: string | Record<string, unknown>;
  header?: Record<string, string>;
  dataType?: 'json';
  timeout?: number;
  success?: (res: WxRequestSuccess) => void;
  fail?: (err: WxCallbackResult) => void;
}

export interface WxLoginOption {
  timeout?: number;
  success?: (res: { code: string }) => void;
  fail?: (err: WxCallbackResult) => void;
}

/** Exactly the five fields WeChat's wx.requestPayment takes (appId is signed but not passed). */
export interface PayParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'MD5' | 'HMAC-SHA256' | 'RSA';
  paySign: string;
}

export interface WxRequestPaymentOption extends PayParams {
  success?: (res: WxCallbackResult) => void;
  fail?: (err: WxCallbackResult) => void;
}

export interface WxGetRandomValuesOption {
  length: number;
  success?: (res: { randomValues: ArrayBuffer }) => void;
  fail?: (err: WxCallbackResult) => void;
}

export interface WxApi {
  request(option: WxRequestOption): unknown;
  login(option: WxLoginOption): unknown;
  requestPayment(option: WxRequestPaymentOption): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, data: string): void;
  removeStorageSync(key: string): void;
  /** Optional (base library 2.20.2+): used to make Idempotency-Key values when present. */
  getRandomValues?(option: WxGetRandomValuesOption): unknown;
}
