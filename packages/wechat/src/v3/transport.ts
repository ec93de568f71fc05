import { WxPayApiError, WxPayError, WxPayNetworkError, WxPayProtocolError } from '../errors.js';
import type { V3Clock, V3Signer } from './auth.js';
import { v3ApiError } from './http.js';
import type { V3RawResponse } from './http.js';
import { verifyV3Response } from './verifier.js';
import type { Verifier } from './verifier.js';

export type V3FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Same shape as the v2 client's retry policy. */
export type V3RetryOptions = {
  /** Total tries, 1-10 (default 3). Only network faults, HTTP 5xx and SYSTEM_ERROR are retried automatically. */
  attempts?: number | undefined;
  /** First backoff delay; doubled per retry. Default 200 ms. */
  backoffMs?: number | undefined;
};

export type V3TransportOptions = {
  baseUrl: string;
  signer: V3Signer;
  /** Verifies 2xx answers; undefined only for the certificate download, which is verified by its own rules. */
  verifier: Verifier;
  clock: V3Clock;
  timeoutMs: number;
  retry: V3RetryOptions;
  /** How the backoff waits; injected so tests never sleep. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  fetch: V3FetchLike;
  userAgent: string;
  /** Sent as `Wechatpay-Serial` so WeChat answers with the key we hold (public-key mode, migration). */
  wechatpaySerial?: string | undefined;
};

export type V3RequestOptions = {
  /** Skip the answer's signature check: only for downloads WeChat does not sign (bill files) and /v3/certificates. */
  unverified?: boolean;
  maxBytes?: number;
  accept?: string;
};

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readCapped(res: Response, maxBytes: number, requestId: string | undefined): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new WxPayProtocolError(`answer exceeds ${maxBytes} bytes`, { requestId });
  if (res.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new WxPayProtocolError(`answer exceeds ${maxBytes} bytes`, { requestId });
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/** Connection refused before anything was sent: the request certainly did not land. */
function certainlyNotSent(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return true;
    e = e.cause;
  }
  return false;
}

/** Signs, sends, reads (size capped) and, for 2xx answers, verifies the signature on the raw bytes. */
export class V3Transport {
  readonly #o: V3TransportOptions;

  constructor(options: V3TransportOptions) {
    this.#o = options;
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  /** One signed exchange without retries; returns the raw answer (verified when 2xx unless `unverified`). */
  async once(method: string, pathOrUrl: string, body: string | undefined, options: V3RequestOptions = {}): Promise<V3RawResponse> {
    const url = pathOrUrl.startsWith('/') ? `${this.#o.baseUrl}${pathOrUrl}` : pathOrUrl;
    const headers: Record<string, string> = {
      Accept: options.accept ?? 'application/json',
      'User-Agent': this.#o.userAgent,
      Authorization: this.#o.signer.authorization({ method, url, body: body ?? '' }),
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.#o.wechatpaySerial !== undefined) headers['Wechatpay-Serial'] = this.#o.wechatpaySerial;
    let res: Response;
    try {
      res = await this.#o.fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.#o.timeoutMs), redirect: 'error' });
    } catch (cause) {
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      throw new WxPayNetworkError(timedOut ? `${method} ${new URL(url).pathname} timed out` : `${method} ${new URL(url).pathname} failed to connect`, {
        outcomeUnknown: !certainlyNotSent(cause),
        code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        cause,
      });
    }
    const requestId = res.headers.get('request-id') ?? undefined;
    let raw: V3RawResponse;
    try {
      raw = { status: res.status, headers: res.headers, body: await readCapped(res, options.maxBytes ?? 1024 * 1024, requestId), requestId };
    } catch (cause) {
      if (cause instanceof WxPayError) throw cause;
      throw new WxPayNetworkError(`${method} ${new URL(url).pathname}: answer interrupted`, { outcomeUnknown: true, cause, requestId });
    }
    if (raw.status >= 200 && raw.status < 300 && options.unverified !== true) {
      // Nothing from a 2xx answer is read before its signature checks out on the raw bytes.
      await verifyV3Response(raw.headers, raw.body, { verifier: this.#o.verifier, clock: this.#o.clock, requestId });
    }
    return raw;
  }

  /**
   * A call with retries. v3 writes are idempotent by their keys (out_trade_no, out_refund_no), so resending the same
   * body is what WeChat asks for; each attempt is signed afresh (new timestamp and nonce). Only network faults,
   * HTTP 5xx and SYSTEM_ERROR are retried here; 429 FREQUENCY_LIMITED is marked retriable but left to the caller to
   * schedule (an immediate retry would be limited again). Non-2xx answers become WxPayApiError.
   */
  async call(method: string, pathOrUrl: string, body?: string, options: V3RequestOptions = {}): Promise<V3RawResponse> {
    const attempts = this.#o.retry.attempts ?? 3;
    const backoffMs = this.#o.retry.backoffMs ?? 200;
    const sleep = this.#o.sleep ?? sleepReal;
    for (let attempt = 1; ; attempt++) {
      try {
        const raw = await this.once(method, pathOrUrl, body, options);
        if (raw.status >= 200 && raw.status < 300) return raw;
        throw v3ApiError(raw);
      } catch (error) {
        if (attempt >= attempts || !autoRetriable(error)) throw error;
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  }
}

function autoRetriable(error: unknown): boolean {
  if (error instanceof WxPayNetworkError) return true;
  if (error instanceof WxPayApiError) return error.status !== undefined && error.status >= 500 || error.code === 'SYSTEM_ERROR';
  return false;
}
