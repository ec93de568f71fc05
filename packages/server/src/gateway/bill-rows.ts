/**
 * WeChat's trade bill lines (v2 downloadbill and v3 tradebill share the layout and the Chinese column names) to the
 * domain's BillRow. Columns are looked up by name because their set differs by bill type and has grown over the
 * years; amounts go through the SDK's exact yuan → fen conversion, never floating point.
 */
import { WxPayProtocolError, yuanToFen } from '@wxpay-kit/wechat';
import type { BillRow } from '../ports/gateway.js';

const CHINA_OFFSET_MS = 8 * 3600_000;

/** `2026-11-26 10:00:00` (China time, as bills print it) to epoch ms; undefined when it is not one. */
export function parseBillTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // A round trip refuses 02-31 and 25:00 rather than rolling them over.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h) return undefined;
  return ms - CHINA_OFFSET_MS;
}

function text(raw: Readonly<Record<string, string>>, ...columns: string[]): string | undefined {
  for (const c of columns) {
    const v = raw[c]?.trim();
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function fen(raw: Readonly<Record<string, string>>, ...columns: string[]): number | undefined {
  for (const c of columns) {
    const v = raw[c]?.trim();
    if (v !== undefined && v !== '') return yuanToFen(v, c);
  }
  return undefined;
}

/**
 * One bill line by its header names. Throws WxPayProtocolError when a line lacks what reconciliation needs (a bill we
 * cannot read must fail the run, not silently shrink it).
 */
export function toBillRow(raw: Readonly<Record<string, string>>): BillRow {
  const tradeState = text(raw, '交易状态');
  const outTradeNo = text(raw, '商户订单号');
  const transactionId = text(raw, '微信订单号');
  const timeText = text(raw, '交易时间');
  const time = timeText === undefined ? undefined : parseBillTime(timeText);
  // 订单金额 is the order total; older bills only carry 应结订单金额 (+ 代金券金额, the non-settled coupon part).
  const orderTotal = fen(raw, '订单金额');
  const settled = fen(raw, '应结订单金额', '总金额');
  const totalFen = orderTotal ?? (settled === undefined ? undefined : settled + (fen(raw, '代金券金额', '代金券或立减优惠金额') ?? 0));
  if (tradeState === undefined || outTradeNo === undefined || transactionId === undefined || time === undefined || totalFen === undefined) {
    throw new WxPayProtocolError('bill line lacks 交易状态, 商户订单号, 微信订单号, 交易时间 or an amount');
  }
  const row: BillRow = {
    tradeState,
    appid: text(raw, '公众账号ID') ?? '',
    mchid: text(raw, '商户号') ?? '',
    outTradeNo,
    transactionId,
    totalFen,
    time,
  };
  if (tradeState === 'REFUND') {
    const refundFen = fen(raw, '退款金额');
    const outRefundNo = text(raw, '商户退款单号');
    if (refundFen === undefined || outRefundNo === undefined) throw new WxPayProtocolError('bill refund line lacks 退款金额 or 商户退款单号');
    row.refundFen = refundFen;
    row.outRefundNo = outRefundNo;
    const refundId = text(raw, '微信退款单号');
    if (refundId !== undefined) row.refundId = refundId;
    const refundStatus = text(raw, '退款状态');
    if (refundStatus !== undefined) row.refundStatus = refundStatus;
  }
  return row;
}

/** `YYYY-MM-DD`, a real calendar date. */
export function isBillDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}
