import { z } from 'zod';

export const refundBody = z.strictObject({
  amount: z.number().int().positive().optional().describe('fen; default: all that is not yet refunded'),
  reason: z.string().max(80).optional(),
});

const refundShape = z.object({ outRefundNo: z.string(), amount: z.number().int(), status: z.string(), refundId: z.string().optional() });

export const refundResponse = z.object({ refund: refundShape });

/** 409: the order cannot be refunded now; `refund` is the refund already under way, when that is why. */
export const refundConflict = z.object({ error: z.object({ code: z.string(), message: z.string() }), refund: refundShape.optional() });
