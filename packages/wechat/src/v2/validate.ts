import { isIP } from 'node:net';
import { WxPayValidationError } from '../errors.js';

/**
 * Request checks made before anything is signed or sent: a value WeChat would refuse is a WxPayValidationError
 * naming the field, and no request leaves the process.
 */

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{1,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const CHINA_OFFSET_MS = 8 * 3600 * 1000;

export function checkOutTradeNo(value: string, field = 'out_trade_no'): void {
  if (typeof value !== 'string' || !OUT_TRADE_NO.test(value)) {
    throw new WxPayValidationError(field, 'must be 1-32 characters of 0-9 A-Z a-z _ - | *');
  }
}

export function checkOutRefundNo(value: string): void {
  if (typeof value !== 'string' || !OUT_REFUND_NO.test(value)) {
    throw new WxPayValidationError('out_refund_no', 'must be 1-64 characters of 0-9 A-Z a-z _ - | * @');
  }
}

/** Money: a positive safe integer number of fen. */
export function checkFen(value: number, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new WxPayValidationError(field, 'must be a positive integer number of fen');
  }
}

export function checkBytes(value: string | undefined, field: string, max: number, required = false): void {
  if (value === undefined || value === '') {
    if (required) throw new WxPayValidationError(field, 'required');
    return;
  }
  if (typeof value !== 'string') throw new WxPayValidationError(field, 'must be a string');
  if (Buffer.byteLength(value, 'utf8') > max) throw new WxPayValidationError(field, `must be at most ${max} bytes`);
}

export function checkChars(value: string | undefined, field: string, max: number, required = false): void {
  if (value === undefined || value === '') {
    if (required) throw new WxPayValidationError(field, 'required');
    return;
  }
  if (typeof value !== 'string') throw new WxPayValidationError(field, 'must be a string');
  if (Array.from(value).length > max) throw new WxPayValidationError(field, `must be at most ${max} characters`);
}

/** notify_url: absolute http(s), no query string (WeChat drops it) and no fragment, ≤ 256 characters. */
export function checkNotifyUrl(value: string | undefined, required: boolean): void {
  if (value === undefined || value === '') {
    if (required) throw new WxPayValidationError('notify_url', 'required');
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WxPayValidationError('notify_url', 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WxPayValidationError('notify_url', 'must be http or https');
  if (value.includes('?') || value.includes('#')) throw new WxPayValidationError('notify_url', 'must not have a query string or fragment');
  if (url.username || url.password) throw new WxPayValidationError('notify_url', 'must not carry credentials');
  if (value.length > 256) throw new WxPayValidationError('notify_url', 'must be at most 256 characters');
}

export function checkIp(value: string): void {
  if (typeof value !== 'string' || isIP(value) === 0) throw new WxPayValidationError('spbill_create_ip', 'must be an IPv4 or IPv6 address');
}

/** Format an instant as WeChat's `yyyyMMddHHmmss` in China time (UTC+8), whatever the host's time zone. */
export function formatChinaTime(instant: Date | number): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!Number.isFinite(ms)) throw new WxPayValidationError('time', 'not a valid instant');
  const d = new Date(ms + CHINA_OFFSET_MS);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** Read `yyyyMMddHHmmss` (China time) back into epoch milliseconds; undefined unless it names a real moment. */
export function parseChinaTime(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - CHINA_OFFSET_MS;
  // Round-trip to refuse 20240231… and 246060.
  return formatChinaTime(ms) === value ? ms : undefined;
}

/** A time field given as a Date/epoch ms (formatted in China time) or as a `yyyyMMddHHmmss` string (checked). */
export function chinaTimeField(value: Date | number | string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    if (parseChinaTime(value) === undefined) throw new WxPayValidationError(field, 'must be yyyyMMddHHmmss (China time)');
    return value;
  }
  if (typeof value === 'number' ? !Number.isFinite(value) : Number.isNaN(value.getTime())) {
    throw new WxPayValidationError(field, 'not a valid instant');
  }
  return formatChinaTime(value);
}

/** `yyyyMMdd` naming a real day. */
export function checkBillDate(value: string): void {
  if (typeof value !== 'string' || !/^\d{8}$/.test(value) || parseChinaTime(`${value}000000`) === undefined) {
    throw new WxPayValidationError('bill_date', 'must be yyyyMMdd');
  }
}
