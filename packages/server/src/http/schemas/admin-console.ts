import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/order.js';
import { DIFFERENCE_KINDS } from '../../domain/reconcile-bill.js';
import { adminActionShape } from './admin-actions.js';
import { adminShippingSchema } from './shipping.js';

const isoTime = z.string().describe('ISO 8601');
const fen = z.number().int().describe('fen');

export const adminOrdersQuery = z.strictObject({
  merchantId: z.string().min(1).max(32).optional().describe('one merchant\'s orders (GET /admin/merchants)'),
  status: z.enum(ORDER_STATUSES).optional(),
  flagged: z.enum(['true', 'false']).optional().describe('true: only orders with a review reason not yet marked reviewed; false: the others'),
  q: z.string().trim().min(1).max(64).optional().describe('exact order id, out_trade_no, transaction_id or openid'),
  from: billDateField().optional().describe('created on or after this China date (YYYY-MM-DD)'),
  to: billDateField().optional().describe('created on or before this China date (YYYY-MM-DD)'),
  limit: z.coerce.number().int().min(1).max(200).optional().describe('default 50'),
  cursor: z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/).optional().describe('nextCursor of the previous page'),
});

export const adminOrderSummary = z.object({
  orderId: z.string(),
  outTradeNo: z.string().optional().describe('the latest attempt'),
  status: z.enum(ORDER_STATUSES),
  amount: fen,
  refunded: fen,
  createdAt: isoTime,
  updatedAt: isoTime,
  paidAt: isoTime.optional(),
  reviewReason: z.string().optional().describe('why a person should look at it'),
  shipping: adminShippingSchema.optional().describe('fulfilment (issue 14); absent only where it was not looked up'),
  merchantId: z.string().optional(),
  reviewedAt: isoTime.optional().describe('when a person marked it reviewed'),
});

export const adminOrdersResponse = z.object({ orders: z.array(adminOrderSummary), nextCursor: z.string().optional() });

export const adminOrderDetail = z.object({
  order: adminOrderSummary.extend({
    openid: z.string(),
    description: z.string(),
    items: z.array(z.object({ sku: z.string(), name: z.string(), price: fen, quantity: z.number().int() })),
  }),
  attempts: z.array(
    z.object({
      outTradeNo: z.string(),
      amount: fen,
      status: z.string(),
      prepayId: z.string().optional(),
      prepayAt: isoTime.optional(),
      timeExpire: isoTime,
      transactionId: z.string().optional(),
      createdAt: isoTime,
    }),
  ),
  refunds: z.array(z.object({ outRefundNo: z.string(), amount: fen, status: z.string(), refundId: z.string().optional(), reason: z.string().optional(), createdAt: isoTime, updatedAt: isoTime })),
  notifications: z
    .array(
      z.object({
        id: z.string(),
        kind: z.string(),
        apiVersion: z.string(),
        receivedAt: isoTime,
        authentic: z.boolean(),
        outcome: z.string(),
        outTradeNo: z.string().optional(),
        eventKey: z.string().optional(),
        headers: z.record(z.string(), z.string()),
        rawBody: z.string().describe('as received (v3: the encrypted envelope), cut at 8 KiB'),
      }),
    )
    .describe('every delivery naming one of its out_trade_nos, newest first'),
  events: z.array(z.object({ id: z.string(), topic: z.string(), createdAt: isoTime, attempts: z.number().int(), deliveredAt: isoTime.optional() })),
  actions: z.array(adminActionShape).describe('what people did to the order (refund, query, close, mark_reviewed), oldest first'),
});

function billDateField() {
  return z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a China date YYYY-MM-DD')
    .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v, 'not a calendar date');
}

export const billDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a China date YYYY-MM-DD')
  .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v, 'not a calendar date');

const merchantId = z.string().min(1).max(32).optional().describe("whose bill (GET /admin/merchants); default: the first merchant's");
export const reconcileBody = z.strictObject({ date: billDate.describe('the China day whose bill to reconcile'), merchantId });
export const reconciliationParams = z.strictObject({ date: billDate });
export const reconciliationQuery = z.strictObject({ merchantId });
export const reconciliationsQuery = z.strictObject({
  merchantId,
  limit: z.coerce.number().int().min(1).max(200).optional().describe('default 30'),
  before: billDate.optional().describe('only dates before this one (paging)'),
});

const difference = z.object({
  kind: z.enum(DIFFERENCE_KINDS),
  outTradeNo: z.string(),
  orderId: z.string().optional(),
  outRefundNo: z.string().optional(),
  transactionId: z.string().optional(),
  billAmount: fen.optional().describe('what the bill says'),
  ourAmount: fen.optional().describe('what we recorded'),
  detail: z.string(),
  resolution: z.string().describe('applied:<outcome> (a missing payment applied like a notification), flagged (on the order), reported'),
  firstSeenAt: isoTime,
});

export const reconciliationSummary = z.object({
  date: z.string(),
  status: z.enum(['matched', 'differences', 'failed']),
  runs: z.number().int().describe('how many times the date was reconciled'),
  startedAt: isoTime,
  finishedAt: isoTime,
  billPayments: z.number().int(),
  billRefunds: z.number().int(),
  matched: z.number().int(),
  ignored: z.number().int().describe('lines of other apps of the merchant account, unreconciled states'),
  applied: z.number().int().describe('missing payments applied, over all runs'),
  billPaid: fen,
  billRefunded: fen,
  differenceCount: z.number().int(),
  error: z.string().optional(),
});

export const reconciliationDetail = z.object({ reconciliation: reconciliationSummary.extend({ differences: z.array(difference) }) });
export const reconciliationList = z.object({ reconciliations: z.array(reconciliationSummary) });
