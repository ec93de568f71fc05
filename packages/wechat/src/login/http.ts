import { fetch as undiciFetch } from 'undici';
import { WxPayApiError, WxPayNetworkError, WxPayProtocolError } from '../errors.js';

/** What the login clients need from fetch; undici's fetch (default) and Node's global fetch both fit. */
export type LoginFetchInit = { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; signal: AbortSignal };
export type LoginFetchResponse = { status: number; text(): Promise<string> };
export type LoginFetch = (url: string, init: LoginFetchInit) => Promise<LoginFetchResponse>;

export const defaultLoginFetch: LoginFetch = (url, init) => undiciFetch(url, init) as unknown as Promise<LoginFetchResponse>;

export const WECHAT_API_BASE = 'https://api.weixin.qq.com';

/** WeChat errcodes where the same call may succeed later. */
const RETRIABLE_ERRCODES = new Set([-1, 45011, 45009]);

/**
 * One call to api.weixin.qq.com returning its JSON object. The URL carries the AppSecret, so neither the URL nor the
 * body ever appears in an error message.
 */
export async function callWeChatJson(
  fetchImpl: LoginFetch,
  what: string,
  url: string,
  init: Omit<LoginFetchInit, 'signal'>,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const signal = AbortSignal.timeout(timeoutMs);
  let text: string;
  let status: number;
  try {
    const response = await fetchImpl(url, { ...init, signal });
    status = response.status;
    text = await response.text();
  } catch (cause) {
    // Strip the cause: undici errors may quote the request URL, which holds the secret.
    if (signal.aborted) throw new WxPayNetworkError(`${what}: no answer within ${timeoutMs} ms`, { outcomeUnknown: true, code: 'TIMEOUT' });
    const code = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    const refused = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    throw new WxPayNetworkError(`${what}: request failed${typeof code === 'string' ? ` (${code})` : ''}`, {
      outcomeUnknown: !refused,
      code: typeof code === 'string' ? code : 'NETWORK_ERROR',
    });
  }
  if (status >= 500) throw new WxPayApiError(`${what}: HTTP ${status}`, { code: `HTTP_${status}`, status, retriable: true });
  if (status < 200 || status >= 300) throw new WxPayApiError(`${what}: HTTP ${status}`, { code: `HTTP_${status}`, status });
  if (text.length > 64 * 1024) throw new WxPayProtocolError(`${what}: answer too large`);
  let json: unknown;
  try {
    json = JSON.parse(text);
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
