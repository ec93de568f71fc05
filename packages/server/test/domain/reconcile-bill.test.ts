import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileBill } from '../../src/domain/reconcile-bill.js';
import type { AttemptRecord, OurRecords, RefundRecord } from '../../src/domain/reconcile-bill.js';
import type { BillRow } from '../../src/ports/gateway.js';

const APPID = 'wxapp0000000001';
const DAY = { start: Date.UTC(2026, 10, 24, 16), end: Date.UTC(2026, 10, 25, 16) }; // 2026-11-25 in China
const NOON = DAY.start + 12 * 3600_000;

function payRow(outTradeNo: string, over: Partial<BillRow> = {}): BillRow {
  return { tradeState: 'SUCCESS', appid: APPID, mchid: '1900000001', outTradeNo, transactionId: `tx-${outTradeNo}`, totalFen: 100, time: NOON, ...over };
}
function refundRow(outTradeNo: string, outRefundNo: string, refundFen: number, over: Partial<BillRow> = {}): BillRow {
  return { ...payRow(outTradeNo), tradeState: 'REFUND', outRefundNo, refundFen, refundId: `r-${outRefundNo}`, refundStatus: 'SUCCESS', ...over };
}
function paid(outTradeNo: string, over: Partial<AttemptRecord> = {}): AttemptRecord {
  return { orderId: `o-${outTradeNo}`, outTradeNo, amountFen: 100, transactionId: `tx-${outTradeNo}`, orderStatus: 'PAID', paidByThis: true, paidAt: NOON, ...over };
}
function refund(outTradeNo: string, outRefundNo: string, over: Partial<RefundRecord> = {}): RefundRecord {
  return { orderId: `o-${outTradeNo}`, outTradeNo, outRefundNo, amountFen: 40, status: 'SUCCESS', updatedAt: NOON, ...over };
}
function ours(attempts: AttemptRecord[], refunds: RefundRecord[] = []): OurRecords {
  return { appid: APPID, day: DAY, attempts, refunds };
}

test('bill and records agree: no differences, counts and sums', () => {
  const r = reconcileBill([payRow('A'), payRow('B', { totalFen: 250 }), refundRow('A', 'RA', 40)], ours([paid('A'), paid('B', { amountFen: 250 })], [refund('A', 'RA')]));
  assert.deepEqual(r.differences, []);
  assert.equal(r.matchedPayments, 2);
  assert.equal(r.matchedRefunds, 1);
  assert.equal(r.billPaidFen, 350);
  assert.equal(r.billRefundFen, 40);
});

test('paid at WeChat, never recorded here → missing_payment (to apply)', () => {
  const r = reconcileBill([payRow('A')], ours([paid('A', { transactionId: undefined, orderStatus: 'PAYING', paidByThis: false, paidAt: undefined })]));
  assert.deepEqual(r.differences.map((d) => [d.kind, d.orderId, d.transactionId, d.billFen]), [['missing_payment', 'o-A', 'tx-A', 100]]);
});

test('paid under an out_trade_no we do not know → unknown_payment', () => {
  const r = reconcileBill([payRow('X')], ours([]));
  assert.equal(r.differences[0]?.kind, 'unknown_payment');
  assert.equal(r.differences[0]?.orderId, undefined);
});

test('bill total differs from the attempt → amount_mismatch (never applied)', () => {
  const r = reconcileBill([payRow('A', { totalFen: 99 })], ours([paid('A', { transactionId: undefined, orderStatus: 'PAYING', paidByThis: false })]));
  assert.deepEqual(r.differences.map((d) => [d.kind, d.billFen, d.ourFen]), [['amount_mismatch', 99, 100]]);
});

test('attempt records another transaction → transaction_mismatch', () => {
  const r = reconcileBill([payRow('A')], ours([paid('A', { transactionId: 'tx-other' })]));
  assert.deepEqual(r.differences.map((d) => d.kind), ['transaction_mismatch']);
});

test('recorded on the attempt but the order is CLOSED → payment_not_settled', () => {
  const r = reconcileBill([payRow('A')], ours([paid('A', { orderStatus: 'CLOSED', paidByThis: false })]));
  assert.deepEqual(r.differences.map((d) => d.kind), ['payment_not_settled']);
});

test('paid here within the day, absent from the bill → not_in_bill; outside the day → nothing', () => {
  const r = reconcileBill([], ours([paid('A'), paid('B', { paidAt: DAY.end }), paid('C', { paidByThis: false })]));
  assert.deepEqual(r.differences.map((d) => [d.kind, d.outTradeNo]), [['not_in_bill', 'A']]);
});

test('refund in the bill we do not know → unknown_refund (tied to the order when its attempt is known)', () => {
  const r = reconcileBill([payRow('A'), refundRow('A', 'RX', 30)], ours([paid('A')]));
  assert.deepEqual(r.differences.map((d) => [d.kind, d.orderId, d.outRefundNo, d.billFen]), [['unknown_refund', 'o-A', 'RX', 30]]);
});

test('refund in the bill still PROCESSING here → refund_not_settled', () => {
  const r = reconcileBill([refundRow('A', 'RA', 40)], ours([paid('A', { paidAt: DAY.start - 1 })], [refund('A', 'RA', { status: 'PROCESSING' })]));
  assert.deepEqual(r.differences.map((d) => d.kind), ['refund_not_settled']);
});

test('refund amount differs → refund_amount_mismatch', () => {
  const r = reconcileBill([refundRow('A', 'RA', 41)], ours([], [refund('A', 'RA')]));
  assert.deepEqual(r.differences.map((d) => [d.kind, d.billFen, d.ourFen]), [['refund_amount_mismatch', 41, 40]]);
});

test('refund succeeded here within the day, absent from the bill → refund_not_in_bill', () => {
  const r = reconcileBill([], ours([], [refund('A', 'RA'), refund('B', 'RB', { updatedAt: DAY.start - 1 }), refund('C', 'RC', { status: 'PROCESSING' })]));
  assert.deepEqual(r.differences.map((d) => [d.kind, d.outRefundNo]), [['refund_not_in_bill', 'RA']]);
});

test('lines of another app of the same merchant account and unreconciled states are ignored', () => {
  const r = reconcileBill([payRow('Z', { appid: 'wxotherapp00000' }), payRow('R', { tradeState: 'REVOKED' })], ours([]));
  assert.deepEqual(r.differences, []);
  assert.equal(r.ignored, 2);
  assert.equal(r.billPayments, 0);
});
