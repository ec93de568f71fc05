/**
 * Row → domain conversions shared by the stores (kysely-store.ts, admin-store.ts): one place per table, so a column
 * added or a type changed (PostgreSQL int8 arrives as a number, SQLite integers too, NULL becomes undefined) cannot
 * be mapped one way by the order store and another by the admin view.
 */
import type { Selectable } from 'kysely';
import { DEFAULT_MERCHANT_ID } from '../domain/merchant-identity.js';
import type { AttemptStatus, PaymentAttempt } from '../domain/order.js';
import type { NotificationLogEntry, OutboxEvent, Refund } from '../ports/store.js';
import type { NotificationLogTable, OutboxTable, PaymentAttemptsTable, RefundsTable } from './schema.js';

export const undef = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
/** A row's merchant_id as the domain holds it: the default merchant is undefined, as before merchants existed. */
export const merchantField = (value: string): { merchantId?: string } => (value === DEFAULT_MERCHANT_ID ? {} : { merchantId: value });
export const num = (value: number | null): number | undefined => (value === null ? undefined : Number(value));

/** Rows changed by an UPDATE (or inserted by an INSERT … ON CONFLICT): how a conditional write tells it won. */
export function affected(result: { numUpdatedRows?: bigint; numInsertedOrUpdatedRows?: bigint } | undefined): number {
  if (result === undefined) return 0;
  return Number(result.numUpdatedRows ?? result.numInsertedOrUpdatedRows ?? 0n);
}

export function toAttempt(row: Selectable<PaymentAttemptsTable>): PaymentAttempt {
  return {
    id: row.id,
    ...merchantField(row.merchant_id),
    orderId: row.order_id,
    outTradeNo: row.out_trade_no,
    amountFen: Number(row.amount_fen),
    status: row.status as AttemptStatus,
    signType: undef(row.sign_type),
    prepayId: undef(row.prepay_id),
    prepayAt: num(row.prepay_at),
    timeExpire: Number(row.time_expire),
    transactionId: undef(row.transaction_id),
    createdAt: Number(row.created_at),
    lastQueryAt: num(row.last_query_at),
  };
}

export function toRefund(row: Selectable<RefundsTable>): Refund {
  return {
    id: row.id,
    orderId: row.order_id,
    outRefundNo: row.out_refund_no,
    amountFen: Number(row.amount_fen),
    status: row.status as Refund['status'],
    refundId: undef(row.refund_id),
    reason: undef(row.reason),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toNotification(row: Selectable<NotificationLogTable>): NotificationLogEntry {
  return {
    id: row.id,
    kind: row.kind as 'payment' | 'refund',
    apiVersion: row.api_version,
    receivedAt: Number(row.received_at),
    headers: JSON.parse(row.headers_json) as Record<string, string>,
    rawBody: row.raw_body,
    authentic: Number(row.authentic) === 1,
    outcome: row.outcome,
    eventKey: undef(row.event_key),
    outTradeNo: undef(row.out_trade_no),
  };
}

/** `attempts` is passed in: a claim reports the attempt it has just counted, which the row read before it lacks. */
export function toOutboxEvent(row: Selectable<OutboxTable>, attempts = Number(row.attempts)): OutboxEvent {
  return {
    id: row.id,
    topic: row.topic,
    orderId: row.order_id,
    payload: JSON.parse(row.payload_json) as Record<string, unknown>,
    createdAt: Number(row.created_at),
    attempts,
  };
}
