/**
 * What the v2 and v3 gateways map the same way, whatever the wire: pay params, a paid query answer, a refund WeChat
 * refused, the time of a payment, bill rows. Each gateway keeps only its protocol's names and codes.
 */
import { WxPayApiError, WxPayProtocolError } from '@wxpay-kit/wechat';
import type { BillRow, PayParams, PaymentFacts, PaymentQueryResult, RefundResult, TradeState } from '../ports/gateway.js';
import { toGatewayError } from './errors.js';

/** Exactly what wx.requestPayment takes, nothing the SDK's object may carry besides. */
export function toPayParams(p: PayParams): PayParams {
  return { timeStamp: p.timeStamp, nonceStr: p.nonceStr, package: p.package, signType: p.signType, paySign: p.paySign };
}

/** WeChat's time of payment when it sent a readable one; otherwise our clock's now (the payment is not lost over it). */
export function paidAt(value: string | undefined, parse: (value: string) => number | undefined, now: () => number): number {
  return (value === undefined ? undefined : parse(value)) ?? now();
}

/**
 * A query answer: a paid (or since refunded) order must name its transaction and total (`payment` returns undefined
 * when they are missing), or the answer is a protocol error, `missing` saying what was absent. Any other state
 * carries no payment.
 */
export function queryResult(state: TradeState, payment: () => PaymentFacts | undefined, operation: string, missing: string): PaymentQueryResult {
  if (state !== 'SUCCESS' && state !== 'REFUND') return { state };
  const facts = payment();
  if (facts === undefined) throw toGatewayError(new WxPayProtocolError(missing), operation);
  return { state, payment: facts };
}

/**
 * A refund WeChat answered with a final business refusal (NOTENOUGH, …): reported, not thrown. Retriable errors,
 * HTTP-level failures and `notFinal` codes (a signature problem is ours to fix, not the refund's verdict) are thrown
 * by the caller as gateway errors.
 */
export function refusedRefund(error: unknown, notFinal: readonly string[] = []): RefundResult | undefined {
  if (!(error instanceof WxPayApiError) || error.retriable || error.code === undefined) return undefined;
  if (error.code.startsWith('HTTP_') || notFinal.includes(error.code)) return undefined;
  return { kind: 'rejected', code: error.code, message: error.description ?? error.code };
}

/** A downloaded bill's lines as BillRows; a line we cannot read fails the download (never a silently short bill). */
export function toBillRows<T>(rows: readonly T[], toRow: (row: T) => BillRow, operation: string): BillRow[] {
  try {
    return rows.map((row) => toRow(row));
  } catch (error) {
    throw toGatewayError(error, operation);
  }
}
