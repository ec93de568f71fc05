import { z } from 'zod';

export const refundBody = z.strictObject({
  amount: z.number().int().positive().optional().describe('fen; default: all that is not yet refunded'),
  reason: z.string().max(80).optional(),
});

export const refundResponse = z.object({
  refund: z.object({ outRefundNo: z.string(), amount: z.number().int(), status: z.string(), refundId: z.string().optional() }),
});
