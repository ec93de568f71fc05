import { WxPayConfigError, WxPayProtocolError, WxPayValidationError } from '../errors.js';
import { callWeChatJson, checkBaseUrl, defaultLoginFetch, type LoginFetch } from './http.js';
import type { WxPayRequestOptions } from '../transport/options.js';

export type LoginClientOptions = {
  appid: string;
  secret: string;
  /** Default https://api.weixin.qq.com. */
  baseUrl?: string;
  fetch?: LoginFetch;
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** How a retry (only when a call asks for `retries`) waits; injectable so tests never sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1) for the backoff jitter; injectable so tests know the waits. */
  random?: () => number;
};

/** The session of one mini-program user. `sessionKey` must never leave your backend. */
export type Code2SessionResult = { openid: string; sessionKey: string; unionid: string | undefined };

export type LoginClient = {
  /**
   * Exchange a wx.login() code (valid 5 minutes, usable once). WeChat's errcodes become WxPayApiError with `code`
   * = the errcode as a string: 40029 invalid code, 40163 code already used, 45011 rate limit (retriable), 40226 risky
   * user blocked, -1 busy (retriable), 40013 invalid appid, 40125 invalid secret. Not retried unless `retries` is
   * given, and then only a request that certainly never left: a code is single-use, so a retry after an unknown
   * outcome could only produce 40163. `{ timeoutMs, signal, retries }` override the client's defaults.
   */
  code2Session(code: string, options?: WxPayRequestOptions): Promise<Code2SessionResult>;
};

export function createLoginClient(options: LoginClientOptions): LoginClient {
  if (typeof options.appid !== 'string' || options.appid === '') throw new WxPayConfigError('appid is required', { field: 'appid' });
  if (typeof options.secret !== 'string' || options.secret === '') throw new WxPayConfigError('secret is required', { field: 'secret' });
  const baseUrl = checkBaseUrl(options.baseUrl);
  if (baseUrl === '') throw new WxPayConfigError('baseUrl must be an http(s) URL', { field: 'baseUrl' });
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new WxPayConfigError('timeoutMs must be a positive integer', { field: 'timeoutMs' });
  const fetchImpl = options.fetch ?? defaultLoginFetch;
  const { appid, secret } = options;

  return {
    async code2Session(code, callOptions) {
      // wx.login codes are short printable tokens; anything else is not worth a call (and must not reach the URL raw).
      if (typeof code !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(code)) throw new WxPayValidationError('code', 'must be a wx.login() code');
      const query = new URLSearchParams({ appid, secret, js_code: code, grant_type: 'authorization_code' });
      const body = await callWeChatJson(fetchImpl, 'code2Session', `${baseUrl}/sns/jscode2session?${query}`, { method: 'GET' }, timeoutMs, callOptions, {
        sleep: options.sleep,
        random: options.random,
      });
      const { openid, session_key: sessionKey, unionid } = body;
      if (typeof openid !== 'string' || openid === '') throw new WxPayProtocolError('code2Session: answer has no openid');
      if (typeof sessionKey !== 'string' || sessionKey === '') throw new WxPayProtocolError('code2Session: answer has no session_key');
      if (unionid !== undefined && typeof unionid !== 'string') throw new WxPayProtocolError('code2Session: unionid is not a string');
      return { openid, sessionKey, unionid };
    },
  };
}
