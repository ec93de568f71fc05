import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { WxPayNetworkError, WxPayProtocolError } from '../errors.js';

/** What the client needs from fetch; undici's fetch (the default) and Node's global fetch both fit. */
export type V2FetchInit = {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  dispatcher?: Dispatcher;
};
export type V2FetchResponse = {
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
};
export type V2Fetch = (url: string, init: V2FetchInit) => Promise<V2FetchResponse>;

export const defaultFetch: V2Fetch = (url, init) => undiciFetch(url, init) as unknown as Promise<V2FetchResponse>;

// Errors that mean the connection was never made, so the request cannot have reached WeChat.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
]);

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export type SendOptions = {
  fetch: V2Fetch;
  url: string;
  body: string;
  timeoutMs: number;
  maxResponseBytes: number;
  dispatcher?: Dispatcher | undefined;
};

/** A raw HTTP answer: status and body bytes (size-capped). */
export type RawAnswer = { status: number; body: Buffer; contentType: string | null };

/**
 * One POST. Network failures become WxPayNetworkError with outcomeUnknown = false only when the connection was
 * certainly never made; a timeout or a reset after sending may have reached WeChat.
 */
export async function send(options: SendOptions): Promise<RawAnswer> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: V2FetchResponse;
  try {
    const init: V2FetchInit = {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml, text/plain, */*' },
      body: options.body,
      signal,
    };
    if (options.dispatcher) init.dispatcher = options.dispatcher;
    response = await options.fetch(options.url, init);
  } catch (cause) {
    if (signal.aborted) throw new WxPayNetworkError(`no answer within ${options.timeoutMs} ms`, { outcomeUnknown: true, code: 'TIMEOUT', cause });
    const code = errorCode(cause);
    const notSent = code !== undefined && NOT_SENT_CODES.has(code);
    throw new WxPayNetworkError(`request failed${code ? ` (${code})` : ''}`, { outcomeUnknown: !notSent, code: code ?? 'NETWORK_ERROR', cause });
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > options.maxResponseBytes) throw new WxPayProtocolError(`response larger than ${options.maxResponseBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > options.maxResponseBytes) throw new WxPayProtocolError(`response larger than ${options.maxResponseBytes} bytes`);
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    }
  } catch (cause) {
    if (cause instanceof WxPayProtocolError) throw cause;
    if (signal.aborted) throw new WxPayNetworkError(`no complete answer within ${options.timeoutMs} ms`, { outcomeUnknown: true, code: 'TIMEOUT', cause });
    throw new WxPayNetworkError('connection lost while reading the answer', { outcomeUnknown: true, cause });
  }
  return { status: response.status, body: Buffer.concat(chunks, size), contentType: response.headers.get('content-type') };
}
