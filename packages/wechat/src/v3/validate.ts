import { WxPayValidationError } from '../errors.js';
import { parseRfc3339 } from './time.js';

/**
 * Request checks done before anything is sent: WeChat would refuse these, and some (a float amount) must never
 * reach it at all. Limits follow PROTOCOL.md §3.4/§3.7; where pages disagree the stricter reading is used.
 */

export function requireString(value: unknown, field: string, maxBytes: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0) throw new WxPayValidationError(field, 'is required');
  if (Buffer.byteLength(value, 'utf8') > maxBytes) throw new WxPayValidationError(field, `must be at most ${maxBytes} bytes`);
  if (pattern !== undefined && !pattern.test(value)) throw new WxPayValidationError(field, 'has characters WeChat does not accept');
  return value;
}

export function optionalString(value: unknown, field: string, maxBytes: number): string | undefined {
  return value === undefined ? undefined : requireString(value, field, maxBytes);
}

/** out_trade_no: 6-32 of [0-9A-Za-z_-|*] (the strictest of the documented variants). */
export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
/** out_refund_no: up to 64 of [0-9A-Za-z_-|*@]. */
export const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

export function requireFen(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new WxPayValidationError(field, 'must be a positive integer number of fen');
  }
  return value;
}

export function requireRfc3339(value: unknown, field: string): string {
  if (typeof value !== 'string' || parseRfc3339(value) === undefined) {
    throw new WxPayValidationError(field, 'must be an RFC 3339 time with offset, e.g. 2026-01-01T12:00:00+08:00');
  }
  return value;
}

/**
 * notify_url: absolute, no query string, at most 255 bytes, https. Plain http is accepted only when the client
 * talks to a sandbox (`allowHttp`), because the sandbox runs on 127.0.0.1 without TLS.
 */
export function requireNotifyUrl(value: unknown, field: string, allowHttp: boolean): string {
  const text = requireString(value, field, 255);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WxPayValidationError(field, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new WxPayValidationError(field, allowHttp ? 'must be an http(s) URL' : 'must be an https URL');
  }
  if (url.search !== '' || text.includes('?')) throw new WxPayValidationError(field, 'must not carry a query string');
  if (url.username !== '' || url.password !== '' || url.hash !== '') throw new WxPayValidationError(field, 'must be a plain URL');
  return text;
}

/** bill_date: `YYYY-MM-DD`, a real calendar day. */
export function requireBillDate(value: unknown, field = 'bill_date'): string {
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
  // Date.parse rolls 02-31 into March; a round trip catches it.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new WxPayValidationError(field, 'must be a date YYYY-MM-DD');
  }
  return value;
}
