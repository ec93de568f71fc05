/**
 * What a notification is about, looked up afresh for each attempt (v2 and v3 alike): the paid order or the refund,
 * with its merchant. Undefined when it no longer exists (or was never paid): the notifier then stops the job.
 */
import type { SandboxStore } from './state/store.js';
import { signingMerchantOf } from './partner.js';
import type { NotificationJob, SandboxMerchant, SandboxOrder, SandboxRefund } from './state/types.js';

export type PaidOrder = SandboxOrder & { transactionId: string; paidAt: number };

function isPaid(order: SandboxOrder | undefined): order is PaidOrder {
  return order !== undefined && order.transactionId !== undefined && order.paidAt !== undefined;
}

/** The stored order itself (not a copy), narrowed to a paid one. */
export function paidOrderOf(store: SandboxStore, job: NotificationJob): { order: PaidOrder; merchant: SandboxMerchant } | undefined {
  const order = store.order(job.mchid, job.outTradeNo);
  // Partner orders are notified with the provider's keys.
  const merchant = order === undefined ? undefined : signingMerchantOf(store, order);
  if (!isPaid(order) || merchant === undefined) return undefined;
  return { order, merchant };
}

export function refundOf(store: SandboxStore, job: NotificationJob): { refund: SandboxRefund; merchant: SandboxMerchant } | undefined {
  if (job.outRefundNo === undefined) return undefined;
  const refund = store.refund(job.mchid, job.outRefundNo);
  const merchant = refund === undefined ? undefined : signingMerchantOf(store, refund);
  if (refund === undefined || merchant === undefined) return undefined;
  return { refund, merchant };
}
