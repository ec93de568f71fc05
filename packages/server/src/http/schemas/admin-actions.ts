/** The operator console's dashboard and actions (GET /admin/stats, POST /admin/orders/:orderId/{query,close,review}). */
import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/order.js';
import { ADMIN_ACTIONS } from '../../ports/admin-store.js';

const fen = z.number().int().describe('fen');
const count = z.number().int().min(0);
const isoTime = z.string().describe('ISO 8601');

/** Why a person acted: required, kept in the audit trail. 80 characters is also WeChat's limit for a refund reason. */
export const actionReason = z.string().trim().min(1, 'a reason is required').max(80);

export const actionBody = z.strictObject({ reason: actionReason });

export const statsQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).optional().describe('how many China days, ending today (default 30)'),
});

const msSummary = z.object({ count, medianMs: z.number().int().optional(), p90Ms: z.number().int().optional(), maxMs: z.number().int().optional() });

export const statsResponse = z
  .object({
    window: z.object({ from: z.string(), to: z.string(), days: count, timeZone: z.literal('Asia/Shanghai'), generatedAt: isoTime }),
    days: z
      .array(z.object({ date: z.string().describe('China date'), created: count, paid: count, revenue: fen, refunded: fen }))
      .describe('every day of the window, oldest first: orders created, orders paid and their amount, refunds that succeeded'),
    totals: z.object({ created: count, paid: count, revenue: fen, refunded: fen }),
    byStatus: z.record(z.enum(ORDER_STATUSES), count).describe('orders created in the window, by their status now'),
    conversion: z.object({ created: count, paid: count, rate: z.number().min(0).max(1).optional().describe('paid / created') }),
    notifications: z.object({
      deliveries: count,
      authentic: count,
      rejected: count.describe('not authentic, plus refusals only counted (floods, unreadable bodies)'),
      retried: count.describe('events WeChat delivered more than once'),
      outcomes: z.record(z.string(), count),
      paymentToNotification: msSummary.describe('from the payment (paid_at) to the first authentic payment notification'),
    }),
    refunds: z.object({ count, amount: fen, byStatus: z.record(z.string(), z.object({ count, amount: fen })) }),
    flagged: z.object({ open: count.describe('flagged, not yet marked reviewed (all time)'), reviewed: count }),
  })
  .describe('AdminStats');

export const adminActionShape = z.object({
  id: z.string(),
  action: z.enum(ADMIN_ACTIONS),
  actor: z.string(),
  reason: z.string(),
  result: z.string().describe('ok, or the refusal code'),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  createdAt: isoTime,
});

export const actionResponse = z.object({ action: adminActionShape, order: z.object({ orderId: z.string(), status: z.enum(ORDER_STATUSES) }) });
