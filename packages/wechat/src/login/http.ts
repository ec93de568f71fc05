import { WxPayApiError, WxPayNetworkError, WxPayProtocolError } from '../errors.js';
import { defaultTransportFetch, exchange, type TransportFetch } from '../transport/http.js';
import { resolveCallOptions, type WxPayRequestOptions } from '../transport/options.js';
import { defaultRandom, realSleep, withRetries, type RandomSource, type RetryPolicy, type Sleep } from '../transport/retry.js';

/** What the login clients need from fetch; undici's fetch (default) and Node's global fetch both fit. */
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

/**
 * One call to api.weixin.qq.com returning its JSON object, through the SDK's one transport. The URL carries the
 * AppSecret, so neither the URL nor the body ever appears in an error message (and the low-level cause, which may
 * quote the URL, is dropped). Retries happen only when the call asks for them (`retries`), and only for a request
 * that certainly never left: a wx.login code is single-use, so resending one that may have landed could only fail.
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
  const answer = await withRetries(() => exchange({
    fetch: fetchImpl as unknown as TransportFetch,
    url,
    method: init.method,
    headers: init.headers ?? {},
    body: init.body,
    what,
    timeoutMs: call.timeoutMs,
    signal: call.signal,
    maxResponseBytes: MAX_ANSWER_BYTES,
    dropCause: true,
  }), {
    policy: { ...LOGIN_RETRY, attempts: call.attempts },
    retriable: (error) => error instanceof WxPayNetworkError && !error.outcomeUnknown,
    sleep: settings.sleep ?? realSleep,
    random: settings.random ?? defaultRandom,
    signal: call.signal,
  });
  const status = answer.status;
  if (status >= 500) throw new WxPayApiError(`${what}: HTTP ${status}`, { code: `HTTP_${status}`, status, retriable: true });
  if (status < 200 || status >= 300) throw new WxPayApiError(`${what}: HTTP ${status}`, { code: `HTTP_${status}`, status });
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8'));
  } catch {
    throw new WxPayProtocolError(`${what}: answer is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new WxPayProtocolError(`${what}: answer is not a JSON object`);
  const body = json as Record<string, unknown>;
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
