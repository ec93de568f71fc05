import { yuan } from './bill.js';
import type { SandboxOrder, SandboxRefund } from './state/types.js';
import { beijingDateTime } from './time.js';

/**
 * Fund-flow bills (v3 /v3/bill/fundflowbill) of the basic account, in WeChat's bill layout: header, one backtick-
 * prefixed line per movement of the day (payments in, refunds out; the fee is not modelled as its own movement),
 * then a summary header and line. Amounts in yuan; the balance runs over the day's movements from zero.
 * OPERATION and FEES accounts have no movements in the sandbox, so their bills do not exist.
 */

export type FundAccountType = 'BASIC' | 'OPERATION' | 'FEES';
export const FUND_ACCOUNT_TYPES: readonly FundAccountType[] = ['BASIC', 'OPERATION', 'FEES'];

const HEADER = ['记账时间', '微信支付业务单号', '资金流水单号', '业务名称', '业务类型', '收支类型', '收支金额（元）', '账户结余（元）', '资金变更提交申请人', '备注', '业务凭证号'];
const SUMMARY_HEADER = ['资金流水总笔数', '收入笔数', '收入金额', '支出笔数', '支出金额'];

function line(cells: readonly string[]): string {
  return cells.map((c) => `\`${c.replace(/[\r\n,]/g, ' ')}`).join(',');
}

export function buildFundFlowBill(
  mchid: string,
  accountType: FundAccountType,
  day: { start: number; end: number },
  orders: readonly SandboxOrder[],
  refunds: readonly SandboxRefund[],
): string | undefined {
  if (accountType !== 'BASIC') return undefined;
  const inDay = (t: number | undefined): t is number => t !== undefined && t >= day.start && t < day.end;
  type Movement = { at: number; id: string; name: string; kind: '收入' | '支出'; fen: number; voucher: string };
  const movements: Movement[] = [];
  for (const o of orders) {
    if (o.mchid === mchid && o.transactionId !== undefined && inDay(o.paidAt)) {
      movements.push({ at: o.paidAt, id: o.transactionId, name: '交易', kind: '收入', fen: o.totalFee, voucher: o.outTradeNo });
    }
  }
  for (const r of refunds) {
    if (r.mchid === mchid && r.status === 'SUCCESS' && inDay(r.successAt)) {
      movements.push({ at: r.successAt, id: r.refundId, name: '退款', kind: '支出', fen: r.refundFee, voucher: r.outRefundNo });
    }
  }
  if (movements.length === 0) return undefined;
  movements.sort((a, b) => a.at - b.at);
  let balance = 0;
  let income = 0;
  let incomeCount = 0;
  let expense = 0;
  let expenseCount = 0;
  const rows = movements.map((m, i) => {
    balance += m.kind === '收入' ? m.fen : -m.fen;
    if (m.kind === '收入') {
      income += m.fen;
      incomeCount += 1;
    } else {
      expense += m.fen;
      expenseCount += 1;
    }
    const flowId = `${m.id.slice(0, 20)}${String(i + 1).padStart(8, '0')}`;
    return line([beijingDateTime(m.at), m.id, flowId, m.name, m.name, m.kind, yuan(m.fen), yuan(balance), 'system', '', m.voucher]);
  });
  const lines = [
    HEADER.join(','),
    ...rows,
    SUMMARY_HEADER.join(','),
    line([String(movements.length), String(incomeCount), yuan(income), String(expenseCount), yuan(expense)]),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
