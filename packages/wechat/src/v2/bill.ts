import { WxPayProtocolError } from '../errors.js';
import { parseWireInt } from '../wire-int.js';

/**
 * The trade bill from downloadbill: CSV text with a header line, detail rows whose every value starts with a
 * backtick (WeChat's guard against spreadsheet mangling), then a summary header and one summary row. Amounts are in
 * yuan; they are converted to integer fen by their decimal digits, never through floating point. Columns are found
 * by their header names, because the column set differs by bill_type and has grown over the years; every value is
 * also kept under its original header in `raw`.
 */

export type V2BillRow = {
  trade_time: string | undefined;
  appid: string | undefined;
  mch_id: string | undefined;
  sub_mch_id: string | undefined;
  device_info: string | undefined;
  transaction_id: string | undefined;
  out_trade_no: string | undefined;
  openid: string | undefined;
  trade_type: string | undefined;
  trade_state: string | undefined;
  bank_type: string | undefined;
  fee_type: string | undefined;
  /** 应结订单金额, fen. */
  settlement_total_fee: number | undefined;
  /** 代金券金额, fen. */
  coupon_fee: number | undefined;
  /** 退款申请时间 / 退款成功时间 (REFUND bills). */
  refund_apply_time: string | undefined;
  refund_success_time: string | undefined;
  refund_id: string | undefined;
  out_refund_no: string | undefined;
  /** 退款金额, fen. */
  refund_fee: number | undefined;
  /** 充值券退款金额, fen. */
  coupon_refund_fee: number | undefined;
  refund_type: string | undefined;
  refund_status: string | undefined;
  body: string | undefined;
  attach: string | undefined;
  /** 手续费, fen. */
  service_fee: number | undefined;
  /** 费率, as printed (e.g. `0.60%`). */
  rate: string | undefined;
  /** 订单金额, fen. */
  total_fee: number | undefined;
  /** 申请退款金额, fen. */
  apply_refund_fee: number | undefined;
  rate_remark: string | undefined;
  raw: Readonly<Record<string, string>>;
};

export type V2BillSummary = {
  /** 总交易单数. */
  trade_count: number;
  /** 应结订单总金额, fen. */
  settlement_total_fee: number | undefined;
  /** 退款总金额, fen. */
  refund_fee: number | undefined;
  /** 充值券退款总金额, fen. */
  coupon_refund_fee: number | undefined;
  /** 手续费总金额, fen. */
  service_fee: number | undefined;
  /** 订单总金额, fen. */
  total_fee: number | undefined;
  /** 申请退款总金额, fen. */
  apply_refund_fee: number | undefined;
  raw: Readonly<Record<string, string>>;
};

export type V2Bill = { headers: readonly string[]; rows: V2BillRow[]; summary: V2BillSummary };

type TextKey = Exclude<{ [K in keyof V2BillRow]: V2BillRow[K] extends string | undefined ? K : never }[keyof V2BillRow], 'raw'>;
type FenKey = { [K in keyof V2BillRow]: V2BillRow[K] extends number | undefined ? K : never }[keyof V2BillRow];

const TEXT_COLUMNS: Readonly<Record<string, TextKey>> = {
  交易时间: 'trade_time',
  公众账号ID: 'appid',
  商户号: 'mch_id',
  特约商户号: 'sub_mch_id',
  子商户号: 'sub_mch_id',
  设备号: 'device_info',
  微信订单号: 'transaction_id',
  商户订单号: 'out_trade_no',
  用户标识: 'openid',
  交易类型: 'trade_type',
  交易状态: 'trade_state',
  付款银行: 'bank_type',
  货币种类: 'fee_type',
  退款申请时间: 'refund_apply_time',
  退款成功时间: 'refund_success_time',
  微信退款单号: 'refund_id',
  商户退款单号: 'out_refund_no',
  退款类型: 'refund_type',
  退款状态: 'refund_status',
  商品名称: 'body',
  商户数据包: 'attach',
  费率: 'rate',
  费率备注: 'rate_remark',
};

const FEN_COLUMNS: Readonly<Record<string, FenKey>> = {
  应结订单金额: 'settlement_total_fee',
  总金额: 'settlement_total_fee',
  代金券金额: 'coupon_fee',
  '代金券或立减优惠金额': 'coupon_fee',
  退款金额: 'refund_fee',
  充值券退款金额: 'coupon_refund_fee',
  '代金券或立减优惠退款金额': 'coupon_refund_fee',
  手续费: 'service_fee',
  订单金额: 'total_fee',
  申请退款金额: 'apply_refund_fee',
};

const SUMMARY_COLUMNS: Readonly<Record<string, Exclude<keyof V2BillSummary, 'raw' | 'trade_count'>>> = {
  应结订单总金额: 'settlement_total_fee',
  总交易额: 'settlement_total_fee',
  退款总金额: 'refund_fee',
  总退款金额: 'refund_fee',
  充值券退款总金额: 'coupon_refund_fee',
  '代金券或立减优惠退款总金额': 'coupon_refund_fee',
  企业红包退款总金额: 'coupon_refund_fee',
  手续费总金额: 'service_fee',
  订单总金额: 'total_fee',
  申请退款总金额: 'apply_refund_fee',
};

/** Yuan text (`12.3`, `0.01`, `-5`, `1.50`) to integer fen, exactly; more than two non-zero decimals is refused. */
export function yuanToFen(text: string, column = 'amount'): number {
  const m = /^(-?)([0-9]+)(?:\.([0-9]{1,6}))?$/.exec(text);
  const yuan = m === null ? undefined : parseWireInt(m[2] ?? '', 15);
  if (m === null || yuan === undefined) throw new WxPayProtocolError(`bill column ${column} is not an amount`);
  const [, sign, , frac = ''] = m;
  if (/[1-9]/.test(frac.slice(2))) throw new WxPayProtocolError(`bill column ${column} has fractions of a fen`);
  const fen = yuan * 100 + Number((frac + '00').slice(0, 2));
  if (!Number.isSafeInteger(fen)) throw new WxPayProtocolError(`bill column ${column} is out of range`);
  return sign === '-' && fen !== 0 ? -fen : fen;
}

function splitHeader(line: string): string[] {
  return line.split(',').map((h) => h.trim());
}

/** A data line: each value starts with '`'; values are separated by ",`" (so a comma inside a value survives). */
function splitValues(line: string): string[] {
  if (!line.startsWith('`')) throw new WxPayProtocolError('bill data line does not start with a backtick');
  const values = line.slice(1).split(',`');
  // The last column is often followed by a stray comma; a trailing empty value is not data.
  const last = values.length - 1;
  if (values[last]?.endsWith(',')) values[last] = (values[last] ?? '').slice(0, -1);
  return values.map((v) => v.trim());
}

function zip(headers: readonly string[], values: readonly string[], what: string): Record<string, string> {
  if (values.length !== headers.length) {
    throw new WxPayProtocolError(`bill ${what} has ${values.length} values for ${headers.length} columns`);
  }
  const out: Record<string, string> = {};
  headers.forEach((h, i) => {
    out[h] = values[i] ?? '';
  });
  return out;
}

/** Parse the text of a trade bill (already gunzipped). Throws WxPayProtocolError when it is not one. */
export function parseV2Bill(text: string): V2Bill {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 3) throw new WxPayProtocolError('bill is too short to be a trade bill');
  const summaryValuesLine = lines[lines.length - 1] ?? '';
  const summaryHeaderLine = lines[lines.length - 2] ?? '';
  const headers = splitHeader(lines[0] ?? '');
  if (!headers.includes('交易时间')) throw new WxPayProtocolError('bill header is missing 交易时间');
  const summaryHeaders = splitHeader(summaryHeaderLine);
  if (!summaryHeaders.includes('总交易单数')) throw new WxPayProtocolError('bill summary header is missing 总交易单数');

  const rows: V2BillRow[] = [];
  for (const line of lines.slice(1, -2)) {
    const raw = zip(headers, splitValues(line), 'row');
    const row = emptyRow(raw);
    for (const [header, value] of Object.entries(raw)) {
      const text = TEXT_COLUMNS[header];
      if (text) {
        row[text] = value === '' ? undefined : value;
        continue;
      }
      const fen = FEN_COLUMNS[header];
      if (fen) row[fen] = value === '' ? undefined : yuanToFen(value, header);
    }
    rows.push(row);
  }

  const summaryRaw = zip(summaryHeaders, splitValues(summaryValuesLine), 'summary');
  const count = parseWireInt(summaryRaw['总交易单数'] ?? '', 12);
  if (count === undefined) throw new WxPayProtocolError('bill summary 总交易单数 is not a count');
  const summary: V2BillSummary = {
    trade_count: count,
    settlement_total_fee: undefined,
    refund_fee: undefined,
    coupon_refund_fee: undefined,
    service_fee: undefined,
    total_fee: undefined,
    apply_refund_fee: undefined,
    raw: summaryRaw,
  };
  for (const [header, value] of Object.entries(summaryRaw)) {
    const key = SUMMARY_COLUMNS[header];
    if (key && value !== '') summary[key] = yuanToFen(value, header);
  }
  // trade_count is not checked against rows.length: WeChat does not document whether refund lines are counted,
  // and refusing a real bill over that would break reconciliation. Callers may compare.
  return { headers, rows, summary };
}

function emptyRow(raw: Record<string, string>): V2BillRow {
  return {
    trade_time: undefined, appid: undefined, mch_id: undefined, sub_mch_id: undefined, device_info: undefined,
    transaction_id: undefined, out_trade_no: undefined, openid: undefined, trade_type: undefined, trade_state: undefined,
    bank_type: undefined, fee_type: undefined, settlement_total_fee: undefined, coupon_fee: undefined,
    refund_apply_time: undefined, refund_success_time: undefined, refund_id: undefined, out_refund_no: undefined, refund_fee: undefined, coupon_refund_fee: undefined,
    refund_type: undefined, refund_status: undefined, body: undefined, attach: undefined, service_fee: undefined,
    rate: undefined, total_fee: undefined, apply_refund_fee: undefined, rate_remark: undefined, raw,
  };
}
