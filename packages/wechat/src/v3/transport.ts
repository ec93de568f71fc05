import { WxPayApiError, WxPayNetworkError } from '../errors.js';
import type { V3Clock, V3Signer } from './auth.js';
import { v3ApiError } from './http.js';
import type { V3RawResponse } from './http.js';
import { verifyV3Response } from './verifier.js';
import type { Verifier } from './verifier.js';
import { defaultTransportFetch, exchange, type TransportFetch } from '../transport/http.js';
import { resolveCallOptions, type WxPayRequestOptions } from '../transport/options.js';
import { withRetries, type RandomSource, type RetryPolicy, type Sleep } from '../transport/retry.js';

export type V3FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Same shape as the v2 client's retry policy. */
export type V3RetryOptions = {
  /** Total tries, 1-10 (default 3). Only never-sent network faults, HTTP 5xx and SYSTEM_ERROR are retried. */
  attempts?: number | undefined;
  /**
   * Base of the backoff (default 200 ms): before retry n the wait is drawn uniformly (full jitter) between
   * minBackoffMs and min(maxBackoffMs, backoffMs × 2^(n−1)).
   */
  backoffMs?: number | undefined;
  /** Shortest wait before a retry (default 50 ms, or backoffMs when smaller). */
  minBackoffMs?: number | undefined;
  /** Longest wait before a retry (default 5000 ms). */
  maxBackoffMs?: number | undefined;
};

export type V3TransportOptions = {
  baseUrl: string;
  signer: V3Signer;
  /** Verifies 2xx answers; undefined only for the certificate download, which is verified by its own rules. */
  verifier: Verifier;
  clock: V3Clock;
  timeoutMs: number;
  retry: RetryPolicy;
  /** How the backoff waits; injected so tests never sleep. */
  sleep: Sleep;
  random: RandomSource;
  fetch?: V3FetchLike | undefined;
  userAgent: string;
  /** Sent as `Wechatpay-Serial` so WeChat answers with the key we hold (public-key mode, migration). */
  wechatpaySerial?: string | undefined;
};

export type V3RequestOptions = WxPayRequestOptions & {
  /** Skip the answer's signature check: only for downloads WeChat does not sign (bill files) and /v3/certificates. */
  unverified?: boolean;
  maxBytes?: number;
  accept?: string;
};

/**
 * WeChat refuses a request whose Authorization timestamp is more than 5 minutes old. A retry resends the request it
 * signed as it is while the signature is younger than this; only an older one is signed again.
 */
const RESIGN_AFTER_MS = 4 * 60 * 1000;

/** Signs, sends (through the shared transport), reads (size capped) and, for 2xx answers, verifies on the raw bytes. */
export class V3Transport {
  readonly #o: V3TransportOptions;
  readonly #fetch: TransportFetch;

  constructor(options: V3TransportOptions) {
    this.#o = options;
    this.#fetch = (options.fetch as unknown as TransportFetch | undefined) ?? defaultTransportFetch;
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  #url(pathOrUrl: string): string {
    return pathOrUrl.startsWith('/') ? `${this.#o.baseUrl}${pathOrUrl}` : pathOrUrl;
  }

  #headers(method: string, url: string, body: string | undefined, options: V3RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: options.accept ?? 'application/json',
      'User-Agent': this.#o.userAgent,
      Authorization: this.#o.signer.authorization({ method, url, body: body ?? '' }),
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.#o.wechatpaySerial !== undefined) headers['Wechatpay-Serial'] = this.#o.wechatpaySerial;
    return headers;
  }

  async #send(method: string, url: string, headers: Record<string, string>, body: string | undefined, options: V3RequestOptions, timeoutMs: number, signal: AbortSignal | undefined): Promise<V3RawResponse> {
    const answer = await exchange({
      fetch: this.#fetch,
      url,
      method,
      headers,
      body,
      what: `${method} ${new URL(url).pathname}`,
      timeoutMs,
      signal,
      maxResponseBytes: options.maxBytes ?? 1024 * 1024,
      noRedirect: true,
      requestIdHeader: 'request-id',
    });
    const raw: V3RawResponse = { status: answer.status, headers: answer.headers, body: answer.body, requestId: answer.requestId };
    if (raw.status >= 200 && raw.status < 300 && options.unverified !== true) {
      // Nothing from a 2xx answer is read before its signature checks out on the raw bytes.
      await verifyV3Response(raw.headers, raw.body, { verifier: this.#o.verifier, clock: this.#o.clock, requestId: raw.requestId });
    }
    return raw;
  }

  /** One signed exchange without retries; returns the raw answer (verified when 2xx unless `unverified`). */
  async once(method: string, pathOrUrl: string, body: string | undefined, options: V3RequestOptions = {}): Promise<V3RawResponse> {
    const url = this.#url(pathOrUrl);
    const call = resolveCallOptions(options, { timeoutMs: this.#o.timeoutMs, attempts: 1 });
    return this.#send(method, url, this.#headers(method, url, body, options), body, options, call.timeoutMs, call.signal);
  }

  /**
   * A call with retries of what is safe to resend: a request that certainly never left, HTTP 5xx and SYSTEM_ERROR
   * (WeChat: "retry with the same parameters"). v3 writes are idempotent by their keys (out_trade_no, out_refund_no);
   * a retry resends the identical request — body and Authorization — and signs again only when that signature would
   * be too old for WeChat's 5-minute window. 429 FREQUENCY_LIMITED is marked retriable but left to the caller to
   * schedule (an immediate retry would be limited again); a timeout or reset may have landed and is the caller's to
   * resolve. Non-2xx answers become WxPayApiError.
   */
  async call(method: string, pathOrUrl: string, body?: string, options: V3RequestOptions = {}): Promise<V3RawResponse> {
    const url = this.#url(pathOrUrl);
    const call = resolveCallOptions(options, { timeoutMs: this.#o.timeoutMs, attempts: this.#o.retry.attempts });
    let headers = this.#headers(method, url, body, options);
    let signedAt = this.#o.clock();
    return withRetries(async (attempt) => {
      if (attempt > 1 && this.#o.clock() - signedAt > RESIGN_AFTER_MS) {
        headers = this.#headers(method, url, body, options);
        signedAt = this.#o.clock();
      }
      const raw = await this.#send(method, url, headers, body, options, call.timeoutMs, call.signal);
      if (raw.status >= 200 && raw.status < 300) return raw;
      throw v3ApiError(raw);
    }, { policy: { ...this.#o.retry, attempts: call.attempts }, retriable: autoRetriable, sleep: this.#o.sleep, random: this.#o.random, signal: call.signal });
  }
}

function autoRetriable(error: unknown): boolean {
  if (error instanceof WxPayNetworkError) return !error.outcomeUnknown;
  if (error instanceof WxPayApiError) return (error.status !== undefined && error.status >= 500) || error.code === 'SYSTEM_ERROR';
  return false;
}
