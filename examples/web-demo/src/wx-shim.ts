// A browser stand-in for the mini-program `wx` object, backed by the server's same-origin
// proxy to the sandbox. It implements exactly the WxApi slice the client uses, so the demo runs
// the very same @wxpay-kit/miniprogram code a mini program runs.
import type {
  PayParams,
  WxApi,
  WxGetRandomValuesOption,
  WxLoginOption,
  WxRequestOption,
  WxRequestPaymentOption,
} from '@wxpay-kit/miniprogram';

export type CashierAction = 'pay' | 'cancel' | 'fail';

export interface BrowserWxOptions {
  /** Shows the cashier and resolves with the user's choice. */
  cashier: (params: PayParams) => Promise<CashierAction>;
  /** Prefix of every localStorage key the shim writes. */
  storagePrefix?: string;
}

export interface BrowserWx extends WxApi {
  getRandomValues(option: WxGetRandomValuesOption): void;
  /** The demo user this browser plays (kept in localStorage; the sandbox maps it to an openid). */
  user(): string;
  /** Become another user: forget the token and openid. */
  switchUser(name: string): void;
}

const USER_KEY = 'user';
const OPENID_KEY = 'openid';

export function createBrowserWx(options: BrowserWxOptions): BrowserWx {
  const prefix = options.storagePrefix ?? 'wxpay-demo:';
  let configPromise: Promise<{ appid: string }> | undefined;

  const read = (key: string): unknown => {
    const raw = localStorage.getItem(prefix + key);
    if (raw === null) return '';
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return '';
    }
  };
  const write = (key: string, value: unknown): void => localStorage.setItem(prefix + key, JSON.stringify(value));

  function user(): string {
    const name = read(USER_KEY);
    if (typeof name === 'string' && name !== '') return name;
    const fresh = `guest-${randomHex(3)}`;
    write(USER_KEY, fresh);
    return fresh;
  }

  function appConfig(): Promise<{ appid: string }> {
    configPromise ??= postOrGet('GET', '/demo/config').then((body) => {
      const appid = (body as { appid?: unknown }).appid;
      if (typeof appid !== 'string') throw new Error('demo config has no appid');
      return { appid };
    });
    configPromise.catch(() => (configPromise = undefined));
    return configPromise;
  }

  return {
    request(opt: WxRequestOption): void {
      const controller = new AbortController();
      const timer = opt.timeout === undefined ? undefined : setTimeout(() => controller.abort(), opt.timeout);
      const init: RequestInit = { method: opt.method ?? 'GET', headers: opt.header ?? {}, signal: controller.signal };
      if (opt.data !== undefined) init.body = typeof opt.data === 'string' ? opt.data : JSON.stringify(opt.data);
      fetch(opt.url, init)
        .then(async (res) => {
          const text = await res.text();
          // Like wx with dataType 'json': parsed when it is JSON, the raw string otherwise.
          let data: unknown = text;
          try {
            data = text === '' ? '' : (JSON.parse(text) as unknown);
          } catch {
            /* not JSON */
          }
          // wx calls success for every HTTP status; fail is only for no answer at all.
          opt.success?.({ statusCode: res.status, data });
        })
        .catch((err: unknown) => {
          opt.fail?.({ errMsg: controller.signal.aborted ? 'request:fail timeout' : `request:fail ${messageOf(err)}` });
        })
        .finally(() => clearTimeout(timer));
    },

    login(opt: WxLoginOption): void {
      appConfig()
        .then(({ appid }) => postOrGet('POST', '/sandbox/wx/login', { appid, user: user() }))
        .then((body) => {
          const { code, openid } = body as { code?: unknown; openid?: unknown };
          if (typeof code !== 'string') throw new Error('sandbox gave no code');
          // The real WeChat client knows its user; the sandbox cashier needs the openid to pay as them.
          if (typeof openid === 'string') write(OPENID_KEY, openid);
          opt.success?.({ code });
        })
        .catch((err: unknown) => opt.fail?.({ errMsg: `login:fail ${messageOf(err)}` }));
    },

    requestPayment(opt: WxRequestPaymentOption): void {
      const params: PayParams = {
        timeStamp: opt.timeStamp,
        nonceStr: opt.nonceStr,
        package: opt.package,
        signType: opt.signType,
        paySign: opt.paySign,
      };
      options
        .cashier(params)
        .then(async (action) => {
          const { appid } = await appConfig();
          const openid = read(OPENID_KEY);
          const res = await fetchJson('POST', '/sandbox/wx/requestPayment', {
            ...params,
            appid,
            openid: typeof openid === 'string' ? openid : '',
            action,
          });
          // The sandbox answers like the cashier, {errMsg}, even when it refuses (bad paySign…).
          const errMsg = (res.data as { errMsg?: unknown }).errMsg;
          if (typeof errMsg === 'string') return errMsg;
          return `requestPayment:fail ${errorMessage(res)}`;
        })
        .catch((err: unknown) => `requestPayment:fail ${messageOf(err)}`)
        .then((errMsg) => {
          if (errMsg === 'requestPayment:ok') opt.success?.({ errMsg });
          else opt.fail?.({ errMsg });
        });
    },

    getStorageSync: read,
    setStorageSync: write,
    removeStorageSync: (key: string) => localStorage.removeItem(prefix + key),

    getRandomValues(opt: WxGetRandomValuesOption): void {
      const bytes = crypto.getRandomValues(new Uint8Array(opt.length));
      queueMicrotask(() => opt.success?.({ randomValues: bytes.buffer }));
    },

    user,
    switchUser(name: string): void {
      for (const key of Object.keys(localStorage)) if (key.startsWith(prefix)) localStorage.removeItem(key);
      write(USER_KEY, name);
    },
  };
}

interface JsonAnswer {
  ok: boolean;
  status: number;
  data: unknown;
}

async function fetchJson(method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonAnswer> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data: unknown = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, data };
}

function errorMessage(res: JsonAnswer): string {
  const message = (res.data as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : `HTTP ${res.status}`;
}

/** JSON to and from the demo server; an error answer becomes an Error with the server's message. */
async function postOrGet(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const res = await fetchJson(method, path, body);
  if (!res.ok) throw new Error(errorMessage(res));
  return res.data;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}
