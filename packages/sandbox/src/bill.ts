import type { PartnerOf, SandboxOrder, SandboxRefund } from './state/types.js';

/**
 * Whose bill: a merchant's mchid (a direct merchant, or one sub-merchant: partner records are stored under the
 * sub-merchant's mchid), or a predicate (a provider's bill over all its sub-merchants).
 */
export type BillOwner = string | ((record: { mchid: string; partner?: PartnerOf }) => boolean);
import { beijingDateTime } from './time.js';

/**
 * Trade bills in WeChat Pay v2's downloadbill format, made from the sandbox's own transactions: a header line, one
 * line per payment or refund of the day with every value prefixed by a backtick (so spreadsheets keep long numbers
 * as text), then a summary header and a summary line. Amounts are in yuan. The fee is modelled as 0.6% rounded to the
 * fen.
 */

export type BillType = 'ALL' | 'SUCCESS' | 'REFUND' | 'RECHARGE_REFUND';

export const BILL_TYPES: readonly BillType[] = ['ALL', 'SUCCESS', 'REFUND', 'RECHARGE_REFUND'];

const FEE_RATE_PERMILLE = 6;
const FEE_RATE_TEXT = '0.60%';

const HEAD_COMMON = ['交易时间', '公众账号ID', '商户号', '特约商户号', '设备号', '微信订单号', '商户订单号', '用户标识', '交易类型', '交易状态', '付款银行', '货币种类', '应结订单金额', '代金券金额'];
const HEADERS: Record<Exclude<BillType, 'RECHARGE_REFUND'>, string[]> = {
  ALL: [...HEAD_COMMON, '微信退款单号', '商户退款单号', '退款金额', '充值券退款金额', '退款类型', '退款状态', '商品名称', '商户数据包', '手续费', '费率', '订单金额', '申请退款金额', '费率备注'],
  SUCCESS: [...HEAD_COMMON, '商品名称', '商户数据包', '手续费', '费率', '订单金额', '费率备注'],
  REFUND: [...HEAD_COMMON, '退款申请时间', '退款成功时间', '微信退款单号', '商户退款单号', '退款金额', '充值券退款金额', '退款类型', '退款状态', '商品名称', '商户数据包', '手续费', '费率', '订单金额', '申请退款金额', '费率备注'],
};
const SUMMARY_HEADER = ['总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额'];

/** Integer fen to yuan with two decimals, exactly (no floating point). */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function feeOf(fen: number): number {
  return Math.round((fen * FEE_RATE_PERMILLE) / 1000);
}

type Row = { at: number; cells: string[] };

function line(cells: readonly string[]): string {
  return cells.map((c) => `\`${c.replace(/[\r\n,]/g, ' ')}`).join(',');
}

/**
 * The bill of one Beijing day, or undefined when there is nothing to report (WeChat answers "No Bill Exist").
 * Payments count on the day they were paid, refunds on the day they succeeded.
 */
export function buildBill(
  owner: BillOwner,
  billType: BillType,
  day: { start: number; end: number },
  orders: readonly SandboxOrder[],
  refunds: readonly SandboxRefund[],
): string | undefined {
  if (billType === 'RECHARGE_REFUND') return undefined; // the sandbox has no recharge-funded refunds
  const inDay = (t: number | undefined): t is number => t !== undefined && t >= day.start && t < day.end;
  const owns = typeof owner === 'string' ? (r: { mchid: string }) => r.mchid === owner : owner;
  const paid = orders.filter((o) => owns(o) && o.transactionId !== undefined && inDay(o.paidAt));
  const refunded = refunds.filter((r) => owns(r) && r.status === 'SUCCESS' && inDay(r.successAt));
  const orderOf = new Map(orders.filter(owns).map((o) => [`${o.mchid}\n${o.outTradeNo}`, o]));
  // Partner rows: 公众账号ID and 商户号 are the provider's, 特约商户号 the sub-merchant's (0 for a direct merchant).
  const ids = (o: SandboxOrder): string[] => [o.partner?.spAppid ?? o.appid, o.partner?.spMchid ?? o.mchid, o.partner?.subMchid ?? '0'];
  const rows: Row[] = [];
  let settled = 0;
  let refundTotal = 0;
  let feeTotal = 0;
  let orderTotal = 0;
  let count = 0;

  if (billType === 'ALL' || billType === 'SUCCESS') {
    for (const o of paid) {
      const fee = feeOf(o.totalFee);
      const common = [beijingDateTime(o.paidAt ?? 0), ...ids(o), o.deviceInfo ?? '', o.transactionId ?? '', o.outTradeNo, o.openid, o.tradeType, 'SUCCESS', o.bankType ?? 'OTHERS', o.feeType, yuan(o.totalFee), '0.00'];
      const cells = billType === 'ALL'
        ? [...common, '0', '0', '0.00', '0.00', '', '', o.description, o.attach ?? '', yuan(fee), FEE_RATE_TEXT, yuan(o.totalFee), '0.00', '']
        : [...common, o.description, o.attach ?? '', yuan(fee), FEE_RATE_TEXT, yuan(o.totalFee), ''];
      rows.push({ at: o.paidAt ?? 0, cells });
      settled += o.totalFee;
      feeTotal += fee;
      orderTotal += o.totalFee;
      count += 1;
    }
  }
  if (billType === 'ALL' || billType === 'REFUND') {
    for (const r of refunded) {
      const o = orderOf.get(`${r.mchid}\n${r.outTradeNo}`);
      if (o === undefined) continue;
      const fee = -feeOf(r.refundFee);
      const common = [beijingDateTime(o.paidAt ?? r.createdAt), ...ids(o), o.deviceInfo ?? '', r.transactionId, r.outTradeNo, o.openid, o.tradeType, 'REFUND', o.bankType ?? 'OTHERS', o.feeType, '0.00', '0.00'];
      const refundCells = [r.refundId, r.outRefundNo, yuan(r.refundFee), '0.00', 'ORIGINAL', 'SUCCESS', o.description, o.attach ?? '', yuan(fee), FEE_RATE_TEXT, yuan(o.totalFee), yuan(r.refundFee), ''];
      const cells = billType === 'ALL'
        ? [...common, ...refundCells]
        : [...common, beijingDateTime(r.createdAt), beijingDateTime(r.successAt ?? r.createdAt), ...refundCells];
      rows.push({ at: r.successAt ?? r.createdAt, cells });
      refundTotal += r.refundFee;
      feeTotal += fee;
      orderTotal += billType === 'REFUND' ? o.totalFee : 0;
      count += 1;
    }
  }
  if (rows.length === 0) return undefined;
  rows.sort((a, b) => a.at - b.at);
  const lines = [
    HEADERS[billType].join(','),
    ...rows.map((r) => line(r.cells)),
    SUMMARY_HEADER.join(','),
    line([String(count), yuan(settled), yuan(refundTotal), '0.00', yuan(feeTotal), yuan(orderTotal), yuan(refundTotal)]),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
