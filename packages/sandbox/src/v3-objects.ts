import { formatRfc3339Beijing } from '@wxpay-kit/wechat';
import type { SandboxOrder, SandboxRefund } from './state/types.js';

/**
 * v3's Transaction and Refund objects, made from the sandbox's protocol-neutral records: the same shapes go into
 * query answers and (encrypted) notifications, as at WeChat.
 */

type JsonObject = Record<string, unknown>;

const TRADE_STATE_DESC: Record<SandboxOrder['state'], string> = {
  NOTPAY: '未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '已关闭',
  PAYERROR: '支付失败',
};

export function transactionObject(order: SandboxOrder): JsonObject {
  const paid = order.transactionId !== undefined && order.paidAt !== undefined;
  const p = order.partner;
  // Partner mode's Transaction names the provider and the sub-merchant, and the payer under either appid.
  const who = p === undefined
    ? { appid: order.appid, mchid: order.mchid }
    : { sp_appid: p.spAppid, sp_mchid: p.spMchid, ...(p.subAppid === undefined ? {} : { sub_appid: p.subAppid }), sub_mchid: p.subMchid };
  const payer = p === undefined
    ? { openid: order.openid }
    : { ...(p.spOpenid === undefined ? {} : { sp_openid: p.spOpenid }), ...(p.subOpenid === undefined ? {} : { sub_openid: p.subOpenid }) };
  return {
    ...who,
    out_trade_no: order.outTradeNo,
    ...(paid ? { transaction_id: order.transactionId } : {}),
    trade_type: order.tradeType,
    trade_state: order.state,
    trade_state_desc: TRADE_STATE_DESC[order.state],
    ...(paid ? { bank_type: order.bankType, success_time: formatRfc3339Beijing(order.paidAt ?? 0) } : {}),
    ...(order.attach === undefined ? {} : { attach: order.attach }),
    payer,
    amount: paid
      ? { total: order.totalFee, payer_total: order.totalFee, currency: order.feeType, payer_currency: order.feeType }
      : { total: order.totalFee, currency: order.feeType },
    promotion_detail: [],
  };
}

const REFUND_STATUS: Record<SandboxRefund['status'], string> = {
  PROCESSING: 'PROCESSING',
  SUCCESS: 'SUCCESS',
  REFUNDCLOSE: 'CLOSED',
  CHANGE: 'ABNORMAL',
};

export function refundObject(r: SandboxRefund): JsonObject {
  return {
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(r.successAt === undefined ? {} : { success_time: formatRfc3339Beijing(r.successAt) }),
    create_time: formatRfc3339Beijing(r.createdAt),
    status: REFUND_STATUS[r.status],
    funds_account: 'UNSETTLED',
    amount: {
      total: r.totalFee,
      refund: r.refundFee,
      from: [],
      payer_total: r.totalFee,
      payer_refund: r.refundFee,
      settlement_refund: r.refundFee,
      settlement_total: r.totalFee,
      discount_refund: 0,
      currency: 'CNY',
      refund_fee: 0,
    },
    promotion_detail: [],
  };
}

export function v3RefundStatus(r: SandboxRefund): string {
  return REFUND_STATUS[r.status];
}
