import { request, type Dispatcher } from 'undici';
import { WxPayError, WxPayNetworkError, WxPayProtocolError } from '../errors.js';
import { networkErrorCode, isNeverSentCode } from './never-sent.js';

/**
 * The SDK's one HTTP exchange: v2 (XML, mutual TLS for refunds), v3 (signed JSON) and login (GET/POST JSON) all send
 * through it. One HTTP client (undici's, so a dispatcher can carry the client certificate), one timeout and cancellation
 * path, one "never sent" rule (./never-sent.ts) for `outcomeUnknown`, and one size cap enforced while the answer
 * streams in: reading stops and the connection is torn down as soon as the cap is passed.
 */

export type TransportFetchInit = {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
  redirect?: 'error';
  dispatcher?: Dispatcher;
};

/** Header access as fetch's `Headers` offers it. */
export type ResponseHeaders = { get(name: string): string | null; has(name: string): boolean };

/**
 * What the transport needs from a fetch answer. undici's and Node's global fetch both fit; a test double may offer
 * only `text()` (read whole, then checked against the cap).
 */
export type TransportResponse = {
  status: number;
  headers?: ResponseHeaders | undefined;
  body?: AsyncIterable<Uint8Array> | null | undefined;
  text?: (() => Promise<string>) | undefined;
};

export type TransportFetch = (url: string, init: TransportFetchInit) => Promise<TransportResponse>;

/**
 * The default: undici's request(), not its fetch(). Measured on loopback with an unifiedorder-sized exchange, fetch
 * cost ~280 µs of CPU per call and request() ~80: fetch builds the WHATWG Request, Headers, web streams and a
 * transferable AbortSignal per call. request() follows no redirect (a 3xx is an answer like any other status, so an
 * Authorization header is never sent on), honours the signal, and its body is read under the same cap.
 */
export const defaultTransportFetch: TransportFetch = async (url, init) => {
  const answer = await request(url, {
    method: init.method as Dispatcher.HttpMethod,
    headers: init.headers,
    body: init.body,
    signal: init.signal,
    ...(init.dispatcher === undefined ? {} : { dispatcher: init.dispatcher }),
  });
  return { status: answer.statusCode, headers: headersOf(answer.headers), body: answer.body };
};

function headersOf(raw: Record<string, string | string[] | undefined>): ResponseHeaders {
  const value = (name: string): string | null => {
    const found = raw[name.toLowerCase()];
    if (found === undefined) return null;
    return Array.isArray(found) ? found.join(', ') : found;
  };
  return { get: value, has: (name) => value(name) !== null };
}

export type ExchangeRequest = {
  fetch: TransportFetch;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** For messages: names the call without anything secret (never the URL when it carries a secret). */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  maxResponseBytes: number;
  dispatcher?: Dispatcher | undefined;
  /** Refuse redirects (v3: the Authorization header must not follow one). */
  noRedirect?: boolean | undefined;
  /** Keep the low-level cause off the error (login: undici errors may quote the URL, which holds the AppSecret). */
  dropCause?: boolean | undefined;
  /** The request id header to copy onto errors (v3: Request-ID). */
  requestIdHeader?: string | undefined;
};

const EMPTY_HEADERS: ResponseHeaders = { get: () => null, has: () => false };

export type ExchangeAnswer = { status: number; headers: ResponseHeaders; body: Buffer; requestId: string | undefined };

class TimeoutReason extends Error {}

/** One HTTP exchange: send, then read the answer under the size cap. Never retries. */
export async function exchange(request: ExchangeRequest): Promise<ExchangeAnswer> {
  if (request.signal?.aborted === true) {
    // Cancelled before anything was sent: certainly never reached WeChat.
    throw new WxPayNetworkError(`${request.what}: aborted by the caller before sending`, { outcomeUnknown: false, code: 'ABORTED', retriable: false });
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimeoutReason('timeout')), request.timeoutMs);
  const callerSignal = request.signal;
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const keep = (cause: unknown) => (request.dropCause === true ? undefined : cause);
  const timedOut = () => controller.signal.aborted && controller.signal.reason instanceof TimeoutReason;
  try {
    let response: TransportResponse;
    try {
      const init: TransportFetchInit = { method: request.method, headers: request.headers, body: request.body, signal: controller.signal };
      if (request.noRedirect === true) init.redirect = 'error';
      if (request.dispatcher !== undefined) init.dispatcher = request.dispatcher;
      response = await request.fetch(request.url, init);
    } catch (cause) {
      if (timedOut()) {
        throw new WxPayNetworkError(`${request.what}: no answer within ${request.timeoutMs} ms`, { outcomeUnknown: true, code: 'TIMEOUT', cause: keep(cause) });
      }
      if (controller.signal.aborted) {
        // Aborted by the caller: the request may have left unless the failure itself proves otherwise.
        throw new WxPayNetworkError(`${request.what}: aborted by the caller`, {
          outcomeUnknown: !isNeverSentCode(networkErrorCode(cause)), code: 'ABORTED', retriable: false, cause: keep(cause),
        });
      }
      const code = networkErrorCode(cause);
      throw new WxPayNetworkError(`${request.what}: request failed${code === undefined ? '' : ` (${code})`}`, {
        outcomeUnknown: !isNeverSentCode(code), code: code ?? 'NETWORK_ERROR', cause: keep(cause),
      });
    }
    const headers = response.headers ?? EMPTY_HEADERS;
    const requestId = request.requestIdHeader === undefined ? undefined : headers.get(request.requestIdHeader) ?? undefined;
    try {
      const body = await readCapped(response, headers, request.maxResponseBytes, controller, request.what, requestId);
      return { status: response.status, headers, body, requestId };
    } catch (cause) {
      if (cause instanceof WxPayError) throw cause;
      // The request was sent and an answer had begun: whatever happened, WeChat may have acted on it.
      if (timedOut()) {
        throw new WxPayNetworkError(`${request.what}: no complete answer within ${request.timeoutMs} ms`, {
          outcomeUnknown: true, code: 'TIMEOUT', cause: keep(cause), requestId,
        });
      }
      if (controller.signal.aborted) {
        throw new WxPayNetworkError(`${request.what}: aborted by the caller`, { outcomeUnknown: true, code: 'ABORTED', retriable: false, cause: keep(cause), requestId });
      }
      throw new WxPayNetworkError(`${request.what}: connection lost while reading the answer`, { outcomeUnknown: true, cause: keep(cause), requestId });
    }
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

async function readCapped(
  response: TransportResponse,
  headers: ResponseHeaders,
  maxBytes: number,
  controller: AbortController,
  what: string,
  requestId: string | undefined,
): Promise<Buffer> {
  const tooLarge = () => new WxPayProtocolError(`${what}: answer larger than ${maxBytes} bytes`, { code: 'RESPONSE_TOO_LARGE', requestId });
  const declared = Number(headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    controller.abort(tooLarge());
    throw tooLarge();
  }
  if (response.body !== undefined && response.body !== null) {
    const chunks: Buffer[] = [];
    let size = 0;
    // Leaving the loop early (the throw below) cancels the stream; the abort also closes the connection, so a peer
    // that keeps sending costs at most one chunk past the cap.
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        controller.abort(tooLarge());
        throw tooLarge();
      }
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return Buffer.concat(chunks, size);
  }
  if (response.text !== undefined) {
    const bytes = Buffer.from(await response.text(), 'utf8');
    if (bytes.length > maxBytes) throw tooLarge();
    return bytes;
  }
  return Buffer.alloc(0);
}
