// Talks to the wxpay-kit server: JSON over wx.request, the bearer token kept in wx storage,
// and one fresh login + one retry when the server answers 401 (token unknown or expired).
import { ClientApiError, ClientLoginError, ClientNetworkError } from './errors.js';
import { parseErrorBody, parseToken } from './parse.js';
import type { WxApi, WxHttpMethod } from './wx-api.js';
import { wxLogin, wxRequest } from './wx-promise.js';

export interface ApiOptions {
  baseUrl: string;
  wx: WxApi;
  storageKey: string;
  requestTimeoutMs: number;
}

export interface ApiCall {
  method: WxHttpMethod;
  path: string;
  data?: Record<string, unknown>;
  header?: Record<string, string>;
}

export interface Api {
  login(): Promise<void>;
  call(req: ApiCall): Promise<unknown>;
  hasToken(): boolean;
}

export function createApi(opts: ApiOptions): Api {
  const { wx, storageKey, requestTimeoutMs } = opts;
  const base = opts.baseUrl.replace(/\/+$/, '');
  // Several calls may hit 401 at once; they share one login instead of each spending a code.
  let loginInFlight: Promise<void> | undefined;

  function readToken(): string | undefined {
    const stored = wx.getStorageSync(storageKey);
    return typeof stored === 'string' && stored !== '' ? stored : undefined;
  }

  async function send(req: ApiCall, token: string | undefined): Promise<{ status: number; body: unknown }> {
    const header: Record<string, string> = { ...req.header };
    if (token !== undefined) header['authorization'] = `Bearer ${token}`;
    const result = await wxRequest(wx, {
      url: base + req.path,
      method: req.method,
      header,
      timeoutMs: requestTimeoutMs,
      // wx.request always sends content-type: application/json, and JSON servers (Fastify among
      // them) refuse an empty body with that type: a body-less POST sends {}.
      ...(req.data !== undefined ? { data: req.data } : req.method === 'GET' ? {} : { data: {} }),
    });
    if (!result.ok) throw new ClientNetworkError(result.errMsg);
    return { status: result.res.statusCode, body: result.res.data };
  }

  function toError(status: number, body: unknown): ClientApiError {
    const err = parseErrorBody(body);
    return err === undefined
      ? new ClientApiError(status, `HTTP_${status}`, `server answered ${status}`)
      : new ClientApiError(status, err.code, err.message);
  }

  async function doLogin(): Promise<void> {
    const login = await wxLogin(wx, requestTimeoutMs);
    if (!login.ok) throw new ClientLoginError(login.errMsg);
    const { status, body } = await send({ method: 'POST', path: '/api/login', data: { code: login.code } }, undefined);
    if (status !== 200 && status !== 201) {
      const err = toError(status, body);
      throw new ClientLoginError(`${err.code}: ${err.message}`);
    }
    wx.setStorageSync(storageKey, parseToken(body));
  }

  function login(): Promise<void> {
    if (loginInFlight === undefined) {
      loginInFlight = doLogin().finally(() => {
        loginInFlight = undefined;
      });
    }
    return loginInFlight;
  }

  async function call(req: ApiCall): Promise<unknown> {
    let token = readToken();
    if (token === undefined) {
      await login();
      token = readToken();
    }
    let res = await send(req, token);
    if (res.status === 401) {
      // The server forgot or expired our token: drop it, log in once more, retry once.
      // A second 401 is a real error, not a loop.
      // If another call already renewed it meanwhile, just use the new one.
      const current = readToken();
      if (current === undefined || current === token) {
        wx.removeStorageSync(storageKey);
        await login();
      }
      res = await send(req, readToken());
    }
    if (res.status < 200 || res.status >= 300) throw toError(res.status, res.body);
    return res.body;
  }

  return { login, call, hasToken: () => readToken() !== undefined };
}
