import { WxPayApiError, WxPayProtocolError } from '../errors.js';
import type { ResponseHeaders } from '../transport/http.js';

/** A v3 answer exactly as received: the body is kept as bytes because signatures cover the raw bytes. */
export type V3RawResponse = {
  status: number;
  /** A fetch `Headers`, or anything with its get/has. */
  headers: ResponseHeaders;
  body: Buffer;
  requestId: string | undefined;
};

export type V3ErrorBody = { code: string; message: string; detail?: unknown };

type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a JSON object; anything else (array, scalar, invalid JSON) is a protocol error. */
export function parseJsonObject(body: Buffer | string, what: string, requestId?: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (cause) {
    throw new WxPayProtocolError(`${what} is not valid JSON`, { cause, requestId });
  }
  if (!isJsonObject(value)) throw new WxPayProtocolError(`${what} is not a JSON object`, { requestId });
  return value;
}

/** Codes WeChat documents as "try again with the same parameters". */
const RETRIABLE_CODES = new Set(['SYSTEM_ERROR', 'FREQUENCY_LIMITED', 'BANK_ERROR', 'SYSTEMERROR']);

/** Maps a non-2xx v3 answer `{code, message, detail}` to a typed error, keeping the HTTP status and Request-ID. */
export function v3ApiError(raw: V3RawResponse): WxPayApiError {
  let code = `HTTP_${raw.status}`;
  let description: string | undefined;
  try {
    const body = parseJsonObject(raw.body, 'error body');
    if (typeof body.code === 'string' && body.code.length > 0) code = body.code;
    if (typeof body.message === 'string') description = body.message.slice(0, 256);
  } catch {
    // An unparseable error body (a proxy's HTML page) still yields a status-based error; the body is not echoed.
  }
  const retriable = raw.status >= 500 || raw.status === 429 || RETRIABLE_CODES.has(code);
  return new WxPayApiError(`WeChat Pay v3 answered ${raw.status} ${code}${description ? `: ${description}` : ''}`, {
    code,
    description,
    status: raw.status,
    retriable,
    requestId: raw.requestId,
  });
}
