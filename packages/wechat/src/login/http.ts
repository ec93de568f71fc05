import { WxPayApiError, WxPayNetworkError, WxPayProtocolError } from '../errors.js';
import { defaultTransportFetch, exchange, type TransportFetch } from '../transport/http.js';
import { resolveCallOptions, type WxPayRequestOptions } from '../transport/options.js';
import { defaultRandom, realSleep, withRetries, type RandomSource, type RetryPolicy, type Sleep } from '../transport/retry.js';

/** What the login clients need from a fetch: undici's and Node's global fetch fit (the default is undici's request()). */
export type LoginFetchInit = { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; signal: AbortSignal };
export type LoginFetchResponse = { status: number; text(): Promise<string> };
export type LoginFetch = (url: string, init: LoginFetchInit) => Promise<LoginFetchResponse>;

export const defaultLoginFetch: LoginFetch = defaultTransportFetch as unknown as LoginFetch;

export const WECHAT_API_BASE = 'https://api.weixin.qq.com';

/** WeChat errcodes where the same call may succeed later. */
const RETRIABLE_ERRCODES = new Set([-1, 45011, 45009]);

const MAX_ANSWER_BYTES = 64 * 1024;

/** How login calls retry: never on their own (attempts 1) unless a call asks, and then only never-sent faults. */
const LOGIN_RETRY: RetryPolicy = { attempts: 1, baseDelayMs: 200, minDelayMs: 50, maxDelayMs: 2_000 };

export type LoginCallSettings = { sleep?: Sleep | undefined; random?: RandomSource | undefined };

/** One request to api.weixin.qq.com, as both the login and the mini-program clients send it. */
export type WeixinRequest = {
  fetch: LoginFetch;
  what: string;
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  /** The call's resolved options: per-try timeout, attempts and abort signal. */
  call: { timeoutMs: number; attempts: number; signal?: AbortSignal | undefined };
  policy: RetryPolicy;
  maxResponseBytes: number;
  sleep?: Sleep | undefined;
  random?: RandomSource | undefined;
};

/**
 * Sends through the SDK's one transport and reads api.weixin.qq.com's answer as a JSON object (`raw` is its exact
 * text). Both URLs carry a secret (AppSecret or access_token), so the low-level cause, which may quote the URL, is
 * dropped. Retries only a request that certainly never left. errcode answers are the caller's to interpret.
 */
export async function sendToWeixin(request: WeixinRequest): Promise<{ body: Record<string, unknown>; raw: string }> {
  const { what, call } = request;
  const answer = await withRetries(() => exchange({
    fetch: request.fetch as unknown as TransportFetch,
    url: request.url,
    method: request.method,
    headers: request.headers ?? {},
    body: request.body,
    what,
    timeoutMs: call.timeoutMs,
    signal: call.signal,
    maxResponseBytes: request.maxResponseBytes,
    dropCause: true,
  }), {
    policy: { ...request.policy, attempts: call.attempts },
    retriable: (error) => error instanceof WxPayNetworkError && !error.outcomeUnknown,
    sleep: request.sleep ?? realSleep,
    random: request.random ?? defaultRandom,
    signal: call.signal,
  });
  const status = answer.status;
  if (status >= 500) throw new WxPayApiError(`${what}: HTTP ${status}`, { code: `HTTP_${status}`, status, retriable: true });
  if (status < 200 || status >= 300) throw new WxPayApiError(`${what}: HTTP ${status}`, { code: `HTTP_${status}`, status });
  const raw = answer.body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new WxPayProtocolError(`${what}: answer is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new WxPayProtocolError(`${what}: answer is not a JSON object`);
  return { body: json as Record<string, unknown>, raw };
}

/**
 * One login call to api.weixin.qq.com returning its JSON object. The URL carries the AppSecret, so neither the URL
 * nor the body ever appears in an error message. Retries happen only when the call asks for them (`retries`), and
 * only for a request that certainly never left: a wx.login code is single-use, so resending one that may have landed
 * could only fail.
 */
export async function callWeChatJson(
  fetchImpl: LoginFetch,
  what: string,
  url: string,
  init: Omit<LoginFetchInit, 'signal'>,
  timeoutMs: number,
  callOptions?: WxPayRequestOptions,
  settings: LoginCallSettings = {},
): Promise<Record<string, unknown>> {
  const call = resolveCallOptions(callOptions, { timeoutMs, attempts: LOGIN_RETRY.attempts });
  const { body } = await sendToWeixin({
    fetch: fetchImpl,
    what,
    url,
    method: init.method,
    headers: init.headers,
    body: init.body,
    call,
    policy: LOGIN_RETRY,
    maxResponseBytes: MAX_ANSWER_BYTES,
    sleep: settings.sleep,
    random: settings.random,
  });
  // Older answers carry errcode 0 on success; a missing errcode is success too.
  const errcode = body.errcode;
  if (errcode !== undefined && errcode !== 0) {
    const n = typeof errcode === 'number' ? errcode : Number(errcode);
    const errmsg = typeof body.errmsg === 'string' ? body.errmsg.slice(0, 200) : undefined;
    throw new WxPayApiError(`${what}: WeChat errcode ${String(errcode)}${errmsg ? ` (${errmsg})` : ''}`, {
      code: String(errcode),
      description: errmsg,
      retriable: RETRIABLE_ERRCODES.has(n),
    });
  }
  return body;
}

export function checkBaseUrl(value: string | undefined): string {
  const base = (value ?? WECHAT_API_BASE).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return '';
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? base : '';
}
