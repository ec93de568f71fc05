import { WxPayApiError, WxPayConfigError, WxPayProtocolError } from '../errors.js';
import { checkBaseUrl, defaultLoginFetch, sendToWeixin, type LoginFetch } from '../login/http.js';
import type { AccessTokenManager } from '../login/access-token.js';
import { resolveCallOptions, type WxPayRequestOptions } from '../transport/options.js';
import { defaultRandom, realSleep, type RetryPolicy } from '../transport/retry.js';

/**
 * The one way the mini-program APIs (shipping, subscribe messages, phone number) call api.weixin.qq.com: POST JSON
 * with `?access_token=` from the AccessTokenManager, which refreshes (forced) and retries once when WeChat answers
 * 40001 / 42001 / 40014. Network retries only for requests that certainly never left: an upload that may have
 * landed is never resent on our own, since a second upload can spend the order's one re-shipping chance.
 */

/** errcodes where WeChat itself says "retry", or where the same request may succeed a little later. */
const RETRIABLE_ERRCODES = new Set([
  -1, // system busy
  10060001, // payment not found — also a payment made seconds ago that is not indexed yet
  10060012, // system error
  10060019, // system error
  44990, // frequency limit
  45009, // daily quota (tomorrow)
  45011, // minute quota
]);

/** An errcode answer from a mini-program API. `code` is the errcode as a string (as everywhere in the SDK). */
export class MiniProgramApiError extends WxPayApiError {
  readonly errcode: number;
  /** WeChat's text, capped; it carries a changing ` rid: …` suffix, so never compare it. */
  readonly errmsg: string;
  constructor(what: string, errcode: number, errmsg: string) {
    super(`${what}: WeChat errcode ${errcode}${errmsg === '' ? '' : ` (${errmsg})`}`, {
      code: String(errcode),
      description: errmsg,
      retriable: RETRIABLE_ERRCODES.has(errcode),
    });
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

export type MiniProgramClientOptions = {
  /** Our appid (is_trade_managed asks about it; watermarks must name it). */
  appid: string;
  /** Supplies `access_token`, shared with the rest of the backend (one manager per appid). */
  accessTokens: AccessTokenManager;
  /** Default https://api.weixin.qq.com. */
  baseUrl?: string | undefined;
  fetch?: LoginFetch | undefined;
  /** Per try; default 5000 ms. */
  timeoutMs?: number | undefined;
  /** How network retries wait (never-sent faults only); injectable so tests never sleep. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  random?: (() => number) | undefined;
  /** Epoch ms; default Date.now (default upload_time, watermark checks). */
  clock?: (() => number) | undefined;
};

export type ApiAnswer = { json: Record<string, unknown>; raw: string };
export type ApiCaller = {
  appid: string;
  clock: () => number;
  post(what: string, path: string, body: unknown, callOptions?: WxPayRequestOptions): Promise<ApiAnswer>;
};

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const NEVER_SENT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, minDelayMs: 50, maxDelayMs: 2_000 };

export function createApiCaller(options: MiniProgramClientOptions): ApiCaller {
  if (typeof options.appid !== 'string' || options.appid === '') throw new WxPayConfigError('appid is required', { field: 'appid' });
  const tokens = options.accessTokens;
  if (typeof tokens?.withToken !== 'function') throw new WxPayConfigError('accessTokens must be an AccessTokenManager', { field: 'accessTokens' });
  const baseUrl = checkBaseUrl(options.baseUrl);
  if (baseUrl === '') throw new WxPayConfigError('baseUrl must be an http(s) URL', { field: 'baseUrl' });
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new WxPayConfigError('timeoutMs must be a positive integer', { field: 'timeoutMs' });
  const fetchImpl = options.fetch ?? defaultLoginFetch;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? defaultRandom;

  async function once(what: string, path: string, payload: string, token: string, callOptions: WxPayRequestOptions | undefined): Promise<ApiAnswer> {
    const call = resolveCallOptions(callOptions, { timeoutMs, attempts: NEVER_SENT_RETRY.attempts });
    const url = `${baseUrl}${path}?${new URLSearchParams({ access_token: token })}`;
    const { body, raw } = await sendToWeixin({
      fetch: fetchImpl,
      what,
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
      body: payload,
      call,
      policy: NEVER_SENT_RETRY,
      maxResponseBytes: MAX_ANSWER_BYTES,
      sleep,
      random,
    });
    const errcode = body.errcode;
    if (errcode !== undefined && errcode !== 0) {
      if (typeof errcode !== 'number' || !Number.isSafeInteger(errcode)) throw new WxPayProtocolError(`${what}: errcode is not an integer`);
      const errmsg = typeof body.errmsg === 'string' ? body.errmsg.slice(0, 200) : '';
      throw new MiniProgramApiError(what, errcode, errmsg);
    }
    return { json: body, raw };
  }

  return {
    appid: options.appid,
    clock: options.clock ?? Date.now,
    async post(what, path, body, callOptions) {
      const payload = JSON.stringify(body);
      return tokens.withToken((token) => once(what, path, payload, token, callOptions));
    },
  };
}
