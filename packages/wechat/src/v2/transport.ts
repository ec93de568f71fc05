import type { Dispatcher } from 'undici';
import { defaultTransportFetch, exchange, type TransportFetch } from '../transport/http.js';

/** What the client needs from a fetch: undici's and Node's global fetch fit (the default is undici's request()). */
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

export const defaultFetch: V2Fetch = defaultTransportFetch as unknown as V2Fetch;

export type SendOptions = {
  fetch: V2Fetch;
  url: string;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  maxResponseBytes: number;
  dispatcher?: Dispatcher | undefined;
};

/** A raw HTTP answer: status and body bytes (size-capped). */
export type RawAnswer = { status: number; body: Buffer; contentType: string | null };

/** One POST of a signed v2 document through the shared transport (../transport/http.ts). */
export async function send(options: SendOptions): Promise<RawAnswer> {
  const answer = await exchange({
    fetch: options.fetch as unknown as TransportFetch,
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml, text/plain, */*' },
    body: options.body,
    what: `POST ${new URL(options.url).pathname}`,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    maxResponseBytes: options.maxResponseBytes,
    dispatcher: options.dispatcher,
  });
  return { status: answer.status, body: answer.body, contentType: answer.headers.get('content-type') };
}
