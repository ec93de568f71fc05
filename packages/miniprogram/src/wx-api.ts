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

/**
 * wx.openBusinessView (base library 2.6.0+, not in miniprogram-api-typings): opens WeChat's confirm-receipt component
 * with `businessType: 'weappOrderConfirm'`. WeChat hands the buyer's answer back through App.onShow (referrerInfo from
 * the component's appId); a runtime or shim that knows it at once may pass it as `extraData` to `success`.
 */
export interface WxOpenBusinessViewOption {
  businessType: string;
  extraData: Record<string, string>;
  success?: (res: WxOpenBusinessViewSuccess) => void;
  fail?: (err: WxCallbackResult) => void;
}

export interface WxOpenBusinessViewSuccess {
  errMsg: string;
  /** The component's answer `{status: 'success' | 'fail' | 'cancel', errormsg?, req_extradata}`, when given here. */
  extraData?: unknown;
}

/** What wx.onAppShow listeners receive: the part this client reads. */
export interface WxAppShowResult {
  referrerInfo?: { appId?: string; extraData?: unknown };
}

export interface WxRequestSubscribeMessageOption {
  tmplIds: string[];
  /** `errMsg` plus one key per template id: 'accept', 'reject', 'ban', 'filter' (or 'acceptWithAudio' …). */
  success?: (res: Record<string, string>) => void;
  /** `errCode` e.g. 20004 (the user switched subscriptions off), 10005 (no UI, the app went to the background). */
  fail?: (err: { errCode?: number; errMsg: string }) => void;
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
  /** Optional: confirmReceipt needs it (base library 2.6.0+). */
  openBusinessView?(option: WxOpenBusinessViewOption): unknown;
  /** Optional: confirmReceipt waits for the buyer to come back from the component through it. */
  onAppShow?(listener: (res: WxAppShowResult) => void): unknown;
  /** Removes the listener given to onAppShow (typed loosely: WeChat's typings give it another argument type). */
  offAppShow?(listener: (res: WxAppShowResult & { errMsg?: string }) => void): unknown;
  /** Optional: requestSubscribe needs it (base library 2.4.4+). */
  requestSubscribeMessage?(option: WxRequestSubscribeMessageOption): unknown;
}
